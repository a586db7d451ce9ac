"""Runtime settings, read from the environment (12-factor).

Every setting has an embedded default so that ``make run`` works on a fresh
machine with SQLite and no Twilio account. ``.env.example`` documents them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from helpline.channels import rate_limit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CRISIS_PAGE_CAP = 5
CRISIS_PAGE_WINDOW_MINUTES = 10.0


def _default_data_dir() -> Path:
    return PROJECT_ROOT / "var"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    facility_file: Path = PROJECT_ROOT / "facility.yml"
    twilio_account_sid: Optional[str] = None
    twilio_auth_token: Optional[str] = None
    twilio_from_number: Optional[str] = None
    # Comma-separated E.164 numbers of on-call staff who get lead alerts.
    staff_sms_to: tuple[str, ...] = ()
    # Shown in staff SMS so they can open the lead in the console.
    console_base_url: str = "http://localhost:8080"
    # Seconds one Twilio API call may take before we count it as failed and retry.
    twilio_timeout_seconds: float = 10.0
    # Send rounds per staff alert before the record is left "failed" for
    # `helpline callbacks retry-notifications` to pick up later.
    notify_max_attempts: int = 4
    # Only to point staff alerts at a stand-in for Twilio's API (tests, a local
    # mock); empty = Twilio's own hosts.
    twilio_api_base_url: str = ""
    # Conversations (Rasa tracker store); empty = SQLite in the data directory.
    tracker_url: str = ""
    # Fernet keys for data at rest, first encrypts (helpline.security.crypto); empty = local key file.
    encryption_keys: tuple[str, ...] = ()
    # Messages a minute the public channels take from one sender (REST sender,
    # socket.io connection or session, SMS number) and from one client address
    # (REST, socket.io); 0 turns that limit off. Why these numbers:
    # helpline.channels.rate_limit. Per process: see helpline.channels.rate_limit on replicas.
    rate_limit_per_sender: int = rate_limit.PER_SENDER_PER_MINUTE
    rate_limit_per_ip: int = rate_limit.PER_IP_PER_MINUTE
    # Proxies of ours in front of the Rasa server (HAProxy: 1). Only then is
    # X-Forwarded-For read for the client address; anyone can write that header.
    trusted_proxy_hops: int = 0
    # The same for the web process (staff console): proxies of ours in front of
    # it, e.g. 1 for nginx terminating https. Separate from the Rasa setting
    # because the two are often not behind the same proxies, and a count too
    # high lets a client choose the address the sign-in limits count it under.
    console_proxy_hops: int = 0
    # At most this many crisis pages (the urgent staff SMS) per window, counted
    # in the database across processes; the rest wait for one summary page
    # (helpline.safety.crisis_pages). A helpline sees a few crises an hour at most, so
    # 5 in 10 minutes pages each real one at once, while a flood (many senders
    # at once, a script) stops waking staff after the fifth; every follow-up is
    # still stored and listed in the queue.
    crisis_page_cap: int = CRISIS_PAGE_CAP
    crisis_page_window_minutes: float = CRISIS_PAGE_WINDOW_MINUTES

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'helpline.db'}"

    @property
    def effective_tracker_url(self) -> str:
        return self.tracker_url or f"sqlite:///{self.data_dir / 'tracker.db'}"


def _positive(env: Mapping[str, str], key: str, default: float, cast: type) -> float:
    """A positive number from the environment; a typo falls back to the default rather than crash start-up."""
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = cast(raw)
    except ValueError:
        return default
    return value if value > 0 else default


def _count(env: Mapping[str, str], key: str, default: int) -> int:
    """A whole number >= 0 from the environment (0 means "off" where a setting says so); a typo gives the default."""
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value >= 0 else default


def load_settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    env = os.environ if env is None else env
    data_dir = Path(env.get("HELPLINE_DATA_DIR") or _default_data_dir())
    staff = tuple(n.strip() for n in env.get("HELPLINE_STAFF_SMS_TO", "").split(",") if n.strip())
    return Settings(
        data_dir=data_dir,
        database_url=env.get("DATABASE_URL", ""),
        facility_file=Path(env.get("HELPLINE_FACILITY_FILE") or PROJECT_ROOT / "facility.yml"),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
        twilio_from_number=env.get("TWILIO_FROM_NUMBER") or None,
        staff_sms_to=staff,
        console_base_url=env.get("HELPLINE_CONSOLE_URL", "http://localhost:8080").rstrip("/"),
        twilio_timeout_seconds=float(_positive(env, "HELPLINE_TWILIO_TIMEOUT", 10.0, float)),
        notify_max_attempts=int(_positive(env, "HELPLINE_NOTIFY_MAX_ATTEMPTS", 4, int)),
        twilio_api_base_url=(env.get("TWILIO_API_BASE_URL") or "").strip().rstrip("/"),
        tracker_url=env.get("HELPLINE_TRACKER_URL", ""),
        encryption_keys=tuple(k.strip() for k in env.get("HELPLINE_ENCRYPTION_KEYS", "").split(",") if k.strip()),
        rate_limit_per_sender=_count(env, "HELPLINE_RATE_LIMIT_PER_SENDER", rate_limit.PER_SENDER_PER_MINUTE),
        rate_limit_per_ip=_count(env, "HELPLINE_RATE_LIMIT_PER_IP", rate_limit.PER_IP_PER_MINUTE),
        trusted_proxy_hops=_count(env, "HELPLINE_TRUSTED_PROXY_HOPS", 0),
        console_proxy_hops=_count(env, "HELPLINE_CONSOLE_PROXY_HOPS", 0),
        # Never 0: a cap of none would silence every crisis page.
        crisis_page_cap=int(_positive(env, "HELPLINE_CRISIS_PAGE_CAP", CRISIS_PAGE_CAP, int)),
        crisis_page_window_minutes=float(
            _positive(env, "HELPLINE_CRISIS_PAGE_WINDOW_MINUTES", CRISIS_PAGE_WINDOW_MINUTES, float)
        ),
    )

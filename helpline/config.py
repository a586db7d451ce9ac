"""Runtime settings, read from the environment (12-factor).

Every setting has an embedded default so that ``make run`` works on a fresh
machine with SQLite and no Twilio account. ``.env.example`` documents them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    # Fernet keys for data at rest, first encrypts (helpline.crypto); empty = local key file.
    encryption_keys: tuple[str, ...] = ()

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
    )

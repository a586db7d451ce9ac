"""Runtime settings, read from the environment (12-factor), in this module only.

Every setting has an embedded default so that ``make run`` works on a fresh
machine with SQLite and no Twilio account. ``.env.example`` documents them;
``tests/core/test_settings.py`` fails if it and :class:`Settings` disagree, or
if a variable is read anywhere else.

A value that cannot be used stops start-up with :class:`SettingsError`, which
names the variable and says what it expects: a typo in a rate limit or a crisis
page cap must be seen by the operator, not silently replaced by a default.

Settings are read each time :func:`load_settings` is called (tests change the
environment between calls); parsing is memoised on the raw values only, so a
changed environment always gives fresh settings.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable, Dict, Mapping, Optional, Tuple, TypeVar

from helpline.channels import rate_limit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CRISIS_PAGE_CAP = 5
CRISIS_PAGE_WINDOW_MINUTES = 10.0
DEFAULT_ACTIONS_HOST = "127.0.0.1"


class SettingsError(Exception):
    """An environment variable has a value that cannot be used; the message says which and what is expected.

    Deliberately not a ValueError: Rasa's SQL tracker store reads a ValueError
    as "PostgreSQL schema missing" (see helpline.security.crypto.CryptoError).
    """


def _default_data_dir() -> Path:
    return PROJECT_ROOT / "var"


def _env(name: str) -> Dict[str, str]:
    """Field metadata: the environment variable a setting comes from."""
    return {"env": name}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir, metadata=_env("HELPLINE_DATA_DIR"))
    database_url: str = field(default="", metadata=_env("DATABASE_URL"))
    facility_file: Path = field(default=PROJECT_ROOT / "facility.yml", metadata=_env("HELPLINE_FACILITY_FILE"))
    twilio_account_sid: Optional[str] = field(default=None, metadata=_env("TWILIO_ACCOUNT_SID"))
    twilio_auth_token: Optional[str] = field(default=None, metadata=_env("TWILIO_AUTH_TOKEN"))
    twilio_from_number: Optional[str] = field(default=None, metadata=_env("TWILIO_FROM_NUMBER"))
    # Comma-separated E.164 numbers of on-call staff who get lead alerts.
    staff_sms_to: Tuple[str, ...] = field(default=(), metadata=_env("HELPLINE_STAFF_SMS_TO"))
    # Comma-separated E.164 numbers that hear when an unclaimed record is escalated
    # (helpline.queues.escalation); empty = facility.yml admissions.escalation.contact.
    escalation_sms_to: Tuple[str, ...] = field(default=(), metadata=_env("HELPLINE_ESCALATION_SMS_TO"))
    # Shown in staff SMS so they can open the lead in the console.
    console_base_url: str = field(default="http://localhost:8080", metadata=_env("HELPLINE_CONSOLE_URL"))
    # Seconds one Twilio API call may take before we count it as failed and retry.
    twilio_timeout_seconds: float = field(default=10.0, metadata=_env("HELPLINE_TWILIO_TIMEOUT"))
    # Send rounds per staff alert before the record is left "failed" for
    # `helpline callbacks retry-notifications` to pick up later.
    notify_max_attempts: int = field(default=4, metadata=_env("HELPLINE_NOTIFY_MAX_ATTEMPTS"))
    # Only to point staff alerts at a stand-in for Twilio's API (tests, a local
    # mock); empty = Twilio's own hosts.
    twilio_api_base_url: str = field(default="", metadata=_env("TWILIO_API_BASE_URL"))
    # Conversations (Rasa tracker store); empty = SQLite in the data directory.
    tracker_url: str = field(default="", metadata=_env("HELPLINE_TRACKER_URL"))
    # Fernet keys for data at rest, first encrypts (helpline.security.crypto); empty = local key file.
    encryption_keys: Tuple[str, ...] = field(default=(), metadata=_env("HELPLINE_ENCRYPTION_KEYS"))
    # Signs the outbound webhook (helpline.integrations.webhook); comma-separated keys are all
    # signed with (key rotation). None: an enabled webhook sends nothing. Never in a repr.
    webhook_secret: Optional[str] = field(default=None, repr=False, metadata=_env("HELPLINE_WEBHOOK_SECRET"))
    # Messages a minute the public channels take from one sender (REST sender,
    # socket.io connection or session, SMS number) and from one client address
    # (REST, socket.io); 0 turns that limit off. Why these numbers:
    # helpline.channels.rate_limit. Per process: see helpline.channels.rate_limit on replicas.
    rate_limit_per_sender: int = field(default=rate_limit.PER_SENDER_PER_MINUTE,
                                       metadata=_env("HELPLINE_RATE_LIMIT_PER_SENDER"))
    rate_limit_per_ip: int = field(default=rate_limit.PER_IP_PER_MINUTE, metadata=_env("HELPLINE_RATE_LIMIT_PER_IP"))
    # Proxies of ours in front of the Rasa server (HAProxy: 1). Only then is
    # X-Forwarded-For read for the client address; anyone can write that header.
    trusted_proxy_hops: int = field(default=0, metadata=_env("HELPLINE_TRUSTED_PROXY_HOPS"))
    # The same for the web process (staff console): proxies of ours in front of
    # it, e.g. 1 for nginx terminating https. Separate from the Rasa setting
    # because the two are often not behind the same proxies, and a count too
    # high lets a client choose the address the sign-in limits count it under.
    console_proxy_hops: int = field(default=0, metadata=_env("HELPLINE_CONSOLE_PROXY_HOPS"))
    # At most this many crisis pages (the urgent staff SMS) per window, counted
    # in the database across processes; the rest wait for one summary page
    # (helpline.safety.crisis_pages). A helpline sees a few crises an hour at most, so
    # 5 in 10 minutes pages each real one at once, while a flood (many senders
    # at once, a script) stops waking staff after the fifth; every follow-up is
    # still stored and listed in the queue.
    crisis_page_cap: int = field(default=CRISIS_PAGE_CAP, metadata=_env("HELPLINE_CRISIS_PAGE_CAP"))
    crisis_page_window_minutes: float = field(default=CRISIS_PAGE_WINDOW_MINUTES,
                                              metadata=_env("HELPLINE_CRISIS_PAGE_WINDOW_MINUTES"))

    # -- per-install secrets: None = this install's own file (helpline.security.local_secrets) --
    # What Rasa sends the action server and the action server requires.
    action_token: Optional[str] = field(default=None, metadata=_env("HELPLINE_ACTION_TOKEN"))
    # Keys SMS conversations and signs socket.io session ids (helpline.channels.sms).
    id_secret: Optional[str] = field(default=None, metadata=_env("HELPLINE_ID_SECRET"))

    # -- processes and addresses (helpline run, the web process, the action server) --
    rasa_port: int = field(default=5005, metadata=_env("HELPLINE_RASA_PORT"))
    actions_port: int = field(default=5055, metadata=_env("HELPLINE_ACTIONS_PORT"))
    # The NLU server beside each Rasa server (helpline_rasa/nlu_router.py), on loopback.
    nlu_port: int = field(default=5006, metadata=_env("HELPLINE_NLU_PORT"))
    web_port: int = field(default=8080, metadata=_env("HELPLINE_WEB_PORT"))
    # The action server listens on loopback unless told otherwise (scale-out).
    actions_host: str = field(default=DEFAULT_ACTIONS_HOST, metadata=_env("HELPLINE_ACTIONS_HOST"))
    web_host: str = field(default="0.0.0.0", metadata=_env("HELPLINE_WEB_HOST"))
    # Public addresses the demo page prints in its embed snippet (behind a proxy).
    web_public_url: str = field(default="", metadata=_env("HELPLINE_WEB_PUBLIC_URL"))
    rasa_public_url: str = field(default="", metadata=_env("HELPLINE_RASA_PUBLIC_URL"))
    # The base URL Twilio posts SMS webhooks to; signatures are checked against it. None = the request's URL.
    public_url: Optional[str] = field(default=None, metadata=_env("HELPLINE_PUBLIC_URL"))
    # Sites whose pages may call Rasa (the demo page is always added: helpline.ops.runner.cors_origins).
    cors_origins: Tuple[str, ...] = field(default=(), metadata=_env("HELPLINE_CORS_ORIGINS"))
    # Who the audit trail names for CLI commands run without --by; empty = the OS user.
    staff_name: str = field(default="", metadata=_env("HELPLINE_STAFF_NAME"))
    # The action server's log level (rasa-sdk's colored logging).
    log_level: str = field(default="INFO", metadata=_env("LOG_LEVEL"))
    # Sanic's body limit, when the operator sets one; None = helpline run's per-service limits.
    sanic_request_max_size: Optional[int] = field(default=None, metadata=_env("SANIC_REQUEST_MAX_SIZE"))
    # Removed switch that once turned off SMS signature checks; only noticed, to log that it is ignored.
    sms_skip_signature_set: bool = field(default=False, metadata=_env("HELPLINE_SMS_SKIP_SIGNATURE"))

    # -- endpoints.yml placeholders for the Rasa server; empty = helpline run's one-machine defaults --
    action_endpoint: str = field(default="", metadata=_env("HELPLINE_ACTION_ENDPOINT"))
    tracker_dialect: str = field(default="", metadata=_env("HELPLINE_TRACKER_DIALECT"))
    lock_store: str = field(default="", metadata=_env("HELPLINE_LOCK_STORE"))
    redis_host: str = field(default="", metadata=_env("HELPLINE_REDIS_HOST"))
    redis_port: Optional[int] = field(default=None, metadata=_env("HELPLINE_REDIS_PORT"))
    redis_db: Optional[int] = field(default=None, metadata=_env("HELPLINE_REDIS_DB"))
    redis_password: str = field(default="", metadata=_env("HELPLINE_REDIS_PASSWORD"))
    redis_key_prefix: str = field(default="", metadata=_env("HELPLINE_REDIS_KEY_PREFIX"))

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'helpline.db'}"

    @property
    def effective_tracker_url(self) -> str:
        return self.tracker_url or f"sqlite:///{self.data_dir / 'tracker.db'}"


def variable_names() -> Tuple[str, ...]:
    """Every environment variable the code reads, in Settings' order."""
    return tuple(f.metadata["env"] for f in fields(Settings))


def variable_of(field_name: str) -> str:
    """The environment variable behind a Settings field, for messages that tell an operator what to set."""
    for f in fields(Settings):
        if f.name == field_name:
            return str(f.metadata["env"])
    raise KeyError(field_name)


def raw_values(env: Optional[Mapping[str, str]], *field_names: str) -> Tuple[Optional[str], ...]:
    """The unparsed values behind some fields: a cheap cache key on a hot path (field encryption)."""
    env = os.environ if env is None else env
    return tuple(env.get(variable_of(name)) for name in field_names)


# -- readers: each says what it expects, in the words the error gives --------------------------

Number = TypeVar("Number", int, float)


def _number(env: Mapping[str, str], key: str, default: Number, cast: Callable[[str], Number],
            minimum: Number, expected: str) -> Number:
    raw = (env.get(key) or "").strip()
    if not raw:
        return default
    try:
        value = cast(raw)
    except ValueError:
        value = None
    if value is None or value != value or value < minimum:  # value != value: NaN
        raise SettingsError(f'{key} must be {expected}, got "{raw}"')
    return value


def _whole(env: Mapping[str, str], key: str, default: int, minimum: int = 0) -> int:
    return _number(env, key, default, int, minimum, f"a whole number >= {minimum}")


def _positive(env: Mapping[str, str], key: str, default: float) -> float:
    value = _number(env, key, default, float, 0.0, "a number > 0")
    if value == 0:
        raise SettingsError(f'{key} must be a number > 0, got "{env.get(key, "").strip()}"')
    return value


def _port(env: Mapping[str, str], key: str, default: int) -> int:
    value = _number(env, key, default, int, 0, "a port number (1-65535)")
    if not 1 <= value <= 65535:
        raise SettingsError(f'{key} must be a port number (1-65535), got "{env.get(key, "").strip()}"')
    return value


def _optional_whole(env: Mapping[str, str], key: str, minimum: int = 0) -> Optional[int]:
    if not (env.get(key) or "").strip():
        return None
    return _whole(env, key, minimum, minimum)


def _listed(env: Mapping[str, str], key: str) -> Tuple[str, ...]:
    return tuple(item.strip() for item in env.get(key, "").split(",") if item.strip())


def _secret(env: Mapping[str, str], key: str) -> Optional[str]:
    return (env.get(key) or "").strip() or None


def _parse(env: Mapping[str, str]) -> Settings:
    data_dir = Path(env.get("HELPLINE_DATA_DIR") or _default_data_dir())
    return Settings(
        data_dir=data_dir,
        database_url=env.get("DATABASE_URL", ""),
        facility_file=Path(env.get("HELPLINE_FACILITY_FILE") or PROJECT_ROOT / "facility.yml"),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
        twilio_from_number=env.get("TWILIO_FROM_NUMBER") or None,
        staff_sms_to=_listed(env, "HELPLINE_STAFF_SMS_TO"),
        escalation_sms_to=_listed(env, "HELPLINE_ESCALATION_SMS_TO"),
        console_base_url=env.get("HELPLINE_CONSOLE_URL", "http://localhost:8080").rstrip("/"),
        twilio_timeout_seconds=_positive(env, "HELPLINE_TWILIO_TIMEOUT", 10.0),
        notify_max_attempts=_whole(env, "HELPLINE_NOTIFY_MAX_ATTEMPTS", 4, minimum=1),
        twilio_api_base_url=(env.get("TWILIO_API_BASE_URL") or "").strip().rstrip("/"),
        tracker_url=env.get("HELPLINE_TRACKER_URL", ""),
        encryption_keys=_listed(env, "HELPLINE_ENCRYPTION_KEYS"),
        webhook_secret=_secret(env, "HELPLINE_WEBHOOK_SECRET"),
        rate_limit_per_sender=_whole(env, "HELPLINE_RATE_LIMIT_PER_SENDER", rate_limit.PER_SENDER_PER_MINUTE),
        rate_limit_per_ip=_whole(env, "HELPLINE_RATE_LIMIT_PER_IP", rate_limit.PER_IP_PER_MINUTE),
        trusted_proxy_hops=_whole(env, "HELPLINE_TRUSTED_PROXY_HOPS", 0),
        console_proxy_hops=_whole(env, "HELPLINE_CONSOLE_PROXY_HOPS", 0),
        # Never 0: a cap of none would silence every crisis page.
        crisis_page_cap=_whole(env, "HELPLINE_CRISIS_PAGE_CAP", CRISIS_PAGE_CAP, minimum=1),
        crisis_page_window_minutes=_positive(env, "HELPLINE_CRISIS_PAGE_WINDOW_MINUTES", CRISIS_PAGE_WINDOW_MINUTES),
        action_token=_secret(env, "HELPLINE_ACTION_TOKEN"),
        id_secret=_secret(env, "HELPLINE_ID_SECRET"),
        rasa_port=_port(env, "HELPLINE_RASA_PORT", 5005),
        actions_port=_port(env, "HELPLINE_ACTIONS_PORT", 5055),
        nlu_port=_port(env, "HELPLINE_NLU_PORT", 5006),
        web_port=_port(env, "HELPLINE_WEB_PORT", 8080),
        actions_host=(env.get("HELPLINE_ACTIONS_HOST") or "").strip() or DEFAULT_ACTIONS_HOST,
        web_host=env.get("HELPLINE_WEB_HOST", "0.0.0.0"),
        web_public_url=env.get("HELPLINE_WEB_PUBLIC_URL", ""),
        rasa_public_url=env.get("HELPLINE_RASA_PUBLIC_URL", ""),
        public_url=(env.get("HELPLINE_PUBLIC_URL") or "").strip() or None,
        cors_origins=tuple(origin.rstrip("/") for origin in _listed(env, "HELPLINE_CORS_ORIGINS")),
        staff_name=(env.get("HELPLINE_STAFF_NAME") or "").strip(),
        log_level=env.get("LOG_LEVEL", "INFO"),
        sanic_request_max_size=_optional_whole(env, "SANIC_REQUEST_MAX_SIZE", minimum=1),
        sms_skip_signature_set=bool(env.get("HELPLINE_SMS_SKIP_SIGNATURE")),
        action_endpoint=env.get("HELPLINE_ACTION_ENDPOINT", ""),
        tracker_dialect=env.get("HELPLINE_TRACKER_DIALECT", ""),
        lock_store=env.get("HELPLINE_LOCK_STORE", ""),
        redis_host=env.get("HELPLINE_REDIS_HOST", ""),
        redis_port=_optional_whole(env, "HELPLINE_REDIS_PORT"),
        redis_db=_optional_whole(env, "HELPLINE_REDIS_DB"),
        redis_password=env.get("HELPLINE_REDIS_PASSWORD", ""),
        redis_key_prefix=env.get("HELPLINE_REDIS_KEY_PREFIX", ""),
    )


# Parsed settings by the raw values they came from: field encryption asks for
# the settings on every read and write, and parsing costs more than a lookup.
_parsed: Dict[Tuple[Optional[str], ...], Settings] = {}
_MAX_PARSED = 64


def load_settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    """The settings in ``env`` (default: this process's environment), validated; raises SettingsError."""
    env = os.environ if env is None else env
    raw = tuple(env.get(name) for name in _NAMES)
    found = _parsed.get(raw)
    if found is None:
        found = _parse(env)
        if len(_parsed) >= _MAX_PARSED:
            _parsed.clear()
        _parsed[raw] = found
    return found


_NAMES = variable_names()


def child_environment(overrides: Mapping[str, str], base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The environment a child process gets: ``base`` (default: ours) with ``overrides`` on top.

    The one place a process's environment is handed on, so that what children
    see is built beside what this process reads.
    """
    return {**(os.environ if base is None else base), **overrides}

"""Staff accounts: passwords, sign-in with throttling, and sessions.

Passwords are hashed with scrypt (:func:`hashlib.scrypt`, a memory-hard KDF)
and a random 16-byte salt per account; the parameters are stored with the
hash, so raising them later only needs new hashes, not a migration.

Sign-in (:func:`authenticate`) answers the same way for an unknown name and a
wrong password (and spends the same time on both). Each attempt is first
counted by :mod:`helpline.security.login_throttle` (per name, per client address,
global), atomically and before the password is checked, and refused there
without a check when a limit is reached. Every attempt goes into the audit
trail; a failed one under the account's name only if that account exists, else
as :data:`UNKNOWN_ACTOR` without the typed text (it may be a password typed
into the wrong field).

A session is a random token handed to the browser (cookie) or API client
(bearer token); only its SHA-256 is stored. It ends after
:data:`SESSION_LIFETIME`, or :data:`IDLE_TIMEOUT` without use, or at once when
the account is disabled or its password reset.

Roles: ``staff`` work the queues; ``admin`` also read the audit trail in the
console and API. Accounts are managed only with the CLI on the server.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from helpline.security import audit, login_throttle
from helpline.store.models import utcnow
from helpline.store.staff_models import MAX_NAME_CHARS, ROLES, StaffAccount, StaffSession

log = logging.getLogger(__name__)

# scrypt cost: N=2^15, r=8 (32 MiB, ~0.1-0.25 s on the 2-core CI machine). OWASP's
# floor is N=2^17; 2^15 keeps a sign-in burst from starving the web process on
# a small box, and sign-in is throttled per name.
SCRYPT_N = 2 ** 15
SCRYPT_R = 8
SCRYPT_P = 1
_SCRYPT_MAXMEM = 2 ** 27
_SALT_BYTES = 16
_KEY_BYTES = 32

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024  # scrypt reads all of it; a megabyte "password" is a denial of service
SESSION_LIFETIME = timedelta(hours=12)
# Automatic logoff (HIPAA 164.312(a)(2)(iii)): a console left open on an
# unattended desk stops showing PHI to whoever sits down. 30 minutes outlasts a
# long call with a lead open on screen; any request moves it forward.
IDLE_TIMEOUT = timedelta(minutes=30)
# Moving last_seen_at forward is a database write: at most once a minute per
# session, so the idle timeout is exact to within this.
SESSION_TOUCH_EVERY = timedelta(minutes=1)
SESSION_KINDS = ("console", "api")
# How failed sign-ins with a name that is no account are recorded. Not a valid
# account name (those start with a letter or digit), so it never names anyone.
UNKNOWN_ACTOR = "(unknown name)"

_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]*$")


class AccountError(ValueError):
    """Bad input or an unknown/duplicate account; the message is safe to show an operator."""


@dataclass(frozen=True)
class SignedIn:
    """Who a valid session belongs to."""

    account_id: int
    name: str
    kind: str
    expires_at: datetime
    role: str = "staff"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class LoginResult:
    account: Optional[StaffAccount]
    throttled: bool = False
    retry_after: int = 0  # seconds to wait when throttled

    @property
    def ok(self) -> bool:
        return self.account is not None


# -- names and passwords -------------------------------------------------------------------

def normalize_name(name: str) -> str:
    """Account names are lower case (``sam.r``), so "Sam.R" signs in as the same person."""
    value = (name or "").strip().lower()
    if not value or len(value) > MAX_NAME_CHARS or not _NAME.match(value):
        raise AccountError(
            f"a staff name is 1-{MAX_NAME_CHARS} letters, digits, '.', '_', '-' or '@', starting with a letter or digit"
        )
    return value


def generate_password() -> str:
    """24 URL-safe characters: 144 random bits."""
    return secrets.token_urlsafe(18)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"a role is one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"a password must be at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"a password must be at most {MAX_PASSWORD_CHARS} characters")
    return password


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=_KEY_BYTES)


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(_scrypt(password, salt, n, r, p))}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt" or len(password) > MAX_PASSWORD_CHARS:
            return False
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(expected))


_dummy_hash: Optional[str] = None


def _burn_time(password: str) -> None:
    """Spend what checking a real password would, so timing does not tell which names exist."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(generate_password())
    verify_password(password, _dummy_hash)


# -- accounts -----------------------------------------------------------------------------------

def _find(session: Session, name: str) -> Optional[StaffAccount]:
    return session.execute(select(StaffAccount).where(StaffAccount.name == name)).scalar_one_or_none()


def add_account(session_factory: sessionmaker, name: str, password: str, *, role: str = "staff") -> StaffAccount:
    name = normalize_name(name)
    check_role(role)
    password_hash = hash_password(check_password(password))
    now = utcnow()
    try:
        with session_factory() as session, session.begin():
            if _find(session, name) is not None:
                raise AccountError(f"staff account {name} already exists")
            account = StaffAccount(name=name, password_hash=password_hash, created_at=now,
                                   password_changed_at=now, disabled=False, role=role)
            session.add(account)
    except IntegrityError:  # added by someone else in the meantime
        raise AccountError(f"staff account {name} already exists") from None
    log.info("staff account %s added (%s)", name, role)
    return account


def get_account(session_factory: sessionmaker, name: str) -> StaffAccount:
    name = normalize_name(name)
    with session_factory() as session:
        account = _find(session, name)
    if account is None:
        raise AccountError(f"no staff account {name}")
    return account


def list_accounts(session_factory: sessionmaker) -> List[StaffAccount]:
    with session_factory() as session:
        return list(session.execute(select(StaffAccount).order_by(StaffAccount.name)).scalars())


def set_disabled(session_factory: sessionmaker, name: str, disabled: bool) -> StaffAccount:
    """Disable (and sign out everywhere) or enable an account."""
    name = normalize_name(name)
    with session_factory() as session, session.begin():
        account = _find(session, name)
        if account is None:
            raise AccountError(f"no staff account {name}")
        account.disabled = disabled
        account.disabled_at = utcnow() if disabled else None
        if disabled:
            session.execute(delete(StaffSession).where(StaffSession.account_id == account.id))
    log.info("staff account %s %s", name, "disabled" if disabled else "enabled")
    return account


def set_role(session_factory: sessionmaker, name: str, role: str) -> StaffAccount:
    """Make ``name`` ``staff`` or ``admin``; takes effect on the account's next request (no new sign-in)."""
    name = normalize_name(name)
    check_role(role)
    with session_factory() as session, session.begin():
        account = _find(session, name)
        if account is None:
            raise AccountError(f"no staff account {name}")
        account.role = role
    log.info("staff account %s: role %s", name, role)
    return account


def reset_password(session_factory: sessionmaker, name: str, password: str) -> StaffAccount:
    """Set a new password and end every session signed in with the old one."""
    name = normalize_name(name)
    password_hash = hash_password(check_password(password))
    with session_factory() as session, session.begin():
        account = _find(session, name)
        if account is None:
            raise AccountError(f"no staff account {name}")
        account.password_hash = password_hash
        account.password_changed_at = utcnow()
        session.execute(delete(StaffSession).where(StaffSession.account_id == account.id))
    log.info("staff account %s: password reset", name)
    return account


# -- signing in -----------------------------------------------------------------------------------

def _sign_in_detail(address: Optional[str], limit: Optional[str] = None) -> Optional[str]:
    """Where a sign-in came from, for the audit trail: a parsed address only, never raw header text."""
    parts = []
    key = login_throttle.ip_key(address)
    if key is not None:
        parts.append(f"ip={key[3:]}")
    if limit is not None:
        parts.append(f"limit={limit}")
    return " ".join(parts) or None


def authenticate(
    session_factory: sessionmaker, name: str, password: str, *, source: str, client_ip: Optional[str] = None,
    now: Optional[datetime] = None,
) -> LoginResult:
    """Check a sign-in; records ``login``, ``login_failed`` or ``login_throttled`` in the audit trail.

    ``client_ip`` is the address the attempt came from (none for the CLI); it
    is throttled and recorded in the event's detail.
    """
    now = now or utcnow()
    account: Optional[StaffAccount] = None
    try:
        key: Optional[str] = normalize_name(name)
    except AccountError:
        key = None
    if key is not None:
        with session_factory() as session:
            account = _find(session, key)
    # Only an existing account's name is ever written down; anything else may be a password.
    actor = account.name if account is not None else UNKNOWN_ACTOR
    throttled_name = account.name if account is not None else None

    decision = login_throttle.reserve(session_factory, name=throttled_name, address=client_ip, now=now)
    if not decision.allowed:
        audit.record(session_factory, actor=actor, action="login_throttled", record_type="staff_account",
                     detail=_sign_in_detail(client_ip, decision.limit), source=source)
        return LoginResult(None, throttled=True, retry_after=decision.retry_after)

    if account is None:
        _burn_time(password or "")
        valid = False
    else:
        # A disabled account checks the password too, and fails the same way.
        valid = verify_password(password or "", account.password_hash) and not account.disabled
    if not valid:
        audit.record(session_factory, actor=actor, action="login_failed", record_type="staff_account",
                     detail=_sign_in_detail(client_ip), source=source)
        return LoginResult(None)
    login_throttle.succeeded(session_factory, decision, name=throttled_name, address=client_ip)
    audit.record(session_factory, actor=actor, action="login", record_type="staff_account",
                 detail=_sign_in_detail(client_ip), source=source)
    return LoginResult(account)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(
    session_factory: sessionmaker, account: StaffAccount, *, kind: str,
    lifetime: timedelta = SESSION_LIFETIME, now: Optional[datetime] = None,
) -> tuple[str, datetime]:
    """A new session for ``account``; returns ``(token, expires_at)``. The token is not stored."""
    if kind not in SESSION_KINDS:
        raise ValueError(f"session kind must be one of {SESSION_KINDS}")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    expires_at = now + lifetime
    with session_factory() as session, session.begin():
        # Housekeeping on sign-in, so the table holds live sessions only.
        session.execute(delete(StaffSession).where(
            or_(StaffSession.expires_at <= now, StaffSession.last_seen_at <= now - IDLE_TIMEOUT)))
        session.add(StaffSession(token_hash=_token_hash(token), account_id=account.id, kind=kind,
                                 created_at=now, expires_at=expires_at, last_seen_at=now))
    return token, expires_at


def resolve_session(
    session_factory: sessionmaker, token: Optional[str], *, kind: Optional[str] = None, now: Optional[datetime] = None
) -> Optional[SignedIn]:
    """Who ``token`` signs in, or ``None`` (unknown, expired, idle too long, wrong kind, or the account is disabled).

    A session found valid counts as used: its idle clock starts again.
    """
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    token_hash = _token_hash(token)
    with session_factory() as session:
        row = session.execute(
            select(StaffSession, StaffAccount)
            .join(StaffAccount, StaffAccount.id == StaffSession.account_id)
            .where(StaffSession.token_hash == token_hash)
        ).first()
    if row is None:
        return None
    stored, account = row
    if (stored.expires_at <= now or stored.last_seen_at + IDLE_TIMEOUT <= now or account.disabled
            or (kind is not None and stored.kind != kind)):
        return None
    if now - stored.last_seen_at >= SESSION_TOUCH_EVERY:
        with session_factory() as session, session.begin():
            # Only forward, and only if still live: a concurrent request may have moved it already.
            session.execute(update(StaffSession)
                            .where(StaffSession.token_hash == token_hash, StaffSession.last_seen_at < now,
                                   StaffSession.last_seen_at > now - IDLE_TIMEOUT)
                            .values(last_seen_at=now))
    return SignedIn(account.id, account.name, stored.kind, stored.expires_at, account.role)


def end_session(session_factory: sessionmaker, token: Optional[str]) -> bool:
    if not token:
        return False
    with session_factory() as session, session.begin():
        result = session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    return bool(result.rowcount)

"""Tables for staff sign-in and the audit trail of staff actions.

Kept out of :mod:`helpline.store.models` (the caller records) on purpose: these
tables hold no PHI. An account is a name and a password hash; a session is the
SHA-256 of a random token (the token itself lives only in the staff member's
cookie or API client); an audit event names a record by its reference
(``L-7Q2K9``), never by a caller's name, phone or answers.

Tables are created by the Alembic revisions ``0005_staff_and_audit`` and
``0006_roles_idle_throttle`` (roles, idle sessions, the sign-in throttle).
"""
from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String

from helpline.store.models import Base, UTCDateTime, utcnow

MAX_NAME_CHARS = 64  # same as callback_requests.claimed_by, which holds the name
MAX_DETAIL_CHARS = 200
# "staff" work the queues; "admin" also read the audit trail. Checked in Python
# (helpline.security.staff_accounts), not by a CHECK constraint: adding one on SQLite
# would rebuild staff_accounts, and with foreign keys on, dropping the old table
# would cascade-delete every session.
ROLES = ("staff", "admin")


class StaffAccount(Base):
    __tablename__ = "staff_accounts"

    id = Column(Integer, primary_key=True)
    name = Column(String(MAX_NAME_CHARS), nullable=False, unique=True)
    # "scrypt$n$r$p$salt$hash": parameters travel with the hash so they can be raised later.
    password_hash = Column(String(255), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    password_changed_at = Column(UTCDateTime, nullable=False, default=utcnow)
    disabled = Column(Boolean, nullable=False, default=False)
    disabled_at = Column(UTCDateTime, nullable=True)
    role = Column(String(16), nullable=False, default="staff", server_default="staff")

    def __repr__(self) -> str:  # never the hash
        return f"<StaffAccount {self.name} role={self.role} disabled={self.disabled}>"


class StaffSession(Base):
    """A signed-in browser or API client. Deleting the row signs it out."""

    __tablename__ = "staff_sessions"

    # SHA-256 of the token: a copy of this table does not let anyone sign in.
    token_hash = Column(String(64), primary_key=True)
    account_id = Column(Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # "console" (cookie) or "api" (bearer token)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False, index=True)
    # Moved forward as the session is used; a session idle too long is over (staff_accounts.IDLE_TIMEOUT).
    last_seen_at = Column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<StaffSession account_id={self.account_id} kind={self.kind}>"


class LoginThrottle(Base):
    """One sign-in throttle counter: ``global``, ``ip:<address or /64>`` or ``name:<account>``.

    Kept in the database, not in memory, so every web process counts against the
    same limits; a row is locked while an attempt is counted
    (:mod:`helpline.security.login_throttle`). Never holds typed text: names are those of
    existing accounts only. Rows unused for a day are deleted.
    """

    __tablename__ = "login_throttle"

    key = Column(String(80), primary_key=True)
    # Attempts counted in the current window (ip, global), or failures in a row (name).
    attempts = Column(Integer, nullable=False, default=0)
    window_start = Column(UTCDateTime, nullable=False)
    last_attempt_at = Column(UTCDateTime, nullable=False, index=True)
    # Name rows: no attempt is checked before this time (the backoff).
    blocked_until = Column(UTCDateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<LoginThrottle {self.key} attempts={self.attempts}>"


class AuditEvent(Base):
    """One staff action: who, what, on which record, from where. Append-only by convention."""

    __tablename__ = "audit_events"

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(MAX_NAME_CHARS), nullable=False)
    action = Column(String(32), nullable=False)
    record_type = Column(String(32), nullable=True)
    reference = Column(String(64), nullable=True)
    detail = Column(String(MAX_DETAIL_CHARS), nullable=True)
    source = Column(String(16), nullable=False)

    __table_args__ = (
        # "What did this person do".
        Index("ix_audit_events_actor_action_at", "actor", "action", "at"),
        # "Who touched this record".
        Index("ix_audit_events_record", "record_type", "reference"),
    )

    def __repr__(self) -> str:
        return f"<AuditEvent id={self.id} {self.action} {self.record_type} {self.reference}>"

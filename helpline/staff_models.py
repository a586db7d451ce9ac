"""Tables for staff sign-in and the audit trail of staff actions.

Kept out of :mod:`helpline.models` (the caller records) on purpose: these
tables hold no PHI. An account is a name and a password hash; a session is the
SHA-256 of a random token (the token itself lives only in the staff member's
cookie or API client); an audit event names a record by its reference
(``L-7Q2K9``), never by a caller's name, phone or answers.

Tables are created by the Alembic revision ``0005_staff_and_audit``.
"""
from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String

from helpline.models import Base, UTCDateTime, utcnow

MAX_NAME_CHARS = 64  # same as callback_requests.claimed_by, which holds the name
MAX_DETAIL_CHARS = 200


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

    def __repr__(self) -> str:  # never the hash
        return f"<StaffAccount {self.name} disabled={self.disabled}>"


class StaffSession(Base):
    """A signed-in browser or API client. Deleting the row signs it out."""

    __tablename__ = "staff_sessions"

    # SHA-256 of the token: a copy of this table does not let anyone sign in.
    token_hash = Column(String(64), primary_key=True)
    account_id = Column(Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # "console" (cookie) or "api" (bearer token)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False, index=True)

    def __repr__(self) -> str:
        return f"<StaffSession account_id={self.account_id} kind={self.kind}>"


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
        # "What did this person do" and the login throttle ("failures for this name lately").
        Index("ix_audit_events_actor_action_at", "actor", "action", "at"),
        # "Who touched this record".
        Index("ix_audit_events_record", "record_type", "reference"),
    )

    def __repr__(self) -> str:
        return f"<AuditEvent id={self.id} {self.action} {self.record_type} {self.reference}>"

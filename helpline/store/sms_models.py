"""Tables of the SMS channel and the store the SMS flow (``helpline.channels.sms``) runs on.

No table holds a phone number: texters are known by their conversation key (a
keyed hash, see :func:`helpline.channels.sms.conversation_key`); the opt-out list keeps a
masked number (``+1******0134``) only so staff can tell entries apart.

Tables are created by the Alembic revision ``0002_sms_channel``; a texter's
language (``sms_choices.language``) by ``0011_sms_language``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Sequence

from sqlalchemy import JSON, Boolean, Column, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from helpline.channels.sms import Choice
from helpline.store.models import Base, UTCDateTime, utcnow

# How long a handled MessageSid is remembered, so that a delivery of it is not
# answered twice. Twilio's own webhook retries come within minutes, but a
# carrier may hand over a late duplicate of a message days later; 30 days (the
# security review's floor) covers both. A row is a Twilio id and a time, no PHI.
MESSAGE_SID_RETENTION = timedelta(days=30)


class SmsOptOut(Base):
    """One texter's opt-out state: a compliance record, kept after they opt back in."""

    __tablename__ = "sms_opt_outs"

    number_key = Column(String(80), primary_key=True)
    masked_number = Column(String(32), nullable=False)
    opted_out = Column(Boolean, nullable=False)
    opted_out_at = Column(UTCDateTime, nullable=False)
    opt_out_keyword = Column(String(16), nullable=False)
    opted_in_at = Column(UTCDateTime, nullable=True)
    opt_in_keyword = Column(String(16), nullable=True)

    def __repr__(self) -> str:
        return f"<SmsOptOut {self.masked_number} opted_out={self.opted_out}>"


class SmsChoices(Base):
    """A texter's menu state: the buttons last offered, so that "2" means the second one,
    and the language the bot last answered in, for the texts the SMS layer writes itself."""

    __tablename__ = "sms_choices"

    number_key = Column(String(80), primary_key=True)
    choices = Column(JSON, nullable=False, default=list)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # "en", "es"; None until the bot has answered once. Purged with the menu (`helpline purge`).
    language = Column(String(8), nullable=True)


class SmsMessageSid(Base):
    """MessageSids already handled: Twilio redelivers a webhook that took over 15 s."""

    __tablename__ = "sms_message_sids"

    message_sid = Column(String(64), primary_key=True)
    received_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)


@dataclass(frozen=True)
class OptOutEntry:
    masked_number: str
    opted_out: bool
    opted_out_at: datetime
    opt_out_keyword: str
    opted_in_at: Optional[datetime]
    opt_in_keyword: Optional[str]


class SqlSmsStore:
    """:class:`helpline.channels.sms.SmsStore` on the helpline database (SQLite or PostgreSQL)."""

    def __init__(self, session_factory: sessionmaker) -> None:
        self.sessions = session_factory
        self._last_purge: Optional[datetime] = None

    def is_opted_out(self, key: str) -> bool:
        with self.sessions() as session:
            return bool(session.scalar(select(SmsOptOut.opted_out).where(SmsOptOut.number_key == key)))

    def opt_out(self, key: str, masked_number: str, keyword: str) -> None:
        with self.sessions() as session, session.begin():
            record = session.get(SmsOptOut, key)
            if record is None:
                record = SmsOptOut(number_key=key)
                session.add(record)
            elif record.opted_out:
                return  # a second STOP keeps the first date
            record.masked_number = masked_number
            record.opted_out = True
            record.opted_out_at = utcnow()
            record.opt_out_keyword = keyword
            record.opted_in_at = None
            record.opt_in_keyword = None
            # Stale buttons must not turn a later "1" into an answer; the language stays,
            # so that a START is confirmed in the language the texter read.
            session.execute(update(SmsChoices).where(SmsChoices.number_key == key).values(choices=[]))

    def opt_in(self, key: str, keyword: str) -> None:
        with self.sessions() as session, session.begin():
            record = session.get(SmsOptOut, key)
            if record is not None and record.opted_out:
                record.opted_out = False
                record.opted_in_at = utcnow()
                record.opt_in_keyword = keyword

    def claim_message(self, message_sid: str) -> bool:
        self._purge_old_sids()
        try:
            with self.sessions() as session, session.begin():
                session.add(SmsMessageSid(message_sid=message_sid))
        except IntegrityError:
            return False
        return True

    def release_message(self, message_sid: str) -> None:
        with self.sessions() as session, session.begin():
            session.execute(delete(SmsMessageSid).where(SmsMessageSid.message_sid == message_sid))

    def get_choices(self, key: str) -> List[Choice]:
        with self.sessions() as session:
            stored = session.scalar(select(SmsChoices.choices).where(SmsChoices.number_key == key)) or []
        return [Choice(str(c["title"]), str(c["payload"])) for c in stored]

    def set_choices(self, key: str, choices: Sequence[Choice]) -> None:
        value = [{"title": c.title, "payload": c.payload} for c in choices]
        with self.sessions() as session, session.begin():
            record = session.get(SmsChoices, key)
            if record is None:
                if value:
                    session.add(SmsChoices(number_key=key, choices=value))
            elif value or record.language is not None:
                record.choices = value
            else:
                session.delete(record)

    def get_language(self, key: str) -> Optional[str]:
        with self.sessions() as session:
            return session.scalar(select(SmsChoices.language).where(SmsChoices.number_key == key))

    def set_language(self, key: str, language: str) -> None:
        with self.sessions() as session, session.begin():
            record = session.get(SmsChoices, key)
            if record is None:
                session.add(SmsChoices(number_key=key, choices=[], language=language))
            else:
                record.language = language

    def opt_outs(self, include_opted_in: bool = False) -> List[OptOutEntry]:
        query = select(SmsOptOut).order_by(SmsOptOut.opted_out_at.desc())
        if not include_opted_in:
            query = query.where(SmsOptOut.opted_out.is_(True))
        with self.sessions() as session:
            return [
                OptOutEntry(r.masked_number, r.opted_out, r.opted_out_at, r.opt_out_keyword, r.opted_in_at, r.opt_in_keyword)
                for r in session.scalars(query)
            ]

    def _purge_old_sids(self) -> None:
        now = utcnow()
        if self._last_purge and now - self._last_purge < timedelta(hours=1):
            return
        self._last_purge = now
        with self.sessions() as session, session.begin():
            session.execute(delete(SmsMessageSid).where(SmsMessageSid.received_at < now - MESSAGE_SID_RETENTION))

"""Database tables: callback requests (warm leads), crisis follow-ups and the SMS outbox.

Written for SQLAlchemy 1.4 in 2.0 style. Status-like columns are strings with
CHECK constraints rather than database enums: adding a value later is then a
constraint change, not a PostgreSQL type migration.

The schema is created by the Alembic revisions in ``helpline/store/migrations``;
change these classes and add a revision together.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

from helpline.intake.screening import LEVELS_OF_CARE, URGENCIES
from helpline.security import crypto

CALLBACK_STATUSES = ("new", "claimed", "closed")
NOTIFICATION_STATUSES = ("pending", "sent", "failed", "outbox")
OUTCOMES = ("reached", "no_answer", "wrong_number", "declined", "referred", "enrolled", "other")

# Crisis follow-ups. The categories are helpline.safety.lexicon.CATEGORIES (kept literal
# here because the CHECK constraint in the migration is literal; a test checks
# they agree) plus "unspecified" for a crisis turn whose category is unknown.
CRISIS_CATEGORIES = ("suicide_self_harm", "overdose", "medical_emergency", "violence_abuse", "unspecified")
CRISIS_SEVERITIES = ("immediate", "urgent")  # most severe first, as in helpline.safety.lexicon
CRISIS_STATUSES = ("new", "claimed", "closed")
CRISIS_OUTCOMES = ("reached", "referred", "no_answer", "no_contact_info", "not_a_crisis", "other")
# A crisis alert has two more states than a lead's (revision 0007, helpline.safety.crisis_pages):
# "held": over the cap on crisis pages, waiting for the summary page;
# "batched": counted in a summary page that went out, never paged on its own.
CRISIS_NOTIFICATION_STATUSES = NOTIFICATION_STATUSES + ("held", "batched")
CRISIS_PAGE_KINDS = ("single", "summary")
# What working a record adds (revision 0013): notes and call attempts belong to either queue's records.
WORK_RECORD_TYPES = ("callback", "crisis")
# How a call attempt went. "no_answer", "left_voicemail" and "busy" keep the record open
# (helpline.queues.lead_work); "reached" is the funnel's "reached".
ATTEMPT_OUTCOMES = ("reached", "no_answer", "left_voicemail", "wrong_number", "busy", "other")

# Named constraints, so later migrations can alter them on PostgreSQL by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
# Annotated Any so that mypy accepts it as a base class: SQLAlchemy 1.4 ships no types (and its mypy plugin is
# deprecated), so the mapped classes are checked as plain classes.
Base: Any = declarative_base(metadata=metadata)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in Python on every backend.

    SQLite has no time zone type and hands back naive datetimes; we store UTC
    and re-attach the zone on the way out so comparisons never mix naive/aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class EncryptedText(TypeDecorator):
    """A string stored as a Fernet token (see :mod:`helpline.security.crypto`).

    Each write uses a fresh random IV, so these columns cannot be searched or
    compared in SQL; nothing queries them. A value left in plaintext (written
    before revision 0004) is returned as it is, and sealed by ``helpline keys reencrypt``.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Optional[str], dialect: Any) -> Optional[str]:
        return None if value is None else crypto.encrypt(str(value))

    def process_result_value(self, value: Optional[str], dialect: Any) -> Optional[str]:
        return crypto.decrypt(value) if value is not None and crypto.is_token(value) else value


class EncryptedJSON(TypeDecorator):
    """A JSON value stored as a Fernet token of its JSON text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Optional[str]:
        return None if value is None else crypto.encrypt(json.dumps(value))

    def process_result_value(self, value: Optional[str], dialect: Any) -> Any:
        if value is None:
            return None
        return json.loads(crypto.decrypt(value) if crypto.is_token(value) else value)


def _in(column: str, values: tuple) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class CallbackRequest(Base):
    """A caller who consented to be called back, with their screening answers."""

    __tablename__ = "callback_requests"

    id = Column(Integer, primary_key=True)
    # Short code staff and SMS use instead of a name ("L-7Q2K9").
    reference = Column(String(16), nullable=False, unique=True)
    conversation_id = Column(String(128), nullable=True, index=True)
    # Set by the caller of store_callback; a retried save with the same key is a no-op.
    idempotency_key = Column(String(128), nullable=False, unique=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    status = Column(String(16), nullable=False, default="new")
    urgency = Column(String(16), nullable=False)
    level_of_care = Column(String(16), nullable=False)
    # Health and identity details are encrypted at rest (revision 0004).
    # urgency and level_of_care stay plain: the queue sorts by them and the
    # staff SMS carries urgency by design.
    screening_reasons = Column(EncryptedJSON, nullable=False, default=list)

    phone_e164 = Column(EncryptedText, nullable=False)
    first_name = Column(EncryptedText, nullable=True)
    # Fixed vocabularies, but they say who is seeking treatment for whom.
    who_for = Column(EncryptedText, nullable=True)
    caller_relation = Column(EncryptedText, nullable=True)
    answers = Column(EncryptedJSON, nullable=False, default=dict)
    # The person's own words behind each parsed answer ({slot: text}, revision 0010),
    # shown to staff beside the answer so that they can judge a misparse.
    answer_words = Column(EncryptedJSON, nullable=True)
    best_time = Column(String(16), nullable=True)
    permit_call = Column(Boolean, nullable=False, default=True)
    permit_voicemail = Column(Boolean, nullable=False, default=False)
    permit_text = Column(Boolean, nullable=False, default=False)

    consent = Column(Boolean, nullable=False)
    # Quotes the caller's own reply.
    consent_text = Column(EncryptedText, nullable=True)
    consent_at = Column(UTCDateTime, nullable=True)

    notification_status = Column(String(16), nullable=False, default="pending")
    notification_attempts = Column(Integer, nullable=False, default=0)
    # Error class and HTTP/Twilio code only: never message text, which may echo numbers.
    last_notification_error = Column(String(200), nullable=True)
    # Staff numbers already alerted, so a retry only sends to the ones that failed.
    notified_recipients = Column(JSON, nullable=False, default=list)
    notified_at = Column(UTCDateTime, nullable=True)
    # Bumped when a screening answer makes a stored lead urgent: staff are alerted
    # again (revision 0010; the same mechanism as CrisisFlag.alert_round).
    alert_round = Column(Integer, nullable=False, default=1, server_default="1")

    claimed_by = Column(String(64), nullable=True)
    claimed_at = Column(UTCDateTime, nullable=True)
    closed_at = Column(UTCDateTime, nullable=True)
    outcome = Column(String(16), nullable=True)
    source_channel = Column(String(32), nullable=True)
    # The conversation's language when the lead was stored ("en", "es"; revision 0012), so
    # staff call back in it. Plain: not PHI, and the staff SMS carries it. NULL for leads
    # stored before that revision (unknown). No CHECK constraint: revision 0012 is a plain
    # ADD COLUMN; helpline.queues.caller_language.stored_language checks the value.
    language = Column(String(8), nullable=True)
    # Working the record (revision 0013, helpline.queues.lead_work and helpline.queues.escalation).
    call_attempts = Column(Integer, nullable=False, default=0, server_default="0")
    first_attempt_at = Column(UTCDateTime, nullable=True)
    reopened_at = Column(UTCDateTime, nullable=True)
    # How many times the every-minute job re-alerted this record unclaimed past its target.
    escalation_level = Column(Integer, nullable=False, default=0, server_default="0")
    escalated_at = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint(_in("status", CALLBACK_STATUSES), name="status"),
        CheckConstraint(_in("urgency", URGENCIES), name="urgency"),
        CheckConstraint(_in("level_of_care", LEVELS_OF_CARE), name="level_of_care"),
        CheckConstraint(_in("notification_status", NOTIFICATION_STATUSES), name="notification_status"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', OUTCOMES)}", name="outcome"),
        Index("ix_callback_requests_status_created_at", "status", "created_at"),
        Index("ix_callback_requests_notification_status", "notification_status"),
        Index("ix_callback_requests_created_at", "created_at"),
        Index("ix_callback_requests_urgency_created_at", "urgency", "created_at"),
    )

    def __repr__(self) -> str:  # no PHI: a repr ends up in logs and tracebacks
        return f"<CallbackRequest id={self.id} ref={self.reference} status={self.status}>"


@event.listens_for(CallbackRequest, "before_insert")
@event.listens_for(CallbackRequest, "before_update")
def _check_keys(_mapper: Any, _connection: Any, _target: Any) -> None:
    # A key error raised inside bind processing would be wrapped in a
    # StatementError whose message lists the row's plaintext values.
    crypto.fernet()


class OutboxMessage(Base):
    """An SMS we would have sent, kept locally when Twilio is not configured."""

    __tablename__ = "outbox_messages"

    id = Column(Integer, primary_key=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    to = Column("to", String(32), nullable=False)
    body = Column(Text, nullable=False)
    callback_id = Column(Integer, ForeignKey("callback_requests.id", ondelete="SET NULL"), nullable=True, index=True)
    kind = Column(String(32), nullable=False, default="staff_alert")

    def __repr__(self) -> str:
        return f"<OutboxMessage id={self.id} kind={self.kind} callback_id={self.callback_id}>"


class CrisisFlag(Base):
    """A conversation in which crisis language was detected, waiting for staff to follow up.

    One open flag (``new`` or ``claimed``) per conversation: ``open_key`` holds
    the conversation id while the flag is open and NULL once it is closed, and
    is unique, so two processes flagging the same conversation at once cannot
    both insert. Holds no message text, name or phone number.
    """

    __tablename__ = "crisis_flags"

    id = Column(Integer, primary_key=True)
    # Short code staff and SMS use ("C-7Q2K9").
    reference = Column(String(16), nullable=False, unique=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    open_key = Column(String(128), nullable=True, unique=True)
    # The category staff see first: the first specific one (or that of the message
    # that raised the severity); "unspecified" until a message names one.
    category = Column(String(32), nullable=False)
    # Every specific category seen in the conversation while the flag was open,
    # in order of first appearance (helpline.queues.crisis_flags). NULL on flags made
    # before revision 0008: read as [category].
    categories = Column(JSON, nullable=True)
    severity = Column(String(16), nullable=False)
    source_channel = Column(String(32), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    last_seen_at = Column(UTCDateTime, nullable=False, default=utcnow)
    occurrences = Column(Integer, nullable=False, default=1)

    status = Column(String(16), nullable=False, default="new")
    claimed_by = Column(String(64), nullable=True)
    claimed_at = Column(UTCDateTime, nullable=True)
    closed_at = Column(UTCDateTime, nullable=True)
    outcome = Column(String(16), nullable=True)

    # Same meaning as on CallbackRequest, so helpline.notify.staff_sms handles both.
    notification_status = Column(String(16), nullable=False, default="pending")
    notification_attempts = Column(Integer, nullable=False, default=0)
    last_notification_error = Column(String(200), nullable=True)
    notified_recipients = Column(JSON, nullable=False, default=list)
    notified_at = Column(UTCDateTime, nullable=True)
    # Bumped when staff must be alerted again (severity rose to immediate): an
    # alert still in flight for an earlier round then does not record itself
    # over the new round's delivery state.
    alert_round = Column(Integer, nullable=False, default=1)
    # The conversation's language, as on CallbackRequest (revision 0012); NULL before it.
    language = Column(String(8), nullable=True)
    # Working the record (revision 0013, helpline.queues.lead_work and helpline.queues.escalation).
    call_attempts = Column(Integer, nullable=False, default=0, server_default="0")
    first_attempt_at = Column(UTCDateTime, nullable=True)
    reopened_at = Column(UTCDateTime, nullable=True)
    # How many times the every-minute job re-alerted this record unclaimed past its target.
    escalation_level = Column(Integer, nullable=False, default=0, server_default="0")
    escalated_at = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint(_in("status", CRISIS_STATUSES), name="status"),
        CheckConstraint(_in("category", CRISIS_CATEGORIES), name="category"),
        CheckConstraint(_in("severity", CRISIS_SEVERITIES), name="severity"),
        CheckConstraint(_in("notification_status", CRISIS_NOTIFICATION_STATUSES), name="notification_status"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', CRISIS_OUTCOMES)}", name="outcome"),
        Index("ix_crisis_flags_status_created_at", "status", "created_at"),
        Index("ix_crisis_flags_notification_status", "notification_status"),
        Index("ix_crisis_flags_created_at", "created_at"),
    )

    def __repr__(self) -> str:  # no category or conversation: a repr ends up in logs and tracebacks
        return f"<CrisisFlag id={self.id} ref={self.reference} status={self.status}>"


class CrisisPage(Base):
    """One crisis page (the urgent staff SMS) sent or being sent: what the cap counts.

    A row per page, not per recipient: ``single`` for one follow-up's alert
    round (``flag_id``, ``alert_round``; a retry of that round is the same
    page), ``summary`` for the page that reports ``covered`` held follow-ups at
    once. Rows are kept a day (helpline.safety.crisis_pages prunes them) and hold no
    PHI; ``flag_id`` is a plain number, not a foreign key, so purging a flag
    never has to touch this table.
    """

    __tablename__ = "crisis_pages"

    id = Column(Integer, primary_key=True)
    sent_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    kind = Column(String(16), nullable=False)
    flag_id = Column(Integer, nullable=True)
    alert_round = Column(Integer, nullable=True)
    covered = Column(Integer, nullable=False, default=1)

    __table_args__ = (
        CheckConstraint(_in("kind", CRISIS_PAGE_KINDS), name="kind"),
        UniqueConstraint("flag_id", "alert_round", name="uq_crisis_pages_flag_id_alert_round"),
    )

    def __repr__(self) -> str:
        return f"<CrisisPage id={self.id} kind={self.kind} flag_id={self.flag_id}>"


class LeadNote(Base):
    """A staff note on a lead or a crisis follow-up. The text is encrypted: staff write what the caller said."""

    __tablename__ = "lead_notes"

    id = Column(Integer, primary_key=True)
    record_type = Column(String(16), nullable=False)
    record_id = Column(Integer, nullable=False)
    at = Column(UTCDateTime, nullable=False, default=utcnow)
    author = Column(String(64), nullable=False)
    body = Column(EncryptedText, nullable=False)

    __table_args__ = (
        CheckConstraint(_in("record_type", WORK_RECORD_TYPES), name="record_type"),
        Index("ix_lead_notes_record", "record_type", "record_id"),
    )

    def __repr__(self) -> str:
        return f"<LeadNote id={self.id} {self.record_type}={self.record_id}>"


@event.listens_for(LeadNote, "before_insert")
def _check_note_keys(_mapper: Any, _connection: Any, _target: Any) -> None:
    crypto.fernet()  # as for CallbackRequest: never let a key error print the note


class CallAttempt(Base):
    """One call staff made to a lead or crisis follow-up, and how it went. Holds no PHI."""

    __tablename__ = "call_attempts"

    id = Column(Integer, primary_key=True)
    record_type = Column(String(16), nullable=False)
    record_id = Column(Integer, nullable=False)
    at = Column(UTCDateTime, nullable=False, default=utcnow)
    by = Column(String(64), nullable=False)
    outcome = Column(String(16), nullable=False)

    __table_args__ = (
        CheckConstraint(_in("record_type", WORK_RECORD_TYPES), name="record_type"),
        CheckConstraint(_in("outcome", ATTEMPT_OUTCOMES), name="outcome"),
        Index("ix_call_attempts_record", "record_type", "record_id"),
        Index("ix_call_attempts_at", "at"),
    )

    def __repr__(self) -> str:
        return f"<CallAttempt id={self.id} {self.record_type}={self.record_id} {self.outcome}>"


# The signed outbound webhook (revision 0014, helpline.integrations.webhook).
WEBHOOK_EVENTS = ("lead.created", "lead.updated")
WEBHOOK_STATUSES = ("pending", "delivered", "dead", "gone")


class WebhookDelivery(Base):
    """One lead event owed to the facility's webhook receiver (an outbox row). Holds no PHI.

    The payload is built from the lead when it is sent; ``lead_id`` has no foreign
    key, so a purge needs no cascade (a delivery whose lead is gone ends ``gone``).
    ``last_error`` is an HTTP status or an exception class, never a response body.
    """

    __tablename__ = "webhook_deliveries"

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, nullable=False)
    event = Column(String(16), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    status = Column(String(16), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=True)
    last_attempt_at = Column(UTCDateTime, nullable=True)
    delivered_at = Column(UTCDateTime, nullable=True)
    last_error = Column(String(64), nullable=True)

    __table_args__ = (
        CheckConstraint(_in("event", WEBHOOK_EVENTS), name="event"),
        CheckConstraint(_in("status", WEBHOOK_STATUSES), name="status"),
        # The every-minute job's "what is due".
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        # A lead's pending deliveries: coalescing updates, and sending them in order.
        Index("ix_webhook_deliveries_lead_id_status", "lead_id", "status"),
    )

    def __repr__(self) -> str:
        return f"<WebhookDelivery id={self.id} lead_id={self.lead_id} {self.event} {self.status}>"


# -- reports (revision 0015, helpline.reports) --------------------------------------------------------

class ConversationStats(Base):
    """One conversation (a Rasa session) in numbers, derived from the tracker store by helpline.reports.rollup.

    Counts and fixed codes only: no text, no answer, no slot value but the language,
    the FAQ topics (in ``faq_topic_days``) and the names of the intake questions asked.
    ``sender_key`` (HMAC-SHA256 of the Rasa sender id under a key derived from the
    install's id secret) is set only while the session can still get events, so the
    rollup can find the row again; it is cleared when the sender starts a new session
    or a day after the last event, and from then on the row identifies nobody. Kept
    when the retention purge removes the conversation itself.
    """

    __tablename__ = "conversation_stats"

    id = Column(Integer, primary_key=True)
    sender_key = Column(String(64), nullable=True, unique=True)
    # When the person first wrote (the session's start until then), and that day in the facility's time zone.
    started_at = Column(UTCDateTime, nullable=False)
    local_day = Column(Date, nullable=False)
    last_event_at = Column(UTCDateTime, nullable=False)
    channel = Column(String(16), nullable=False)
    language = Column(String(8), nullable=False)
    # The person's messages; a session without any is not a conversation and is not reported.
    user_messages = Column(Integer, nullable=False, default=0)
    faq_answers = Column(Integer, nullable=False, default=0)
    clarifications = Column(Integer, nullable=False, default=0)
    fallbacks = Column(Integer, nullable=False, default=0)
    intake_started = Column(Boolean, nullable=False, default=False)
    # Intake questions asked, one bit each (helpline.reports.facts.STEP_BITS).
    intake_steps = Column(Integer, nullable=False, default=0)
    lead_stored = Column(Boolean, nullable=False, default=False)
    crisis_flagged = Column(Boolean, nullable=False, default=False)
    # The form active after the last event read (the rollup's own state between runs).
    active_form = Column(String(32), nullable=True)

    __table_args__ = (
        Index("ix_conversation_stats_local_day_channel_language", "local_day", "channel", "language"),
    )

    def __repr__(self) -> str:
        return f"<ConversationStats id={self.id} day={self.local_day}>"


class FaqTopicDay(Base):
    """How many FAQ answers of one topic conversations started on one (local) day got."""

    __tablename__ = "faq_topic_days"

    local_day = Column(Date, primary_key=True)
    topic = Column(String(48), primary_key=True)
    asks = Column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return f"<FaqTopicDay {self.local_day} {self.topic}={self.asks}>"


class ReportRollupState(Base):
    """How far the rollup has read the tracker store's events (one row, made by revision 0015)."""

    __tablename__ = "report_rollup_state"

    name = Column(String(32), primary_key=True)
    last_event_id = Column(Integer, nullable=False, default=0)
    # The timestamp of that event: tells a tracker whose ids were reused (see helpline.reports.rollup).
    last_event_timestamp = Column(Float, nullable=True)
    updated_at = Column(UTCDateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<ReportRollupState {self.name} at={self.last_event_id}>"

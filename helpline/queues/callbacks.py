"""The callback queue: store a consented lead once, let staff claim and close it.

:func:`store_callback` and :func:`raise_urgency` are the lead's own; listing,
claiming, closing and what staff see of a lead are :data:`LEADS`, a
:class:`helpline.queues.staff_queue.StaffQueue`. Every function takes a
``session_factory`` (``helpline.store.db.session_factory(url)``) so the action
server, the CLI and tests share the code with their own database. Records are
returned detached but fully loaded; callers need no session.

A lead keeps the conversation's language ("en", "es"; see
:func:`helpline.queues.caller_language.stored_language`), taken again from every
later update, so staff call back in the language the person now speaks.

Logs name the record by id/reference only, never by phone, name or answers.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from helpline.intake.parsers import BEST_TIMES, MAX_ANSWER_CHARS
from helpline.intake.screening import LEVELS_OF_CARE, URGENCIES
from helpline.integrations import webhook
from helpline.phone import normalize_phone
from helpline.queues import staff_queue
from helpline.queues.caller_language import LANGUAGE_COLUMN, language_name, language_row, stored_language
from helpline.queues.crisis_flags import CRISES
from helpline.queues.staff_queue import (
    CLI,
    CONSOLE,
    OUTCOME_ROW,
    STAFF_ALERT_ROWS,
    STATUS_ROW,
    WORK_FIELDS,
    Column,
    Field,
    Item,
    Row,
    StaffQueue,
    When,
)
from helpline.store.models import CALLBACK_STATUSES, OUTCOMES, CallbackRequest, utcnow

log = logging.getLogger(__name__)

REFERENCE_PREFIX = "L-"
MAX_KEY_CHARS = 128
_REFERENCE_ATTEMPTS = 5

CallbackId = Union[int, str]


class CallbackError(staff_queue.QueueError):
    """Base class for lead queue errors; the message is safe to show staff."""


class CallbackNotFound(CallbackError, staff_queue.NotFound):
    pass


class InvalidTransition(CallbackError, staff_queue.InvalidTransition):
    pass


def _contact_by(item: Item, when: When) -> str:
    return ", ".join(k for k, v in item["permissions"].items() if v) or "none"


def _consent(item: Item, when: When) -> str:
    return f"yes, {when(item['consent_at'])}" if item["consent"] else "no"


LEADS: StaffQueue[CallbackRequest] = StaffQueue(
    model=CallbackRequest,
    name="callbacks",
    record_type="callback",
    noun="callback request",
    label="Callback",
    reference_prefix=REFERENCE_PREFIX,
    statuses=CALLBACK_STATUSES,
    outcomes=OUTCOMES,
    pressing=("urgency", tuple(reversed(URGENCIES))),
    not_found=CallbackNotFound,
    invalid=InvalidTransition,
    # Open crisis follow-ups come before leads: the lead queue says how many there are.
    behind=CRISES,
    # Every staff change of a lead (claim, close, assign, note, call, reopen) is sent to the provider's
    # own system when the facility turns the webhook on, in the change's transaction.
    after_change=webhook.lead_updated,
    fields=(
        "id", "reference", "status", "urgency", "level_of_care",
        Field("screening_reasons", lambda r: list(r.screening_reasons or [])),
        Field("phone", lambda r: r.phone_e164),
        "first_name", "who_for", "caller_relation", "best_time",
        Field("permissions", lambda r: {
            "call": bool(r.permit_call), "voicemail": bool(r.permit_voicemail), "text": bool(r.permit_text),
        }),
        Field("answers", lambda r: dict(r.answers or {})),
        # What the person typed for each answer, beside the parsed value (a misparse shows).
        Field("answer_words", lambda r: dict(r.answer_words or {})),
        Field("consent", lambda r: bool(r.consent)),
        "consent_text", "consent_at", "created_at", "updated_at",
        "notification_status", "notification_attempts", "last_notification_error", "notified_at",
        "claimed_by", "claimed_at", "closed_at", "outcome", "source_channel", "conversation_id",
        "language", Field("language_name", language_name),
        *WORK_FIELDS,
    ),
    columns=(
        Column("status", "Status"),
        Column("urgency", "Urgency"),
        Column("level_of_care", "Level of care", "CARE"),
        Column("created_at", "Created (UTC)"),
        # The console's list page leaves contact details to the lead's own page.
        Column("phone", "Phone", on=(CLI,)),
        Column("first_name", "First name", "NAME", on=(CLI,)),
        Column("best_time", "Best time"),
        LANGUAGE_COLUMN,
        Column("notification_status", "Staff alert", "ALERT"),
        Column("claimed_by", "Claimed by"),
    ),
    rows=(
        STATUS_ROW,
        OUTCOME_ROW,
        Row("Urgency", "urgency"),
        Row("Level of care", "level_of_care"),
        language_row("call back in Spanish"),
        Row("Reasons", lambda item, when: ", ".join(item["screening_reasons"])),
        Row("Phone", "phone"),
        Row("First name", "first_name"),
        Row("For", "who_for"),
        Row("Relation", "caller_relation"),
        Row("Best time", "best_time"),
        Row("May contact by", _contact_by),
        Row("Created", "created_at"),
        Row("Consent", _consent, on=(CLI,)),
        Row("Consent", lambda item, when: "yes" if item["consent"] else "no", on=(CONSOLE,)),
        Row("Consent given", "consent_at", on=(CONSOLE,)),
        *STAFF_ALERT_ROWS,
        Row("Channel", "source_channel"),
    ),
)


def new_reference() -> str:
    return LEADS.new_reference()


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _short(value: Optional[str], limit: int) -> Optional[str]:
    if value is None:
        return None
    value = str(value).strip()
    return value[:limit] if value else None


def _by_key(session: Session, key: str) -> Optional[CallbackRequest]:
    return session.execute(select(CallbackRequest).where(CallbackRequest.idempotency_key == key)).scalar_one_or_none()


def store_callback(
    session_factory: sessionmaker,
    *,
    idempotency_key: str,
    phone: str,
    urgency: str,
    level_of_care: str,
    consent: bool,
    consent_text: Optional[str] = None,
    consent_at: Optional[datetime] = None,
    screening_reasons: Sequence[str] = (),
    answers: Optional[Mapping[str, Any]] = None,
    answer_words: Optional[Mapping[str, str]] = None,
    first_name: Optional[str] = None,
    who_for: Optional[str] = None,
    caller_relation: Optional[str] = None,
    best_time: Optional[str] = None,
    permissions: Optional[Mapping[str, Optional[bool]]] = None,
    conversation_id: Optional[str] = None,
    source_channel: Optional[str] = None,
    reference: Optional[str] = None,
    created_at: Optional[datetime] = None,
    language: Optional[str] = None,
) -> Tuple[CallbackRequest, bool]:
    """Save a callback request once; returns ``(record, created)``.

    A retry with the same ``idempotency_key`` (e.g. the action ran twice, or two
    processes raced) returns the first record with ``created=False`` and writes
    nothing. Raises ``ValueError`` for input that must never be stored: no
    explicit consent, an unusable phone number, unknown urgency/level.
    ``permissions`` is ``{"call": bool, "voicemail": bool, "text": bool}``; an
    unanswered channel (missing or ``None``) is stored as not permitted, except
    ``call``, which the caller requested by asking for a callback.
    ``reference`` and ``created_at`` keep what the caller was already told
    when the lead waited in :mod:`helpline.queues.lead_spool` while the database was
    down (a reference taken meanwhile makes the store draw a fresh one).
    ``language`` is the conversation's ``language`` slot: "en", "es", or None
    (no language decided yet: the bot spoke English), stored as "en".
    """
    key = (idempotency_key or "").strip()
    _require(bool(key) and len(key) <= MAX_KEY_CHARS, f"idempotency_key must be 1-{MAX_KEY_CHARS} characters")
    _require(consent is True, "a callback is stored only with the caller's explicit consent")
    phone_e164 = normalize_phone(phone)
    _require(phone_e164 is not None, "phone is not a valid phone number")
    _require(urgency in URGENCIES, f"urgency must be one of {URGENCIES}")
    _require(level_of_care in LEVELS_OF_CARE, f"level_of_care must be one of {LEVELS_OF_CARE}")
    # Only the fixed vocabulary: this value goes into staff SMS, free text must not.
    _require(best_time is None or best_time in BEST_TIMES, f"best_time must be one of {BEST_TIMES}")
    spoken = stored_language(language)  # a ValueError too, for the same reason
    # Round-trip now so a non-JSON value fails here, not inside the flush.
    answers_dict = _json(answers or {})
    permitted = effective_permissions(permissions)
    now = utcnow()
    wanted_reference = reference

    for _ in range(_REFERENCE_ATTEMPTS):
        with session_factory() as session:
            existing = _by_key(session, key)
            if existing is not None:
                return existing, False
            record = CallbackRequest(
                reference=wanted_reference or new_reference(),
                idempotency_key=key,
                conversation_id=_short(conversation_id, 128),
                created_at=created_at or now,
                updated_at=now,
                status="new",
                urgency=urgency,
                level_of_care=level_of_care,
                screening_reasons=[str(r) for r in screening_reasons],
                phone_e164=phone_e164,
                first_name=_short(first_name, 64),
                who_for=_short(who_for, 16),
                caller_relation=_short(caller_relation, 16),
                answers=answers_dict,
                answer_words=_words(answer_words),
                best_time=best_time,
                permit_call=permitted["call"],
                permit_voicemail=permitted["voicemail"],
                permit_text=permitted["text"],
                consent=True,
                consent_text=_short(consent_text, 2000),
                consent_at=consent_at or now,
                notification_status="pending",
                notification_attempts=0,
                notified_recipients=[],
                source_channel=_short(source_channel, 32),
                language=spoken,
            )
            session.add(record)
            try:
                # The lead and the webhook delivery it owes commit together, or neither does.
                webhook.enqueue(session, record, webhook.LEAD_CREATED)
                session.commit()
            except IntegrityError:
                # Lost a race: the same key was stored meanwhile (the next pass
                # returns it) or, far less likely, the random reference collided
                # (the next pass draws a new one).
                session.rollback()
                wanted_reference = None
                continue
            log.info("callback %s stored (id=%s, urgency=%s)", record.reference, record.id, record.urgency)
            return record, True
    raise CallbackError("could not allocate a unique reference; try again")


def _open_lead_locked(session: Session, reference: str) -> CallbackRequest:
    """The open lead ``reference``, locked for this transaction, for the caller's own updates."""
    record = session.execute(
        select(CallbackRequest).where(CallbackRequest.reference == reference).with_for_update()
    ).scalar_one_or_none()
    if record is None:
        raise CallbackNotFound(f"no callback request {reference}")
    if record.status == "closed":
        raise InvalidTransition(f"callback request {record.id} ({record.reference}) is closed")
    return record


def effective_permissions(permissions: Optional[Mapping[str, Any]]) -> Dict[str, bool]:
    """How staff may reach the person: a call unless refused (they asked for one); voicemail and text only if allowed."""
    given = dict(permissions or {})
    return {"call": given.get("call") is not False, "voicemail": given.get("voicemail") is True, "text": given.get("text") is True}


def _words(answer_words: Optional[Mapping[str, str]]) -> Dict[str, str]:
    """The person's own words per answer, each cut to the longest answer a parser accepts."""
    return {str(slot): str(text)[:MAX_ANSWER_CHARS] for slot, text in (answer_words or {}).items() if text}


def _json(value: Mapping[str, Any]) -> Dict[str, Any]:
    try:
        return json.loads(json.dumps(dict(value)))
    except (TypeError, ValueError) as exc:
        raise ValueError("answers must be JSON-serialisable") from exc


@dataclass(frozen=True)
class AnswersUpdate:
    """What :func:`update_answers` did: the record as stored, and whether staff must be alerted again."""

    record: CallbackRequest
    realert: bool


# Urgencies at which a lead pages staff at any hour: reaching one of them after
# the lead was stored starts a new alert round.
REALERT_URGENCIES = ("urgent", "immediate")


def update_answers(
    session_factory: sessionmaker,
    reference: str,
    *,
    answers: Mapping[str, Any],
    answer_words: Mapping[str, str],
    urgency: str,
    level_of_care: str,
    screening_reasons: Sequence[str],
    language: Optional[str] = None,
) -> AnswersUpdate:
    """Add screening answers to an open stored lead (the intake stores the lead first, then screens).

    ``answers`` and ``answer_words`` are merged over what is stored. The
    urgency is never lowered (staff, a crisis follow-up or an earlier answer
    may have raised it); the level of care and reasons are the screening of
    the answers so far, with earlier reasons kept. A lead that becomes urgent
    or immediate gets a new alert round (``realert``): the caller of this
    function sends it. ``language``, when given, replaces the stored one (the
    person may have switched since the lead was stored); None leaves it.
    Raises :class:`CallbackNotFound`, or :class:`InvalidTransition` when staff
    closed the lead.
    """
    _require(urgency in URGENCIES, f"urgency must be one of {URGENCIES}")
    _require(level_of_care in LEVELS_OF_CARE, f"level_of_care must be one of {LEVELS_OF_CARE}")
    spoken = None if language is None else stored_language(language)
    new_answers = _json(answers)
    with session_factory() as session:
        with session.begin():
            record = _open_lead_locked(session, reference)
            realert = False
            if URGENCIES.index(urgency) > URGENCIES.index(record.urgency):
                realert = urgency in REALERT_URGENCIES
                record.urgency = urgency
                if realert:
                    record.alert_round = (record.alert_round or 1) + 1
                    record.notification_status = "pending"
                    record.notified_recipients = []
                    record.last_notification_error = None
                    record.notified_at = None
            record.level_of_care = level_of_care
            if spoken is not None:
                record.language = spoken
            # The columns staff sort and call by say what the answers say.
            if new_answers.get("caller_relation"):
                record.caller_relation = _short(str(new_answers["caller_relation"]), 16)
            permissions = new_answers.get("contact_permissions")
            if isinstance(permissions, Mapping):
                permitted = effective_permissions(permissions)
                record.permit_call = permitted["call"]
                record.permit_voicemail = permitted["voicemail"]
                record.permit_text = permitted["text"]
            # New objects, not in-place changes: the JSON columns save what is assigned.
            record.answers = {**(record.answers or {}), **new_answers}
            record.answer_words = {**(record.answer_words or {}), **_words(answer_words)}
            kept = list(record.screening_reasons or [])
            record.screening_reasons = kept + [str(r) for r in screening_reasons if str(r) not in kept]
            record.updated_at = utcnow()
            webhook.lead_updated(session, record)
        session.refresh(record)
    log.info("callback %s answers updated (urgency %s%s)", record.reference, record.urgency, ", alert again" if realert else "")
    return AnswersUpdate(record, realert)


def update_phone(session_factory: sessionmaker, reference: str, phone: str) -> CallbackRequest:
    """Correct an open lead's phone number; raises ``ValueError`` for an unusable number,
    :class:`CallbackNotFound`, or :class:`InvalidTransition` when staff closed the lead."""
    phone_e164 = normalize_phone(phone)
    _require(phone_e164 is not None, "phone is not a valid phone number")
    with session_factory() as session:
        with session.begin():
            record = _open_lead_locked(session, reference)
            record.phone_e164 = phone_e164
            record.updated_at = utcnow()
            webhook.lead_updated(session, record)
        session.refresh(record)
    log.info("callback %s phone number corrected by the caller", record.reference)
    return record


def raise_urgency(
    session_factory: sessionmaker, callback_id: CallbackId, urgency: str, reason: str, *,
    language: Optional[str] = None,
) -> CallbackRequest:
    """Raise an open request's urgency to at least ``urgency`` and add the screening ``reason``.

    Never lowers the urgency. ``language``, when given, replaces the stored one
    (as in :func:`update_answers`). Raises :class:`CallbackNotFound`, or
    :class:`InvalidTransition` when the request is closed (staff are done with it).
    """
    _require(urgency in URGENCIES, f"urgency must be one of {URGENCIES}")
    _require(bool(reason), "say why")
    spoken = None if language is None else stored_language(language)
    with session_factory() as session:
        with session.begin():
            record = LEADS.lookup(session, callback_id)
            if record is None:
                raise CallbackNotFound(f"no callback request {callback_id}")
            if record.status == "closed":
                raise InvalidTransition(f"callback request {record.id} ({record.reference}) is closed")
            if URGENCIES.index(urgency) > URGENCIES.index(record.urgency):
                record.urgency = urgency
            reasons = list(record.screening_reasons or [])
            if reason not in reasons:
                record.screening_reasons = [*reasons, reason]
            if spoken is not None:
                record.language = spoken
            record.updated_at = utcnow()
            webhook.lead_updated(session, record)
        session.refresh(record)
    log.info("callback %s urgency now %s", record.reference, record.urgency)
    return record

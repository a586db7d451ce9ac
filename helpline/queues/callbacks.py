"""The callback queue: store a consented lead once, let staff claim and close it.

Every function takes a ``session_factory`` (``helpline.store.db.session_factory(url)``)
so the action server, the CLI and tests share the code with their own database.
Records are returned detached but fully loaded; callers need no session.

Lifecycle: ``new`` -> ``claimed`` (a staff member is on it) -> ``closed`` (with
an outcome). ``new`` may also be closed directly (e.g. a duplicate lead).
Logs name the record by id/reference only, never by phone, name or answers.
"""
from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from helpline.intake.parsers import BEST_TIMES
from helpline.queues import staff_queue
from helpline.store.models import CALLBACK_STATUSES, OUTCOMES, CallbackRequest, utcnow
from helpline.phone import normalize_phone
from helpline.intake.screening import LEVELS_OF_CARE, URGENCIES

log = logging.getLogger(__name__)

# No 0/O, 1/I/L, U: a reference is read aloud over the phone and typed by staff.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 5
REFERENCE_PREFIX = "L-"
MAX_KEY_CHARS = 128
MAX_STAFF_NAME_CHARS = 64
_REFERENCE_ATTEMPTS = 5

CallbackId = Union[int, str]


class CallbackError(Exception):
    """Base class for queue errors; the message is safe to show staff."""


class CallbackNotFound(CallbackError):
    pass


class InvalidTransition(CallbackError):
    pass


def new_reference() -> str:
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


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
    first_name: Optional[str] = None,
    who_for: Optional[str] = None,
    caller_relation: Optional[str] = None,
    best_time: Optional[str] = None,
    permissions: Optional[Mapping[str, Optional[bool]]] = None,
    conversation_id: Optional[str] = None,
    source_channel: Optional[str] = None,
    reference: Optional[str] = None,
    created_at: Optional[datetime] = None,
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
    answers_dict = dict(answers or {})
    try:
        # Round-trip now so a non-JSON value fails here, not inside the flush.
        answers_dict = json.loads(json.dumps(answers_dict))
    except (TypeError, ValueError) as exc:
        raise ValueError("answers must be JSON-serialisable") from exc
    permissions = dict(permissions or {})
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
                best_time=best_time,
                permit_call=permissions.get("call") is not False,
                permit_voicemail=permissions.get("voicemail") is True,
                permit_text=permissions.get("text") is True,
                consent=True,
                consent_text=_short(consent_text, 2000),
                consent_at=consent_at or now,
                notification_status="pending",
                notification_attempts=0,
                notified_recipients=[],
                source_channel=_short(source_channel, 32),
            )
            session.add(record)
            try:
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


def _status_order():  # type: ignore[no-untyped-def]
    status = case({s: i for i, s in enumerate(CALLBACK_STATUSES)}, value=CallbackRequest.status, else_=99)
    urgency = case({u: i for i, u in enumerate(reversed(URGENCIES))}, value=CallbackRequest.urgency, else_=99)
    return status, urgency


def list_callbacks(
    session_factory: sessionmaker, status: Optional[str] = None, *, limit: Optional[int] = None
) -> List[CallbackRequest]:
    """The queue in working order: new before claimed before closed, urgent first, oldest first."""
    if status is not None and status not in CALLBACK_STATUSES:
        raise ValueError(f"status must be one of {CALLBACK_STATUSES}")
    status_rank, urgency_rank = _status_order()
    query = select(CallbackRequest).order_by(status_rank, urgency_rank, CallbackRequest.created_at, CallbackRequest.id)
    if status is not None:
        query = query.where(CallbackRequest.status == status)
    if limit is not None:
        query = query.limit(limit)
    with session_factory() as session:
        return list(session.execute(query).scalars())


def get(session_factory: sessionmaker, callback_id: CallbackId) -> CallbackRequest:
    """The record with this id or reference; raises :class:`CallbackNotFound`."""
    with session_factory() as session:
        record = staff_queue.lookup(session, CallbackRequest, callback_id)
    if record is None:
        raise CallbackNotFound(f"no callback request {callback_id}")
    return record


def _transition(session_factory: sessionmaker, callback_id: CallbackId, **change: Any) -> CallbackRequest:
    return staff_queue.transition(
        session_factory, CallbackRequest, callback_id,
        noun="callback request", not_found=CallbackNotFound, invalid=InvalidTransition, **change,
    )


def claim(
    session_factory: sessionmaker, callback_id: CallbackId, by: str, *, on_change: Optional[staff_queue.OnChange] = None
) -> CallbackRequest:
    """Mark a ``new`` request as being worked by ``by``; raises :class:`InvalidTransition` otherwise."""
    by = (by or "").strip()
    _require(bool(by), "say who is claiming it")
    _require(len(by) <= MAX_STAFF_NAME_CHARS, f"name must be at most {MAX_STAFF_NAME_CHARS} characters")
    now = utcnow()
    return _transition(
        session_factory,
        callback_id,
        allowed_from=("new",),
        values={"status": "claimed", "claimed_by": by, "claimed_at": now},
        verb="claim",
        on_change=on_change,
    )


def close(
    session_factory: sessionmaker, callback_id: CallbackId, outcome: str, *, on_change: Optional[staff_queue.OnChange] = None
) -> CallbackRequest:
    """Close a ``new`` or ``claimed`` request with one of :data:`OUTCOMES`."""
    _require(outcome in OUTCOMES, f"outcome must be one of {', '.join(OUTCOMES)}")
    return _transition(
        session_factory,
        callback_id,
        allowed_from=("new", "claimed"),
        values={"status": "closed", "outcome": outcome, "closed_at": utcnow()},
        verb="close",
        on_change=on_change,
    )


def raise_urgency(session_factory: sessionmaker, callback_id: CallbackId, urgency: str, reason: str) -> CallbackRequest:
    """Raise an open request's urgency to at least ``urgency`` and add the screening ``reason``.

    Never lowers the urgency. Raises :class:`CallbackNotFound`, or
    :class:`InvalidTransition` when the request is closed (staff are done with it).
    """
    _require(urgency in URGENCIES, f"urgency must be one of {URGENCIES}")
    _require(bool(reason), "say why")
    with session_factory() as session:
        with session.begin():
            record = staff_queue.lookup(session, CallbackRequest, callback_id)
            if record is None:
                raise CallbackNotFound(f"no callback request {callback_id}")
            if record.status == "closed":
                raise InvalidTransition(f"callback request {record.id} ({record.reference}) is closed")
            if URGENCIES.index(urgency) > URGENCIES.index(record.urgency):
                record.urgency = urgency
            reasons = list(record.screening_reasons or [])
            if reason not in reasons:
                record.screening_reasons = [*reasons, reason]
            record.updated_at = utcnow()
        session.refresh(record)
    log.info("callback %s urgency now %s", record.reference, record.urgency)
    return record


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat(timespec="seconds") if value else None


def to_dict(record: CallbackRequest) -> Dict[str, Any]:
    """JSON-ready view for the CLI and the staff console (times ISO 8601, UTC)."""
    return {
        "id": record.id,
        "reference": record.reference,
        "status": record.status,
        "urgency": record.urgency,
        "level_of_care": record.level_of_care,
        "screening_reasons": list(record.screening_reasons or []),
        "phone": record.phone_e164,
        "first_name": record.first_name,
        "who_for": record.who_for,
        "caller_relation": record.caller_relation,
        "best_time": record.best_time,
        "permissions": {
            "call": bool(record.permit_call),
            "voicemail": bool(record.permit_voicemail),
            "text": bool(record.permit_text),
        },
        "answers": dict(record.answers or {}),
        "consent": bool(record.consent),
        "consent_text": record.consent_text,
        "consent_at": _iso(record.consent_at),
        "created_at": _iso(record.created_at),
        "updated_at": _iso(record.updated_at),
        "notification_status": record.notification_status,
        "notification_attempts": record.notification_attempts,
        "last_notification_error": record.last_notification_error,
        "notified_at": _iso(record.notified_at),
        "claimed_by": record.claimed_by,
        "claimed_at": _iso(record.claimed_at),
        "closed_at": _iso(record.closed_at),
        "outcome": record.outcome,
        "source_channel": record.source_channel,
        "conversation_id": record.conversation_id,
    }

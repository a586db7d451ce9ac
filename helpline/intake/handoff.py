"""Warm handoff: turn finished intake answers into a stored lead, then alert staff.

Order matters: the lead is stored first (idempotently), and only then are staff
alerted, in the background, so a slow or failing SMS provider neither delays the
caller nor loses the lead; whatever did not go out is retried later by
:func:`helpline.notify.staff_sms.retry_pending`.

A database that is briefly away does not lose the lead either: the store is
retried for a few seconds with backoff, then the lead goes to the local spool
(:mod:`helpline.queues.lead_spool`) with the reference the caller is told, and moves
into the queue (and staff are alerted) once the database answers again.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

from sqlalchemy.orm import sessionmaker

from helpline.facility import Facility, load_facility
from helpline.intake.callback_times import callback_promise
from helpline.intake.parsers import SKIPPED
from helpline.intake.questions import ANSWER_KEYS
from helpline.intake.screening import Screening, screen
from helpline.language import LANGUAGES
from helpline.notify import staff_sms as notify
from helpline.phone import normalize_phone
from helpline.queues import callbacks, lead_spool
from helpline.settings import Settings, load_settings
from helpline.store import db
from helpline.store.models import CallbackRequest

log = logging.getLogger(__name__)

# Pauses between tries to store a lead before it goes to the spool: about 4 s in
# all, short enough that the caller is not left waiting, long enough to ride out
# a database restart or failover blip.
STORE_RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0)


@dataclass(frozen=True)
class Handoff:
    reference: str
    callback_id: Optional[int]  # None while the lead waits in the spool
    created: bool  # stored by this call: alert staff now
    screening: Screening
    promise: str  # when someone will call, honestly (helpline.intake.callback_times)
    phone_last4: str
    spooled: bool = False  # the database was down; the spool import alerts staff later


def idempotency_key(conversation_id: str, turn_marker: str) -> str:
    """Same conversation and same submitting turn -> same key, so a retried action stores nothing new."""
    return hashlib.sha256(f"{conversation_id}\x1f{turn_marker}".encode()).hexdigest()


def clean_answers(slots: Mapping[str, Any]) -> dict:
    answers = {key: slots.get(key) for key in ANSWER_KEYS if slots.get(key) not in (None, SKIPPED)}
    if isinstance(answers.get("contact_permissions"), Mapping):
        # What the lead's columns hold, so the answers never say otherwise ("text only" is no call).
        answers["contact_permissions"] = callbacks.effective_permissions(answers["contact_permissions"])
    return answers


def lead_language(language: Optional[str]) -> Optional[str]:
    """The ``language`` slot as a lead stores it; a value outside the vocabulary is dropped
    (None: English on a new lead, unchanged on a stored one) rather than losing the lead over it."""
    if language is None or language in LANGUAGES:
        return language
    log.warning("language slot outside the vocabulary ignored for the lead")  # not the value: it is not ours
    return None


def said(words: Optional[Mapping[str, Any]], answers: Mapping[str, Any]) -> Dict[str, str]:
    """The person's own words behind the answers kept (``words``: slot -> text, from the conversation)."""
    return {slot: str(text) for slot, text in (words or {}).items() if slot in answers and text}


def submit(
    slots: Mapping[str, Any],
    *,
    conversation_id: str,
    turn_marker: str,
    channel: Optional[str],
    consent_text: str,
    now: Optional[datetime] = None,
    settings: Optional[Settings] = None,
    facility: Optional[Facility] = None,
    retry_delays: Optional[Sequence[float]] = None,
    sleep: Callable[[float], None] = time.sleep,
    crisis_follow_up: bool = False,
    words: Optional[Mapping[str, Any]] = None,
    language: Optional[str] = None,
) -> Handoff:
    """Store the lead (exactly once per submitting turn); raises ``ValueError`` for unusable input.

    ``crisis_follow_up``: asked for on the crisis path, so the lead is immediate
    (:func:`helpline.intake.screening.screen`, R0b) whatever the answers say.
    ``language``: the conversation's (its ``language`` slot), for the promise and
    stored with the lead so staff call back in it; None is English.

    Raises :class:`helpline.queues.lead_spool.SpoolError` only when neither the
    database nor the local spool could keep the lead.
    """
    settings = settings or load_settings()
    facility = facility or load_facility(settings.facility_file)
    now = now or datetime.now(timezone.utc)
    answers = clean_answers(slots)
    screening = screen(answers, crisis_follow_up=crisis_follow_up)
    key = idempotency_key(conversation_id, turn_marker)
    fields = dict(
        phone=slots["callback_phone"],
        urgency=screening.urgency,
        level_of_care=screening.level_of_care,
        consent=slots.get("consent") is True,
        consent_text=consent_text,
        consent_at=now,
        screening_reasons=list(screening.reasons),
        answers=answers,
        answer_words=said(words, answers),
        first_name=answers.get("first_name"),
        who_for=answers.get("who_for"),
        caller_relation=answers.get("caller_relation"),
        best_time=answers.get("best_time"),
        permissions=answers.get("contact_permissions"),
        conversation_id=conversation_id,
        source_channel=channel,
        language=lead_language(language),
    )
    # A retry of a turn whose lead went to the spool keeps the reference already told.
    spooled = lead_spool.find(settings, key)
    promise = callback_promise(now, answers.get("best_time"), screening.urgency, facility, language).sentence
    try:
        record, created = _store_with_retry(
            settings, key, fields, spooled, STORE_RETRY_DELAYS if retry_delays is None else retry_delays, sleep
        )
    except _DatabaseUnavailable as exc:
        log.warning("callback database unavailable (%s); keeping the lead in the local spool", exc)
        # The store checks these before it touches the database; it never got that far.
        phone = normalize_phone(fields["phone"])
        if phone is None or fields["consent"] is not True:
            raise ValueError("a lead needs a valid phone number and explicit consent") from None
        lead = spooled or lead_spool.write(
            settings, lead_spool.SpooledLead(key=key, reference=callbacks.new_reference(), fields=fields, spooled_at=now)
        )
        return Handoff(
            reference=lead.reference, callback_id=None, created=False, screening=screening,
            promise=promise, phone_last4=phone[-4:], spooled=True,
        )
    if spooled is not None:
        lead_spool.remove(settings, key)
    return Handoff(
        reference=record.reference,
        callback_id=record.id,
        created=created,
        screening=screening,
        promise=promise,
        phone_last4=record.phone_e164[-4:],
    )


class _DatabaseUnavailable(Exception):
    pass


def _lead_sessions(settings: Settings) -> sessionmaker:
    """Sessions on the leads' database, for a change to a stored lead (the action server may
    be started on its own against a fresh database)."""
    url = settings.effective_database_url
    db.ensure_schema(url)
    return db.session_factory(url)


@dataclass(frozen=True)
class Update:
    """A stored lead updated with screening answers: the screening so far, and whether it reached the database."""

    screening: Screening
    stored: bool
    realerted: bool = False
    promise: str = ""  # when realerted: what happens now, honestly (helpline.intake.callback_times)


def update(
    reference: str,
    slots: Mapping[str, Any],
    *,
    words: Optional[Mapping[str, Any]] = None,
    settings: Optional[Settings] = None,
    language: Optional[str] = None,
) -> Update:
    """Add the screening answers so far to the conversation's stored lead ``reference``; never raises.

    ``language``: the conversation's, stored on the lead (the person may have
    switched since it was stored) and for the promise when staff are alerted again;
    None is English for the promise and leaves the stored language as it is.

    The intake stores the lead after the contact questions, so a person who
    stops during screening still leaves one; each screening answer then
    updates it. An answer that makes the lead urgent alerts staff again now.
    A lead staff closed, or one still in the spool, is left as it is: the
    conversation goes on either way (the transcript keeps the answers).
    """
    settings = settings or load_settings()
    answers = clean_answers(slots)
    screening = screen(answers)
    try:
        result = callbacks.update_answers(
            _lead_sessions(settings), reference,
            answers=answers, answer_words=said(words, answers),
            urgency=screening.urgency, level_of_care=screening.level_of_care,
            screening_reasons=screening.reasons, language=lead_language(language),
        )
    except (callbacks.CallbackNotFound, callbacks.InvalidTransition) as exc:
        log.info("lead %s not updated: %s", reference, type(exc).__name__)
        return Update(screening, stored=False)
    except Exception as exc:  # the type only, never row values
        log.error("updating lead %s failed: %s", reference, type(exc).__name__)
        return Update(screening, stored=False)
    if not result.realert:
        return Update(screening, stored=True)
    alert_staff_in_background(result.record.id, settings)
    facility = load_facility(settings.facility_file)
    promise = callback_promise(
        datetime.now(timezone.utc), answers.get("best_time"), result.record.urgency, facility, language
    )
    return Update(screening, stored=True, realerted=True, promise=promise.sentence)


def update_phone(reference: str, phone: str, settings: Optional[Settings] = None) -> bool:
    """Correct the number of the conversation's stored lead ("sorry, wrong number! it's ..."); never raises.

    ``False`` when the lead is closed, not in the database yet (spooled) or the
    database failed: the person is then not told it was changed.
    """
    settings = settings or load_settings()
    try:
        callbacks.update_phone(_lead_sessions(settings), reference, phone)
        return True
    except Exception as exc:  # the type only, never the number
        log.info("lead %s: phone not updated: %s", reference, type(exc).__name__)
        return False


# What became of a lead already stored in the conversation when the person asks
# for a call on the crisis path (:func:`escalate_for_crisis`).
ESCALATED = "escalated"  # open: now immediate, with the reason crisis_follow_up
CLOSED = "closed"  # staff closed it: a new lead is needed
UNKNOWN = "unknown"  # not in the database yet (spooled) or the database failed: it stands as it is


def escalate_for_crisis(reference: str, settings: Optional[Settings] = None, *, language: Optional[str] = None) -> str:
    """Mark the conversation's stored lead ``reference`` immediate after a crisis; never raises.

    No second lead and no second staff SMS: the crisis flag of the same
    conversation has paged staff, and the queue now sorts this lead first.
    ``language``: the conversation's now, stored on the lead (None leaves it).
    """
    settings = settings or load_settings()
    try:
        callbacks.raise_urgency(
            _lead_sessions(settings), reference, "immediate", "crisis_follow_up", language=lead_language(language)
        )
        return ESCALATED
    except callbacks.InvalidTransition:
        return CLOSED
    except callbacks.CallbackNotFound:
        return UNKNOWN
    except Exception as exc:  # the conversation goes on; the type only, never row values
        log.error("marking lead %s for a crisis follow-up failed: %s", reference, type(exc).__name__)
        return UNKNOWN


def _store_with_retry(
    settings: Settings,
    key: str,
    fields: Mapping[str, Any],
    spooled: Optional[lead_spool.SpooledLead],
    retry_delays: Sequence[float],
    sleep: Callable[[float], None],
) -> Tuple[CallbackRequest, bool]:  # (record, created)
    url = settings.effective_database_url
    extra: Dict[str, Any] = {"reference": spooled.reference, "created_at": spooled.spooled_at} if spooled else {}
    for attempt in range(len(retry_delays) + 1):
        if attempt:
            sleep(retry_delays[attempt - 1])
        try:
            # The action server may be started on its own against a fresh database.
            db.ensure_schema(url)
            return callbacks.store_callback(db.session_factory(url), idempotency_key=key, **fields, **extra)
        except ValueError:
            raise  # the lead itself is unusable: no retry or spool helps
        except Exception as exc:  # connection refused, server restarting, pool timeout, disk...
            error = type(exc).__name__
            log.info("storing a callback failed (try %d of %d): %s", attempt + 1, len(retry_delays) + 1, error)
    raise _DatabaseUnavailable(error)


def alert_staff_in_background(callback_id: int, settings: Optional[Settings] = None) -> threading.Thread:
    """Alert staff without making the caller wait; failures stay on the record for the retry job."""
    settings = settings or load_settings()

    def _send() -> None:
        result = notify.notify_staff(db.session_factory(settings.effective_database_url), callback_id, settings)
        log.info("staff alert for callback id=%s: %s", callback_id, result.status)

    thread = threading.Thread(target=_send, name=f"staff-alert-{callback_id}", daemon=False)
    thread.start()
    return thread

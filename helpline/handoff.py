"""Warm handoff: turn finished intake answers into a stored lead, then alert staff.

Order matters: the lead is stored first (idempotently), and only then are staff
alerted, in the background, so a slow or failing SMS provider neither delays the
caller nor loses the lead; whatever did not go out is retried later by
:func:`helpline.notify.retry_pending`.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

from helpline import callbacks, db, notify
from helpline.config import Settings, load_settings
from helpline.facility import Facility, load_facility
from helpline.intake import SKIPPED
from helpline.office_hours import callback_eta
from helpline.screening import Screening, screen

log = logging.getLogger(__name__)

# The answers kept with the lead for staff; everything the form collects.
ANSWER_KEYS = (
    "who_for", "caller_relation", "first_name", "substances", "last_use", "withdrawal_signs",
    "prior_treatment", "insurance", "insurance_member_id", "state", "best_time", "contact_permissions",
)


@dataclass(frozen=True)
class Handoff:
    reference: str
    callback_id: int
    created: bool
    screening: Screening
    eta: str  # finishes "someone will call you back ...": "shortly" / "when the office opens ..."
    phone_last4: str


def idempotency_key(conversation_id: str, turn_marker: str) -> str:
    """Same conversation and same submitting turn -> same key, so a retried action stores nothing new."""
    return hashlib.sha256(f"{conversation_id}\x1f{turn_marker}".encode()).hexdigest()


def clean_answers(slots: Mapping[str, Any]) -> dict:
    return {key: slots.get(key) for key in ANSWER_KEYS if slots.get(key) not in (None, SKIPPED)}


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
) -> Handoff:
    """Store the lead (exactly once per submitting turn); raises ``ValueError`` for unusable input."""
    settings = settings or load_settings()
    facility = facility or load_facility(settings.facility_file)
    now = now or datetime.now(timezone.utc)
    answers = clean_answers(slots)
    screening = screen(answers)
    # The action server may be started on its own against a fresh database.
    db.ensure_schema(settings.effective_database_url)
    sessions = db.session_factory(settings.effective_database_url)
    best_time = answers.get("best_time")
    record, created = callbacks.store_callback(
        sessions,
        idempotency_key=idempotency_key(conversation_id, turn_marker),
        phone=slots["callback_phone"],
        urgency=screening.urgency,
        level_of_care=screening.level_of_care,
        consent=slots.get("consent") is True,
        consent_text=consent_text,
        consent_at=now,
        screening_reasons=screening.reasons,
        answers=answers,
        first_name=answers.get("first_name"),
        who_for=answers.get("who_for"),
        caller_relation=answers.get("caller_relation"),
        best_time=best_time,
        permissions=answers.get("contact_permissions"),
        conversation_id=conversation_id,
        source_channel=channel,
    )
    return Handoff(
        reference=record.reference,
        callback_id=record.id,
        created=created,
        screening=screening,
        eta=callback_eta(now, facility.office_hours, facility.timezone),
        phone_last4=record.phone_e164[-4:],
    )


def alert_staff_in_background(callback_id: int, settings: Optional[Settings] = None) -> threading.Thread:
    """Alert staff without making the caller wait; failures stay on the record for the retry job."""
    settings = settings or load_settings()

    def _send() -> None:
        result = notify.notify_staff(db.session_factory(settings.effective_database_url), callback_id, settings)
        log.info("staff alert for callback id=%s: %s", callback_id, result.status)

    thread = threading.Thread(target=_send, name=f"staff-alert-{callback_id}", daemon=False)
    thread.start()
    return thread

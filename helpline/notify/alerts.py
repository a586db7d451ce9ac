"""What staff alerts say, and the kinds of record that get one (a lead, a crisis follow-up).

The words are in :mod:`helpline.messages` (``staff_alert.*``); this module
picks the text and fills it. Staff SMS carry no health information and nothing
that identifies the caller: only the lead's reference, its urgency, the
requested time window and a console link; for a crisis only the reference, the
word URGENT and a console link (never the crisis category). Every field is a
fixed vocabulary, the reference or a link, so no caller text (name, phone,
substances, symptoms) can reach an SMS even by mistake. Staff see the rest
after signing in to the console.

A record whose conversation was in Spanish gets its alert's Spanish-caller
variant (``*_spanish``: "Call back in Spanish." for a lead, "Spanish speaker."
for a crisis follow-up), chosen from the stored language code, never written
from it. Alerts are in English whatever the caller's language: staff read them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Union

from helpline import messages
from helpline.language import SPANISH
from helpline.store.models import CallbackRequest, CrisisFlag

# Every urgency must be there: .get() falls back to "routine", which would understate it.
URGENCY_TEXT: Dict[str, str] = messages.table("staff_alert.urgency")
TIME_WINDOW_TEXT: Dict[str, str] = messages.table("staff_alert.best_time")

SUMMARY_KIND = "crisis_summary"  # NotifyResult.kind and OutboxMessage.kind of a summary page


def _link(console_base_url: str, path: str) -> str:
    return f"{console_base_url.rstrip('/')}/{path}"


def compose_staff_sms(record: CallbackRequest, console_base_url: str) -> str:
    """The lead alert: reference, urgency, time window, "Call back in Spanish." when so, and console link; nothing else."""
    best_time = TIME_WINDOW_TEXT.get(record.best_time or "") or messages.text("staff_alert.best_time_missing")
    # A later round: a screening answer made the stored lead urgent; not a second lead.
    update = (record.alert_round or 1) > 1
    spanish = record.language == SPANISH
    return messages.text(
        ("staff_alert.callback_update_spanish" if spanish else "staff_alert.callback_update") if update
        else ("staff_alert.callback_spanish" if spanish else "staff_alert.callback"),
        reference=record.reference,
        urgency=URGENCY_TEXT.get(record.urgency, URGENCY_TEXT["routine"]),
        best_time=best_time,
        link=_link(console_base_url, f"callbacks/{record.id}"),
    )


def compose_overdue_sms(record: Union[CallbackRequest, CrisisFlag], minutes: int, console_base_url: str,
                        *, escalation: bool = False) -> str:
    """The re-alert for a record still unclaimed past its target (:mod:`helpline.queues.escalation`).

    Only the reference, a lead's urgency word (a crisis follow-up's fixed
    "URGENT", never its category), the whole minutes it has waited and a
    console link. ``escalation``: the wording for the escalation contact
    ("Escalation: ..."), else the staff re-alert ("Still unclaimed after ...").
    """
    if isinstance(record, CrisisFlag):
        return messages.text(
            "staff_alert.escalation_crisis" if escalation else "staff_alert.overdue_crisis",
            reference=record.reference, count=minutes, link=_link(console_base_url, f"crises/{record.id}"),
        )
    return messages.text(
        "staff_alert.escalation_callback" if escalation else "staff_alert.overdue_callback",
        reference=record.reference,
        urgency=URGENCY_TEXT.get(record.urgency, URGENCY_TEXT["routine"]),
        count=minutes,
        link=_link(console_base_url, f"callbacks/{record.id}"),
    )


def compose_crisis_sms(record: CrisisFlag, console_base_url: str) -> str:
    """The crisis alert: fixed words, the reference and a console link, nothing else.

    Deliberately not the category (suicide, overdose, ...), the severity's
    details, any message text or the channel: minimum necessary (42 CFR Part 2).
    A repeat alert for the same flag (severity rose) says so, so that staff do
    not take it for a duplicate. A Spanish speaker's says so (a language is no health detail).
    """
    update = (record.alert_round or 1) > 1
    spanish = record.language == SPANISH
    return messages.text(
        ("staff_alert.crisis_update_spanish" if spanish else "staff_alert.crisis_update") if update
        else ("staff_alert.crisis_spanish" if spanish else "staff_alert.crisis"),
        reference=record.reference,
        link=_link(console_base_url, f"crises/{record.id}"),
    )


def compose_crisis_summary_sms(count: int, console_base_url: str) -> str:
    """The summary page for crisis follow-ups held by the cap: their number and the queue's link, nothing else.

    No reference either: one page stands for many follow-ups, and staff open
    the queue, which lists every one of them, most pressing first.
    """
    return messages.text(
        "staff_alert.crisis_summary_one" if count == 1 else "staff_alert.crisis_summary_many",
        count=count,
        link=_link(console_base_url, "crises"),
    )


@dataclass(frozen=True)
class AlertKind:
    """What the shared send/retry/record loop (:mod:`helpline.notify.staff_sms`) needs to know about one kind of record.

    The model must have the columns ``reference``, ``status``,
    ``notification_status``, ``notification_attempts``,
    ``last_notification_error``, ``notified_recipients`` and ``notified_at``.
    """

    name: str  # NotifyResult.kind
    label: str  # in logs: "<label> <reference>"
    model: Any
    compose: Callable[[Any, str], str]
    outbox_kind: str  # OutboxMessage.kind when kept locally
    links_callback: bool  # pass the id to Notifier.send as callback_id
    retry_age_column: str  # retry_pending waits until this is min_age_seconds old
    # An integer column bumped when staff must be alerted afresh; a send that
    # started in an earlier round then does not overwrite the delivery state.
    round_column: Optional[str] = None
    # Each alert round must pass the cap on pages (helpline.safety.crisis_pages.take_page).
    capped: bool = False


CALLBACK_ALERT = AlertKind(
    name="callback",
    label="callback",
    model=CallbackRequest,
    compose=compose_staff_sms,
    outbox_kind="staff_alert",
    links_callback=True,
    retry_age_column="created_at",
    round_column="alert_round",
)
CRISIS_ALERT = AlertKind(
    name="crisis",
    label="crisis follow-up",
    model=CrisisFlag,
    compose=compose_crisis_sms,
    outbox_kind="crisis_alert",
    links_callback=False,
    # A severity raise re-alerts and moves last_seen_at, so this also covers that round.
    retry_age_column="last_seen_at",
    round_column="alert_round",
    capped=True,
)
KINDS = {kind.name: kind for kind in (CALLBACK_ALERT, CRISIS_ALERT)}

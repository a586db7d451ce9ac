"""Tell on-call staff about a new lead or a crisis follow-up, after it is safely stored.

Order matters: :func:`helpline.queues.callbacks.store_callback` first, then
:func:`notify_staff`. A lead is never lost because SMS failed; a failed alert
stays ``failed`` on the record and :func:`retry_pending` (``helpline callbacks
retry-notifications``, run from cron or a timer) sends it later. Crisis
follow-ups (:mod:`helpline.queues.crisis_flags`) go the same way through
:func:`notify_crisis`; both record kinds share one send/retry/record loop,
described for each kind by an :class:`~helpline.notify.alerts.AlertKind`.

This module is that loop and its bookkeeping on the record. What an alert
says is :mod:`helpline.notify.alerts` (words in ``helpline/messages/en.yml``);
how it is sent (Twilio or the local outbox) and retried is
:mod:`helpline.notify.sender`.

Crisis alerts are capped (:mod:`helpline.safety.crisis_pages`): over the cap a
follow-up's alert is ``held`` instead of sent, and :func:`retry_pending` sends
one summary page for all held ones (:func:`send_crisis_summary`) once the
window has room.

``notify_staff`` blocks while it retries (up to ``max_attempts`` rounds with
exponential backoff); async callers should run it in a worker thread.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from helpline.notify import sender
from helpline.notify.alerts import (
    CALLBACK_ALERT,
    CRISIS_ALERT,
    KINDS,
    SUMMARY_KIND,
    AlertKind,
    compose_crisis_summary_sms,
)
from helpline.notify.sender import Notifier
from helpline.safety import crisis_pages
from helpline.settings import Settings
from helpline.store.models import utcnow

log = logging.getLogger(__name__)


@dataclass
class NotifyResult:
    record_id: int
    status: str  # the record's notification_status afterwards, or "failed" if it could not be updated
    attempts: int = 0  # send rounds made by this call
    delivered_to: List[str] = field(default_factory=list)
    error: Optional[str] = None
    skipped: bool = False  # already notified earlier; nothing sent
    kind: str = "callback"  # AlertKind.name: "callback" or "crisis", or SUMMARY_KIND
    covered: int = 0  # for SUMMARY_KIND: how many follow-ups the page reported (record_id is the page's id)

    @property
    def ok(self) -> bool:
        # "held" is the crisis page cap working as meant (the summary page reports
        # it), not a failure a cron job should report.
        return self.status in ("sent", "outbox", "held", "batched")

    @property
    def callback_id(self) -> Optional[int]:
        """The callback request's id; ``None`` for a crisis alert."""
        return self.record_id if self.kind == "callback" else None

    @property
    def label(self) -> str:
        """``callback 12`` / ``crisis follow-up 3`` / ``crisis summary (4 follow-ups)``, for logs and cron output."""
        if self.kind == SUMMARY_KIND:
            return f"crisis summary ({self.covered} follow-up{'' if self.covered == 1 else 's'})"
        return f"{KINDS[self.kind].label if self.kind in KINDS else self.kind} {self.record_id}"


def notify_staff(
    session_factory: sessionmaker,
    callback_id: int,
    settings: Settings,
    notifier: Optional[Notifier] = None,
    *,
    max_attempts: Optional[int] = None,
    base_delay: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> NotifyResult:
    """Alert every staff number about callback ``callback_id``; never raises.

    Each round sends to the recipients not yet reached; failed sends are retried
    after ``base_delay * 2**(round-1)`` seconds, up to ``max_attempts`` rounds
    (default ``settings.notify_max_attempts``). Permanent errors (e.g. an
    invalid number) are not retried. The record ends ``sent``/``outbox`` when
    every recipient got the alert, else ``failed`` with a short error.
    """
    return notify_record(
        CALLBACK_ALERT, session_factory, callback_id, settings, notifier,
        max_attempts=max_attempts, base_delay=base_delay, sleep=sleep,
    )


def notify_crisis(
    session_factory: sessionmaker,
    flag_id: int,
    settings: Settings,
    notifier: Optional[Notifier] = None,
    *,
    max_attempts: Optional[int] = None,
    base_delay: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> NotifyResult:
    """Alert every staff number about crisis follow-up ``flag_id``: as :func:`notify_staff`."""
    return notify_record(
        CRISIS_ALERT, session_factory, flag_id, settings, notifier,
        max_attempts=max_attempts, base_delay=base_delay, sleep=sleep,
    )


def notify_record(
    kind: AlertKind,
    session_factory: sessionmaker,
    record_id: int,
    settings: Settings,
    notifier: Optional[Notifier] = None,
    *,
    max_attempts: Optional[int] = None,
    base_delay: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> NotifyResult:
    """The shared loop behind :func:`notify_staff` and :func:`notify_crisis`; never raises."""
    try:
        return _notify(kind, session_factory, record_id, settings, notifier, max_attempts, base_delay, sleep)
    except Exception as exc:  # the record is stored; an alert problem must not break the conversation
        log.error("staff alert for %s id=%s failed: %s", kind.label, record_id, type(exc).__name__)
        return NotifyResult(record_id=record_id, status="failed", error=sender.error_summary(exc), kind=kind.name)


def _notify(
    kind: AlertKind,
    session_factory: sessionmaker,
    record_id: int,
    settings: Settings,
    notifier: Optional[Notifier],
    max_attempts: Optional[int],
    base_delay: float,
    sleep: Callable[[float], None],
) -> NotifyResult:
    model = kind.model
    with session_factory() as session:
        record = session.get(model, record_id)
    if record is None:
        return NotifyResult(record_id=record_id, status="failed", error=f"{kind.label} not found", kind=kind.name)
    if record.notification_status in ("sent", "outbox", "batched"):
        return NotifyResult(record_id=record_id, status=record.notification_status, skipped=True, kind=kind.name)
    alert_round = getattr(record, kind.round_column) if kind.round_column else None
    if kind.capped and not crisis_pages.take_page(session_factory, record_id, alert_round or 1, settings):
        # Over the cap: the follow-up is stored and in the queue; the summary page reports it.
        return NotifyResult(record_id=record_id, status="held", kind=kind.name)

    recipients, notifier = sender.recipients_and_notifier(settings, session_factory, kind.outbox_kind, notifier)

    already = set(record.notified_recipients or [])
    remaining = [r for r in recipients if r not in already]
    body = kind.compose(record, settings.console_base_url)
    callback_id = record.id if kind.links_callback else None
    rounds = max(1, max_attempts if max_attempts is not None else settings.notify_max_attempts)

    sent = sender.send_rounds(
        notifier, remaining, body, what=f"staff alert for {kind.label} {record.reference}",
        rounds=rounds, base_delay=base_delay, sleep=sleep, callback_id=callback_id,
    )
    delivered, last_error, attempts = sent.delivered, sent.last_error, sent.attempts

    reached = already | set(delivered)
    complete = all(r in reached for r in recipients)
    status = notifier.success_status if complete else "failed"
    with session_factory() as session, session.begin():
        # Locked, so a concurrent new alert round (see AlertKind.round_column) is
        # either seen here or starts after this write.
        stored = session.get(model, record_id, with_for_update=True)
        stored.notification_attempts = (stored.notification_attempts or 0) + attempts
        if kind.round_column and getattr(stored, kind.round_column) != alert_round:
            # Staff must be alerted afresh meanwhile; that round's sender records its own delivery.
            log.info("staff alert for %s %s: superseded by a new alert round", kind.label, record.reference)
            return NotifyResult(
                record_id=record_id, status=stored.notification_status, attempts=attempts,
                delivered_to=delivered, error=None if complete else last_error, kind=kind.name,
            )
        stored.notified_recipients = [r for r in recipients if r in reached] + sorted(already - set(recipients))
        stored.notification_status = status
        stored.last_notification_error = None if complete else last_error
        if complete:
            stored.notified_at = utcnow()
    log.info("staff alert for %s %s: %s after %d round(s)", kind.label, record.reference, status, attempts)
    return NotifyResult(
        record_id=record_id,
        status=status,
        attempts=attempts,
        delivered_to=delivered,
        error=None if complete else last_error,
        kind=kind.name,
    )


def retry_pending(
    session_factory: sessionmaker,
    settings: Settings,
    notifier: Optional[Notifier] = None,
    *,
    min_age_seconds: float = 60.0,
    max_total_attempts: int = 24,
    max_attempts: Optional[int] = None,
    base_delay: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> List[NotifyResult]:
    """Re-send alerts still ``pending`` or ``failed`` for records nobody has claimed yet.

    Crisis follow-ups first, then leads. Records younger than
    ``min_age_seconds`` are left alone: the conversation that stored them is
    probably still sending (for a crisis follow-up the age counts from the last
    crisis message, which may have started a new alert round). A record whose
    alerts failed ``max_total_attempts`` times is left ``failed`` (it still
    shows in the queue).

    First of all, crisis follow-ups held by the page cap get their summary page
    if the window has room (:func:`send_crisis_summary`).
    """
    cutoff = utcnow() - timedelta(seconds=min_age_seconds)
    results: List[NotifyResult] = []
    summary = send_crisis_summary(session_factory, settings, notifier)
    if summary is not None:
        results.append(summary)
    for kind in (CRISIS_ALERT, CALLBACK_ALERT):
        model = kind.model
        query = (
            select(model.id)
            .where(
                model.notification_status.in_(("pending", "failed")),
                model.status == "new",
                getattr(model, kind.retry_age_column) <= cutoff,
                model.notification_attempts < max_total_attempts,
            )
            .order_by(model.id)
        )
        with session_factory() as session:
            ids: Sequence[int] = list(session.execute(query).scalars())
        results.extend(
            notify_record(
                kind, session_factory, record_id, settings, notifier,
                max_attempts=max_attempts, base_delay=base_delay, sleep=sleep,
            )
            for record_id in ids
        )
    return results


def send_crisis_summary(
    session_factory: sessionmaker,
    settings: Settings,
    notifier: Optional[Notifier] = None,
    *,
    now: Optional[datetime] = None,
) -> Optional[NotifyResult]:
    """Send ONE page for every crisis follow-up held by the cap, once the window has room; never raises.

    ``None`` when nothing is held or the cap is still reached. One round: the
    every-minute job is the retry. When a staff number failed for a reason that
    may pass (network, Twilio 5xx/429), or nobody got it, the follow-ups are
    held again and the next run sends the page again (to every number: pages
    are not tracked per recipient); a number that can never work (invalid)
    does not hold them while another number got the page.
    """
    try:
        summary = crisis_pages.claim_summary(session_factory, settings, now=now)
    except Exception as exc:  # the database may be briefly away; the next run tries again
        log.error("crisis summary page: could not check held follow-ups: %s", type(exc).__name__)
        return None
    if summary is None:
        return None
    delivered: List[str] = []
    try:
        recipients, notifier = sender.recipients_and_notifier(settings, session_factory, SUMMARY_KIND, notifier)
        body = compose_crisis_summary_sms(summary.count, settings.console_base_url)
        sent = sender.send_rounds(notifier, recipients, body, what="crisis summary page")
        delivered, last_error = sent.delivered, sent.last_error
        status = notifier.success_status if len(delivered) == len(recipients) else "failed"
        # Nobody got it: whatever the reason, it must go out on a later run.
        retry = sent.retryable or not delivered
    except Exception as exc:  # e.g. Twilio settings unusable: try again next run
        last_error, retry, status = sender.error_summary(exc), True, "failed"
    try:
        if retry:
            crisis_pages.release_summary(session_factory, summary)
        else:
            crisis_pages.finish_summary(session_factory, summary)
    except Exception as exc:
        log.error("crisis summary page: could not record the outcome: %s", type(exc).__name__)
    log.info("crisis summary page for %d held follow-up(s): %s", summary.count, status)
    return NotifyResult(
        record_id=summary.page_id, status=status, attempts=1, delivered_to=delivered,
        error=last_error if status == "failed" else None, kind=SUMMARY_KIND, covered=summary.count,
    )

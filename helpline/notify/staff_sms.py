"""Tell on-call staff about a new lead or a crisis follow-up, after it is safely stored.

Order matters: :func:`helpline.queues.callbacks.store_callback` first, then
:func:`notify_staff`. A lead is never lost because SMS failed; a failed alert
stays ``failed`` on the record and :func:`retry_pending` (``helpline callbacks
retry-notifications``, run from cron or a timer) sends it later. Crisis
follow-ups (:mod:`helpline.queues.crisis_flags`) go the same way through
:func:`notify_crisis`; both record kinds share one send/retry/record loop,
described for each kind by an :class:`AlertKind`.

Staff SMS carry no health information and nothing that identifies the caller:
only the lead's reference, its urgency, the requested time window and a console
link; for a crisis only the reference, the word URGENT and a console link (never
the crisis category). Staff see the rest after signing in to the console.

Without Twilio credentials (or with no staff numbers configured) alerts are
written to the local outbox table instead (``helpline outbox list``).

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
from typing import Any, Callable, List, Optional, Protocol, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from helpline.safety import crisis_pages
from helpline.settings import Settings
from helpline.store.models import CallbackRequest, CrisisFlag, OutboxMessage, utcnow
from helpline.phone import mask_phone, normalize_phone

log = logging.getLogger(__name__)

ON_CALL = "on-call"  # outbox recipient when no staff numbers are configured
MAX_ERROR_CHARS = 200

# Every urgency must be here: .get() falls back to "routine", which would understate it.
URGENCY_TEXT = {"immediate": "IMMEDIATE", "urgent": "URGENT", "soon": "soon", "routine": "routine"}
TIME_WINDOW_TEXT = {
    "asap": "as soon as possible",
    "morning": "morning",
    "afternoon": "afternoon",
    "evening": "evening",
    "anytime": "any time",
}


class NotifyError(Exception):
    """One send failed. ``summary`` is safe to store (no message text, no numbers)."""

    def __init__(self, summary: str, *, retryable: bool) -> None:
        super().__init__(summary)
        self.summary = summary[:MAX_ERROR_CHARS]
        self.retryable = retryable


class Notifier(Protocol):
    # Value for the record's notification_status once every recipient got it.
    success_status: str

    def send(self, to: str, body: str, *, callback_id: Optional[int] = None) -> str:
        """Deliver ``body`` to ``to``; returns a provider id. Raises :class:`NotifyError`."""
        ...


class TwilioNotifier:
    """SMS through Twilio's REST API (``twilio.rest.Client``)."""

    success_status = "sent"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        http_client: Any = None,
        timeout: float = 10.0,
        api_base_url: str = "",
    ) -> None:
        from twilio.rest import Client

        # The default Twilio client has no timeout: a hung connection would hang the alert.
        http_client = http_client or _twilio_http_client(timeout, api_base_url)
        self._client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number = from_number

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> "TwilioNotifier":
        if not settings.twilio_enabled:
            raise ValueError("Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER)")
        kwargs.setdefault("timeout", settings.twilio_timeout_seconds)
        kwargs.setdefault("api_base_url", settings.twilio_api_base_url)
        return cls(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from_number, **kwargs)  # type: ignore[arg-type]

    def send(self, to: str, body: str, *, callback_id: Optional[int] = None) -> str:
        import requests
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = self._client.messages.create(to=to, from_=self.from_number, body=body)
        except TwilioRestException as exc:
            # 5xx and 429 are Twilio's or the network's trouble and pass; other 4xx
            # (bad number, bad credentials) will fail the same way every time.
            retryable = exc.status >= 500 or exc.status == 429
            raise NotifyError(f"twilio http {exc.status} code {exc.code}", retryable=retryable) from None
        except requests.RequestException as exc:
            raise NotifyError(f"twilio network error: {type(exc).__name__}", retryable=True) from None
        except TwilioException as exc:
            raise NotifyError(f"twilio error: {type(exc).__name__}", retryable=False) from None
        return str(message.sid)


def _twilio_http_client(timeout: float, api_base_url: str = "") -> Any:
    """Twilio's own HTTP client, optionally sending to ``api_base_url`` instead of Twilio's hosts.

    twilio 8.2 builds every URL from a fixed ``https://<product>.twilio.com``
    base (``twilio.base.domain.Domain``); swapping scheme and host just before
    the request keeps the path, the form body and the auth exactly as Twilio
    would get them, so a stand-in server sees the real traffic.
    """
    from urllib.parse import urlsplit, urlunsplit

    from twilio.http.http_client import TwilioHttpClient

    if not api_base_url:
        return TwilioHttpClient(timeout=timeout)
    base = urlsplit(api_base_url)

    class RebasedHttpClient(TwilioHttpClient):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            parts = urlsplit(url)
            path = base.path.rstrip("/") + parts.path
            return super().request(method, urlunsplit((base.scheme, base.netloc, path, parts.query, "")), *args, **kwargs)

    return RebasedHttpClient(timeout=timeout)


class OutboxNotifier:
    """Keeps the message in the ``outbox_messages`` table instead of sending it."""

    success_status = "outbox"

    def __init__(self, session_factory: sessionmaker, kind: str = "staff_alert") -> None:
        self._session_factory = session_factory
        self.kind = kind

    def send(self, to: str, body: str, *, callback_id: Optional[int] = None) -> str:
        with self._session_factory() as session, session.begin():
            message = OutboxMessage(to=to, body=body, callback_id=callback_id, kind=self.kind, created_at=utcnow())
            session.add(message)
            session.flush()
            return f"outbox-{message.id}"


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


def compose_staff_sms(record: CallbackRequest, console_base_url: str) -> str:
    """The staff alert: reference, urgency, time window and console link, nothing else.

    Built only from fixed vocabularies and the reference, so no caller text
    (name, phone, substances, symptoms) can reach an SMS even by mistake.
    """
    urgency = URGENCY_TEXT.get(record.urgency, "routine")
    window = TIME_WINDOW_TEXT.get(record.best_time or "", "not given")
    link = f"{console_base_url.rstrip('/')}/callbacks/{record.id}"
    return f"New helpline callback {record.reference}. Urgency: {urgency}. Best time: {window}. Open: {link}"


def compose_crisis_sms(record: CrisisFlag, console_base_url: str) -> str:
    """The crisis alert: fixed words, the reference and a console link, nothing else.

    Deliberately not the category (suicide, overdose, ...), the severity's
    details, any message text or the channel: minimum necessary (42 CFR Part 2).
    A repeat alert for the same flag (severity rose) says "(update)" so staff do
    not take it for a duplicate.
    """
    link = f"{console_base_url.rstrip('/')}/crises/{record.id}"
    update = " (update)" if (record.alert_round or 1) > 1 else ""
    return f"URGENT helpline crisis follow-up {record.reference}{update}. Open: {link}"


SUMMARY_KIND = "crisis_summary"  # NotifyResult.kind and OutboxMessage.kind of a summary page


def compose_crisis_summary_sms(count: int, console_base_url: str) -> str:
    """The summary page for crisis follow-ups held by the cap: their number and the queue's link, nothing else.

    No reference either: one page stands for many follow-ups, and staff open
    the queue, which lists every one of them, most pressing first.
    """
    link = f"{console_base_url.rstrip('/')}/crises"
    noun = "follow-up" if count == 1 else "follow-ups"
    return f"URGENT helpline: {count} more crisis {noun} waiting (too many at once to page one by one). Open: {link}"


@dataclass(frozen=True)
class AlertKind:
    """What the shared send/retry/record loop needs to know about one kind of record.

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


def staff_recipients(settings: Settings) -> List[str]:
    """Configured staff numbers in E.164; unusable entries are skipped (and logged, masked)."""
    recipients: List[str] = []
    for raw in settings.staff_sms_to:
        number = normalize_phone(raw)
        if number is None:
            log.warning("ignoring staff number %s: not a valid phone number", mask_phone(raw))
        elif number not in recipients:
            recipients.append(number)
    return recipients


def _error_summary(exc: BaseException) -> str:
    if isinstance(exc, NotifyError):
        return exc.summary
    return type(exc).__name__[:MAX_ERROR_CHARS]


def _recipients_and_notifier(
    settings: Settings, session_factory: sessionmaker, outbox_kind: str, notifier: Optional[Notifier]
) -> Tuple[List[str], Notifier]:
    """Who gets an alert and how: Twilio when configured, else the outbox (addressed to on-call without numbers)."""
    recipients = staff_recipients(settings)
    if not recipients:
        return [ON_CALL], OutboxNotifier(session_factory, outbox_kind)
    if notifier is None:
        notifier = (
            TwilioNotifier.from_settings(settings)
            if settings.twilio_enabled
            else OutboxNotifier(session_factory, outbox_kind)
        )
    return recipients, notifier


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
        return NotifyResult(record_id=record_id, status="failed", error=_error_summary(exc), kind=kind.name)


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

    recipients, notifier = _recipients_and_notifier(settings, session_factory, kind.outbox_kind, notifier)

    already = set(record.notified_recipients or [])
    remaining = [r for r in recipients if r not in already]
    body = kind.compose(record, settings.console_base_url)
    callback_id = record.id if kind.links_callback else None
    rounds = max(1, max_attempts if max_attempts is not None else settings.notify_max_attempts)

    delivered: List[str] = []
    last_error: Optional[str] = None
    attempts = 0
    while remaining and attempts < rounds:
        if attempts:
            sleep(base_delay * 2 ** (attempts - 1))
        attempts += 1
        retry: List[str] = []
        for to in remaining:
            try:
                notifier.send(to, body, callback_id=callback_id)
            except NotifyError as exc:
                last_error = exc.summary
                log.warning(
                    "staff alert for %s %s to %s failed: %s", kind.label, record.reference, mask_phone(to) or to, exc.summary
                )
                if exc.retryable:
                    retry.append(to)
            except Exception as exc:  # a notifier bug or an unexpected library error: retry like a network error
                last_error = _error_summary(exc)
                log.warning("staff alert for %s %s failed: %s", kind.label, record.reference, last_error)
                retry.append(to)
            else:
                delivered.append(to)
        remaining = retry

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
    last_error: Optional[str] = None
    retry = False
    try:
        recipients, notifier = _recipients_and_notifier(settings, session_factory, SUMMARY_KIND, notifier)
        body = compose_crisis_summary_sms(summary.count, settings.console_base_url)
        for to in recipients:
            try:
                notifier.send(to, body)
            except NotifyError as exc:
                last_error, retry = exc.summary, retry or exc.retryable
                log.warning("crisis summary page to %s failed: %s", mask_phone(to) or to, exc.summary)
            except Exception as exc:
                last_error, retry = _error_summary(exc), True
                log.warning("crisis summary page failed: %s", last_error)
            else:
                delivered.append(to)
        status = notifier.success_status if len(delivered) == len(recipients) else "failed"
        # Nobody got it: whatever the reason, it must go out on a later run.
        retry = retry or not delivered
    except Exception as exc:  # e.g. Twilio settings unusable: try again next run
        last_error, retry, status = _error_summary(exc), True, "failed"
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

"""The signed outbound webhook: a lead's CRM or EHR hears "lead.created" and "lead.updated".

Configured per facility, off by default: facility.yml ``integrations.webhook``
(``enabled``, ``url``, ``max_attempts``; :mod:`helpline.admissions`). The signing
key is ``HELPLINE_WEBHOOK_SECRET`` (never in the facility file). An enabled
webhook without a key sends nothing, never an unsigned request: its deliveries
wait, and the every-minute job says why on stderr.

Outbox, not a call from the request path
    :func:`enqueue` adds a :class:`~helpline.store.models.WebhookDelivery` row in the
    caller's transaction, so a lead change and the delivery it owes commit (or roll
    back) together, and a slow receiver never slows a conversation or a staff click.
    The bot's changes (:mod:`helpline.queues.callbacks`) call it; staff changes call
    :func:`lead_updated`, which has the ``on_change(session, record)`` shape of
    :class:`helpline.queues.staff_queue.StaffQueue`. Disabled, :func:`enqueue` does
    nothing (no query). The table holds ids, events and times only, no PHI.

Coalescing
    The payload is built when the delivery is sent, from the lead as it is then. So
    an update finds a pending delivery of the same lead that has not been tried yet
    (``attempts = 0``) and is already covered by it: nothing is added. Such a row may
    be a "lead.created", which keeps its event: "created" is never lost. A delivery
    that has been tried once may be on the wire right now with an older payload, so
    an update after that gets its own row. The absorbing UPDATE locks that row, and
    the job claims a row with a conditional UPDATE before it reads the lead, so the
    two cannot interleave into a lost update (on PostgreSQL too). A lead's
    deliveries go out in order: one waits while an older one of the same lead is
    pending, so a receiver never hears "updated" before "created" of a lead (unless
    "created" went dead: receivers should upsert by the lead's ``id`` or ``reference``).

Payload, headers, signature
    ``POST <url>`` with JSON ``{"id": <delivery id>, "event", "occurred_at", "lead"}``:
    ``id`` is the same on every retry (receivers deduplicate by it), ``occurred_at``
    is when the delivery was queued (UTC ISO 8601), ``lead`` is the lead's JSON view
    (``helpline.queues.callbacks.LEADS.to_dict``) with name and phone, so the
    receiving system need not re-type them. That is a disclosure of PHI to the
    provider's own system, which is why the webhook is off until the facility turns
    it on, and why each delivery is recorded in the audit trail. Headers:
    ``Helpline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<raw body>")>``,
    ``Helpline-Event``, ``Helpline-Delivery``. Key rotation: HELPLINE_WEBHOOK_SECRET
    may list keys comma-separated; each gives one ``v1=``, and a receiver accepts a
    request when any ``v1`` matches its key (:func:`verify`, for receivers and tests:
    constant-time, and stale timestamps are refused). ``t`` is the wall clock at
    sending, whatever test clock drives the schedule.

Delivery (:func:`deliver_due`, every minute from :mod:`helpline.ops.minutely`)
    A 2xx answer is delivered. Any other status (redirects are not followed: the
    lead goes to the configured URL or nowhere) or a network error is retried after
    1, 2, 4, 8... minutes (capped at 1 hour, plus up to 10 % jitter so that many
    failed rows do not come back at once), and dead after ``max_attempts`` tries;
    ``helpline webhooks retry`` queues a dead one again. Two job runners may overlap:
    each row is claimed by a conditional UPDATE (pending, due) that also moves its
    ``next_attempt_at`` a lease (5 min) ahead, so only one runner sends it, and a
    runner that dies mid-send leaves it to be retried after the lease. Sending is at
    least once: a receiver that answered but whose answer was lost sees the same
    ``id`` again. A run sends at most 50 deliveries and stops after 3 failures in a
    row (the receiver is down: the rest keep their attempts for the next minute).
    Each timeout is 10 s. A delivery whose lead was purged ends ``gone`` (nothing sent).

Audit and logs
    Each delivery that leaves is recorded (``webhook_sent``, record type ``callback``,
    the lead's reference, ``detail`` "delivery=<id> event=<event> status=<code>"), as
    is each one given up (``webhook_dead``), in the same transaction as its status;
    actor ``system``, source ``job`` (``cli`` from ``helpline webhooks deliver``).
    Logs and output carry ids, status codes, error classes and counts only, never the
    payload, the response body or the key.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Union

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from helpline.admissions import AdmissionsRules, WebhookConfig, load_rules
from helpline.security import audit
from helpline.store.models import WEBHOOK_EVENTS, CallbackRequest, WebhookDelivery, utcnow

if TYPE_CHECKING:
    from helpline.composition import AppContext

log = logging.getLogger(__name__)

LEAD_CREATED = "lead.created"
LEAD_UPDATED = "lead.updated"
SIGNATURE_HEADER = "Helpline-Signature"
EVENT_HEADER = "Helpline-Event"
DELIVERY_HEADER = "Helpline-Delivery"
SECRET_VARIABLE = "HELPLINE_WEBHOOK_SECRET"
TIMEOUT_SECONDS = 10.0
TOLERANCE_SECONDS = 300
BACKOFF_CAP = timedelta(hours=1)
JITTER = 0.1
# A claimed row waits this long before another runner may take it: longer than one send can last.
LEASE = timedelta(minutes=5)
MAX_PER_RUN = 50
STOP_AFTER_FAILURES = 3
SYSTEM_ACTOR = "system"
# A header longer than this is not ours (a few keys' worth of v1= fit easily).
MAX_HEADER_CHARS = 2048

Keys = Union[str, Sequence[str]]


# -- signing -----------------------------------------------------------------------------------

def signing_keys(secret: Optional[Keys]) -> Tuple[str, ...]:
    """The keys in HELPLINE_WEBHOOK_SECRET's value (comma-separated), or in a list of keys."""
    if secret is None:
        return ()
    items = secret.split(",") if isinstance(secret, str) else list(secret)
    return tuple(key.strip() for key in items if key and key.strip())


def _as_bytes(body: Union[bytes, str]) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _digest(key: str, timestamp: int, body: bytes) -> str:
    return hmac.new(key.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()


def sign(secret: Keys, body: Union[bytes, str], timestamp: int) -> str:
    """The ``Helpline-Signature`` value of ``body`` sent at ``timestamp`` (unix seconds): one ``v1=`` per key."""
    keys = signing_keys(secret)
    if not keys:
        raise ValueError("a webhook signature needs a key")
    raw = _as_bytes(body)
    t = int(timestamp)
    return ",".join([f"t={t}", *(f"v1={_digest(key, t, raw)}" for key in keys)])


def verify(
    secret: Keys, header: Optional[str], body: Union[bytes, str], *,
    tolerance_seconds: float = TOLERANCE_SECONDS, now: Union[None, float, datetime] = None,
) -> bool:
    """Whether ``header`` signs ``body`` with one of the keys, at a time within ``tolerance_seconds`` of ``now``.

    ``secret`` is the receiver's key, or a list of keys (comma-separated in a
    string too). ``now`` defaults to this machine's clock (unix seconds or an
    aware datetime). Refuses, rather than raises on, anything malformed.
    """
    keys = signing_keys(secret)
    if not keys or not header or len(header) > MAX_HEADER_CHARS:
        return False
    timestamps: List[str] = []
    signatures: List[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamps.append(value)
        elif name == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        return False
    t = int(timestamps[0])
    current = time.time() if now is None else now.timestamp() if isinstance(now, datetime) else float(now)
    if abs(current - t) > tolerance_seconds:
        return False
    raw = _as_bytes(body)
    expected = [_digest(key, t, raw).encode("ascii") for key in keys]
    matched = False
    for given in signatures:
        for digest in expected:
            # Every pair is compared, so the time taken says nothing about which one matched.
            matched |= hmac.compare_digest(given.encode("utf-8", "replace"), digest)
    return matched


# -- enqueueing (in the caller's transaction) ------------------------------------------------------

def _config(rules: Optional[AdmissionsRules]) -> WebhookConfig:
    if rules is not None:
        return rules.webhook
    try:
        return load_rules().webhook
    except Exception as exc:  # storing the lead matters more than telling a CRM about it
        log.warning("webhook: facility rules unreadable (%s); lead change not queued for the webhook",
                    type(exc).__name__)
        return WebhookConfig()


def enqueue(
    session: Session, lead: CallbackRequest, event: str, *, rules: Optional[AdmissionsRules] = None,
) -> Optional[WebhookDelivery]:
    """Queue ``event`` ("lead.created" or "lead.updated") of ``lead`` for the webhook, in ``session``'s transaction.

    Returns the new row, or None when the webhook is off or a pending delivery of
    the lead already covers the change. ``rules`` default to the configured
    facility file's. Never commits: the caller's commit sends the change and its
    delivery together.
    """
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"webhook event must be one of {WEBHOOK_EVENTS}")
    if not _config(rules).enabled:
        return None
    if lead.id is None:
        session.flush()  # the new lead's id
    if event == LEAD_UPDATED:
        absorbed = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.lead_id == lead.id, WebhookDelivery.status == "pending",
                   WebhookDelivery.attempts == 0)
            .values(event=WebhookDelivery.event)  # a no-op that locks the row against a claim until we commit
            .execution_options(synchronize_session=False)
        ).rowcount
        if absorbed:
            return None
    now = utcnow()
    delivery = WebhookDelivery(lead_id=lead.id, event=event, created_at=now, status="pending", attempts=0,
                               next_attempt_at=now)
    session.add(delivery)
    return delivery


def lead_updated(session: Session, lead: CallbackRequest) -> None:
    """``on_change`` / ``after_change`` hook of the staff queue: queue "lead.updated" in the change's transaction."""
    enqueue(session, lead, LEAD_UPDATED)


# -- delivering ------------------------------------------------------------------------------------

@dataclass
class DeliverySummary:
    """What one :func:`deliver_due` run did, in counts; ``refused`` says why it sent nothing."""

    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    gone: int = 0
    refused: Optional[str] = None

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.dead + self.gone

    def __str__(self) -> str:
        return f"delivered={self.delivered} retrying={self.retrying} dead={self.dead} gone={self.gone}"


@dataclass(frozen=True)
class _Claimed:
    id: int
    lead_id: int
    event: str
    attempts: int
    created_at: datetime


def backoff(attempts: int) -> timedelta:
    """How long a delivery waits after its ``attempts``-th failed try: 1, 2, 4... minutes, at most an hour, + jitter."""
    base = min(timedelta(minutes=2 ** min(max(attempts, 1) - 1, 10)), BACKOFF_CAP)
    return base * (1 + random.uniform(0, JITTER))


def _due_ids(session_factory: sessionmaker, now: datetime, limit: int) -> List[int]:
    """Due pending deliveries, oldest due first, skipping any behind an older pending one of the same lead."""
    earlier = aliased(WebhookDelivery)
    older_pending = (
        select(earlier.id)
        .where(earlier.lead_id == WebhookDelivery.lead_id, earlier.status == "pending", earlier.id < WebhookDelivery.id)
        .exists()
    )
    query = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now, ~older_pending)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    with session_factory() as session:
        return list(session.execute(query).scalars())


def _claim(session_factory: sessionmaker, delivery_id: int, now: datetime) -> Optional[_Claimed]:
    """Take one due delivery for this runner (count the attempt, hold it a lease); None if another runner has it."""
    with session_factory() as session, session.begin():
        taken = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
                   WebhookDelivery.next_attempt_at <= now)
            .values(attempts=WebhookDelivery.attempts + 1, last_attempt_at=now, next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            return None
        row = session.execute(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)).scalar_one()
        return _Claimed(row.id, row.lead_id, row.event, row.attempts, row.created_at)


def payload(delivery_id: int, event: str, occurred_at: datetime, lead: CallbackRequest) -> bytes:
    """The request body: the lead as it is now, under the delivery's id and event."""
    from helpline.queues.callbacks import LEADS  # callbacks imports this module

    document = {
        "id": delivery_id,
        "event": event,
        "occurred_at": occurred_at.isoformat(timespec="seconds"),
        "lead": LEADS.to_dict(lead),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def _post(client: httpx.Client, url: str, body: bytes, headers: Any) -> Tuple[Optional[int], Optional[str]]:
    """``(status, error)``: error is None for a 2xx, else ``http_<status>`` or the exception's class."""
    try:
        # Streamed and never read: the receiver's body is not ours to log or keep.
        with client.stream("POST", url, content=body, headers=headers) as response:
            status = response.status_code
    except Exception as exc:  # network, TLS, timeout, a malformed URL: all mean "try again later"
        return None, type(exc).__name__[:64]
    return status, None if 200 <= status < 300 else f"http_{status}"


@dataclass(frozen=True)
class _Run:
    """What every try of one run shares."""

    session_factory: sessionmaker
    client: httpx.Client
    config: WebhookConfig
    keys: Tuple[str, ...]
    now: datetime
    actor: str
    source: str

    def finish(self, claimed: _Claimed, values: Dict[str, Any], *, reference: Optional[str] = None,
               action: Optional[str] = None, detail: str = "") -> None:
        """Record how a try ended, with its audit event in the same transaction; unless the lease was lost meanwhile."""
        with self.session_factory() as session, session.begin():
            changed = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == claimed.id, WebhookDelivery.status == "pending",
                       WebhookDelivery.attempts == claimed.attempts)
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed == 1 and action is not None:
                # In this transaction: audit.record would commit on its own.
                audit.add(session, actor=self.actor, action=action, record_type="callback",
                          reference=reference, detail=detail, source=self.source, at=self.now)

    def send(self, claimed: _Claimed) -> str:
        """One try of one claimed delivery; its new status ("delivered", "pending" to retry, "dead", "gone")."""
        with self.session_factory() as session:
            lead = session.get(CallbackRequest, claimed.lead_id)
            reference = None if lead is None else lead.reference
            body = None if lead is None else payload(claimed.id, claimed.event, claimed.created_at, lead)
        if body is None:
            self.finish(claimed, {"status": "gone", "next_attempt_at": None})
            return "gone"
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "helpline-webhook/1",
            SIGNATURE_HEADER: sign(self.keys, body, int(time.time())),
            EVENT_HEADER: claimed.event,
            DELIVERY_HEADER: str(claimed.id),
        }
        assert self.config.url is not None  # deliver_due sends nothing without one
        status, error = _post(self.client, self.config.url, body, headers)
        if error is None:
            self.finish(claimed, {"status": "delivered", "delivered_at": self.now, "next_attempt_at": None,
                                  "last_error": None},
                        reference=reference, action="webhook_sent",
                        detail=f"delivery={claimed.id} event={claimed.event} status={status}")
            return "delivered"
        if claimed.attempts >= self.config.max_attempts:
            self.finish(claimed, {"status": "dead", "next_attempt_at": None, "last_error": error},
                        reference=reference, action="webhook_dead",
                        detail=f"delivery={claimed.id} attempts={claimed.attempts} error={error}")
            return "dead"
        self.finish(claimed, {"next_attempt_at": self.now + backoff(claimed.attempts), "last_error": error})
        return "pending"


def deliver_due(
    session_factory: sessionmaker,
    *,
    rules: AdmissionsRules,
    secret: Optional[Keys],
    now: Optional[datetime] = None,
    client: Optional[httpx.Client] = None,
    limit: int = MAX_PER_RUN,
    actor: str = SYSTEM_ACTOR,
    source: str = "job",
) -> DeliverySummary:
    """Send the deliveries due at ``now`` (default: the clock) to the facility's webhook; counts of what happened.

    Does nothing when the webhook is off; refuses (``summary.refused``, nothing
    sent, deliveries kept pending) without a key. ``client`` is an
    ``httpx.Client`` to send with (default: one with a 10 s timeout).
    """
    summary = DeliverySummary()
    config = rules.webhook
    if not config.enabled or not config.url:
        return summary
    keys = signing_keys(secret)
    if not keys:
        summary.refused = f"{SECRET_VARIABLE} is not set: nothing is sent (never unsigned); deliveries wait"
        return summary
    now = now or utcnow()
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    try:
        run = _Run(session_factory, http, config, keys, now, actor, source)
        failures_in_a_row = 0
        for delivery_id in _due_ids(session_factory, now, limit):
            claimed = _claim(session_factory, delivery_id, now)
            if claimed is None:
                continue
            outcome = run.send(claimed)
            if outcome == "delivered":
                summary.delivered += 1
            elif outcome == "gone":
                summary.gone += 1
            elif outcome == "dead":
                summary.dead += 1
            else:
                summary.retrying += 1
            failures_in_a_row = failures_in_a_row + 1 if outcome in ("pending", "dead") else 0
            log.info("webhook delivery %s: %s (attempt %s)", claimed.id, outcome, claimed.attempts)
            if failures_in_a_row >= STOP_AFTER_FAILURES:
                break  # the receiver is down: the rest keep their attempts for the next run
    finally:
        if client is None:
            http.close()
    return summary


def run_job(context: AppContext, now: Optional[datetime] = None) -> None:
    """The every-minute job: send what is due; print counts, or one line on stderr when it may not send."""
    rules = load_rules(context.settings.facility_file)
    if not rules.webhook.enabled:
        return
    summary = deliver_due(context.sessions(), rules=rules, secret=context.settings.webhook_secret, now=now)
    if summary.refused:
        waiting = pending_count(context.sessions())
        print(f"[helpline] webhook: {summary.refused} ({waiting} waiting)", file=sys.stderr, flush=True)
    elif summary.attempted:
        print(f"[helpline] webhook deliveries: {summary}", flush=True)


# -- operator commands (helpline webhooks ...) ------------------------------------------------------

@dataclass(frozen=True)
class DeliveryView:
    """A delivery as the CLI lists it: ids, times and counts, and the lead's reference (None once it is gone)."""

    id: int
    lead_id: int
    reference: Optional[str]
    event: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: Optional[datetime]
    last_attempt_at: Optional[datetime]
    delivered_at: Optional[datetime]
    last_error: Optional[str]

    def to_dict(self) -> dict:
        def when(value: Optional[datetime]) -> Optional[str]:
            return value.isoformat(timespec="seconds") if value else None

        return {
            "id": self.id, "lead_id": self.lead_id, "reference": self.reference, "event": self.event,
            "status": self.status, "attempts": self.attempts, "created_at": when(self.created_at),
            "next_attempt_at": when(self.next_attempt_at), "last_attempt_at": when(self.last_attempt_at),
            "delivered_at": when(self.delivered_at), "last_error": self.last_error,
        }


def list_deliveries(session_factory: sessionmaker, *, status: Optional[str] = None, limit: int = 200
                    ) -> List[DeliveryView]:
    """Deliveries newest first (only ``status`` ones if given), with each lead's reference (no PHI column is read)."""
    query = (
        select(WebhookDelivery, CallbackRequest.reference)
        .outerjoin(CallbackRequest, CallbackRequest.id == WebhookDelivery.lead_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(max(1, limit))
    )
    if status:
        query = query.where(WebhookDelivery.status == status)
    with session_factory() as session:
        return [_view(row, reference) for row, reference in session.execute(query)]


def _view(row: WebhookDelivery, reference: Optional[str]) -> DeliveryView:
    return DeliveryView(row.id, row.lead_id, reference, row.event, row.status, row.attempts, row.created_at,
                        row.next_attempt_at, row.last_attempt_at, row.delivered_at, row.last_error)


class RetryError(ValueError):
    """A delivery that cannot be queued again; the message says why."""


def retry(
    session_factory: sessionmaker, *, delivery_id: Optional[int] = None, all_dead: bool = False,
    actor: str, source: str = "cli", now: Optional[datetime] = None,
) -> List[int]:
    """Queue dead deliveries again (one, or every dead one) with fresh attempts, each audited; their ids."""
    if (delivery_id is None) == (not all_dead):
        raise ValueError("give a delivery id or all_dead, not both")
    now = now or utcnow()
    query = select(WebhookDelivery, CallbackRequest.reference).outerjoin(
        CallbackRequest, CallbackRequest.id == WebhookDelivery.lead_id)
    query = query.where(WebhookDelivery.status == "dead") if all_dead else query.where(
        WebhookDelivery.id == delivery_id)
    retried: List[int] = []
    with session_factory() as session, session.begin():
        for row, reference in list(session.execute(query.with_for_update(of=WebhookDelivery))):
            if row.status != "dead":
                raise RetryError(f"webhook delivery {row.id} is {row.status}; only dead deliveries are retried")
            row.status, row.attempts, row.next_attempt_at, row.last_error = "pending", 0, now, None
            audit.add(session, actor=actor, action="webhook_retried", record_type="callback",
                      reference=reference, detail=f"delivery={row.id}", source=source, at=now)
            retried.append(row.id)
        if delivery_id is not None and not retried:
            raise RetryError(f"no webhook delivery {delivery_id}")
    return retried


def pending_count(session_factory: sessionmaker) -> int:
    """Deliveries waiting to be sent (for messages such as "nothing sent: no key")."""
    with session_factory() as session:
        return int(session.execute(
            select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.status == "pending")
        ).scalar_one())

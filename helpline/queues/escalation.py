"""Unclaimed work past its target: when it is due, how late it is, and re-alerting staff about it.

Every lead (by urgency) and crisis follow-up (``crisis``) has a target
minutes-to-claim in facility.yml (``admissions.claim_targets_minutes``, read by
:mod:`helpline.admissions`). A record is unclaimed while its status is ``new``;
its clock starts when it was stored, or when it was last reopened. For the
urgencies in ``admissions.office_hours_only`` the clock runs only while the
facility returns calls (``callbacks.hours``, else the office hours), so a
routine lead left at 2 a.m. with a 240-minute target is due at noon when the
office opens at 8. The console calls :func:`claim_due_at` and
:func:`minutes_overdue` to show overdue work first.

The every-minute job calls :func:`escalate_due`. Each further target's worth of
clock raises a record's ``escalation_level`` by one (level 1 at the target,
level 2 at twice it, ...), at most one level per record per run and at most
:data:`MAX_LEVEL` in all, for records stored or reopened in the last
:data:`LOOKBACK` (an abandoned queue must not page anyone forever). Each level
re-alerts the staff numbers ("Still unclaimed after 16 min: URGENT helpline
lead L-7Q2K9. Open: ..."); above ``admissions.escalation.after_realerts`` the
escalation contact (``HELPLINE_ESCALATION_SMS_TO``, else the facility file's
``admissions.escalation.contact``) gets "Escalation: ..." too, or, with no
contact set, the staff numbers get that wording instead. Like every staff SMS
these carry no PHI: the reference, a lead's urgency word, the minutes waited
and a console link (:func:`helpline.notify.alerts.compose_overdue_sms`).

Stored first, sent after. A level is taken by a conditional UPDATE (the level
read, and the record still ``new``), together with its audit event
(``escalated``, actor ``system``, source ``job``): of two job runners only one
wins a level, and only the winner sends. ``escalated_at`` then says the level
went out (or is going out); how a send ends decides what happens next:

* anyone got it: done. Numbers that failed are not sent it again (that would
  repeat it to those who got it: re-alerts are not tracked per number); the
  next level goes to everyone again.
* nobody got it, for a reason that may pass (network, Twilio 5xx/429):
  ``escalated_at`` goes back to NULL, and the next run re-sends that level
  (taken the same conditional way) before it considers the next one.
* nobody got it and no number can ever work (rejected numbers): done, logged.

So a delivered level is never sent twice; a process killed between taking a
level and sending it loses that one re-alert (the next level still comes).

Crisis follow-ups stay under the crisis page cap (:mod:`helpline.safety.crisis_pages`):
a run re-alerts at most as many of them as the cap's window still has room for,
and never those whose first alert the cap held back for the summary page (a
flood of them must not page staff one by one after all).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence, Tuple, Union

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import load_only, sessionmaker

from helpline.admissions import CRISIS_TARGET, AdmissionsRules
from helpline.facility import Facility
from helpline.intake.office_hours import open_intervals
from helpline.intake.screening import URGENCIES
from helpline.notify import sender
from helpline.notify.alerts import compose_overdue_sms
from helpline.notify.sender import Notifier
from helpline.safety import crisis_pages
from helpline.security import audit
from helpline.settings import Settings
from helpline.store.models import CallbackRequest, CrisisFlag, utcnow

if TYPE_CHECKING:
    from helpline.composition import AppContext

log = logging.getLogger(__name__)

# An urgent lead (15 min) is re-alerted at 15, 30, ... 90 minutes, then left to the queue's overdue list.
MAX_LEVEL = 6
# Records stored (or reopened) longer ago than this are not re-alerted: nobody is working that queue.
LOOKBACK = timedelta(days=7)
ACTOR = "system"
SOURCE = "job"
OUTBOX_KIND = "escalation"
# A crisis follow-up's first alert the page cap kept back (held, or reported by a summary page).
CAPPED_ALERTS = ("held", "batched")
# Office hours so sparse that a target is not reached within this many searches
# (each looks about nine days ahead) fall back to the plain clock.
_MAX_SEARCHES = 200

Record = Union[CallbackRequest, CrisisFlag]
# What the functions the console calls accept: a stored record or its JSON view.
RecordOrView = Union[Record, Mapping[str, Any]]


# -- the clock ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Clock:
    status: str
    start: datetime  # UTC
    target: str  # an urgency, or CRISIS_TARGET


def _as_utc(value: Union[datetime, str]) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _clock(record: RecordOrView) -> _Clock:
    if isinstance(record, Mapping):
        # The JSON view (times ISO 8601): a lead's has "urgency", a crisis follow-up's "severity".
        started = [_as_utc(record["created_at"])]
        if record.get("reopened_at"):
            started.append(_as_utc(record["reopened_at"]))
        target = str(record["urgency"]) if "urgency" in record else CRISIS_TARGET
        return _Clock(str(record["status"]), max(started), target)
    started = [_as_utc(record.created_at)]
    if record.reopened_at is not None:
        started.append(_as_utc(record.reopened_at))
    target = CRISIS_TARGET if isinstance(record, CrisisFlag) else str(record.urgency)
    return _Clock(str(record.status), max(started), target)


def _deadline(start: datetime, minutes: int, *, office_only: bool, facility: Facility) -> datetime:
    """When ``minutes`` of clock have run from ``start``: plain minutes, or only open callback hours."""
    hours = facility.callback_hours
    if not office_only or not hours:  # no set callback hours: nothing to wait for
        return start + timedelta(minutes=minutes)
    remaining = timedelta(minutes=minutes)
    cursor = start
    for _ in range(_MAX_SEARCHES):
        searched = False
        for opens, closes in open_intervals(cursor, hours, facility.timezone):
            # In UTC: arithmetic on local times would be off by an hour across a DST change.
            begin, end = max(opens.astimezone(timezone.utc), cursor), closes.astimezone(timezone.utc)
            if end - begin >= remaining:
                return begin + remaining
            remaining -= end - begin
            cursor, searched = end, True
        if not searched:
            break
    log.warning("callback hours too sparse to reach a %d-minute target; counting plain minutes", minutes)
    return start + timedelta(minutes=minutes)


def _level_due_at(clock: _Clock, level: int, rules: AdmissionsRules, facility: Facility) -> datetime:
    minutes = level * rules.target_minutes(clock.target)
    return _deadline(clock.start, minutes, office_only=clock.target in rules.office_hours_only, facility=facility)


def claim_due_at(record: RecordOrView, *, rules: AdmissionsRules, facility: Facility) -> Optional[datetime]:
    """When an unclaimed record (status ``new``) is due to be claimed, in UTC; None for any other status.

    ``record``: a CallbackRequest (its urgency's target), a CrisisFlag (the
    ``crisis`` target), or either one's JSON view (``StaffQueue.to_dict``).
    """
    clock = _clock(record)
    if clock.status != "new":
        return None
    return _level_due_at(clock, 1, rules, facility)


def minutes_overdue(record: RecordOrView, now: datetime, *, rules: AdmissionsRules, facility: Facility) -> int:
    """Whole minutes (rounded up) since an unclaimed record was due; 0 when it is not yet due or not ``new``.

    Plain minutes since the due time, office hours or not: a routine lead due
    at 3 p.m. on Friday is three days late on Monday. Any lateness counts as at
    least 1, so ``minutes_overdue(...) > 0`` is "overdue".
    """
    due = claim_due_at(record, rules=rules, facility=facility)
    late = (_as_utc(now) - due).total_seconds() if due is not None else 0.0
    return max(0, math.ceil(late / 60))


def _minutes_waited(clock: _Clock, now: datetime) -> int:
    return max(0, int((now - clock.start).total_seconds() // 60))


# -- who hears it --------------------------------------------------------------------------------

def escalation_contacts(settings: Settings, rules: AdmissionsRules) -> List[str]:
    """HELPLINE_ESCALATION_SMS_TO when set (unusable entries skipped and logged, masked), else the facility file's."""
    if not settings.escalation_sms_to:
        return list(rules.escalation_contacts)
    return sender.usable_numbers(settings.escalation_sms_to, "escalation")


@dataclass(frozen=True)
class _Message:
    recipients: Tuple[str, ...]
    body: str
    notifier: Notifier


def _messages(record: Record, level: int, minutes: int, settings: Settings, rules: AdmissionsRules,
              session_factory: sessionmaker, notifier: Optional[Notifier]) -> Tuple[List[_Message], bool]:
    """What one level sends to whom, and whether it is an escalation (above ``escalate_after_realerts``)."""
    escalating = level > rules.escalate_after_realerts
    outbox = sender.OutboxNotifier(session_factory, OUTBOX_KIND)
    if notifier is None:
        notifier = sender.TwilioNotifier.from_settings(settings) if settings.twilio_enabled else outbox
    realert = compose_overdue_sms(record, minutes, settings.console_base_url)
    escalation = compose_overdue_sms(record, minutes, settings.console_base_url, escalation=True)
    contacts = escalation_contacts(settings, rules) if escalating else []
    staff = [n for n in sender.staff_recipients(settings) if n not in contacts]
    # No contact set: the staff numbers hear the escalation itself.
    staff_body = escalation if escalating and not contacts else realert
    messages: List[_Message] = []
    if staff:
        messages.append(_Message(tuple(staff), staff_body, notifier))
    elif not sender.staff_recipients(settings):
        # As for first alerts: with no staff numbers the outbox keeps it for on-call.
        messages.append(_Message((sender.ON_CALL,), staff_body, outbox))
    if contacts:
        messages.append(_Message(tuple(contacts), escalation, notifier))
    return messages, escalating


# -- the job ----------------------------------------------------------------------------------------

@dataclass
class EscalationResult:
    """One level sent (or re-sent) for one record."""

    record_type: str  # "callback" or "crisis"
    record_id: int
    reference: str
    level: int
    minutes: int  # minutes waited, as the SMS says
    escalated: bool  # the escalation wording went out (above after_realerts)
    # "sent" / "outbox": everyone got it; "partial": someone did (not re-sent);
    # "retry": nobody did, the next run sends it again; "failed": nobody did and no number can work.
    status: str
    resent: bool = False  # this run re-sent a level an earlier run could not deliver
    delivered_to: List[str] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def label(self) -> str:
        """``callback L-7Q2K9 level 2``: for logs and the job's output (no PHI)."""
        return f"{self.record_type} {self.reference} level {self.level}"


class _Lost(Exception):
    """Another runner took this level first (or the record was claimed meanwhile)."""


@dataclass(frozen=True)
class _Kind:
    model: Any
    record_type: str


CRISIS = _Kind(CrisisFlag, "crisis")
CALLBACK = _Kind(CallbackRequest, "callback")
_CLOCK_COLUMNS = ("id", "reference", "status", "created_at", "reopened_at", "escalation_level", "escalated_at")


def _same(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


def _candidates(session_factory: sessionmaker, kind: _Kind, now: datetime) -> List[Record]:
    """Unclaimed records of the look-back window with a level still to take or to re-send; the most pressing first."""
    model = kind.model
    cutoff = now - LOOKBACK
    conditions = [
        model.status == "new",
        or_(model.created_at >= cutoff, model.reopened_at >= cutoff),
        or_(model.escalation_level < MAX_LEVEL, and_(model.escalation_level > 0, model.escalated_at.is_(None))),
    ]
    columns = [getattr(model, name) for name in _CLOCK_COLUMNS]
    order: List[Any] = [model.created_at, model.id]
    if kind is CALLBACK:
        columns.append(model.urgency)
        order.insert(0, case({u: i for i, u in enumerate(reversed(URGENCIES))}, value=model.urgency, else_=99))
    else:
        conditions.append(model.notification_status.notin_(CAPPED_ALERTS))
    query = select(model).options(load_only(*columns)).where(*conditions).order_by(*order)
    with session_factory() as session:
        # Only these columns are loaded: the job never decrypts a caller's details.
        return list(session.execute(query).scalars())


def _take_level(session_factory: sessionmaker, kind: _Kind, record: Record, level: int, now: datetime,
                detail: str) -> None:
    """Move ``record`` to ``level`` if it is still as read, with its audit event; raises :class:`_Lost` if not."""
    model = kind.model
    with session_factory() as session, session.begin():
        taken = session.execute(
            update(model)
            .where(model.id == record.id, model.status == "new",
                   model.escalation_level == record.escalation_level,
                   _same(model.escalated_at, record.escalated_at), _same(model.reopened_at, record.reopened_at))
            # updated_at stays: a re-alert changes nothing about the record staff or an export see.
            .values(escalation_level=level, escalated_at=now, updated_at=model.updated_at)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            raise _Lost()
        audit.add(session, actor=ACTOR, action="escalated", record_type=kind.record_type,
                  reference=record.reference, source=SOURCE, detail=detail)


def _take_resend(session_factory: sessionmaker, kind: _Kind, record: Record, now: datetime) -> None:
    """Take a level whose earlier send reached nobody (``escalated_at`` NULL); raises :class:`_Lost` if gone."""
    model = kind.model
    with session_factory() as session, session.begin():
        taken = session.execute(
            update(model)
            .where(model.id == record.id, model.status == "new",
                   model.escalation_level == record.escalation_level, model.escalated_at.is_(None))
            .values(escalated_at=now, updated_at=model.updated_at)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            raise _Lost()


def _release(session_factory: sessionmaker, kind: _Kind, record_id: int, level: int, taken_at: datetime) -> None:
    """Nobody got the level: mark it unsent (``escalated_at`` NULL) for the next run."""
    model = kind.model
    with session_factory() as session, session.begin():
        session.execute(
            update(model)
            .where(model.id == record_id, model.escalation_level == level, model.escalated_at == taken_at)
            .values(escalated_at=None, updated_at=model.updated_at)
            .execution_options(synchronize_session=False)
        )


def _send(messages: Sequence[_Message], what: str, callback_id: Optional[int]) -> Tuple[str, List[str], Optional[str]]:
    """Send every message once (the job is the retry); the status, who got it, the last error."""
    delivered: List[str] = []
    retryable, last_error, total = False, None, 0
    for message in messages:
        total += len(message.recipients)
        sent = sender.send_rounds(message.notifier, message.recipients, message.body, what=what, callback_id=callback_id)
        delivered += sent.delivered
        retryable = retryable or sent.retryable
        last_error = sent.last_error or last_error
    if len(delivered) == total:
        status = "sent" if any(m.notifier.success_status == "sent" for m in messages) else "outbox"
    elif delivered:
        status = "partial"
    else:
        status = "retry" if retryable else "failed"
    return status, delivered, last_error


def _escalate_one(session_factory: sessionmaker, settings: Settings, kind: _Kind, record: Record, now: datetime, *,
                  rules: AdmissionsRules, facility: Facility, notifier: Optional[Notifier]) -> Optional[EscalationResult]:
    clock = _clock(record)
    resend = record.escalation_level > 0 and record.escalated_at is None
    level = record.escalation_level if resend else record.escalation_level + 1
    if not resend and (level > MAX_LEVEL or now <= _level_due_at(clock, level, rules, facility)):
        return None
    minutes = _minutes_waited(clock, now)
    try:
        if resend:
            _take_resend(session_factory, kind, record, now)
        else:
            _take_level(session_factory, kind, record, level, now, f"level={level} minutes={minutes}")
    except _Lost:
        return None
    # The level is stored (and audited): from here on, a failure is recorded, never raised.
    try:
        messages, escalated = _messages(record, level, minutes, settings, rules, session_factory, notifier)
        status, delivered, error = _send(
            messages, f"escalation of {kind.record_type} {record.reference}",
            record.id if kind is CALLBACK else None,
        )
    except Exception as exc:  # e.g. Twilio settings unusable: send again next run
        escalated, status, delivered, error = level > rules.escalate_after_realerts, "retry", [], sender.error_summary(exc)
    if status == "retry":
        _release(session_factory, kind, record.id, level, now)
    log.info("escalation of %s %s level %d: %s", kind.record_type, record.reference, level, status)
    return EscalationResult(
        record_type=kind.record_type, record_id=record.id, reference=record.reference, level=level, minutes=minutes,
        escalated=escalated, status=status, resent=resend, delivered_to=delivered,
        error=None if status in ("sent", "outbox") else error,
    )


def escalate_due(
    session_factory: sessionmaker,
    settings: Settings,
    *,
    rules: AdmissionsRules,
    facility: Facility,
    now: Optional[datetime] = None,
    notifier: Optional[Notifier] = None,
) -> List[EscalationResult]:
    """Take and send the next level of every unclaimed record past it; see the module docstring.

    Crisis follow-ups first, then leads, most urgent first. ``now``: a test
    clock (default: the time now). ``notifier``: instead of Twilio (or the
    outbox, without Twilio) for the staff and contact numbers. A record whose
    level another runner took is skipped; one that fails is logged and the
    others still go.
    """
    now = _as_utc(now or utcnow())
    results: List[EscalationResult] = []
    for kind in (CRISIS, CALLBACK):
        room: Optional[int] = None
        if kind is CRISIS:
            room = settings.crisis_page_cap - crisis_pages.pages_in_window(session_factory, settings, now=now)
        for record in _candidates(session_factory, kind, now):
            if room is not None and room <= 0:
                log.info("crisis re-alerts wait: the crisis page cap's window is full")
                break
            try:
                result = _escalate_one(session_factory, settings, kind, record, now,
                                       rules=rules, facility=facility, notifier=notifier)
            except Exception as exc:  # the database briefly away: the next run tries again
                log.error("escalation of %s %s failed: %s", kind.record_type, record.reference, type(exc).__name__)
                continue
            if result is not None:
                results.append(result)
                if room is not None:
                    room -= 1
    return results


def run_job(context: AppContext, now: Optional[datetime] = None) -> List[EscalationResult]:
    """The every-minute job: the facility file's rules, the database the other jobs use, a line per level."""
    from helpline.admissions import parse_rules
    from helpline.store import db

    facility = context.facility()
    results = escalate_due(
        db.session_factory(context.database_url), context.settings,
        rules=parse_rules(facility.raw), facility=facility, now=now,
    )
    for result in results:
        print(f"[helpline] escalation for {result.label}: {result.status}", flush=True)
    return results

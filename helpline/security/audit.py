"""The audit trail: who looked at or changed which record, when, and from where.

Every staff read (``listed``, ``viewed``, and ``viewed_transcript`` for a
conversation's messages: :mod:`helpline.store.transcripts`) and change (``claimed``,
``closed``, ``purged``...) of caller records is recorded, from the CLI, the
console and the API alike, together with sign-ins. HIPAA asks for this (45 CFR 164.312(b)).

An event names a record by its reference (``L-7Q2K9``), and ``detail`` is
short fixed text such as ``count=3 status=new`` or ``outcome=enrolled``: no
names, phone numbers or answers ever go into this table, which is kept far
longer than the records themselves.

Reads are recorded *before* the data is shown, so a failing audit write means
nothing is shown. Claims and closes are recorded in the same database
transaction as the change (:func:`transition`), so there is never a change
without its event, nor an event for a change that did not happen.
"""
from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpline.settings import load_settings
from helpline.store.models import utcnow
from helpline.store.staff_models import MAX_DETAIL_CHARS, MAX_NAME_CHARS, AuditEvent

ACTIONS = (
    "viewed", "viewed_transcript", "listed", "claimed", "closed", "purged", "exported",
    "noted", "call_attempt", "assigned", "reopened",
    # The every-minute job re-alerted an unclaimed record past its claim target (helpline.queues.escalation).
    "escalated",
    "login", "login_failed", "login_throttled", "logout",
    "account_added", "account_disabled", "account_enabled", "password_reset", "role_changed",
    "throttle_cleared",
    # The outbound webhook (helpline.integrations.webhook): a lead sent, given up on, queued again.
    "webhook_sent", "webhook_dead", "webhook_retried",
)
# "job": the every-minute job of `helpline run` (actor "system").
SOURCES = ("cli", "console", "api", "job")
# The staff queues' records, then the other things staff act on.
ALL_RECORD_TYPES = ("callback", "crisis", "audit", "staff_account")
_TOKEN = re.compile(r"^[a-z_]{1,32}$")
_REFERENCE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
DEFAULT_LIMIT = 200
MAX_LIMIT = 5000


class AuditError(RuntimeError):
    """The event could not be recorded; whatever it was about must not go ahead."""


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    actor: str
    action: str
    record_type: Optional[str]
    reference: Optional[str]
    detail: Optional[str]
    source: str

    def to_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(timespec="seconds"),
            "actor": self.actor,
            "action": self.action,
            "record_type": self.record_type,
            "reference": self.reference,
            "detail": self.detail,
            "source": self.source,
        }


def cli_actor(by: Optional[str] = None, env: Optional[Mapping[str, str]] = None) -> str:
    """Who runs a CLI command: ``--by``, else ``HELPLINE_STAFF_NAME``, else the OS user."""
    for candidate in (by, load_settings(env).staff_name):
        if candidate and candidate.strip():
            return candidate.strip()[:MAX_NAME_CHARS]
    try:
        return getpass.getuser()[:MAX_NAME_CHARS]
    except Exception:  # no login name (a container with an unknown uid)
        return f"uid:{os.getuid()}"


def _event(
    *, actor: str, action: str, record_type: Optional[str], reference: Optional[str],
    detail: Optional[str], source: str, at: Optional[datetime] = None,
) -> AuditEvent:
    actor = (actor or "").strip()
    if not actor:
        raise ValueError("an audit event needs an actor")
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if source not in SOURCES:
        raise ValueError(f"audit source must be one of {SOURCES}")
    if record_type is not None and record_type not in ALL_RECORD_TYPES:
        raise ValueError(f"unknown audit record type {record_type!r}")
    if reference is not None and not _REFERENCE.match(str(reference)):
        # References are codes and account names; anything else may be caller text.
        raise ValueError("an audit reference must be a record reference or an account name")
    return AuditEvent(
        at=at or utcnow(),
        actor=actor[:MAX_NAME_CHARS],
        action=action,
        record_type=record_type,
        reference=None if reference is None else str(reference),
        detail=None if detail is None else str(detail)[:MAX_DETAIL_CHARS],
        source=source,
    )


def add(
    session: Session, *, actor: str, action: str, record_type: Optional[str], reference: Optional[str],
    source: str, detail: Optional[str] = None, at: Optional[datetime] = None,
) -> None:
    """Add one event to ``session``'s transaction: it commits (or rolls back) with the change it records."""
    session.add(_event(actor=actor, action=action, record_type=record_type, reference=reference, detail=detail,
                       source=source, at=at))


def record(
    session_factory: sessionmaker,
    *,
    actor: str,
    action: str,
    record_type: Optional[str] = None,
    reference: Optional[str] = None,
    detail: Optional[str] = None,
    source: str,
) -> Event:
    """Write one event in its own transaction; raises (never swallows) if that fails."""
    row = _event(actor=actor, action=action, record_type=record_type, reference=reference, detail=detail, source=source)
    with session_factory() as session, session.begin():
        session.add(row)
        session.flush()
        return _to_event(row)


def record_each(
    session_factory: sessionmaker,
    references: List[str],
    *,
    actor: str,
    action: str,
    record_type: str,
    detail: Optional[str] = None,
    source: str,
) -> int:
    """One event per reference, all in one transaction (a batch export); raises (never swallows) if that fails."""
    rows = [_event(actor=actor, action=action, record_type=record_type, reference=reference, detail=detail,
                   source=source) for reference in references]
    with session_factory() as session, session.begin():
        session.add_all(rows)
    return len(rows)


def transition(
    change: Callable[..., Any],
    session_factory: sessionmaker,
    record_id: Any,
    *args: Any,
    actor: str,
    action: str,
    record_type: str,
    source: str,
    detail: Optional[str] = None,
) -> Any:
    """Run ``change(factory, record_id, *args)`` (e.g. ``callbacks.LEADS.claim``) and its audit event as one transaction.

    ``change`` takes an ``on_change`` hook (:meth:`helpline.queues.staff_queue.StaffQueue.transition`)
    that runs inside its transaction once the change is made; the event is added
    there, so the two commit or roll back together.
    """
    _event(actor=actor, action=action, record_type=record_type, reference=None, detail=detail, source=source)  # validate early
    written: List[AuditEvent] = []

    def add_event(session: Session, changed: Any) -> None:
        row = _event(actor=actor, action=action, record_type=record_type, reference=changed.reference,
                     detail=detail, source=source)
        session.add(row)
        written.append(row)

    result = change(session_factory, record_id, *args, on_change=add_event)
    if not written:
        raise AuditError(f"the {action} of {record_type} {record_id} was not recorded in the audit trail")
    return result


_SINCE_FORMAT = "since must be like 24h, 7d, 30m or an ISO date such as 2026-12-01"
# Older than any audit entry can be, and well inside what every backend and
# datetime can hold; "since 1970-01-01" is how people ask for everything.
EARLIEST_SINCE = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_since(value: str, now: Optional[datetime] = None) -> datetime:
    """``24h``, ``7d``, ``30m``, or an ISO date/time (UTC unless it says otherwise).

    Raises :class:`ValueError` (a 400 in the console, one line in the CLI) for
    anything else, including a moment before :data:`EARLIEST_SINCE` or one no
    datetime holds (``99999999999d`` overflows a timedelta,
    ``9999-12-31T23:00-05:00`` a datetime).
    """
    value = (value or "").strip()
    if len(value) > 64:
        raise ValueError(_SINCE_FORMAT)
    relative = re.fullmatch(r"(\d+)\s*([mhd])", value)
    moment: Optional[datetime]
    try:
        if relative:
            amount, unit = int(relative.group(1)), relative.group(2)
            delta = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]
            moment = (now or utcnow()) - delta
        else:
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(_SINCE_FORMAT) from None
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except OverflowError:
        moment = None
    if moment is None or moment < EARLIEST_SINCE:
        raise ValueError(f"since is out of range: give a moment from {EARLIEST_SINCE.date().isoformat()} on")
    return moment


def list_events(
    session_factory: sessionmaker,
    *,
    since: Optional[datetime] = None,
    actor: Optional[str] = None,
    action: Optional[str] = None,
    record_type: Optional[str] = None,
    reference: Optional[str] = None,
    limit: Optional[int] = DEFAULT_LIMIT,
) -> List[Event]:
    """Events newest first, filtered by every argument given."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if actor:
        query = query.where(AuditEvent.actor == actor.strip())
    if action:
        query = query.where(AuditEvent.action == action)
    if record_type:
        query = query.where(AuditEvent.record_type == record_type)
    if reference:
        # Record references are upper case, account names lower: staff type either way.
        query = query.where(func.upper(AuditEvent.reference) == reference.strip().upper())
    if limit is not None:
        query = query.limit(max(1, min(int(limit), MAX_LIMIT)))
    with session_factory() as session:
        return [_to_event(row) for row in session.execute(query).scalars()]


def _to_event(row: AuditEvent) -> Event:
    return Event(row.id, row.at, row.actor, row.action, row.record_type, row.reference, row.detail, row.source)

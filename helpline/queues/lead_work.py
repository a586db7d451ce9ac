"""Working a record beyond claim and close: notes, call attempts, assigning, reopening.

Each change is one :meth:`StaffQueue.transition`: the record's row is updated
with a conditional UPDATE (so two people acting at once cannot both win), and in
the same transaction the note or attempt row and the audit event are written,
so there is never a change without its event nor an event without its change.

Call attempts: "reached" keeps the record open (staff then close it with how the
call ended: enrolled, referred...). "no_answer", "left_voicemail" and "busy" keep
it open until the facility's ``admissions.max_call_attempts`` unanswered calls
since it was last opened, then close it as ``no_answer``. "wrong_number" closes a
lead as ``wrong_number`` (a crisis follow-up as ``no_contact_info``): there is
nobody to call. Logging an attempt on a new record claims it for the caller,
since someone is now on it.

Reopening puts a closed record back in the queue as ``new`` with its clock
restarted (``reopened_at``) and its unanswered-call count reset; the attempts
before stay in its history.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from helpline.admissions import AdmissionsRules
from helpline.queues.staff_queue import MAX_STAFF_NAME_CHARS, OPEN_STATUSES, RecordId, StaffQueue
from helpline.security import audit
from helpline.store.models import ATTEMPT_OUTCOMES, CallAttempt, LeadNote, utcnow

MAX_NOTE_CHARS = 2000
UNANSWERED = ("no_answer", "left_voicemail", "busy")
# The outcome a record closes with when an attempt ends it, per queue.
_CLOSES_AS = {
    "callback": {"no_answer": "no_answer", "wrong_number": "wrong_number"},
    "crisis": {"no_answer": "no_answer", "wrong_number": "no_contact_info"},
}


@dataclass(frozen=True)
class Note:
    id: int
    at: datetime
    author: str
    body: str


@dataclass(frozen=True)
class Attempt:
    id: int
    at: datetime
    by: str
    outcome: str


def _staff_name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValueError(f"say who {what}")
    if len(name) > MAX_STAFF_NAME_CHARS:
        raise ValueError(f"name must be at most {MAX_STAFF_NAME_CHARS} characters")
    return name


def _event(session: Session, queue: StaffQueue[Any], record: Any, *, actor: str, action: str, source: str,
           detail: Optional[str] = None) -> None:
    audit.add(session, actor=actor, action=action, record_type=queue.record_type, reference=record.reference,
              detail=detail, source=source)


def add_note(session_factory: sessionmaker, queue: StaffQueue[Any], record_id: RecordId, body: str, *,
             author: str, source: str) -> Any:
    """Add a note to a record in any status (a closed lead may still get "called back, enrolled Monday")."""
    author = _staff_name(author, "is writing")
    body = (body or "").strip()
    if not body:
        raise ValueError("write the note first")
    if len(body) > MAX_NOTE_CHARS:
        raise ValueError(f"a note is at most {MAX_NOTE_CHARS} characters")

    def write(session: Session, record: Any) -> None:
        session.add(LeadNote(record_type=queue.record_type, record_id=record.id, author=author, body=body))
        # The note's length, never its words: the audit trail holds no PHI.
        _event(session, queue, record, actor=author, action="noted", source=source, detail=f"chars={len(body)}")

    return queue.transition(session_factory, record_id, allowed_from=queue.statuses, values={},
                            verb="add a note to", on_change=write)


def log_attempt(session_factory: sessionmaker, queue: StaffQueue[Any], record_id: RecordId, outcome: str, *,
                by: str, rules: AdmissionsRules, source: str) -> Any:
    """Record a call to an open record; may claim it (if new) and close it (see the module docstring)."""
    by = _staff_name(by, "called")
    if outcome not in ATTEMPT_OUTCOMES:
        raise ValueError(f"call outcome must be one of {', '.join(ATTEMPT_OUTCOMES)}")
    table: Any = queue.model
    now = utcnow()
    unanswered = outcome in UNANSWERED
    count_after = table.call_attempts + (1 if unanswered else 0)
    closes_as = _CLOSES_AS[queue.record_type]
    values: Dict[str, Any] = {
        "call_attempts": count_after,
        "first_attempt_at": func.coalesce(table.first_attempt_at, now),
        "status": case((table.status == "new", "claimed"), else_=table.status),
        "claimed_by": func.coalesce(table.claimed_by, by),
        "claimed_at": func.coalesce(table.claimed_at, now),
    }
    if outcome == "wrong_number":
        values.update(status="closed", outcome=closes_as["wrong_number"], closed_at=now)
    elif unanswered:
        # Decided in SQL from the row as it is, so two attempts logged at once count correctly.
        gives_up = count_after >= rules.max_call_attempts
        values.update(
            status=case((gives_up, "closed"), (table.status == "new", "claimed"), else_=table.status),
            outcome=case((gives_up, closes_as["no_answer"]), else_=table.outcome),
            closed_at=case((gives_up, now), else_=table.closed_at),
        )

    def write(session: Session, record: Any) -> None:
        session.add(CallAttempt(record_type=queue.record_type, record_id=record.id, at=now, by=by, outcome=outcome))
        session.flush()
        session.refresh(record)
        detail = f"outcome={outcome} attempt={_attempt_count(session, queue, record.id)}"
        if record.status == "closed":
            detail += f" closed={record.outcome}"
        _event(session, queue, record, actor=by, action="call_attempt", source=source, detail=detail)

    return queue.transition(session_factory, record_id, allowed_from=OPEN_STATUSES, values=values,
                            verb="log a call to", on_change=write)


def assign(session_factory: sessionmaker, queue: StaffQueue[Any], record_id: RecordId, to: str, *,
           by: str, known_staff: Optional[List[str]] = None, source: str) -> Any:
    """Give an open record to ``to`` (claiming it for them if new). ``known_staff``: the names it may go to."""
    by = _staff_name(by, "is assigning")
    to = _staff_name(to, "it goes to")
    if known_staff is not None and to not in known_staff:
        raise ValueError(f"{to} is not an active staff account")
    table: Any = queue.model
    now = utcnow()
    def write(session: Session, record: Any) -> None:
        previous = record.claimed_by  # as it was: the hook runs before the session sees the UPDATE
        detail = f"to={to}" + (f" from={previous}" if previous and previous != to else "")
        _event(session, queue, record, actor=by, action="assigned", source=source, detail=detail)

    return queue.transition(
        session_factory, record_id, allowed_from=OPEN_STATUSES,
        values={"status": "claimed", "claimed_by": to, "claimed_at": func.coalesce(table.claimed_at, now)},
        verb="assign", on_change=write,
    )


def reopen(session_factory: sessionmaker, queue: StaffQueue[Any], record_id: RecordId, *, by: str,
           source: str) -> Any:
    """Put a closed record back in the queue as new, its clock and unanswered calls started again."""
    by = _staff_name(by, "is reopening")
    def write(session: Session, record: Any) -> None:
        # record.outcome is still the closing outcome: the hook runs before the session sees the UPDATE.
        _event(session, queue, record, actor=by, action="reopened", source=source, detail=f"was={record.outcome}")

    return queue.transition(
        session_factory, record_id, allowed_from=("closed",),
        values={"status": "new", "claimed_by": None, "claimed_at": None, "closed_at": None, "outcome": None,
                "reopened_at": utcnow(), "call_attempts": 0, "escalation_level": 0, "escalated_at": None},
        verb="reopen", on_change=write,
    )


def _attempt_count(session: Session, queue: StaffQueue[Any], record_id: int) -> int:
    return int(session.execute(
        select(func.count(CallAttempt.id)).where(CallAttempt.record_type == queue.record_type,
                                                 CallAttempt.record_id == record_id)
    ).scalar_one())


def history(session_factory: sessionmaker, queue: StaffQueue[Any], record_id: int) -> Dict[str, list]:
    """A record's notes and call attempts, oldest first (the caller audits the view)."""
    with session_factory() as session:
        notes = session.execute(
            select(LeadNote).where(LeadNote.record_type == queue.record_type, LeadNote.record_id == record_id)
            .order_by(LeadNote.at, LeadNote.id)
        ).scalars()
        attempts = session.execute(
            select(CallAttempt).where(CallAttempt.record_type == queue.record_type, CallAttempt.record_id == record_id)
            .order_by(CallAttempt.at, CallAttempt.id)
        ).scalars()
        return {
            "notes": [Note(n.id, n.at, n.author, n.body) for n in notes],
            "attempts": [Attempt(a.id, a.at, a.by, a.outcome) for a in attempts],
        }

"""Crisis follow-ups: conversations in which crisis language was detected.

The bot answers a crisis message at once (988, 911, ...); this module makes
sure a person also follows up. :func:`flag_crisis` records the conversation in
the staff queue, :func:`helpline.notify.staff_sms.notify_crisis` pages on-call staff, and
staff :func:`claim` and :func:`close` the follow-up like a callback request.
:func:`helpline.safety.crisis_handoff.flag_and_alert` ties these together for the bot.

One open follow-up per conversation. While a flag is open (``new`` or
``claimed``), more crisis messages in the same conversation update it
(``last_seen_at``, ``occurrences``) rather than creating another one, and do
not page staff again, with two exceptions (see :class:`Flagged`):

* the severity rises from ``urgent`` to ``immediate``: the flag is raised, its
  category becomes the one of the escalating message (if that one names a
  category), and staff are alerted again (a new alert round, even if the flag
  is already claimed: the person working it may not be watching the
  conversation);
* the earlier alert has already ``failed`` for good: it is tried again now
  rather than waiting for the retry job.

Categories. ``category`` is what staff read first: the first specific category
(a flag opened as ``unspecified`` takes the first one a later message names),
or that of the message that raised the severity. A later message with another
specific category does not replace it, since the first is what staff may
already be acting on, but is not lost either: ``categories`` lists every
specific category seen, in order of first appearance, and the console and
``helpline crises show`` show them. A category change never pages anyone: the
staff SMS carries no category, and only a rise in severity (or a failed alert)
starts a new alert round.

A severity never goes down. Once a flag is closed, the next crisis message in
that conversation opens a new flag with a new reference.

Records hold no message text, name or phone number; logs name a flag by its
reference only, never by category or conversation.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Union

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from helpline.queues.callbacks import (
    MAX_STAFF_NAME_CHARS,
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    CallbackError,
    CallbackNotFound,
    InvalidTransition,
)
from helpline.queues import staff_queue
from helpline.store.models import (
    CRISIS_CATEGORIES,
    CRISIS_OUTCOMES,
    CRISIS_SEVERITIES,
    CRISIS_STATUSES,
    CrisisFlag,
    utcnow,
)

log = logging.getLogger(__name__)

REFERENCE_PREFIX = "C-"
UNSPECIFIED = "unspecified"
OPEN_STATUSES = ("new", "claimed")
MAX_CONVERSATION_ID_CHARS = 128
_ATTEMPTS = 5

FlagId = Union[int, str]


class CrisisFlagError(CallbackError):
    """Base class for crisis queue errors; the message is safe to show staff."""


class CrisisFlagNotFound(CrisisFlagError, CallbackNotFound):
    pass


class InvalidCrisisTransition(CrisisFlagError, InvalidTransition):
    pass


@dataclass(frozen=True)
class Flagged:
    """What :func:`flag_crisis` did. Unpacks as ``flag, created = flag_crisis(...)``.

    ``escalated``: an open flag's severity rose to ``immediate`` (a new alert
    round was started). ``needs_alert``: the caller should now run
    :func:`helpline.notify.staff_sms.notify_crisis` for ``flag.id``.
    """

    flag: CrisisFlag
    created: bool
    escalated: bool = False
    retry_alert: bool = False  # the previous alert failed; send it again now

    def __iter__(self) -> Iterator[Any]:
        return iter((self.flag, self.created))

    @property
    def needs_alert(self) -> bool:
        return self.created or self.escalated or self.retry_alert


def new_reference() -> str:
    """``C-`` and five characters from the callback alphabet (no 0/O, 1/I/L, U)."""
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _short(value: Optional[str], limit: int) -> Optional[str]:
    if value is None:
        return None
    value = str(value).strip()
    return value[:limit] if value else None


def _more_severe(a: str, b: str) -> bool:
    """``a`` is more severe than ``b``."""
    return CRISIS_SEVERITIES.index(a) < CRISIS_SEVERITIES.index(b)


def categories_of(record: CrisisFlag) -> List[str]:
    """The specific categories seen, first first; a flag made before revision 0008 has only its ``category``."""
    if record.categories is not None:
        return [c for c in record.categories if c in CRISIS_CATEGORIES and c != UNSPECIFIED]
    return [] if record.category == UNSPECIFIED else [record.category]


def _open_flag(session: Session, open_key: str) -> Optional[CrisisFlag]:
    return session.execute(
        select(CrisisFlag).where(CrisisFlag.open_key == open_key).with_for_update()
    ).scalar_one_or_none()


def flag_crisis(
    session_factory: sessionmaker,
    *,
    conversation_id: str,
    category: str,
    severity: str,
    channel: Optional[str] = None,
    now: Optional[datetime] = None,
) -> Flagged:
    """Flag ``conversation_id`` for follow-up, or update its open flag; see the module docstring.

    Returns a :class:`Flagged`, which unpacks as ``(flag, created)``. Raises
    ``ValueError`` for an empty conversation id or an unknown category or
    severity. Safe against two processes flagging the same conversation at
    once: the unique ``open_key`` lets only one insert win, the other updates.
    """
    conversation = _short(conversation_id, MAX_CONVERSATION_ID_CHARS)
    if not conversation:
        raise ValueError("conversation_id is required")
    if category not in CRISIS_CATEGORIES:
        raise ValueError(f"category must be one of {CRISIS_CATEGORIES}")
    if severity not in CRISIS_SEVERITIES:
        raise ValueError(f"severity must be one of {CRISIS_SEVERITIES}")
    now = now or utcnow()

    for _ in range(_ATTEMPTS):
        with session_factory() as session:
            try:
                with session.begin():
                    existing = _open_flag(session, conversation)
                    if existing is not None:
                        return _seen_again(session, existing, category, severity, now)
                    record = CrisisFlag(
                        reference=new_reference(),
                        conversation_id=conversation,
                        open_key=conversation,
                        category=category,
                        categories=[] if category == UNSPECIFIED else [category],
                        severity=severity,
                        source_channel=_short(channel, 32),
                        created_at=now,
                        updated_at=now,
                        last_seen_at=now,
                        occurrences=1,
                        status="new",
                        notification_status="pending",
                        notification_attempts=0,
                        notified_recipients=[],
                        alert_round=1,
                    )
                    session.add(record)
            except IntegrityError:
                # Lost a race: another process opened a flag for this conversation
                # (the next pass updates it) or, far less likely, the reference
                # collided (the next pass draws a new one).
                continue
        log.info("crisis follow-up %s opened (id=%s, severity=%s)", record.reference, record.id, record.severity)
        return Flagged(record, True)
    raise CrisisFlagError("could not record the crisis follow-up; try again")


def _seen_again(session: Session, record: CrisisFlag, category: str, severity: str, now: datetime) -> Flagged:
    """Another crisis message in a conversation with an open flag (inside the caller's transaction)."""
    escalated = _more_severe(severity, record.severity)
    record.occurrences = (record.occurrences or 0) + 1
    if record.last_seen_at is None or now > record.last_seen_at:
        record.last_seen_at = now
    record.updated_at = utcnow()
    seen = categories_of(record)
    specific = category != UNSPECIFIED
    new_category = specific and category not in seen
    if new_category:
        # A new list, not an in-place append: the JSON column saves what is assigned.
        record.categories = seen + [category]
    filled_in = specific and record.category == UNSPECIFIED
    replaced = escalated and specific and record.category != category
    if filled_in or replaced:
        record.category = category
    retry_alert = False
    if escalated:
        record.severity = severity
        # A new alert round: everyone is paged again, whatever the last round reached.
        record.alert_round = (record.alert_round or 1) + 1
        record.notification_status = "pending"
        record.notified_recipients = []
        record.last_notification_error = None
        record.notified_at = None
    elif record.notification_status == "failed" and record.status == "new":
        # The last alert gave up (a "pending" one may still be in flight) and
        # nobody has taken the follow-up: try again now.
        retry_alert = True
    session.flush()
    # Which category is never logged (nor the conversation): only that it changed.
    changes = [
        *(["severity raised to immediate"] if escalated else []),
        *(["category filled in"] if filled_in else ["category changed"] if replaced else []),
        *(["another category noted"] if new_category and not (filled_in or replaced) else []),
    ]
    log.info(
        "crisis follow-up %s seen again (%d times)%s",
        record.reference, record.occurrences, "".join(f", {c}" for c in changes),
    )
    return Flagged(record, False, escalated=escalated, retry_alert=retry_alert)


# -- the staff queue -------------------------------------------------------------------

def _order():  # type: ignore[no-untyped-def]
    status = case({s: i for i, s in enumerate(CRISIS_STATUSES)}, value=CrisisFlag.status, else_=99)
    severity = case({s: i for i, s in enumerate(CRISIS_SEVERITIES)}, value=CrisisFlag.severity, else_=99)
    return status, severity


def list_flags(
    session_factory: sessionmaker, status: Optional[str] = None, *, limit: Optional[int] = None
) -> List[CrisisFlag]:
    """The crisis queue in working order: new, claimed, closed; immediate first; oldest first."""
    if status is not None and status not in CRISIS_STATUSES:
        raise ValueError(f"status must be one of {CRISIS_STATUSES}")
    status_rank, severity_rank = _order()
    query = select(CrisisFlag).order_by(status_rank, severity_rank, CrisisFlag.created_at, CrisisFlag.id)
    if status is not None:
        query = query.where(CrisisFlag.status == status)
    if limit is not None:
        query = query.limit(limit)
    with session_factory() as session:
        return list(session.execute(query).scalars())


def count_open(session_factory: sessionmaker) -> int:
    """How many follow-ups are ``new`` or ``claimed``."""
    with session_factory() as session:
        return int(
            session.execute(select(func.count(CrisisFlag.id)).where(CrisisFlag.status.in_(OPEN_STATUSES))).scalar_one()
        )


def get(session_factory: sessionmaker, flag_id: FlagId) -> CrisisFlag:
    """The flag with this id or reference; raises :class:`CrisisFlagNotFound`."""
    with session_factory() as session:
        record = staff_queue.lookup(session, CrisisFlag, flag_id)
    if record is None:
        raise CrisisFlagNotFound(f"no crisis follow-up {flag_id}")
    return record


def _transition(session_factory: sessionmaker, flag_id: FlagId, **change: Any) -> CrisisFlag:
    return staff_queue.transition(
        session_factory, CrisisFlag, flag_id,
        noun="crisis follow-up", not_found=CrisisFlagNotFound, invalid=InvalidCrisisTransition, **change,
    )


def claim(
    session_factory: sessionmaker, flag_id: FlagId, by: str, *, on_change: Optional[staff_queue.OnChange] = None
) -> CrisisFlag:
    """Mark a ``new`` follow-up as being worked by ``by``; raises :class:`InvalidCrisisTransition` otherwise."""
    by = (by or "").strip()
    if not by:
        raise ValueError("say who is claiming it")
    if len(by) > MAX_STAFF_NAME_CHARS:
        raise ValueError(f"name must be at most {MAX_STAFF_NAME_CHARS} characters")
    return _transition(
        session_factory,
        flag_id,
        allowed_from=("new",),
        values={"status": "claimed", "claimed_by": by, "claimed_at": utcnow()},
        verb="claim",
        on_change=on_change,
    )


def close(
    session_factory: sessionmaker, flag_id: FlagId, outcome: str, *, on_change: Optional[staff_queue.OnChange] = None
) -> CrisisFlag:
    """Close a ``new`` or ``claimed`` follow-up with one of :data:`helpline.store.models.CRISIS_OUTCOMES`.

    Frees the conversation: a later crisis message there opens a new follow-up.
    """
    if outcome not in CRISIS_OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(CRISIS_OUTCOMES)}")
    return _transition(
        session_factory,
        flag_id,
        allowed_from=OPEN_STATUSES,
        values={"status": "closed", "outcome": outcome, "closed_at": utcnow(), "open_key": None},
        verb="close",
        on_change=on_change,
    )


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat(timespec="seconds") if value else None


def to_dict(record: CrisisFlag) -> Dict[str, Any]:
    """JSON-ready view for the CLI and the staff console (times ISO 8601, UTC)."""
    return {
        "id": record.id,
        "reference": record.reference,
        "status": record.status,
        "severity": record.severity,
        "category": record.category,
        "categories": categories_of(record),
        "conversation_id": record.conversation_id,
        "source_channel": record.source_channel,
        "created_at": _iso(record.created_at),
        "updated_at": _iso(record.updated_at),
        "last_seen_at": _iso(record.last_seen_at),
        "occurrences": record.occurrences,
        "notification_status": record.notification_status,
        "notification_attempts": record.notification_attempts,
        "last_notification_error": record.last_notification_error,
        "notified_at": _iso(record.notified_at),
        "alert_round": record.alert_round,
        "claimed_by": record.claimed_by,
        "claimed_at": _iso(record.claimed_at),
        "closed_at": _iso(record.closed_at),
        "outcome": record.outcome,
    }

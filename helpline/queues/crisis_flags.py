"""Crisis follow-ups: conversations in which crisis language was detected.

The bot answers a crisis message at once (988, 911, ...); this module makes
sure a person also follows up. :func:`flag_crisis` records the conversation in
:data:`CRISES`, the staff queue of follow-ups; :func:`helpline.notify.staff_sms.notify_crisis`
pages on-call staff, and staff claim and close the follow-up like a callback request.
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

Language. A flag keeps the conversation's language (:func:`stored_language`:
"en" or "es"), taken again from every later crisis message, so staff follow up
in the language the person now speaks; a Spanish one's staff SMS says so. The
same vocabulary and display words serve the lead queue
(:mod:`helpline.queues.callbacks`), which imports them from here.

Records hold no message text, name or phone number; logs name a flag by its
reference only, never by category or conversation.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Union

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from helpline.language import ENGLISH
from helpline.queues import staff_queue
from helpline.queues.caller_language import LANGUAGE_COLUMN, language_name, language_row, stored_language
from helpline.queues.staff_queue import (
    CLI,
    CONSOLE,
    OUTCOME_ROW,
    STAFF_ALERT_ROWS,
    STATUS_ROW,
    WORK_FIELDS,
    Column,
    Field,
    Item,
    Row,
    StaffQueue,
    When,
)
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
MAX_CONVERSATION_ID_CHARS = 128
_ATTEMPTS = 5

FlagId = Union[int, str]


class CrisisFlagError(staff_queue.QueueError):
    """Base class for crisis queue errors; the message is safe to show staff."""


class CrisisFlagNotFound(CrisisFlagError, staff_queue.NotFound):
    pass


class InvalidCrisisTransition(CrisisFlagError, staff_queue.InvalidTransition):
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
    language: Optional[str] = None,
) -> Flagged:
    """Flag ``conversation_id`` for follow-up, or update its open flag; see the module docstring.

    ``language``: the conversation's (its ``language`` slot): stored on a new flag
    (None: English) and replacing an open flag's (None: left as it is).
    Returns a :class:`Flagged`, which unpacks as ``(flag, created)``. Raises
    ``ValueError`` for an empty conversation id or an unknown category,
    severity or language. Safe against two processes flagging the same conversation at
    once: the unique ``open_key`` lets only one insert win, the other updates.
    """
    conversation = _short(conversation_id, MAX_CONVERSATION_ID_CHARS)
    if not conversation:
        raise ValueError("conversation_id is required")
    if category not in CRISIS_CATEGORIES:
        raise ValueError(f"category must be one of {CRISIS_CATEGORIES}")
    if severity not in CRISIS_SEVERITIES:
        raise ValueError(f"severity must be one of {CRISIS_SEVERITIES}")
    spoken = None if language is None else stored_language(language)
    now = now or utcnow()

    for _ in range(_ATTEMPTS):
        with session_factory() as session:
            try:
                with session.begin():
                    existing = _open_flag(session, conversation)
                    if existing is not None:
                        return _seen_again(session, existing, category, severity, spoken, now)
                    record = CrisisFlag(
                        reference=CRISES.new_reference(),
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
                        language=spoken or ENGLISH,  # not decided yet: the bot spoke English
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


def _seen_again(
    session: Session, record: CrisisFlag, category: str, severity: str, language: Optional[str], now: datetime
) -> Flagged:
    """Another crisis message in a conversation with an open flag (inside the caller's transaction)."""
    escalated = _more_severe(severity, record.severity)
    record.occurrences = (record.occurrences or 0) + 1
    # The language the person speaks now is the one to follow up in. Not a reason to page
    # again: the console shows it, and a new round (severity rose) says it.
    if language is not None:
        record.language = language
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

class CrisisQueue(StaffQueue[CrisisFlag]):
    """Closing a follow-up also frees its conversation: a later crisis message there opens a new follow-up."""

    def closing_values(self, outcome: str) -> Dict[str, Any]:
        return {**super().closing_values(outcome), "open_key": None}


def _category(item: Item, when: When) -> str:
    others = [c for c in item.get("categories") or [] if c != item["category"]]
    return item["category"] + (f" (also: {', '.join(others)})" if others else "")


def _last_seen(item: Item, when: When) -> str:
    return f"{when(item['last_seen_at'])} ({item['occurrences']} crisis message(s))"


CRISES = CrisisQueue(
    model=CrisisFlag,
    name="crises",
    record_type="crisis",
    noun="crisis follow-up",
    label="Crisis follow-up",
    reference_prefix=REFERENCE_PREFIX,
    statuses=CRISIS_STATUSES,
    outcomes=CRISIS_OUTCOMES,
    pressing=("severity", CRISIS_SEVERITIES),
    not_found=CrisisFlagNotFound,
    invalid=InvalidCrisisTransition,
    fields=(
        "id", "reference", "status", "severity", "category",
        Field("categories", categories_of),
        "conversation_id", "source_channel", "created_at", "updated_at", "last_seen_at", "occurrences",
        "notification_status", "notification_attempts", "last_notification_error", "notified_at", "alert_round",
        "claimed_by", "claimed_at", "closed_at", "outcome",
        "language", Field("language_name", language_name),
        *WORK_FIELDS,
    ),
    columns=(
        Column("status", "Status"),
        Column("severity", "Severity"),
        Column("category", "Category"),
        Column("created_at", "Created (UTC)"),
        Column("last_seen_at", "Last seen (UTC)"),
        Column("occurrences", "Times"),
        Column("source_channel", "Channel"),
        LANGUAGE_COLUMN,
        Column("notification_status", "Staff alert", "ALERT"),
        Column("claimed_by", "Claimed by"),
    ),
    rows=(
        STATUS_ROW,
        OUTCOME_ROW,
        Row("Severity", "severity"),
        Row("Category", _category),
        language_row("follow up in Spanish"),
        Row("Conversation", "conversation_id"),
        Row("Channel", "source_channel"),
        Row("Created", "created_at"),
        Row("Last seen", _last_seen, on=(CLI,)),
        Row("Last seen", "last_seen_at", on=(CONSOLE,)),
        Row("Crisis messages", "occurrences", on=(CONSOLE,)),
        *STAFF_ALERT_ROWS,
    ),
)

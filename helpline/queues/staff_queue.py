"""A staff queue: records the bot hands to people (callback leads, crisis
follow-ups), which staff list, open, claim and close from the CLI, the console
and the API.

:class:`StaffQueue` does what every queue does (working order, finding a record
as staff name it, claiming and closing so that two people acting at once cannot
both win, the JSON view) and holds the one declaration of what staff see of a
record: :class:`Field` (the JSON view: ``--json`` and the API), :class:`Column`
(the queue tables of ``helpline <queue> list``) and :class:`Row` (a record's page:
``helpline <queue> show``). The console's pages are made for acting on, from a
phone too, with codes in words and times in the facility's zone: they are
declared in :mod:`helpline.web.queue_view` from the same records.

The queues themselves are :data:`helpline.queues.callbacks.LEADS` and
:data:`helpline.queues.crisis_flags.CRISES`.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, Generic, List, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union, cast

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from helpline.store.models import utcnow

log = logging.getLogger(__name__)

Record = TypeVar("Record")
RecordId = Union[int, str]
MAX_RECORD_ID = 2 ** 31 - 1  # PostgreSQL's INTEGER, what the id columns are
# No 0/O, 1/I/L, U: a reference is read aloud over the phone and typed by staff.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 5
MAX_STAFF_NAME_CHARS = 64
OPEN_STATUSES = ("new", "claimed")
# Called inside the transition's transaction once the change is made (e.g. to
# add its audit event), so both commit or roll back together.
OnChange = Callable[[Session, Any], None]

# Where a column or row is shown.
CLI = "cli"
CONSOLE = "console"
EVERYWHERE = (CLI, CONSOLE)


class QueueError(Exception):
    """A queue action refused; the message is safe to show staff."""


class NotFound(QueueError):
    pass


class InvalidTransition(QueueError):
    pass


def new_reference(prefix: str) -> str:
    """``prefix`` and five characters staff can read aloud: ``L-7Q2K9``."""
    return prefix + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def is_time(key: str) -> bool:
    """Times are the keys ending in ``_at``: ISO 8601 (UTC) in JSON, each surface's own format on screen."""
    return key.endswith("_at")


def iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat(timespec="seconds") if value else None


# -- what staff see ------------------------------------------------------------------------

# The JSON view of a record, as the tables and pages read it.
Item = Dict[str, Any]
# How a surface writes an ISO time from the JSON view (``None`` when there is none).
When = Callable[[Optional[str]], Any]


@dataclass(frozen=True)
class Field:
    """One key of a record's JSON view.

    ``read`` makes the value from the stored record; by default it is the
    attribute named ``key``, as ISO 8601 text if it is a time.
    """

    key: str
    read: Optional[Callable[[Any], Any]] = None

    def value(self, record: Any) -> Any:
        if self.read is not None:
            return self.read(record)
        value = getattr(record, self.key)
        return iso(value) if is_time(self.key) else value


@dataclass(frozen=True)
class Column:
    """A column of a queue table, after the record's id and reference (which every table starts with)."""

    key: str  # the JSON key it shows
    heading: str  # "Level of care"
    short: str = ""  # the terminal's narrower heading, in capitals; default: ``heading`` in capitals
    on: Tuple[str, ...] = EVERYWHERE

    @property
    def terminal_heading(self) -> str:
        return self.short or self.heading.upper()

    @property
    def is_time(self) -> bool:
        return is_time(self.key)


@dataclass(frozen=True)
class Row:
    """A line of a record's page: a label and a value made from the JSON view.

    ``value`` is a JSON key (a time is written by the surface's ``when``) or
    ``value(item, when)`` for a line that combines keys. The terminal folds
    related values into one line where the console gives each its own row, so
    some rows are ``on`` one surface only.
    """

    label: str
    value: Union[str, Callable[[Item, When], Any]]
    on: Tuple[str, ...] = EVERYWHERE

    def text(self, item: Item, when: When) -> Any:
        if callable(self.value):
            return self.value(item, when)
        return when(item[self.value]) if is_time(self.value) else item[self.value]

    @property
    def console_label(self) -> str:
        """The console says a time's zone in its label: "Created (UTC)"."""
        return f"{self.label} (UTC)" if isinstance(self.value, str) and is_time(self.value) else self.label


def _status(item: Item, when: When) -> str:
    return item["status"] + (f" by {item['claimed_by']}" if item.get("claimed_by") else "")


def _alert(item: Item, when: When) -> str:
    error = item["last_notification_error"]
    return f"{item['notification_status']} ({item['notification_attempts']} round(s))" + (f": {error}" if error else "")


# What working a record adds to every queue's JSON view (revision 0013, helpline.queues.lead_work).
WORK_FIELDS = ("call_attempts", "first_attempt_at", "reopened_at", "escalation_level", "escalated_at")

# Rows every queue's page has.
STATUS_ROW = Row("Status", _status)
OUTCOME_ROW = Row("Outcome", "outcome")
STAFF_ALERT_ROWS = (
    Row("Staff alert", _alert, on=(CLI,)),
    Row("Staff alert", "notification_status", on=(CONSOLE,)),
)


# -- the queue -------------------------------------------------------------------------------

class StaffQueue(Generic[Record]):
    """One queue of records staff work: ``new`` -> ``claimed`` (someone is on it) -> ``closed`` (with an outcome).

    ``new`` may also be closed directly (e.g. a duplicate). Every method takes
    a ``session_factory`` (``helpline.store.db.session_factory(url)``) so the
    action server, the CLI, the console and tests share it with their own
    database; records come back detached but fully loaded.
    """

    def __init__(
        self,
        *,
        model: Type[Record],
        name: str,
        record_type: str,
        noun: str,
        label: str,
        reference_prefix: str,
        statuses: Sequence[str],
        outcomes: Sequence[str],
        pressing: Tuple[str, Sequence[str]],
        not_found: Type[NotFound],
        invalid: Type[InvalidTransition],
        fields: Sequence[Union[str, Field]],
        columns: Sequence[Column],
        rows: Sequence[Row],
        behind: Optional[StaffQueue[Any]] = None,
        after_change: Optional[OnChange] = None,
    ) -> None:
        """
        ``name``: the CLI command group and the console's path ("callbacks");
        ``record_type``: its records in the audit trail ("callback");
        ``noun``: one record in messages ("callback request"); ``label``: one
        record on a terminal line ("Callback"). ``pressing``: the column that
        orders the queue after status, and its values most pressing first.
        ``behind``: a queue worked before this one; this one's list says how
        many of that one's records are open. ``after_change(session, record)``: runs
        in every transition's transaction after its own hook (a lead's outbound
        webhook is queued there, so no staff change can skip it).
        """
        self.model = model
        self.name = name
        self.record_type = record_type
        self.noun = noun
        self.label = label
        self.reference_prefix = reference_prefix
        self.statuses = tuple(statuses)
        self.outcomes = tuple(outcomes)
        self.pressing = pressing
        self.not_found = not_found
        self.invalid = invalid
        self.fields = tuple(f if isinstance(f, Field) else Field(f) for f in fields)
        self.columns = tuple(columns)
        self.rows = tuple(rows)
        self.behind = behind
        self.after_change = after_change

    def __repr__(self) -> str:
        return f"<StaffQueue {self.name}>"

    @property
    def title(self) -> str:
        """ "Callback requests"."""
        return f"{self.noun.capitalize()}s"

    @property
    def _table(self) -> Any:
        # The mapped class, for building queries (its columns are not visible to a type checker through Record).
        return self.model

    def new_reference(self) -> str:
        return new_reference(self.reference_prefix)

    # -- reading ------------------------------------------------------------------------------

    def list(self, session_factory: sessionmaker, status: Optional[str] = None, *,
             limit: Optional[int] = None) -> List[Record]:
        """The queue in working order: new before claimed before closed, most pressing first, oldest first."""
        if status is not None and status not in self.statuses:
            raise ValueError(f"status must be one of {self.statuses}")
        table = self._table
        pressing_column, pressing_order = self.pressing
        status_rank = case({s: i for i, s in enumerate(self.statuses)}, value=table.status, else_=99)
        pressing_rank = case({v: i for i, v in enumerate(pressing_order)},
                             value=getattr(table, pressing_column), else_=99)
        query = select(table).order_by(status_rank, pressing_rank, table.created_at, table.id)
        if status is not None:
            query = query.where(table.status == status)
        if limit is not None:
            query = query.limit(limit)
        with session_factory() as session:
            return list(session.execute(query).scalars())

    def search(
        self,
        session_factory: sessionmaker,
        *,
        statuses: Sequence[str],
        where: Optional[Mapping[str, Sequence[Any]]] = None,
        offset: int = 0,
        limit: Optional[int] = None,
    ) -> Tuple[List[Record], int]:
        """``(records, total)``: those in ``statuses`` whose columns hold one of the given values, in working
        order (closed ones most recently closed first), ``offset``/``limit`` applied after counting."""
        table = self._table
        conditions = [table.status.in_(tuple(statuses))]
        for column, values in (where or {}).items():
            conditions.append(getattr(table, column).in_(tuple(values)))
        pressing_column, pressing_order = self.pressing
        status_rank = case({s: i for i, s in enumerate(self.statuses)}, value=table.status, else_=99)
        pressing_rank = case({v: i for i, v in enumerate(pressing_order)},
                             value=getattr(table, pressing_column), else_=99)
        query = (select(table).where(*conditions)
                 .order_by(status_rank, pressing_rank, table.closed_at.desc(), table.created_at, table.id)
                 .offset(offset))
        if limit is not None:
            query = query.limit(limit)
        with session_factory() as session:
            total = int(session.execute(select(func.count(table.id)).where(*conditions)).scalar_one())
            return list(session.execute(query).scalars()), total

    def count_open(self, session_factory: sessionmaker) -> int:
        """How many records are ``new`` or ``claimed``."""
        table = self._table
        with session_factory() as session:
            return int(session.execute(
                select(func.count(table.id)).where(table.status.in_(OPEN_STATUSES))
            ).scalar_one())

    def lookup(self, session: Session, record_id: RecordId) -> Optional[Record]:
        """By numeric id, or by reference ("L-7Q2K9", "C-7Q2K9", any case) as staff read it from an SMS."""
        if isinstance(record_id, int) or str(record_id).strip().isdigit():
            number = int(record_id)
            # Ids are 32-bit. A bigger number typed into a URL is simply not found;
            # SQLite's driver would raise OverflowError (a 500) above 2**63.
            return session.get(self.model, number) if 0 < number <= MAX_RECORD_ID else None
        reference = str(record_id).strip().upper()
        return session.execute(
            select(self._table).where(self._table.reference == reference)
        ).scalar_one_or_none()

    def get(self, session_factory: sessionmaker, record_id: RecordId) -> Record:
        """The record with this id or reference; raises the queue's :class:`NotFound`."""
        with session_factory() as session:
            record = self.lookup(session, record_id)
        if record is None:
            raise self.not_found(f"no {self.noun} {record_id}")
        return record

    def to_dict(self, record: Record) -> Item:
        """The JSON view, for the CLI, the console and the API (times ISO 8601, UTC)."""
        return {field.key: field.value(record) for field in self.fields}

    def columns_on(self, surface: str) -> Tuple[Column, ...]:
        return tuple(c for c in self.columns if surface in c.on)

    def rows_on(self, surface: str) -> Tuple[Row, ...]:
        return tuple(r for r in self.rows if surface in r.on)

    # -- changing -----------------------------------------------------------------------------

    def claim(self, session_factory: sessionmaker, record_id: RecordId, by: str, *,
              on_change: Optional[OnChange] = None) -> Record:
        """Mark a ``new`` record as being worked by ``by``; raises the queue's :class:`InvalidTransition` otherwise."""
        by = (by or "").strip()
        if not by:
            raise ValueError("say who is claiming it")
        if len(by) > MAX_STAFF_NAME_CHARS:
            raise ValueError(f"name must be at most {MAX_STAFF_NAME_CHARS} characters")
        return self.transition(
            session_factory, record_id, allowed_from=("new",),
            values={"status": "claimed", "claimed_by": by, "claimed_at": utcnow()}, verb="claim", on_change=on_change,
        )

    def close(self, session_factory: sessionmaker, record_id: RecordId, outcome: str, *,
              on_change: Optional[OnChange] = None) -> Record:
        """Close a ``new`` or ``claimed`` record with one of the queue's outcomes."""
        if outcome not in self.outcomes:
            raise ValueError(f"outcome must be one of {', '.join(self.outcomes)}")
        return self.transition(
            session_factory, record_id, allowed_from=OPEN_STATUSES, values=self.closing_values(outcome),
            verb="close", on_change=on_change,
        )

    def closing_values(self, outcome: str) -> Dict[str, Any]:
        """What closing writes; a queue may add to it."""
        return {"status": "closed", "outcome": outcome, "closed_at": utcnow()}

    def transition(
        self,
        session_factory: sessionmaker,
        record_id: RecordId,
        *,
        allowed_from: Tuple[str, ...],
        values: Mapping[str, Any],
        verb: str,
        on_change: Optional[OnChange] = None,
    ) -> Record:
        """Apply ``values`` if the record's status is in ``allowed_from``; raise the queue's :class:`InvalidTransition` otherwise.

        ``on_change(session, record)`` runs in the same transaction after the change, then the
        queue's ``after_change``. The record they get still holds the values from before the
        change (the conditional UPDATE does not synchronise the session): what it was, for an
        audit detail; ``session.refresh(record)`` shows what it is now.
        """
        table = self._table
        with session_factory() as session:
            with session.begin():
                record: Any = self.lookup(session, record_id)
                if record is None:
                    raise self.not_found(f"no {self.noun} {record_id}")
                # A conditional UPDATE, so two staff claiming at once cannot both win.
                result = session.execute(
                    update(table)
                    .where(table.id == record.id, table.status.in_(allowed_from))
                    .values(**values, updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount != 1:
                    session.refresh(record)
                    detail = f" by {record.claimed_by}" if record.status == "claimed" and record.claimed_by else ""
                    raise self.invalid(
                        f"cannot {verb} {self.noun} {record.id} ({record.reference}): it is {record.status}{detail}"
                    )
                if on_change is not None:
                    on_change(session, record)
                if self.after_change is not None:
                    self.after_change(session, record)
            session.refresh(record)
        log.info("%s %s %s", self.noun, record.reference, record.status)
        return cast(Record, record)

"""What the console's queue and record pages show, made from stored records (no HTML here).

The pages are for acting: who is waiting and for how long, who is late (past
the facility's claim target, ``helpline.queues.escalation``), how to reach them.
Codes are written in words (:mod:`helpline.queues.labels`) and times in the
facility's time zone, the zone "best time: morning" means.

The open queue is short (the records someone still has to call), so it is
ordered here, late work first, then by urgency and age; closed records can be
many and are paged in SQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from helpline.admissions import AdmissionsRules
from helpline.facility import Facility
from helpline.language import LANGUAGES
from helpline.phone import mask_phone
from helpline.queues import escalation, labels
from helpline.queues.staff_queue import OPEN_STATUSES, StaffQueue
from helpline.store.models import CallbackRequest

PAGE_SIZE = 25
MAX_PAGE = 10_000
# Status filters: the working queue by default.
STATUS_FILTERS = ("open", "new", "claimed", "closed", "all")
CHANNELS: Dict[str, Tuple[str, ...]] = {"web": ("socketio", "rest"), "sms": ("sms",)}
CHANNEL_NAMES = {"web": "Web chat", "sms": "SMS"}


@dataclass(frozen=True)
class Filters:
    """A queue page's query: ``?status=open&urgency=urgent&channel=sms&language=es&mine=1&page=2``."""

    status: str = "open"
    pressing: Optional[str] = None  # urgency of a lead, severity of a crisis follow-up
    channel: Optional[str] = None
    language: Optional[str] = None
    mine: bool = False
    page: int = 1

    @classmethod
    def from_query(cls, query: Mapping[str, str], queue: StaffQueue[Any]) -> Filters:
        """Raises ValueError (a 400) for a value that is not one of the choices."""
        status = query.get("status") or "open"
        if status not in STATUS_FILTERS:
            raise ValueError(f"status must be one of {', '.join(STATUS_FILTERS)}")
        pressing_key, pressing_values = queue.pressing
        pressing = query.get(pressing_key) or None
        if pressing is not None and pressing not in pressing_values:
            raise ValueError(f"{pressing_key} must be one of {', '.join(pressing_values)}")
        channel = query.get("channel") or None
        if channel is not None and channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
        language = query.get("language") or None
        if language is not None and language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        mine = (query.get("mine") or "") in ("1", "true", "yes")
        page_text = query.get("page") or "1"
        if not page_text.isascii() or not page_text.isdigit() or not 1 <= int(page_text) <= MAX_PAGE:
            raise ValueError(f"page must be a whole number from 1 to {MAX_PAGE}")
        return cls(status, pressing, channel, language, mine, int(page_text))

    def statuses(self, queue: StaffQueue[Any]) -> Tuple[str, ...]:
        if self.status == "open":
            return OPEN_STATUSES
        if self.status == "all":
            return tuple(queue.statuses)
        return (self.status,)

    def where(self, queue: StaffQueue[Any], staff_name: str) -> Dict[str, Sequence[Any]]:
        where: Dict[str, Sequence[Any]] = {}
        if self.pressing:
            where[queue.pressing[0]] = (self.pressing,)
        if self.channel:
            where["source_channel"] = CHANNELS[self.channel]
        if self.language:
            where["language"] = (self.language,)
        if self.mine:
            where["claimed_by"] = (staff_name,)
        return where

    def audit_detail(self) -> str:
        parts = [f"status={self.status}"]
        for key, value in (("filter", self.pressing), ("channel", self.channel), ("language", self.language)):
            if value:
                parts.append(f"{key}={value}")
        if self.mine:
            parts.append("mine=1")
        return " ".join(parts)

    def href(self, queue: StaffQueue[Any], **changes: Any) -> str:
        """This query with ``changes`` (page back to 1 unless given): the links of the filter bar and pager."""
        changed = replace(self, **{"page": 1, **changes})
        pairs = [("status", changed.status if changed.status != "open" else None),
                 (queue.pressing[0], changed.pressing), ("channel", changed.channel),
                 ("language", changed.language), ("mine", "1" if changed.mine else None),
                 ("page", str(changed.page) if changed.page > 1 else None)]
        query = urlencode([(k, v) for k, v in pairs if v])
        return f"/{queue.name}" + (f"?{query}" if query else "")


@dataclass
class Clock:
    """The facility's zone and rules, and now: one reading per page so every row agrees."""

    now: datetime
    facility: Facility
    rules: AdmissionsRules

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.facility.timezone)

    def local(self, moment: Optional[datetime], fmt: str = "%a %b %-d, %-I:%M %p") -> str:
        return moment.astimezone(self.zone).strftime(fmt) if moment else "-"

    def zone_name(self) -> str:
        return self.now.astimezone(self.zone).strftime("%Z")


def span(delta: timedelta) -> str:
    """ "45 min", "2 h 5 min", "3 d 4 h": how long someone has waited."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@dataclass
class RowView:
    """One line of a queue page."""

    id: int
    reference: str
    status: str
    cells: List[Tuple[str, str]]  # (heading, text), in the queue's column order
    waiting: str
    overdue_minutes: int
    urgency_class: str
    classes: List[str] = field(default_factory=list)


def _waited_since(record: Any) -> datetime:
    return max(record.created_at, record.reopened_at) if record.reopened_at else record.created_at


def waiting_text(record: Any, clock: Clock, overdue: int) -> str:
    if record.status == "new":
        text = f"{span(clock.now - _waited_since(record))} unclaimed"
        return text + (f" ({span(timedelta(minutes=overdue))} late)" if overdue else "")
    if record.status == "claimed":
        since = record.claimed_at or record.created_at
        return f"with {record.claimed_by or 'someone'} for {span(clock.now - since)}"
    return f"closed {clock.local(record.closed_at)}"


def lead_cells(record: Any, clock: Clock) -> List[Tuple[str, str]]:
    answers = record.answers or {}
    return [
        ("Urgency", labels.words("urgency", record.urgency)),
        ("First name", record.first_name or "-"),
        ("Phone", mask_phone(record.phone_e164)),
        ("For", labels.words("who_for", record.who_for)),
        ("Substances", labels.words("substances", answers.get("substances"))),
        ("Best time", labels.words("best_time", record.best_time)),
        ("Language", labels.words("language", record.language)),
        ("Channel", labels.words("channel", record.source_channel)),
        ("Calls", str(record.call_attempts or 0)),
        ("Assigned to", record.claimed_by or "-"),
        ("Created", clock.local(record.created_at, "%b %-d, %-I:%M %p")),
    ]


def crisis_cells(record: Any, clock: Clock) -> List[Tuple[str, str]]:
    return [
        ("Severity", labels.words("severity", record.severity)),
        ("Category", labels.words("category", record.category)),
        ("Language", labels.words("language", record.language)),
        ("Channel", labels.words("channel", record.source_channel)),
        ("Calls", str(record.call_attempts or 0)),
        ("Assigned to", record.claimed_by or "-"),
        ("Created", clock.local(record.created_at)),
    ]


def row_view(queue: StaffQueue[Any], record: Any, clock: Clock) -> RowView:
    overdue = escalation.minutes_overdue(record, clock.now, rules=clock.rules, facility=clock.facility)
    pressing = getattr(record, queue.pressing[0])
    cells = lead_cells(record, clock) if queue.record_type == "callback" else crisis_cells(record, clock)
    classes = [f"status-{record.status}"] + (["overdue"] if overdue else [])
    return RowView(record.id, record.reference, record.status, cells, waiting_text(record, clock, overdue), overdue,
                   f"urgency-{pressing}", classes)


def working_order(queue: StaffQueue[Any], views: List[RowView]) -> List[RowView]:
    """Late work first (latest first), then new before claimed, most pressing, oldest: the order staff call in."""
    pressing_rank = {f"urgency-{v}": i for i, v in enumerate(queue.pressing[1])}
    status_rank = {s: i for i, s in enumerate(queue.statuses)}
    return sorted(views, key=lambda v: (0 if v.overdue_minutes else 1, -v.overdue_minutes,
                                        status_rank.get(v.status, 99), pressing_rank.get(v.urgency_class, 99)))


@dataclass
class QueuePage:
    rows: List[RowView]
    total: int
    filters: Filters
    headings: List[str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def overdue(self) -> int:
        return sum(1 for row in self.rows if row.overdue_minutes)


# At most this many open records are ordered in memory; a queue longer than this is a
# backlog to be worked in the database's order anyway.
MAX_OPEN_SORTED = 2000


def queue_page(session_factory: sessionmaker, queue: StaffQueue[Any], filters: Filters, staff_name: str,
               clock: Clock) -> QueuePage:
    statuses = filters.statuses(queue)
    where = filters.where(queue, staff_name)
    start = (filters.page - 1) * PAGE_SIZE
    if set(statuses) <= set(OPEN_STATUSES):
        records, total = queue.search(session_factory, statuses=statuses, where=where, limit=MAX_OPEN_SORTED)
        views = working_order(queue, [row_view(queue, r, clock) for r in records])[start:start + PAGE_SIZE]
    else:
        records, total = queue.search(session_factory, statuses=statuses, where=where, offset=start,
                                      limit=PAGE_SIZE)
        views = [row_view(queue, r, clock) for r in records]
    headings = [heading for heading, _ in (views[0].cells if views else [])]
    return QueuePage(views, total, filters, headings)


# -- a record's page -------------------------------------------------------------------------------

@dataclass
class Line:
    label: str
    text: str
    note: str = ""


def best_time_text(best_time: Optional[str], clock: Clock) -> str:
    window = clock.facility.callback_windows.get(best_time or "")
    said = labels.words("best_time", best_time)
    if not window:
        return said
    start, end = (datetime.strptime(part, "%H:%M") for part in window.split("-"))
    return f"{said} ({start.strftime('%-I:%M %p')} to {end.strftime('%-I:%M %p')}, {clock.zone_name()})"


def lead_lines(record: Any, clock: Clock) -> List[Line]:
    return [
        Line("For", labels.words("who_for", record.who_for)),
        Line("Best time", best_time_text(record.best_time, clock)),
        Line("May contact by", labels.permissions({"call": record.permit_call, "voicemail": record.permit_voicemail,
                                                   "text": record.permit_text})),
        Line("Language", labels.words("language", record.language),
             "Call back in Spanish" if record.language == "es" else ""),
        Line("Level of care", labels.words("level_of_care", record.level_of_care)),
        Line("Channel", labels.words("channel", record.source_channel)),
        Line("Consent", f"Yes, {clock.local(record.consent_at)}" if record.consent else "No"),
        Line("Created", clock.local(record.created_at)),
        Line("Staff alert", labels.words("notification_status", record.notification_status)),
    ]


def crisis_lines(record: Any, clock: Clock) -> List[Line]:
    categories = list(record.categories or [record.category])
    return [
        Line("Severity", labels.words("severity", record.severity)),
        Line("Category", labels.words("category", categories)),
        Line("Language", labels.words("language", record.language),
             "Follow up in Spanish" if record.language == "es" else ""),
        Line("Channel", labels.words("channel", record.source_channel)),
        Line("Crisis messages", str(record.occurrences)),
        Line("First seen", clock.local(record.created_at)),
        Line("Last seen", clock.local(record.last_seen_at)),
        Line("Staff alert", labels.words("notification_status", record.notification_status)),
    ]


def answer_rows(record: Any) -> List[Tuple[str, str, str]]:
    """(question, understood as, their words) for each stored screening answer."""
    words = getattr(record, "answer_words", None) or {}
    return [(labels.question(slot), labels.answer(slot, value), str(words.get(slot, "") or ""))
            for slot, value in (getattr(record, "answers", None) or {}).items()]


def record_lines(queue: StaffQueue[Any], record: Any, clock: Clock) -> List[Line]:
    return lead_lines(record, clock) if queue.record_type == "callback" else crisis_lines(record, clock)


def related_leads(session_factory: sessionmaker, record: Any) -> List[Any]:
    """Callback requests left in the same conversation as a crisis follow-up: its way to reach the person."""
    with session_factory() as session:
        return list(session.execute(
            select(CallbackRequest).where(CallbackRequest.conversation_id == record.conversation_id)
            .order_by(CallbackRequest.created_at)
        ).scalars())

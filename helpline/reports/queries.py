"""The dashboard's figures for a range of days, read from the rollup's tables and the lead queues.

Counts only: nothing here reads a name, a phone number, an answer or a message.

Where each figure comes from:

- conversations per day, by channel and by language; clarification and fallback
  rates; the intake steps: ``conversation_stats`` (one row per conversation, by the
  local day the person first wrote; :mod:`helpline.reports.rollup`), conversations
  being sessions in which the person wrote at least once;
- FAQ topics: ``faq_topic_days`` (each answer the assistant gave, by topic);
- the lead steps (stored, claimed, first call attempt, reached, enrolled) and the
  times to claim and to the first call: ``callback_requests`` created in the
  range, with ``call_attempts``; crisis follow-ups: ``crisis_flags`` created in the range.

A lead's steps are cumulative, so the funnel never grows: enrolled (closed as
``enrolled``) counts as reached; reached (a call attempt logged ``reached``, or
closed as reached, declined, referred or enrolled: someone spoke with them) as a
call attempt; a call attempt as claimed.

Percentiles are ``percentile_cont`` (linear interpolation between the two nearest
values): PostgreSQL computes them in the query; on SQLite the durations are read
and the same formula is applied here.

Every query filters by an indexed column: ``conversation_stats.local_day``
(with channel and language), ``faq_topic_days`` by its primary key,
``callback_requests.created_at``, ``crisis_flags.created_at``, and
``call_attempts (record_type, record_id)`` for "reached".
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, extract, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from helpline.faq.clarify import TOPIC_LABELS
from helpline.intake.questions import BY_SLOT, always
from helpline.intake.screening import URGENCIES
from helpline.language import LANGUAGES
from helpline.queues import labels
from helpline.reports import rollup
from helpline.reports.facts import STEP_BITS, STEPS
from helpline.store.models import (
    CRISIS_CATEGORIES,
    CallAttempt,
    CallbackRequest,
    ConversationStats,
    CrisisFlag,
    FaqTopicDay,
    utcnow,
)

DEFAULT_DAYS = 30
MAX_DAYS = 366
# Closing outcomes that mean someone spoke with the person.
REACHED_OUTCOMES = ("reached", "declined", "referred", "enrolled")
CHANNEL_ORDER = ("web", "sms")
MEDIAN, P90 = 0.5, 0.9


# -- the range -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DateRange:
    """Days ``start`` to ``end``, both included, in the facility's time zone."""

    start: date
    end: date

    @classmethod
    def last_days(cls, zone: str, days: int = DEFAULT_DAYS, now: Optional[datetime] = None) -> DateRange:
        today = (now or utcnow()).astimezone(ZoneInfo(zone)).date()
        return cls(today - timedelta(days=days - 1), today)

    @classmethod
    def parse(cls, start: Optional[str], end: Optional[str], zone: str, now: Optional[datetime] = None) -> DateRange:
        """From the form's ``from`` and ``to`` (YYYY-MM-DD); either missing takes the default's. ValueError if bad."""
        default = cls.last_days(zone, now=now)
        first = _day(start, "from") if start else None
        last = _day(end, "to") if end else None
        if first is None and last is None:
            return default
        if first is None:
            assert last is not None
            first = last - timedelta(days=DEFAULT_DAYS - 1)
        if last is None:
            last = min(first + timedelta(days=DEFAULT_DAYS - 1), default.end)
            last = max(first, last)
        if first > last:
            raise ValueError("the first day must not be after the last day")
        if (last - first).days + 1 > MAX_DAYS:
            raise ValueError(f"a report covers at most {MAX_DAYS} days")
        return cls(first, last)

    @property
    def days(self) -> List[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def utc_bounds(self, zone: str) -> Tuple[datetime, datetime]:
        """The first moment of ``start`` and of the day after ``end``, local midnight (DST-aware)."""
        tz = ZoneInfo(zone)
        return (datetime.combine(self.start, time(), tz), datetime.combine(self.end + timedelta(days=1), time(), tz))

    def query(self) -> Dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{name} must be a date like 2026-12-01") from None


# -- the figures ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DayRow:
    day: date
    total: int
    by_channel: Dict[str, int]
    by_language: Dict[str, int]


@dataclass(frozen=True)
class GroupTotal:
    code: str
    label: str
    conversations: int
    leads_stored: int  # conversations of this group in which a lead was stored


@dataclass(frozen=True)
class TopicRow:
    topic: str
    label: str
    asks: int


@dataclass(frozen=True)
class Rates:
    """Clarification and fallback, per message and per conversation."""

    conversations: int
    messages: int
    clarifications: int
    fallbacks: int
    conversations_clarified: int
    conversations_fell_back: int
    faq_answers: int

    @property
    def clarification_per_message(self) -> Optional[float]:
        return share(self.clarifications, self.messages)

    @property
    def fallback_per_message(self) -> Optional[float]:
        return share(self.fallbacks, self.messages)

    @property
    def clarification_per_conversation(self) -> Optional[float]:
        return share(self.conversations_clarified, self.conversations)

    @property
    def fallback_per_conversation(self) -> Optional[float]:
        return share(self.conversations_fell_back, self.conversations)


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    count: int
    # Lost since the last step everyone reaching this one had to pass; None for the first step
    # and for a question asked only of some (its count is shown, not a loss).
    drop_off: Optional[int]
    drop_off_share: Optional[float]
    source: str  # "conversations" or "leads"
    conditional: bool = False


@dataclass(frozen=True)
class Durations:
    """Minutes, over the records that got there."""

    count: int
    median: Optional[float]
    p90: Optional[float]


@dataclass(frozen=True)
class UrgencyTimes:
    urgency: str
    label: str
    leads: int
    to_claim: Durations
    to_first_attempt: Durations


@dataclass(frozen=True)
class CrisisRow:
    category: str
    label: str
    flags: int
    to_claim: Durations


@dataclass(frozen=True)
class Report:
    range: DateRange
    zone: str
    as_of: Optional[datetime]  # the rollup's last run: conversation figures are up to then
    days: List[DayRow]
    channels: List[GroupTotal]
    languages: List[GroupTotal]
    topics: List[TopicRow]
    rates: Rates
    funnel: List[Step]
    screening: List[Step]
    lead_times: List[UrgencyTimes]
    crises: List[CrisisRow]

    @property
    def conversations(self) -> int:
        return self.rates.conversations

    def step(self, key: str) -> Step:
        """A step of the funnel by its key ("lead_stored", "enrolled", a question's slot...)."""
        return next(step for step in self.funnel if step.key == key)


def share(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


def percentile(values: Sequence[float], fraction: float) -> Optional[float]:
    """``percentile_cont``: linear interpolation between the closest ranks (as PostgreSQL computes it)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def channel_label(code: str) -> str:
    return "Other" if code == "other" else labels.words("channel", code)


def language_label(code: str) -> str:
    return labels.words("language", code)


def topic_label(topic: str) -> str:
    return TOPIC_LABELS.get(topic, topic.replace("_", " "))


def step_label(slot: str) -> str:
    return {"callback_phone": "Phone number", "consent": "Consent to a call"}.get(slot) or labels.question(slot)


def _ordered(codes: Iterable[str], first: Sequence[str]) -> List[str]:
    codes = set(codes)
    return [c for c in first if c in codes] + sorted(codes - set(first))


# -- conversations (the rollup's tables) ---------------------------------------------------------

def _conversations_in(span: DateRange) -> Any:
    stats = ConversationStats
    return and_(stats.local_day >= span.start, stats.local_day <= span.end, stats.user_messages > 0)


def _count_if(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _aggregates() -> Dict[str, Any]:
    """What is summed over conversations, by name."""
    stats = ConversationStats
    return {
        "conversations": func.count(),
        "messages": func.sum(stats.user_messages),
        "clarifications": func.sum(stats.clarifications),
        "fallbacks": func.sum(stats.fallbacks),
        "conversations_clarified": _count_if(stats.clarifications > 0),
        "conversations_fell_back": _count_if(stats.fallbacks > 0),
        "faq_answers": func.sum(stats.faq_answers),
        "intake_started": _count_if(stats.intake_started),
        "lead_stored": _count_if(stats.lead_stored),
        **{f"step:{slot}": _count_if(stats.intake_steps.op("&")(bit) != 0) for slot, bit in STEP_BITS.items()},
    }


def _conversation_figures(
    session: Session, span: DateRange
) -> Tuple[List[DayRow], List[GroupTotal], List[GroupTotal], Dict[str, int]]:
    """Per day, channel and language, and in total: one pass over the range's conversations."""
    stats = ConversationStats
    aggregates = _aggregates()
    rows = session.execute(
        select(stats.local_day, stats.channel, stats.language, *aggregates.values())
        .where(_conversations_in(span)).group_by(stats.local_day, stats.channel, stats.language)
    ).all()
    totals = dict.fromkeys(aggregates, 0)
    per_day: Dict[date, Tuple[Dict[str, int], Dict[str, int]]] = {}
    channels: Dict[str, List[int]] = {}
    languages: Dict[str, List[int]] = {}
    for day, channel, language, *values in rows:
        figures = {name: int(value or 0) for name, value in zip(aggregates, values, strict=True)}
        for name, value in figures.items():
            totals[name] += value
        count, leads = figures["conversations"], figures["lead_stored"]
        by_channel, by_language = per_day.setdefault(day, ({}, {}))
        by_channel[channel] = by_channel.get(channel, 0) + count
        by_language[language] = by_language.get(language, 0) + count
        for groups, code in ((channels, channel), (languages, language)):
            entry = groups.setdefault(code, [0, 0])
            entry[0] += count
            entry[1] += leads
    days = []
    for day in span.days:
        by_channel, by_language = per_day.get(day, ({}, {}))
        days.append(DayRow(day, sum(by_channel.values()), by_channel, by_language))
    channel_totals = [GroupTotal(c, channel_label(c), *channels[c]) for c in _ordered(channels, CHANNEL_ORDER)]
    language_totals = [GroupTotal(c, language_label(c), *languages[c]) for c in _ordered(languages, LANGUAGES)]
    return days, channel_totals, language_totals, totals


def _topics(session: Session, span: DateRange) -> List[TopicRow]:
    rows = session.execute(
        select(FaqTopicDay.topic, func.sum(FaqTopicDay.asks))
        .where(FaqTopicDay.local_day >= span.start, FaqTopicDay.local_day <= span.end)
        .group_by(FaqTopicDay.topic)
    ).all()
    found = [TopicRow(topic, topic_label(topic), int(asks or 0)) for topic, asks in rows if asks]
    return sorted(found, key=lambda row: (-row.asks, row.label))


# -- leads and crisis follow-ups -------------------------------------------------------------------

def _created_in(model: Any, span: DateRange, zone: str) -> Any:
    first, after = span.utc_bounds(zone)
    return and_(model.created_at >= first, model.created_at < after)


def _lead_steps(session: Session, span: DateRange, zone: str) -> Dict[str, int]:
    leads = CallbackRequest
    # Leads of the range reached on a call: a call is logged after the lead is stored, so only calls
    # since the range began can be theirs (ix_call_attempts_at), joined as a set rather than probed per lead.
    first, _ = span.utc_bounds(zone)
    reached_calls = (
        select(CallAttempt.record_id).distinct()
        .where(CallAttempt.at >= first, CallAttempt.record_type == "callback", CallAttempt.outcome == "reached")
        .subquery()
    )
    enrolled = leads.outcome == "enrolled"
    reached = or_(leads.outcome.in_(REACHED_OUTCOMES), reached_calls.c.record_id.isnot(None))
    attempted = or_(reached, leads.first_attempt_at.isnot(None))
    claimed = or_(attempted, leads.claimed_at.isnot(None))
    columns = {"stored": func.count(), "claimed": _count_if(claimed), "first_attempt": _count_if(attempted),
               "reached": _count_if(reached), "enrolled": _count_if(enrolled)}
    row = session.execute(
        select(*columns.values())
        .select_from(leads.__table__.outerjoin(reached_calls, reached_calls.c.record_id == leads.id))
        .where(_created_in(leads, span, zone))
    ).one()
    return {name: int(value or 0) for name, value in zip(columns, row, strict=True)}


def _minutes(start: Optional[datetime], end: Optional[datetime]) -> Optional[float]:
    return None if start is None or end is None else (end - start).total_seconds() / 60


def _durations(
    session: Session, model: Any, group: Any, span: DateRange, zone: str, ends: Sequence[Any]
) -> Dict[str, Tuple[int, List[Durations]]]:
    """Per value of ``group``: how many records, and for each end column the minutes from ``created_at`` to it."""
    where = _created_in(model, span, zone)
    found: Dict[str, Tuple[int, List[Durations]]] = {}
    if session.get_bind().dialect.name == "postgresql":
        columns: List[Any] = [group, func.count()]
        for end in ends:
            seconds = extract("epoch", end - model.created_at)
            columns += [func.count(end), func.percentile_cont(MEDIAN).within_group(seconds),
                        func.percentile_cont(P90).within_group(seconds)]
        for row in session.execute(select(*columns).where(where).group_by(group)).all():
            durations = []
            for n in range(len(ends)):
                count, median, p90 = row[2 + 3 * n: 5 + 3 * n]
                durations.append(Durations(int(count), _per_minute(median), _per_minute(p90)))
            found[row[0]] = (int(row[1]), durations)
        return found
    collected: Dict[str, Tuple[int, List[List[float]]]] = {}
    for row in session.execute(select(group, model.created_at, *ends).where(where)).all():
        count, lists = collected.get(row[0], (0, [[] for _ in ends]))
        for values, end in zip(lists, row[2:], strict=True):
            minutes = _minutes(row[1], end)
            if minutes is not None:
                values.append(minutes)
        collected[row[0]] = (count + 1, lists)
    for key, (count, lists) in collected.items():
        found[key] = (count, [Durations(len(v), percentile(v, MEDIAN), percentile(v, P90)) for v in lists])
    return found


def _per_minute(seconds: Any) -> Optional[float]:
    return None if seconds is None else float(seconds) / 60


_NONE = Durations(0, None, None)


def _lead_times(session: Session, span: DateRange, zone: str) -> List[UrgencyTimes]:
    leads = CallbackRequest
    found = _durations(session, leads, leads.urgency, span, zone, (leads.claimed_at, leads.first_attempt_at))
    times = []
    for urgency in reversed(URGENCIES):  # most urgent first, as staff work them
        count, (to_claim, to_attempt) = found.get(urgency, (0, [_NONE, _NONE]))
        times.append(UrgencyTimes(urgency, labels.words("urgency", urgency), count, to_claim, to_attempt))
    return times


def _crises(session: Session, span: DateRange, zone: str) -> List[CrisisRow]:
    flags = CrisisFlag
    found = _durations(session, flags, flags.category, span, zone, (flags.claimed_at,))
    rows = []
    for category in CRISIS_CATEGORIES:
        count, (to_claim,) = found.get(category, (0, [_NONE]))
        rows.append(CrisisRow(category, labels.words("category", category), count, to_claim))
    return rows


# -- the funnel ---------------------------------------------------------------------------------

def _steps(entries: Sequence[Tuple[str, str, int, str, bool]]) -> List[Step]:
    """Drop-off of each step from the last one every person reaching it passed (conditional ones skipped)."""
    steps: List[Step] = []
    base: Optional[int] = None
    previous_source: Optional[str] = None
    for key, label, count, source, conditional in entries:
        # Leads are counted by when they were stored, conversations by when they began (and a crisis
        # path stores leads no form step counted): nothing is "lost" between the two.
        if source != previous_source:
            base, previous_source = None, source
        if conditional or base is None:
            steps.append(Step(key, label, count, None, None, source, conditional))
        else:
            lost = base - count
            steps.append(Step(key, label, count, lost, share(lost, base), source))
        if not conditional:
            base = count
    return steps


def _is_conditional(slot: str) -> bool:
    return BY_SLOT[slot].ask_if is not always


def _funnels(totals: Dict[str, int], leads: Dict[str, int]) -> Tuple[List[Step], List[Step]]:
    contact = [s for s in STEPS if BY_SLOT[s].stage == "contact"]
    screening = [s for s in STEPS if BY_SLOT[s].stage == "screening"]
    funnel = _steps([
        ("conversations", "Conversations", totals["conversations"], "conversations", False),
        ("intake_started", "Intake started", totals["intake_started"], "conversations", False),
        *((s, step_label(s), totals[f"step:{s}"], "conversations", _is_conditional(s)) for s in contact),
        ("lead_stored", "Lead stored", leads["stored"], "leads", False),
        ("claimed", "Claimed", leads["claimed"], "leads", False),
        ("first_attempt", "First call attempt", leads["first_attempt"], "leads", False),
        ("reached", "Reached", leads["reached"], "leads", False),
        ("enrolled", "Enrolled", leads["enrolled"], "leads", False),
    ])
    after_lead = _steps([
        ("lead_stored", "Conversations that stored a lead", totals["lead_stored"], "conversations", False),
        *((s, step_label(s), totals[f"step:{s}"], "conversations", _is_conditional(s)) for s in screening),
    ])
    return funnel, after_lead


# -- all of it ---------------------------------------------------------------------------------

def build_report(session_factory: sessionmaker, span: DateRange, zone: str) -> Report:
    """Every figure of the page and the CSV for ``span``; a handful of indexed queries in one read transaction."""
    with session_factory() as session:
        days, channels, languages, totals = _conversation_figures(session, span)
        topics = _topics(session, span)
        leads = _lead_steps(session, span, zone)
        lead_times = _lead_times(session, span, zone)
        crises = _crises(session, span, zone)
    funnel, screening = _funnels(totals, leads)
    rates = Rates(totals["conversations"], totals["messages"], totals["clarifications"], totals["fallbacks"],
                  totals["conversations_clarified"], totals["conversations_fell_back"], totals["faq_answers"])
    return Report(span, zone, rollup.last_run(session_factory), days, channels, languages, topics, rates, funnel,
                  screening, lead_times, crises)

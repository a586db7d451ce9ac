"""The callback promise: when someone will call a caller back, said honestly and in their terms.

A caller who asked for the evening must not hear "when the office opens at 8:00 AM",
and an urgent lead must not wait for the office to open without being told how to
reach a person now. The promise combines the caller's best time (asap, morning,
afternoon, evening, anytime or none), the lead's urgency and the facility's
``callbacks`` section (:class:`helpline.facility.Facility`): callback hours, the
day parts, and what on-call staff do for urgent leads. It never promises more
than that section states. Times are in the facility's time zone; the words are in
``helpline/messages/<language>.yml`` under ``callback_promise`` (and ``time``), in
the caller's language (the conversation's ``language`` slot; English when unknown).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, Optional, Tuple
from zoneinfo import ZoneInfo

from helpline import messages
from helpline.facility import Facility, describe_office_hours
from helpline.intake.office_hours import (
    describe_before,
    describe_between,
    describe_day,
    describe_opening,
    ends_at_midnight,
    on_day,
    open_intervals,
    parse_window,
)
from helpline.intake.parsers import BEST_TIMES
from helpline.intake.screening import URGENCIES

# Less time than this left in callback hours (or in the asked-for part of them) and
# staff may not reach the caller before they close: promise the next time instead.
MIN_TIME_LEFT = timedelta(minutes=30)
URGENT = frozenset({"urgent", "immediate"})
WINDOWS = ("morning", "afternoon", "evening")  # best times that name a part of the day

# Promise.kind: which case applied (also the name of its text in en.yml).
SHORTLY = "shortly"
WHEN_BACK = "when_back"
SCHEDULED = "scheduled"
WINDOW_UNAVAILABLE = "window_unavailable"
NO_HOURS = "no_hours"
URGENT_WITHIN = "urgent_within"
URGENT_ALERTED = "urgent_alerted"


@dataclass(frozen=True)
class Promise:
    """``kind``: one of the constants above. An urgent lead without on-call staff gets the
    routine kind (the sentence adds the helpline first). ``starts_at``: the earliest time
    the caller can expect the call (aware, facility time zone); ``None`` when unknown."""

    kind: str
    sentence: str
    starts_at: Optional[datetime]


Slot = Tuple[datetime, datetime]


def callback_promise(
    now_utc: datetime, best_time: Optional[str], urgency: str, facility: Facility, language: Optional[str] = None
) -> Promise:
    """When someone will call back, for a lead stored at ``now_utc`` (naive means UTC), said in
    ``language`` ("en", "es"; None or one without wording is English)."""
    if best_time is not None and best_time not in BEST_TIMES:
        raise ValueError(f"best_time must be one of {BEST_TIMES} or None, not {best_time!r}")
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {URGENCIES}, not {urgency!r}")
    now = now_utc.replace(tzinfo=timezone.utc) if now_utc.tzinfo is None else now_utc
    language = messages.resolve(language)
    facts = facility.placeholders(language)
    if urgency not in URGENT:
        return _routine(now, best_time, facility, facts, language)
    local_now = now.astimezone(ZoneInfo(facility.timezone))
    if facility.urgent_on_call and facility.urgent_within_minutes is not None:
        sentence = messages.text(
            "callback_promise.urgent_within", facts, minutes=facility.urgent_within_minutes, language=language
        )
        return Promise(URGENT_WITHIN, sentence, local_now)
    if facility.urgent_on_call:
        return Promise(URGENT_ALERTED, messages.text("callback_promise.urgent_alerted", facts, language=language), local_now)
    # Nobody is paged out of hours: the caller must know the helpline is the way to a person now.
    routine = _routine(now, best_time, facility, facts, language)
    sentence = messages.text("callback_promise.urgent_line_first", facts, routine=routine.sentence, language=language)
    return Promise(routine.kind, sentence, routine.starts_at)


def _routine(now: datetime, best_time: Optional[str], facility: Facility, facts: Dict[str, str], language: str) -> Promise:
    first = _first_slot(now, facility, None)
    if first is None:
        return Promise(NO_HOURS, messages.text("callback_promise.no_hours", facts, language=language), None)
    if best_time in WINDOWS:
        return _in_window(now, best_time, first, facility, facts, language)
    start = first[0]
    if start <= now:
        return Promise(SHORTLY, messages.text("callback_promise.shortly", facts, language=language), now.astimezone(start.tzinfo))
    if best_time == "anytime":
        when = _slot_words(first, now, language)
        return Promise(SCHEDULED, messages.text("callback_promise.scheduled", facts, when=when, language=language), start)
    # asap, or no time given: the soonest moment staff are back.
    when = describe_opening(start, now, language)
    return Promise(WHEN_BACK, messages.text("callback_promise.when_back", facts, when=when, language=language), start)


def _in_window(
    now: datetime, window: str, first: Slot, facility: Facility, facts: Dict[str, str], language: str
) -> Promise:
    slot = _first_slot(now, facility, parse_window(facility.callback_windows[window], f"callbacks.windows.{window}"))
    if slot is not None:
        when = _slot_words(slot, now, language)
        return Promise(SCHEDULED, messages.text("callback_promise.scheduled", facts, when=when, language=language), slot[0])
    # Say so rather than promise the evening we cannot keep, and offer the next time we can.
    sentence = messages.text(
        "callback_promise.window_unavailable",
        facts,
        callback_hours=describe_office_hours(facility.callback_hours, language),
        window=messages.table("callback_promise.window", language=language)[window],
        when=_slot_words(first, now, language),
        language=language,
    )
    return Promise(WINDOW_UNAVAILABLE, sentence, first[0])


def _first_slot(now: datetime, facility: Facility, window: Optional[Tuple[int, int]]) -> Optional[Slot]:
    """The next callback time with at least MIN_TIME_LEFT in it, its start clipped to now."""
    for start, end in open_intervals(now, facility.callback_hours, facility.timezone, window):
        begin = start if start > now else now.astimezone(start.tzinfo)
        # In UTC: a subtraction within one zone counts wall-clock time across a DST change.
        if end.astimezone(timezone.utc) - begin.astimezone(timezone.utc) >= MIN_TIME_LEFT:
            return begin, end
    return None


def _slot_words(slot: Slot, now: datetime, language: str) -> str:
    """"today between 12:00 and 4:00 PM", "Monday between 8:00 AM and 12:00 PM", "today before 4:00 PM"."""
    start, end = slot
    if start > now:
        return on_day(describe_day(start, now, language), describe_between(start, end, language), language)
    before = describe_before(start, end, language)
    # Under way past midnight, "today before 2:00 AM" would name the wrong day.
    if end.date() == start.date() or ends_at_midnight(start, end):
        return on_day(describe_day(start, now, language), before, language)
    return before

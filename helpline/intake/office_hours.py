"""Office hours: is admissions open now, and when does it open next?

The helpline answers 24/7, but callbacks happen in office hours, so the bot says
"someone will call you back Monday at 8:00 AM" instead of promising "shortly"
at midnight. Hours come from the facility file (``timezone`` and
``office_hours``: ``{"mon": "08:00-16:00", ...}``, days not listed are closed)
and are passed in; this module reads no facility file. Times are said in words of
``helpline/messages/<language>.yml`` (``time:``), English unless a language is given.

A span whose end is earlier than its start runs past midnight
("20:00-02:00"); "24:00" means midnight at the end of the day.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator, List, Mapping, Optional, Tuple, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpline import messages
from helpline.messages import DEFAULT_LANGUAGE

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class OfficeHoursError(ValueError):
    """The office hours or time zone cannot be used."""


def _minutes(hhmm: str) -> int:
    try:
        hour_text, minute_text = hhmm.strip().split(":")
        hour, minute = int(hour_text), int(minute_text)
    except ValueError as exc:
        raise OfficeHoursError(f"cannot read time {hhmm!r}; write it like 08:00") from exc
    if not (0 <= hour <= 24 and 0 <= minute < 60) or (hour == 24 and minute):
        raise OfficeHoursError(f"time out of range: {hhmm!r}")
    return hour * 60 + minute


def parse_hours(office_hours: Mapping[str, str], label: str = "office_hours") -> List[Optional[Tuple[int, int]]]:
    """Per weekday (Monday first) ``(start_minute, end_minute)`` or ``None`` when closed.

    ``label`` names the hours in errors (``"callbacks.hours"``).
    """
    unknown = set(office_hours) - set(DAY_KEYS)
    if unknown:
        raise OfficeHoursError(f"unknown day(s) in {label}: {', '.join(sorted(map(str, unknown)))}")
    spans: List[Optional[Tuple[int, int]]] = []
    for day in DAY_KEYS:
        span = office_hours.get(day)
        if not span:
            spans.append(None)
            continue
        start, end = _span(span, f"{label}.{day}")
        if start == end:
            raise OfficeHoursError(f"{label}.{day}: {span!r} opens and closes at the same time")
        spans.append((start, end))
    return spans


def _span(span: object, label: str) -> Tuple[int, int]:
    try:
        start_text, end_text = str(span).split("-")
    except ValueError as exc:
        raise OfficeHoursError(f"{label}: cannot read {span!r}; write it like 08:00-16:00") from exc
    try:
        return _minutes(start_text), _minutes(end_text)
    except OfficeHoursError as exc:
        raise OfficeHoursError(f"{label}: {exc}") from exc


def parse_window(span: str, label: str = "window") -> Tuple[int, int]:
    """A daily window such as ``"17:00-21:00"`` -> ``(1020, 1260)``.

    Unlike office hours a window stays within one day (it may end at "24:00"),
    so each day's window lies on one local date.
    """
    start, end = _span(span, label)
    if end <= start:
        raise OfficeHoursError(f"{label}: {span!r} must end after it starts, on the same day")
    return start, end


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise OfficeHoursError(f"unknown time zone {tz!r}") from exc


def _aware(now_utc: datetime) -> datetime:
    # Naive input is taken as UTC, the convention everywhere in this project.
    return now_utc.replace(tzinfo=timezone.utc) if now_utc.tzinfo is None else now_utc


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    if minute == 24 * 60:
        day, minute = day + timedelta(days=1), 0
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)


def _intervals(now: datetime, spans: List[Optional[Tuple[int, int]]], zone: ZoneInfo) -> Iterator[Tuple[datetime, datetime]]:
    """Opening intervals (local, aware) from yesterday up to eight days ahead, in order."""
    today = now.astimezone(zone).date()
    for offset in range(-1, 9):
        day = today + timedelta(days=offset)
        span = spans[day.weekday()]
        if span is None:
            continue
        start, end = span
        end_day = day + timedelta(days=1) if end < start else day
        yield _local(day, start, zone), _local(end_day, end, zone)


def open_intervals(
    now_utc: datetime, office_hours: Mapping[str, str], tz: str, window: Optional[Tuple[int, int]] = None
) -> Iterator[Tuple[datetime, datetime]]:
    """Opening intervals (aware, in ``tz``) that have not ended by ``now_utc``, in order, a week or more ahead.

    With ``window`` (``(start_minute, end_minute)`` from :func:`parse_window`) only
    the parts of each interval inside that daily window, e.g. the afternoon part.
    An interval under way is returned whole: callers clip its start to now.
    """
    now = _aware(now_utc)
    zone = _zone(tz)
    for start, end in _intervals(now, parse_hours(office_hours), zone):
        pieces = [(start, end)] if window is None else _clip(start, end, window, zone)
        for piece_start, piece_end in pieces:
            if piece_end > now:
                yield piece_start, piece_end


def _clip(start: datetime, end: datetime, window: Tuple[int, int], zone: ZoneInfo) -> List[Tuple[datetime, datetime]]:
    # An interval past midnight touches two dates, and the window recurs on each.
    pieces = []
    day = start.date()
    while day <= end.date():
        piece_start = max(start, _local(day, window[0], zone))
        piece_end = min(end, _local(day, window[1], zone))
        if piece_start < piece_end:
            pieces.append((piece_start, piece_end))
        day += timedelta(days=1)
    return pieces


def is_open(now_utc: datetime, office_hours: Mapping[str, str], tz: str) -> bool:
    """True if ``now_utc`` falls inside the office hours (start inclusive, end exclusive)."""
    now = _aware(now_utc)
    zone = _zone(tz)
    return any(start <= now < end for start, end in _intervals(now, parse_hours(office_hours), zone))


def next_opening(now_utc: datetime, office_hours: Mapping[str, str], tz: str) -> Optional[datetime]:
    """When the office next opens, as an aware datetime in ``tz``.

    Returns ``now`` (converted to ``tz``) if it is open now, and ``None`` if no day has hours.
    """
    now = _aware(now_utc)
    zone = _zone(tz)
    spans = parse_hours(office_hours)
    for start, end in _intervals(now, spans, zone):
        if start <= now < end:
            return now.astimezone(zone)
        if start > now:
            return start
    return None


def format_clock(moment: Union[datetime, time], language: str = DEFAULT_LANGUAGE) -> str:
    """``8:00 AM``, ``12:30 PM`` (``8:00 a. m.`` in Spanish)."""
    return messages.text("time.clock", time=_bare_clock(moment), period=_period(moment, language), language=language)


def _bare_clock(moment: Union[datetime, time]) -> str:
    return f"{moment.hour % 12 or 12}:{moment.minute:02d}"


def _period(moment: Union[datetime, time], language: str) -> str:
    return messages.table("time.period", language=language)["am" if moment.hour < 12 else "pm"]


def _with_article(clock: str, moment: datetime, language: str, midnight: bool = False) -> str:
    """The clock as said after "at", "between", "before": Spanish "las 8:00", "la 1:00", "la medianoche"."""
    if midnight:
        return messages.text("time.article.midnight", time=clock, language=language)
    return messages.text("time.article.one" if moment.hour % 12 == 1 else "time.article.other", time=clock, language=language)


def describe_opening(opening: datetime, now_utc: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    """"today at 8:00 AM", "tomorrow at 8:00 AM", "Monday at 8:00 AM", "next Monday at 8:00 AM".

    Days are counted in the opening's own time zone.
    """
    clock = _with_article(format_clock(opening, language), opening, language)
    return messages.text("time.at", day=describe_day(opening, now_utc, language), time=clock, language=language)


def describe_day(moment: datetime, now_utc: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    """"today", "tomorrow", "Monday", "next Monday", counted in the moment's own time zone."""
    today = _aware(now_utc).astimezone(moment.tzinfo).date()
    days = (moment.date() - today).days
    if days <= 0:
        return messages.text("time.today", language=language)
    if days == 1:
        return messages.text("time.tomorrow", language=language)
    name = messages.table("time.days", language=language)[DAY_KEYS[moment.weekday()]]
    return messages.text("time.this_week" if days < 7 else "time.next_week", day=name, language=language)


def ends_at_midnight(start: datetime, end: datetime) -> bool:
    """True for a span that runs to the end of its day (it ends at 00:00 of a later date)."""
    return (end.hour, end.minute) == (0, 0) and end.date() > start.date()


def format_end(start: datetime, end: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    """The end of a span: ``format_clock`` or, for a span running to the day's end, "midnight"."""
    return messages.text("time.midnight", language=language) if ends_at_midnight(start, end) else format_clock(end, language)


def describe_between(start: datetime, end: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    """"between 12:00 and 4:00 PM", "between 8:00 AM and 12:00 PM", "between 8:00 PM and midnight".

    AM/PM is said once when both ends share it, as people say it.
    """
    midnight = ends_at_midnight(start, end)
    shared_period = not midnight and (start.hour < 12) == (end.hour < 12)
    start_text = _bare_clock(start) if shared_period else format_clock(start, language)
    return messages.text(
        "time.between",
        start=_with_article(start_text, start, language),
        end=_with_article(format_end(start, end, language), end, language, midnight),
        language=language,
    )


def describe_before(start: datetime, end: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    """"before 4:00 PM", "before midnight": the end of a span already under way."""
    clock = _with_article(format_end(start, end, language), end, language, ends_at_midnight(start, end))
    return messages.text("time.before", time=clock, language=language)


def on_day(day: str, phrase: str, language: str = DEFAULT_LANGUAGE) -> str:
    """A day (:func:`describe_day`) and a between/before phrase: "today before 4:00 PM"."""
    return messages.text("time.on_day", day=day, phrase=phrase, language=language)

"""Office hours: is admissions open now, and when does it open next?

The helpline answers 24/7, but callbacks happen in office hours, so the bot says
"someone will call you back Monday at 8:00 AM" instead of promising "shortly"
at midnight. Hours come from the facility file (``timezone`` and
``office_hours``: ``{"mon": "08:00-16:00", ...}``, days not listed are closed)
and are passed in; this module reads no files.

A span whose end is earlier than its start runs past midnight
("20:00-02:00"); "24:00" means midnight at the end of the day.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator, List, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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


def parse_hours(office_hours: Mapping[str, str]) -> List[Optional[Tuple[int, int]]]:
    """Per weekday (Monday first) ``(start_minute, end_minute)`` or ``None`` when closed."""
    unknown = set(office_hours) - set(DAY_KEYS)
    if unknown:
        raise OfficeHoursError(f"unknown day(s) in office_hours: {', '.join(sorted(unknown))}")
    spans: List[Optional[Tuple[int, int]]] = []
    for day in DAY_KEYS:
        span = office_hours.get(day)
        if not span:
            spans.append(None)
            continue
        try:
            start_text, end_text = str(span).split("-")
        except ValueError as exc:
            raise OfficeHoursError(f"office_hours.{day}: cannot read {span!r}; write it like 08:00-16:00") from exc
        start, end = _minutes(start_text), _minutes(end_text)
        if start == end:
            raise OfficeHoursError(f"office_hours.{day}: {span!r} opens and closes at the same time")
        spans.append((start, end))
    return spans


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


def format_clock(moment: datetime) -> str:
    """``8:00 AM``, ``12:30 PM``."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def describe_opening(opening: datetime, now_utc: datetime) -> str:
    """"today at 8:00 AM", "tomorrow at 8:00 AM", "Monday at 8:00 AM", "next Monday at 8:00 AM".

    Days are counted in the opening's own time zone.
    """
    today = _aware(now_utc).astimezone(opening.tzinfo).date()
    days = (opening.date() - today).days
    clock = format_clock(opening)
    if days <= 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    name = DAY_NAMES[opening.weekday()]
    return f"{name} at {clock}" if days < 7 else f"next {name} at {clock}"


def callback_eta(now_utc: datetime, office_hours: Mapping[str, str], tz: str) -> str:
    """Words to finish "someone will call you back ...": "shortly" when open,
    "when the office opens Monday at 8:00 AM" when closed."""
    now = _aware(now_utc)
    if is_open(now, office_hours, tz):
        return "shortly"
    opening = next_opening(now, office_hours, tz)
    if opening is None:
        return "as soon as our team is available"
    return f"when the office opens {describe_opening(opening, now)}"

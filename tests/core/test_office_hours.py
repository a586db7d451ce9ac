"""Office hours in the facility's time zone: open now? next opening? in words."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from helpline.intake.office_hours import (
    OfficeHoursError,
    describe_before,
    describe_between,
    describe_day,
    describe_opening,
    format_clock,
    format_end,
    is_open,
    next_opening,
    open_intervals,
    parse_hours,
    parse_window,
)

ROOT = Path(__file__).resolve().parents[2]
PHOENIX = "America/Phoenix"  # UTC-7 all year, no daylight saving
WEEKDAYS = {day: "08:00-16:00" for day in ("mon", "tue", "wed", "thu", "fri")}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# 2025-06-09 is a Monday.
@pytest.mark.parametrize("moment, expected", [
    ("2025-06-09T14:59:59", False),  # Monday 07:59:59 local
    ("2025-06-09T15:00:00", True),   # Monday 08:00 local: opening minute counts
    ("2025-06-09T22:59:00", True),   # Monday 15:59 local
    ("2025-06-09T23:00:00", False),  # Monday 16:00 local: closed
    ("2025-06-13T20:00:00", True),   # Friday 13:00
    ("2025-06-14T18:00:00", False),  # Saturday 11:00
    ("2025-06-15T18:00:00", False),  # Sunday 11:00
    ("2025-06-10T03:00:00", False),  # Monday 20:00 local, already Tuesday in UTC
])
def test_is_open(moment, expected):
    assert is_open(utc(moment), WEEKDAYS, PHOENIX) is expected


@pytest.mark.parametrize("moment, expected_local", [
    ("2025-06-13T23:30:00", "2025-06-16T08:00:00"),  # Friday after close -> Monday
    ("2025-06-14T18:00:00", "2025-06-16T08:00:00"),  # Saturday -> Monday
    ("2025-06-09T12:00:00", "2025-06-09T08:00:00"),  # Monday 05:00 -> same morning
    ("2025-06-10T03:00:00", "2025-06-10T08:00:00"),  # Monday 20:00 local -> Tuesday
])
def test_next_opening_when_closed(moment, expected_local):
    opening = next_opening(utc(moment), WEEKDAYS, PHOENIX)
    assert opening == datetime.fromisoformat(expected_local).replace(tzinfo=ZoneInfo(PHOENIX))
    assert opening.tzinfo is not None and str(opening.tzinfo) == PHOENIX


def test_next_opening_when_open_is_now():
    now = utc("2025-06-09T18:00:00")
    assert next_opening(now, WEEKDAYS, PHOENIX) == now


def test_next_opening_with_no_hours_is_none():
    assert next_opening(utc("2025-06-09T18:00:00"), {}, PHOENIX) is None
    assert not is_open(utc("2025-06-09T18:00:00"), {}, PHOENIX)


def test_a_single_weekly_opening_a_week_ahead():
    hours = {"mon": "09:00-10:00"}
    opening = next_opening(utc("2025-06-09T18:00:00"), hours, PHOENIX)  # Monday 11:00, just closed
    assert opening == datetime(2025, 6, 16, 9, 0, tzinfo=ZoneInfo(PHOENIX))
    assert describe_opening(opening, utc("2025-06-09T18:00:00")) == "next Monday at 9:00 AM"


def test_daylight_saving_zones_follow_the_local_clock():
    hours = {"mon": "08:00-16:00"}
    # New York is UTC-4 in June and UTC-5 in January; 08:00 local moves in UTC.
    assert is_open(utc("2025-06-09T12:00:00"), hours, "America/New_York")
    assert not is_open(utc("2025-01-06T12:00:00"), hours, "America/New_York")
    assert is_open(utc("2025-01-06T13:00:00"), hours, "America/New_York")


def test_overnight_and_midnight_spans():
    hours = {"fri": "20:00-02:00", "sat": "10:00-24:00"}
    assert is_open(utc("2025-06-14T08:30:00"), hours, PHOENIX)        # Saturday 01:30 local, Friday's span
    assert not is_open(utc("2025-06-14T09:00:00"), hours, PHOENIX)    # Saturday 02:00 local
    assert is_open(utc("2025-06-15T06:59:00"), hours, PHOENIX)        # Saturday 23:59 local
    assert not is_open(utc("2025-06-15T07:00:00"), hours, PHOENIX)    # Sunday 00:00 local
    assert next_opening(utc("2025-06-14T09:00:00"), hours, PHOENIX) == datetime(2025, 6, 14, 10, 0, tzinfo=ZoneInfo(PHOENIX))


def test_naive_datetimes_are_read_as_utc():
    assert is_open(datetime(2025, 6, 9, 18, 0), WEEKDAYS, PHOENIX)


@pytest.mark.parametrize("hours", [
    {"mon": "8 to 4"},
    {"mon": "08:00"},
    {"mon": "25:00-26:00"},
    {"mon": "08:00-08:00"},
    {"monday": "08:00-16:00"},
    {"mon": "24:30-10:00"},
])
def test_unusable_hours_are_refused(hours):
    with pytest.raises(OfficeHoursError):
        is_open(utc("2025-06-09T18:00:00"), hours, PHOENIX)


def test_unknown_time_zone_is_refused():
    with pytest.raises(OfficeHoursError):
        is_open(utc("2025-06-09T18:00:00"), WEEKDAYS, "Mars/Olympus_Mons")


@pytest.mark.parametrize("hour, minute, text", [(8, 0, "8:00 AM"), (0, 5, "12:05 AM"), (12, 30, "12:30 PM"), (16, 0, "4:00 PM")])
def test_format_clock(hour, minute, text):
    assert format_clock(datetime(2025, 1, 1, hour, minute)) == text


@pytest.mark.parametrize("now, phrase", [
    ("2025-06-09T12:00:00", "today at 8:00 AM"),      # Monday 05:00
    ("2025-06-10T03:00:00", "tomorrow at 8:00 AM"),   # Monday 20:00 local (Tuesday in UTC!)
    ("2025-06-13T23:30:00", "Monday at 8:00 AM"),     # Friday evening
])
def test_describe_opening_counts_days_in_local_time(now, phrase):
    opening = next_opening(utc(now), WEEKDAYS, PHOENIX)
    assert describe_opening(opening, utc(now)) == phrase




def test_the_facility_file_shape_is_accepted_as_is():
    facility = yaml.safe_load((ROOT / "facility.yml").read_text())
    now = utc("2025-06-14T18:00:00")
    assert isinstance(is_open(now, facility["office_hours"], facility["timezone"]), bool)
    assert next_opening(now, facility["office_hours"], facility["timezone"]).tzinfo is not None


def test_open_intervals_clipped_to_a_daily_window():
    now = utc("2025-06-09T20:00:00")  # Monday 13:00 local
    afternoon = parse_window("12:00-17:00")
    first, second = list(open_intervals(now, WEEKDAYS, PHOENIX, afternoon))[:2]
    # The span under way is returned whole (from 12:00), clipped to 16:00 by the hours.
    assert first == (datetime(2025, 6, 9, 12, 0, tzinfo=ZoneInfo(PHOENIX)), datetime(2025, 6, 9, 16, 0, tzinfo=ZoneInfo(PHOENIX)))
    assert second[0] == datetime(2025, 6, 10, 12, 0, tzinfo=ZoneInfo(PHOENIX))
    assert list(open_intervals(now, WEEKDAYS, PHOENIX, parse_window("17:00-21:00"))) == []


def test_open_intervals_clip_an_overnight_span_on_both_dates():
    pieces = list(open_intervals(utc("2025-06-13T18:00:00"), {"fri": "20:00-09:00"}, PHOENIX, parse_window("08:00-21:00")))
    zone = ZoneInfo(PHOENIX)
    assert pieces[:2] == [
        (datetime(2025, 6, 13, 20, 0, tzinfo=zone), datetime(2025, 6, 13, 21, 0, tzinfo=zone)),
        (datetime(2025, 6, 14, 8, 0, tzinfo=zone), datetime(2025, 6, 14, 9, 0, tzinfo=zone)),
    ]


def test_open_intervals_without_hours_is_empty():
    assert list(open_intervals(utc("2025-06-09T20:00:00"), {}, PHOENIX)) == []


@pytest.mark.parametrize("span", ["21:00-17:00", "17:00-17:00", "evening", "17:00-24:30"])
def test_a_window_must_end_later_the_same_day(span):
    with pytest.raises(OfficeHoursError, match="callbacks.windows.evening"):
        parse_window(span, "callbacks.windows.evening")


def test_hours_errors_name_the_section_and_day():
    with pytest.raises(OfficeHoursError, match=r"callbacks\.hours\.tue: time out of range"):
        parse_hours({"tue": "08:00-25:00"}, "callbacks.hours")
    with pytest.raises(OfficeHoursError, match="unknown day.* in office_hours: tues"):
        parse_hours({"tues": "08:00-16:00"})


@pytest.mark.parametrize("start, end, words", [
    ((12, 0), (16, 0), "between 12:00 and 4:00 PM"),
    ((8, 0), (12, 0), "between 8:00 AM and 12:00 PM"),
    ((8, 0), (11, 30), "between 8:00 and 11:30 AM"),
])
def test_describe_between_says_am_pm_once_when_shared(start, end, words):
    zone = ZoneInfo(PHOENIX)
    assert describe_between(datetime(2025, 6, 9, *start, tzinfo=zone), datetime(2025, 6, 9, *end, tzinfo=zone)) == words


def test_a_span_to_the_end_of_the_day_ends_at_midnight():
    zone = ZoneInfo(PHOENIX)
    start, end = datetime(2025, 6, 9, 18, 0, tzinfo=zone), datetime(2025, 6, 10, 0, 0, tzinfo=zone)
    assert format_end(start, end) == "midnight"
    assert describe_between(start, end) == "between 6:00 PM and midnight"
    assert format_end(datetime(2025, 6, 9, 0, 0, tzinfo=zone), datetime(2025, 6, 9, 0, 30, tzinfo=zone)) == "12:30 AM"


@pytest.mark.parametrize("moment, words", [
    ("2025-06-09T09:00:00", "today"),
    ("2025-06-10T09:00:00", "tomorrow"),
    ("2025-06-13T09:00:00", "Friday"),
    ("2025-06-16T09:00:00", "next Monday"),
])
def test_describe_day_counts_local_days(moment, words):
    now = utc("2025-06-10T03:00:00")  # Monday 20:00 local, Tuesday in UTC
    assert describe_day(datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo(PHOENIX)), now) == words


# -- in Spanish: the words of helpline/messages/es.yml (time:) --------------------------------------


@pytest.mark.parametrize("hour, minute, text", [(8, 0, "8:00 a. m."), (0, 5, "12:05 a. m."), (12, 30, "12:30 p. m."), (16, 0, "4:00 p. m.")])
def test_format_clock_in_spanish(hour, minute, text):
    assert format_clock(datetime(2025, 1, 1, hour, minute), "es") == text


@pytest.mark.parametrize("now, phrase", [
    ("2025-06-09T12:00:00", "hoy a las 8:00 a. m."),
    ("2025-06-10T03:00:00", "mañana a las 8:00 a. m."),
    ("2025-06-13T23:30:00", "el lunes a las 8:00 a. m."),
])
def test_describe_opening_in_spanish(now, phrase):
    opening = next_opening(utc(now), WEEKDAYS, PHOENIX)
    assert opening is not None
    assert describe_opening(opening, utc(now), "es") == phrase


def test_one_oclock_takes_the_singular_article_in_spanish():
    opening = next_opening(utc("2025-06-09T18:00:00"), {"mon": "13:00-17:00"}, PHOENIX)  # Monday 11:00
    assert opening is not None
    assert describe_opening(opening, utc("2025-06-09T18:00:00"), "es") == "hoy a la 1:00 p. m."
    assert describe_opening(opening, utc("2025-06-09T18:00:00")) == "today at 1:00 PM"


@pytest.mark.parametrize("start, end, words", [
    ((12, 0), (16, 0), "entre las 12:00 y las 4:00 p. m."),
    ((8, 0), (12, 0), "entre las 8:00 a. m. y las 12:00 p. m."),
    ((8, 0), (11, 30), "entre las 8:00 y las 11:30 a. m."),
    ((13, 0), (15, 0), "entre la 1:00 y las 3:00 p. m."),
])
def test_describe_between_in_spanish(start, end, words):
    zone = ZoneInfo(PHOENIX)
    begins, ends = (datetime(2025, 6, 9, hour, minute, tzinfo=zone) for hour, minute in (start, end))
    assert describe_between(begins, ends, "es") == words


def test_a_span_to_the_end_of_the_day_in_spanish_ends_at_midnight():
    zone = ZoneInfo(PHOENIX)
    start, end = datetime(2025, 6, 9, 18, 0, tzinfo=zone), datetime(2025, 6, 10, 0, 0, tzinfo=zone)
    assert format_end(start, end, "es") == "medianoche"
    assert describe_between(start, end, "es") == "entre las 6:00 p. m. y la medianoche"
    assert describe_before(start, end, "es") == "antes de la medianoche"
    assert describe_before(start, end) == "before midnight"
    assert describe_before(start, datetime(2025, 6, 9, 16, 0, tzinfo=zone), "es") == "antes de las 4:00 p. m."


@pytest.mark.parametrize("moment, words", [
    ("2025-06-09T09:00:00", "hoy"),
    ("2025-06-10T09:00:00", "mañana"),
    ("2025-06-13T09:00:00", "el viernes"),
    ("2025-06-14T09:00:00", "el sábado"),
    ("2025-06-16T09:00:00", "el próximo lunes"),
])
def test_describe_day_in_spanish(moment, words):
    now = utc("2025-06-10T03:00:00")  # Monday 20:00 local, Tuesday in UTC
    assert describe_day(datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo(PHOENIX)), now, "es") == words

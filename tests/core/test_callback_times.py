"""The callback promise: honest about when someone will call, in the caller's terms, never more than the facility keeps."""
from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict
from zoneinfo import ZoneInfo

import pytest
import yaml

from helpline.facility import Facility, FacilityConfigError, parse_facility
from helpline.intake.callback_times import (
    NO_HOURS,
    SCHEDULED,
    SHORTLY,
    URGENT_ALERTED,
    URGENT_WITHIN,
    WHEN_BACK,
    WINDOW_UNAVAILABLE,
    callback_promise,
)

ROOT = Path(__file__).resolve().parents[2]
PHOENIX = ZoneInfo("America/Phoenix")  # UTC-7 all year
NEW_YORK = ZoneInfo("America/New_York")
HELPLINE = "call (877) 224-0761, 24 hours a day, 7 days a week"

# 2025-06-09 is a Monday; Phoenix is UTC-7, so local = UTC - 7 h.
MONDAY_9AM = "2025-06-09T16:00:00"
MONDAY_1PM = "2025-06-09T20:00:00"
MONDAY_3_45PM = "2025-06-09T22:45:00"
MONDAY_4_30PM = "2025-06-09T23:30:00"
MONDAY_8PM = "2025-06-10T03:00:00"  # already Tuesday in UTC
TUESDAY_1AM = "2025-06-10T08:00:00"
FRIDAY_1PM = "2025-06-13T20:00:00"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def local(text: str, zone: ZoneInfo = PHOENIX) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.fixture
def sample() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "facility.yml").read_text())


@pytest.fixture
def pathfinders(sample) -> Facility:
    return parse_facility(sample)


def facility_with(sample: Dict[str, Any], **callbacks: Any) -> Facility:
    data = copy.deepcopy(sample)
    data["callbacks"] = {**data["callbacks"], **callbacks}
    return parse_facility(data)


def test_an_evening_request_outside_callback_hours_is_told_so_and_offered_the_next_time(pathfinders):
    # Measured failure: "someone will call you when the office opens today at 8:00 AM".
    promise = callback_promise(utc(MONDAY_8PM), "evening", "routine", pathfinders)
    assert promise.kind == WINDOW_UNAVAILABLE
    assert promise.sentence == (
        "Our team returns calls Monday to Friday, 8:00 AM to 4:00 PM, so we can't call in the evening; "
        f"we'll try tomorrow between 8:00 AM and 4:00 PM. If that doesn't work for you, {HELPLINE}."
    )
    assert promise.starts_at == local("2025-06-10T08:00:00")


@pytest.mark.parametrize("now, sentence, starts_at", [
    (MONDAY_9AM, "Someone will call you today between 12:00 and 4:00 PM.", "2025-06-09T12:00:00"),
    (MONDAY_1PM, "Someone will call you today before 4:00 PM.", "2025-06-09T13:00:00"),
    # 15 minutes left is too little to promise today.
    (MONDAY_3_45PM, "Someone will call you tomorrow between 12:00 and 4:00 PM.", "2025-06-10T12:00:00"),
    (MONDAY_4_30PM, "Someone will call you tomorrow between 12:00 and 4:00 PM.", "2025-06-10T12:00:00"),
])
def test_an_afternoon_request_before_inside_and_after_the_window(pathfinders, now, sentence, starts_at):
    promise = callback_promise(utc(now), "afternoon", "routine", pathfinders)
    assert (promise.kind, promise.sentence, promise.starts_at) == (SCHEDULED, sentence, local(starts_at))


def test_a_morning_request_on_friday_afternoon_is_monday_morning(pathfinders):
    promise = callback_promise(utc(FRIDAY_1PM), "morning", "soon", pathfinders)
    assert promise.sentence == "Someone will call you Monday between 8:00 AM and 12:00 PM."
    assert promise.starts_at == local("2025-06-16T08:00:00")


@pytest.mark.parametrize("best_time", ["asap", None, "anytime"])
def test_asap_during_callback_hours_is_shortly(pathfinders, best_time):
    promise = callback_promise(utc(MONDAY_1PM), best_time, "routine", pathfinders)
    assert (promise.kind, promise.sentence) == (SHORTLY, "Someone will call you shortly.")
    assert promise.starts_at == local("2025-06-09T13:00:00")


@pytest.mark.parametrize("now", [MONDAY_8PM, TUESDAY_1AM, MONDAY_3_45PM])
def test_asap_at_night_or_just_before_closing_is_when_the_team_is_back(pathfinders, now):
    promise = callback_promise(utc(now), "asap", "routine", pathfinders)
    assert promise.kind == WHEN_BACK
    day = "today" if now == TUESDAY_1AM else "tomorrow"
    assert promise.sentence == f"Someone will call you as soon as our team is back, {day} at 8:00 AM."
    assert promise.starts_at == local("2025-06-10T08:00:00")


def test_any_time_outside_hours_names_the_whole_next_span(pathfinders):
    promise = callback_promise(utc("2025-06-14T18:00:00"), "anytime", "routine", pathfinders)  # Saturday
    assert promise.sentence == "Someone will call you Monday between 8:00 AM and 4:00 PM."


@pytest.mark.parametrize("urgency", ["urgent", "immediate"])
def test_an_urgent_lead_at_night_is_told_staff_are_alerted_and_no_time_is_promised(pathfinders, urgency):
    # Measured failure: seizures reported at night, told "8:00 AM".
    promise = callback_promise(utc(TUESDAY_1AM), "evening", urgency, pathfinders)
    assert promise.kind == URGENT_ALERTED
    assert promise.sentence == (
        "Our on-call staff have been alerted now and will call you as soon as they can; "
        f"the fastest way to reach a person right now is to {HELPLINE}."
    )
    assert "8:00" not in promise.sentence and "minutes" not in promise.sentence
    assert promise.starts_at == local("2025-06-10T01:00:00")


def test_an_urgent_lead_is_promised_a_time_only_when_the_facility_keeps_one(sample):
    facility = facility_with(sample, urgent_within_minutes=30)
    promise = callback_promise(utc(TUESDAY_1AM), None, "urgent", facility)
    assert promise.kind == URGENT_WITHIN
    assert promise.sentence == "Our on-call staff have been alerted now, and someone will call you within about 30 minutes."


def test_without_on_call_staff_an_urgent_lead_hears_the_helpline_first(sample):
    facility = facility_with(sample, urgent_on_call=False)
    promise = callback_promise(utc(MONDAY_8PM), "asap", "urgent", facility)
    assert promise.kind == WHEN_BACK
    assert promise.sentence == (
        f"To reach a person right now, {HELPLINE}. Someone will call you as soon as our team is back, tomorrow at 8:00 AM."
    )
    assert "alerted" not in promise.sentence


def test_routine_leads_ignore_the_on_call_settings(sample):
    facility = facility_with(sample, urgent_within_minutes=15)
    assert callback_promise(utc(MONDAY_8PM), "asap", "routine", facility).kind == WHEN_BACK


def test_evening_callback_hours_are_used_and_the_window_is_clipped_to_them(sample):
    weekdays = {day: "08:00-20:00" for day in ("mon", "tue", "wed", "thu", "fri")}
    facility = facility_with(sample, hours=weekdays)
    promise = callback_promise(utc(MONDAY_9AM), "evening", "routine", facility)
    assert (promise.kind, promise.sentence) == (SCHEDULED, "Someone will call you today between 5:00 and 8:00 PM.")
    assert promise.starts_at == local("2025-06-09T17:00:00")


def test_evening_hours_on_some_days_only_wait_for_the_next_such_day(sample):
    hours = {"mon": "08:00-16:00", "tue": "12:00-20:00", "fri": "08:00-16:00"}
    facility = facility_with(sample, hours=hours)
    promise = callback_promise(utc(FRIDAY_1PM), "evening", "routine", facility)
    assert promise.sentence == "Someone will call you Tuesday between 5:00 and 8:00 PM."
    assert promise.starts_at == local("2025-06-17T17:00:00")


def test_a_window_running_to_midnight_says_midnight(sample):
    facility = facility_with(sample, hours={"mon": "10:00-24:00"}, windows={"evening": "18:00-24:00"})
    promise = callback_promise(utc(MONDAY_9AM), "evening", "routine", facility)
    assert promise.sentence == "Someone will call you today between 6:00 PM and midnight."


def test_overnight_callback_hours_under_way_past_midnight_do_not_say_today(sample):
    facility = facility_with(sample, hours={"mon": "20:00-02:00"})
    promise = callback_promise(utc("2025-06-10T06:00:00"), "morning", "routine", facility)  # Monday 23:00
    assert promise.kind == WINDOW_UNAVAILABLE
    assert "we'll try before 2:00 AM." in promise.sentence
    assert "Monday, 8:00 PM to 2:00 AM" in promise.sentence


@pytest.mark.parametrize("best_time", ["asap", "evening", None])
def test_no_callback_hours_at_all(sample, best_time):
    facility = facility_with(sample, hours={})
    promise = callback_promise(utc(MONDAY_1PM), best_time, "routine", facility)
    assert promise.kind == NO_HOURS and promise.starts_at is None
    assert promise.sentence == f"Someone will call you as soon as our team is available; to talk to someone sooner, {HELPLINE}."


def test_callback_hours_default_to_the_office_hours(sample):
    del sample["callbacks"]
    facility = parse_facility(sample)
    assert callback_promise(utc(MONDAY_8PM), "afternoon", "routine", facility).sentence == (
        "Someone will call you tomorrow between 12:00 and 4:00 PM."
    )
    # No callbacks section: nothing says on-call staff are paged, so nothing claims it.
    assert "alerted" not in callback_promise(utc(MONDAY_8PM), None, "urgent", facility).sentence


def test_a_time_zone_without_daylight_saving_keeps_its_offset(pathfinders):
    # Friday before the US spring change; Phoenix stays at UTC-7 through it.
    promise = callback_promise(utc("2025-03-08T01:00:00"), "asap", "routine", pathfinders)  # Friday 18:00
    assert promise.sentence == "Someone will call you as soon as our team is back, Monday at 8:00 AM."
    assert promise.starts_at.astimezone(timezone.utc) == utc("2025-03-10T15:00:00")


def test_a_daylight_saving_zone_follows_the_local_clock_across_the_change(sample):
    sample["timezone"] = "America/New_York"
    facility = parse_facility(sample)
    # Friday 17:00 EST (UTC-5); Monday 8:00 AM is EDT (UTC-4) after the change on Sunday 9 March.
    promise = callback_promise(utc("2025-03-07T22:00:00"), "morning", "routine", facility)
    assert promise.sentence == "Someone will call you Monday between 8:00 AM and 12:00 PM."
    assert promise.starts_at == local("2025-03-10T08:00:00", NEW_YORK)
    assert promise.starts_at.astimezone(timezone.utc) == utc("2025-03-10T12:00:00")
    # Saturday 22:00 EST is already Sunday in UTC: days are counted on the local clock.
    promise = callback_promise(utc("2025-03-09T03:00:00"), "asap", "routine", facility)
    assert promise.sentence == "Someone will call you as soon as our team is back, Monday at 8:00 AM."


def test_time_left_is_real_time_when_the_clock_jumps(sample):
    sample["timezone"] = "America/New_York"
    facility = facility_with(sample, hours={"sun": "01:00-03:00"})
    # 01:45 EST on 9 March; at 02:00 the clock jumps to 03:00 EDT, so 15 real minutes are left
    # although the wall clock shows 1 h 15 min.
    promise = callback_promise(utc("2025-03-09T06:45:00"), "asap", "routine", facility)
    assert promise.kind == WHEN_BACK
    assert promise.sentence == "Someone will call you as soon as our team is back, next Sunday at 1:00 AM."


def test_naive_now_is_utc(pathfinders):
    assert callback_promise(datetime(2025, 6, 9, 20, 0), "asap", "routine", pathfinders).kind == SHORTLY


@pytest.mark.parametrize("best_time, urgency", [("tonight", "routine"), ("asap", "critical"), ("", "routine")])
def test_unknown_best_time_or_urgency_is_refused(pathfinders, best_time, urgency):
    with pytest.raises(ValueError):
        callback_promise(utc(MONDAY_1PM), best_time, urgency, pathfinders)


@pytest.mark.parametrize("change, message", [
    (lambda c: c.update(hours={"mon": "8 to 4"}), "callbacks.hours"),
    (lambda c: c.update(hours={"monday": "08:00-16:00"}), "unknown day"),
    (lambda c: c.update(hours=["08:00-16:00"]), "callbacks.hours"),
    (lambda c: c.update(windows={"evening": "21:00-17:00"}), "callbacks.windows.evening"),
    (lambda c: c.update(windows={"evening": "17:00-25:00"}), "callbacks.windows.evening: time out of range"),
    (lambda c: c.update(windows={"night": "21:00-24:00"}), "unknown day part"),
    (lambda c: c.update(urgent_on_call="yes"), "urgent_on_call"),
    (lambda c: c.update(urgent_within_minutes=0), "urgent_within_minutes"),
    (lambda c: c.update(urgent_within_minutes=True), "urgent_within_minutes"),
    (lambda c: c.update(urgent_within_minutes="30"), "urgent_within_minutes"),
    (lambda c: c.update(urgent_on_call=False, urgent_within_minutes=30), "needs urgent_on_call"),
    (lambda c: c.update(callback_hours={}), "unknown key"),
])
def test_a_callbacks_section_we_could_not_keep_is_refused(sample, change: Callable[[Dict[str, Any]], None], message):
    change(sample["callbacks"])
    with pytest.raises(FacilityConfigError, match=message):
        parse_facility(sample)


# -- in Spanish (the conversation's language slot "es"): same promises, same clocks ----------------

LINEA = "llame al (877) 224-0761, las 24 horas, de lunes a domingo"


@pytest.mark.parametrize("now, best_time, kind, sentence", [
    (MONDAY_9AM, "afternoon", SCHEDULED, "Alguien le llamará hoy entre las 12:00 y las 4:00 p. m."),
    (MONDAY_1PM, "afternoon", SCHEDULED, "Alguien le llamará hoy antes de las 4:00 p. m."),
    (MONDAY_4_30PM, "afternoon", SCHEDULED, "Alguien le llamará mañana entre las 12:00 y las 4:00 p. m."),
    (FRIDAY_1PM, "morning", SCHEDULED, "Alguien le llamará el lunes entre las 8:00 a. m. y las 12:00 p. m."),
    (MONDAY_1PM, "asap", SHORTLY, "Alguien le llamará en breve."),
    (MONDAY_8PM, "asap", WHEN_BACK, "Alguien le llamará en cuanto nuestro equipo regrese, mañana a las 8:00 a. m."),
    (TUESDAY_1AM, None, WHEN_BACK, "Alguien le llamará en cuanto nuestro equipo regrese, hoy a las 8:00 a. m."),
    ("2025-06-14T18:00:00", "anytime", SCHEDULED, "Alguien le llamará el lunes entre las 8:00 a. m. y las 4:00 p. m."),
    ("2025-06-14T18:00:00", "asap", WHEN_BACK, "Alguien le llamará en cuanto nuestro equipo regrese, el lunes a las 8:00 a. m."),
])
def test_routine_promises_in_spanish(pathfinders, now, best_time, kind, sentence):
    promise = callback_promise(utc(now), best_time, "routine", pathfinders, "es")
    assert (promise.kind, promise.sentence) == (kind, sentence)
    # Same time as in English: only the words change.
    assert promise.starts_at == callback_promise(utc(now), best_time, "routine", pathfinders).starts_at


def test_an_evening_request_outside_callback_hours_in_spanish(pathfinders):
    promise = callback_promise(utc(MONDAY_8PM), "evening", "routine", pathfinders, "es")
    assert promise.kind == WINDOW_UNAVAILABLE
    assert promise.sentence == (
        "Nuestro equipo devuelve las llamadas de lunes a viernes, de 8:00 a. m. a 4:00 p. m., así que no podemos "
        "llamarle por la noche; intentaremos llamarle mañana entre las 8:00 a. m. y las 4:00 p. m. "
        f"Si ese horario no le funciona, {LINEA}."
    )


def test_urgent_promises_in_spanish(sample, pathfinders):
    promise = callback_promise(utc(TUESDAY_1AM), "evening", "urgent", pathfinders, "es")
    assert (promise.kind, promise.sentence) == (URGENT_ALERTED, (
        "Ya avisamos a nuestro personal de guardia y le llamarán lo antes posible; la forma más rápida "
        f"de hablar con una persona ahora mismo es {LINEA.replace('llame', 'llamar')}."
    ))
    within = callback_promise(utc(TUESDAY_1AM), None, "immediate", facility_with(sample, urgent_within_minutes=30), "es")
    assert within.sentence == "Ya avisamos a nuestro personal de guardia, y alguien le llamará dentro de unos 30 minutos."
    first = callback_promise(utc(MONDAY_8PM), "asap", "urgent", facility_with(sample, urgent_on_call=False), "es")
    assert first.sentence == (
        f"Para hablar con una persona ahora mismo, {LINEA}. "
        "Alguien le llamará en cuanto nuestro equipo regrese, mañana a las 8:00 a. m."
    )


def test_spanish_midnight_next_week_and_overnight_spans(sample):
    to_midnight = facility_with(sample, hours={"mon": "10:00-24:00"}, windows={"evening": "18:00-24:00"})
    assert callback_promise(utc(MONDAY_9AM), "evening", "routine", to_midnight, "es").sentence == (
        "Alguien le llamará hoy entre las 6:00 p. m. y la medianoche."
    )
    under_way = callback_promise(utc("2025-06-10T05:00:00"), "evening", "routine", to_midnight, "es")  # Monday 22:00
    assert under_way.sentence == "Alguien le llamará hoy antes de la medianoche."
    weekly = facility_with(sample, hours={"sun": "13:00-15:00"})
    # Sunday 14:45, too late today: a week ahead.
    assert callback_promise(utc("2025-06-15T21:45:00"), "asap", "routine", weekly, "es").sentence == (
        "Alguien le llamará en cuanto nuestro equipo regrese, el próximo domingo a la 1:00 p. m."
    )
    overnight = facility_with(sample, hours={"mon": "20:00-02:00"})
    promise = callback_promise(utc("2025-06-10T06:00:00"), "morning", "routine", overnight, "es")  # Monday 23:00
    assert "intentaremos llamarle antes de las 2:00 a. m." in promise.sentence
    assert "los lunes, de 8:00 p. m. a 2:00 a. m." in promise.sentence


def test_no_callback_hours_in_spanish(sample):
    promise = callback_promise(utc(MONDAY_1PM), "asap", "routine", facility_with(sample, hours={}), "es")
    assert promise.sentence == (
        f"Alguien le llamará en cuanto nuestro equipo esté disponible; para hablar con alguien antes, {LINEA}."
    )


@pytest.mark.parametrize("language", [None, "en", "fr"])
def test_no_language_or_one_without_wording_is_english(pathfinders, language):
    promise = callback_promise(utc(MONDAY_9AM), "afternoon", "routine", pathfinders, language)
    assert promise.sentence == "Someone will call you today between 12:00 and 4:00 PM."

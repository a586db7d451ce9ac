"""The facility file is the one place facts live; answers read them from there."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from helpline.facility import (
    CALLBACK_WINDOWS,
    PROSE_FACTS,
    FacilityConfigError,
    describe_office_hours,
    load_facility,
    parse_facility,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sample() -> dict:
    return yaml.safe_load((ROOT / "facility.yml").read_text())


def test_sample_facility_states_the_seed_facts(sample):
    facts = parse_facility(sample).placeholders()
    assert facts["facility_name"] == "Pathfinders"
    assert facts["helpline_phone"] == "(877) 224-0761"
    assert (facts["hours_per_week_min"], facts["hours_per_week_max"]) == ("9", "19")
    assert facts["typical_length"] == "about 90 days"
    assert facts["address"] == "7580 E Gray Rd Suite 201, Scottsdale, AZ 85260"
    assert facts["office_hours"] == "Monday to Friday, 8:00 AM to 4:00 PM"


def test_office_hours_group_consecutive_days_only():
    hours = {"mon": "08:00-16:00", "tue": "08:00-16:00", "thu": "08:00-16:00", "sat": "10:00-12:30"}
    assert describe_office_hours(hours) == (
        "Monday to Tuesday, 8:00 AM to 4:00 PM; Thursday, 8:00 AM to 4:00 PM; Saturday, 10:00 AM to 12:30 PM"
    )


def test_services_change_the_offer_phrases(sample):
    changed = copy.deepcopy(sample)
    changed["services"]["virtual_iop"] = False
    changed["services"]["detox"] = True
    facts = parse_facility(changed).placeholders()
    assert "in person" in facts["virtual_offer"]
    assert "offers medically supervised detox" in facts["detox_offer"]


def test_sample_facility_states_the_referral_and_case_management_facts(sample):
    facts = parse_facility(sample).placeholders()
    assert facts["low_cost_helpline_name"] == "SAMHSA National Helpline"
    # One number in the file: the crisis answers and the low-cost answer name the same line.
    assert facts["low_cost_helpline_phone"] == facts["treatment_referral_number"] == "1-800-662-4357"
    assert facts["public_coverage_name"] == "AHCCCS"
    assert "alcohol" in facts["substances_treated"] and "opioid" in facts["substances_treated"]
    assert "medication-assisted treatment" in facts["mat_coordination"]
    assert "drug court" in facts["court_support"]


def test_facts_the_seeds_do_not_state_offer_a_call_instead_of_a_guess(sample):
    facts = parse_facility(sample).placeholders()
    for key in ("ages_policy", "childcare_policy", "transportation_policy", "drug_testing_policy",
                "court_letters_policy", "holiday_office"):
        assert "on a call" in facts[key] or "confirm" in facts[key], key


def test_case_management_and_virtual_change_their_phrases(sample):
    changed = copy.deepcopy(sample)
    changed["case_management"] = {"medication_assisted_treatment": False, "drug_court": False}
    changed["services"]["virtual_iop"] = False
    facts = parse_facility(changed).placeholders()
    assert "case manager" not in facts["mat_coordination"] and "on a call" in facts["mat_coordination"]
    assert "drug court" not in facts["court_support"] and "on a call" in facts["court_support"]
    assert facts["virtual_alternative"] == ""


@pytest.mark.parametrize("broken", [
    lambda d: d.pop("phones"),
    lambda d: d.pop("policies"),
    lambda d: d["policies"].update(ages=None),
    lambda d: d["referrals"]["national_helpline"].pop("phone"),
    lambda d: d.update(treats=""),
    lambda d: d["office_hours"].update(mon="8 to 4"),
    lambda d: d.update(timezone="Mars/Olympus"),
    lambda d: d["program"].pop("hours_per_week_max"),
    lambda d: d.update(callbacks="office hours"),
    lambda d: d["callbacks"].update(hours={"sat": "10:00-10:00"}),
    lambda d: d["callbacks"]["windows"].update(morning="noon"),
    lambda d: d["callbacks"].update(urgent_within_minutes=-5),
])
def test_a_broken_facility_file_is_refused_with_a_clear_error(sample, broken):
    broken(sample)
    with pytest.raises(FacilityConfigError):
        parse_facility(sample)


def test_sample_facility_calls_back_in_office_hours_and_promises_no_urgent_time(sample):
    facility = parse_facility(sample)
    assert facility.callback_hours == facility.office_hours
    assert facility.callback_windows == {"morning": "08:00-12:00", "afternoon": "12:00-17:00", "evening": "17:00-21:00"}
    assert facility.urgent_on_call is True
    assert facility.urgent_within_minutes is None


def test_callbacks_section_overrides_and_defaults(sample):
    sample["callbacks"] = {
        "hours": {"mon": "08:00-20:00"}, "windows": {"evening": "18:00-22:00"},
        "urgent_on_call": True, "urgent_within_minutes": 20,
    }
    facility = parse_facility(sample)
    assert facility.callback_hours == {"mon": "08:00-20:00"}
    # A day part the file leaves out keeps its default.
    assert facility.callback_windows == {**CALLBACK_WINDOWS, "evening": "18:00-22:00"}
    assert facility.urgent_within_minutes == 20
    sample["callbacks"] = {"hours": {}}
    assert parse_facility(sample).callback_hours == {}  # no set callback hours, unlike omitting them


def test_without_a_callbacks_section_nothing_is_promised_for_urgent_leads(sample):
    del sample["callbacks"]
    facility = parse_facility(sample)
    assert facility.callback_hours == facility.office_hours
    assert facility.callback_windows == CALLBACK_WINDOWS
    assert facility.urgent_on_call is False and facility.urgent_within_minutes is None


def test_a_bad_callbacks_section_names_itself(sample):
    sample["callbacks"]["hours"] = {"mon": "8 to 4"}
    with pytest.raises(FacilityConfigError, match=r"callbacks\.hours\.mon: cannot read '8 to 4'"):
        parse_facility(sample)


def test_an_edited_file_is_reread_without_restart(tmp_path, sample):
    path = tmp_path / "facility.yml"
    path.write_text(yaml.safe_dump(sample))
    assert load_facility(path).placeholders()["hours_per_week_max"] == "19"
    sample["program"]["hours_per_week_max"] = 21
    path.write_text(yaml.safe_dump(sample))
    import os
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert load_facility(path).placeholders()["hours_per_week_max"] == "21"


# -- other languages: prose facts translated in facility.yml, composed sentences in helpline/messages --


def _remove(data: dict, path: tuple) -> None:
    node = data
    for step in path[:-1]:
        node = node[step]
    del node[path[-1]]


def test_sample_facility_states_the_facts_in_spanish(sample):
    facts = parse_facility(sample).placeholders("es")
    assert facts["program_name"] == "Programa Intensivo Ambulatorio (IOP)"
    assert facts["typical_length"] == "unos 90 días"
    assert facts["helpline_hours"] == "las 24 horas, de lunes a domingo"
    assert facts["office_hours"] == "de lunes a viernes, de 8:00 a. m. a 4:00 p. m."
    assert facts["timezone_label"] == "hora de Phoenix"
    assert facts["therapies"].startswith("el Modelo Matrix, terapia cognitivo-conductual (CBT), ")
    assert facts["therapies"].endswith(" facilitación de los 12 pasos y terapia de mejora de la motivación y entrevista motivacional")
    assert "opioides" in facts["substances_treated"]
    assert facts["public_coverage_about"] == "el programa de Medicaid de Arizona"
    assert "desintoxicación (detox)" in facts["detox_offer"]
    assert "tratamiento residencial (internamiento)" in facts["inpatient_offer"]
    assert "tratamiento asistido con medicamentos (MAT)" in facts["mat_coordination"]
    for key in ("ages_policy", "childcare_policy", "transportation_policy", "drug_testing_policy", "court_letters_policy"):
        assert "en una llamada" in facts[key].lower(), key


def test_numbers_phones_addresses_and_names_are_the_same_in_every_language(sample):
    english, spanish = (parse_facility(sample).placeholders(lang) for lang in ("en", "es"))
    for key in ("facility_name", "helpline_phone", "address", "city", "hours_per_week_min", "days_per_week_max",
                "low_cost_helpline_name", "low_cost_helpline_phone", "public_coverage_name", "lifeline_number",
                "lifeline_chat_es", "emergency_number"):
        assert spanish[key] == english[key], key
    assert set(spanish) == set(english)


def test_every_spanish_fact_differs_from_the_english_one_where_it_is_said_in_words(sample):
    english, spanish = (parse_facility(sample).placeholders(lang) for lang in ("en", "es"))
    worded = {"program_name", "helpline_hours", "office_hours", "timezone_label", "typical_length", "length_range",
              "evening_groups", "therapies", "insurance_accepted", "insurance_verification", "payment_plans",
              "detox_offer", "inpatient_offer", "virtual_offer", "virtual_alternative", "mat_coordination",
              "court_support", "spanish_staff", "substances_treated", "holiday_helpline", "holiday_office",
              "low_cost_helpline_about", "public_coverage_about"} | {k for k in english if k.endswith("_policy")}
    assert [key for key in sorted(worded) if spanish[key] == english[key]] == []


@pytest.mark.parametrize("path", PROSE_FACTS, ids=".".join)
def test_every_prose_fact_has_a_spanish_translation_and_a_missing_one_is_named(sample, path):
    assert sample.get("translations", {}).get("es") is not None
    node = sample["translations"]["es"]
    for step in path:
        node = node[step]
    assert node, f"translations.es.{'.'.join(path)} is empty"
    _remove(sample["translations"]["es"], path)
    with pytest.raises(FacilityConfigError, match=rf"translations\.es\.{'.'.join(path)}: "):
        parse_facility(sample)


@pytest.mark.parametrize("broken, message", [
    (lambda t: t.update(name="Pioneros"), r"translations\.es\.name: not a fact said in words"),
    (lambda t: t["program"].update(hours_per_week_max=20), r"translations\.es\.program\.hours_per_week_max: not a fact"),
    (lambda t: t.update(phones={"helpline": "1"}), r"translations\.es\.phones\.helpline: not a fact"),
    (lambda t: t["therapies"].pop(), r"translations\.es\.therapies: .*list of 7"),
    (lambda t: t["policies"].update(ages="  "), r"translations\.es\.policies\.ages: missing"),
    (lambda t: t.update(treats=["alcohol"]), r"translations\.es\.treats: missing"),
])
def test_a_translation_of_anything_but_prose_or_a_partial_one_is_refused(sample, broken, message):
    broken(sample["translations"]["es"])
    with pytest.raises(FacilityConfigError, match=message):
        parse_facility(sample)


def test_translations_only_for_languages_the_helpline_speaks(sample):
    sample["translations"]["fr"] = {"treats": "alcool"}
    with pytest.raises(FacilityConfigError, match=r"translations\.fr: the helpline has no wording in 'fr'"):
        parse_facility(sample)


def test_without_translations_spanish_wording_carries_the_english_facts(sample):
    del sample["translations"]
    facts = parse_facility(sample).placeholders("es")
    assert facts["typical_length"] == "about 90 days"  # the provider's words, untranslated
    assert facts["office_hours"] == "de lunes a viernes, de 8:00 a. m. a 4:00 p. m."  # composed: Spanish


def test_an_unknown_language_or_none_is_english(sample):
    facility = parse_facility(sample)
    assert facility.placeholders(None) == facility.placeholders("fr") == facility.placeholders()


def test_program_name_left_out_is_the_default_of_each_language(sample):
    del sample["program_name"]
    del sample["translations"]["es"]["program_name"]
    facility = parse_facility(sample)
    assert facility.placeholders()["program_name"] == "Intensive Outpatient Program (IOP)"
    assert facility.placeholders("es")["program_name"] == "Programa Intensivo Ambulatorio (IOP)"


def test_office_hours_in_spanish_say_weekly_days_and_midnight():
    hours = {"mon": "08:00-16:00", "tue": "08:00-16:00", "thu": "13:00-17:00", "sat": "10:00-24:00"}
    assert describe_office_hours(hours, "es") == (
        "de lunes a martes, de 8:00 a. m. a 4:00 p. m.; los jueves, de 1:00 p. m. a 5:00 p. m.; "
        "los sábados, de 10:00 a. m. a medianoche"
    )
    assert describe_office_hours({"sat": "10:00-24:00"}) == "Saturday, 10:00 AM to midnight"
    assert describe_office_hours({}, "es") == "con cita previa"
    assert describe_office_hours({}) == "by appointment"


def test_composed_sentences_follow_the_services_in_spanish(sample):
    sample["services"].update(detox=True, virtual_iop=False, inpatient=False)
    sample["case_management"] = {"medication_assisted_treatment": False, "drug_court": False}
    facts = parse_facility(sample).placeholders("es")
    assert facts["detox_offer"].startswith("Pathfinders ofrece desintoxicación (detox) con supervisión médica")
    assert facts["virtual_offer"].startswith("El IOP de Pathfinders es en persona")
    assert facts["virtual_alternative"] == ""
    assert facts["inpatient_offer"].startswith("Si primero necesita tratamiento residencial")
    assert "en una llamada" in facts["mat_coordination"] and "en una llamada" in facts["court_support"]


# -- Spanish-speaking staff -----------------------------------------------------------------------


def test_sample_facility_has_spanish_speaking_staff_in_office_hours(sample):
    facility = parse_facility(sample)
    assert facility.spanish_staff_available is True
    assert facility.spanish_staff_hours == facility.office_hours
    assert facility.placeholders("es")["spanish_staff"] == (
        "Tenemos personal que habla español de lunes a viernes, de 8:00 a. m. a 4:00 p. m."
    )
    assert facility.placeholders()["spanish_staff"] == "We have Spanish-speaking staff Monday to Friday, 8:00 AM to 4:00 PM."


def test_spanish_staff_hours_of_their_own(sample):
    sample["languages"]["spanish_staff"]["hours"] = {"tue": "09:00-13:00", "thu": "09:00-13:00"}
    facility = parse_facility(sample)
    assert facility.spanish_staff_hours == {"tue": "09:00-13:00", "thu": "09:00-13:00"}
    assert facility.placeholders("es")["spanish_staff"] == (
        "Tenemos personal que habla español los martes, de 9:00 a. m. a 1:00 p. m.; los jueves, de 9:00 a. m. a 1:00 p. m."
    )


@pytest.mark.parametrize("languages", [None, {"spanish_staff": {"available": False}}])
def test_no_spanish_speaking_staff_is_said_honestly(sample, languages):
    if languages is None:
        del sample["languages"]  # the file says nothing: nothing is promised
    else:
        sample["languages"] = languages
    facility = parse_facility(sample)
    assert facility.spanish_staff_available is False and facility.spanish_staff_hours == {}
    assert facility.placeholders("es")["spanish_staff"].startswith("Por ahora no tenemos personal que hable español")
    assert facility.placeholders()["spanish_staff"].startswith("We have no Spanish-speaking staff")


@pytest.mark.parametrize("broken, message", [
    (lambda d: d.update(languages="spanish"), "languages: must be a mapping"),
    (lambda d: d["languages"].update(french_staff={}), "languages: must be a mapping"),
    (lambda d: d["languages"]["spanish_staff"].update(available="yes"), "available: write true or false"),
    (lambda d: d["languages"]["spanish_staff"].update(days="mon"), "unknown key"),
    (lambda d: d["languages"]["spanish_staff"].update(hours={"mon": "8 to 4"}), r"languages\.spanish_staff\.hours\.mon"),
    (lambda d: d.update(office_hours={}), r"languages\.spanish_staff\.hours: say when"),
])
def test_a_languages_section_we_could_not_keep_is_refused(sample, broken, message):
    broken(sample)
    with pytest.raises(FacilityConfigError, match=message):
        parse_facility(sample)

"""The facility file is the one place facts live; answers read them from there."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from helpline.facility import (
    CALLBACK_WINDOWS,
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

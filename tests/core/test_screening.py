"""Screening rules R1-R7 (see helpline/screening.py), one test per branch."""
from __future__ import annotations

import pytest

from helpline.screening import REASON_TEXT, Screening, describe_reasons, screen


def test_default_is_routine_iop():
    result = screen({"substances": ["cannabis"], "last_use": "this week", "withdrawal_signs": [], "prior_treatment": []})
    assert result == Screening("routine", "iop_fit", ["default"])


def test_empty_answers_are_routine_iop():
    assert screen({}) == Screening("routine", "iop_fit", ["default"])


@pytest.mark.parametrize("sign", ["seizures", "hallucinations", "severe_vomiting"])
def test_r1_danger_signs_are_urgent_and_need_a_higher_level(sign):
    result = screen({"substances": ["stimulants"], "last_use": "this month", "withdrawal_signs": [sign]})
    assert (result.urgency, result.level_of_care) == ("urgent", "higher_level")
    assert result.reasons == ["danger_withdrawal_signs"]


@pytest.mark.parametrize("substance", ["alcohol", "benzodiazepines"])
@pytest.mark.parametrize("last_use", ["today", "yesterday", "this week", None])
def test_r2_shaking_with_recent_alcohol_or_benzos_is_urgent(substance, last_use):
    result = screen({"substances": [substance], "last_use": last_use, "withdrawal_signs": ["shaking"]})
    assert (result.urgency, result.level_of_care) == ("urgent", "higher_level")
    assert "alcohol_benzo_withdrawal" in result.reasons
    assert "withdrawal_symptoms" not in result.reasons  # R5 would only repeat R2


def test_r2_needs_recent_use():
    result = screen({"substances": ["alcohol"], "last_use": "longer", "withdrawal_signs": ["shaking"]})
    assert "alcohol_benzo_withdrawal" not in result.reasons
    assert (result.urgency, result.level_of_care) == ("soon", "iop_fit")  # R5 still applies


def test_r2_needs_a_sedative():
    result = screen({"substances": ["opioids"], "last_use": "this week", "withdrawal_signs": ["shaking"]})
    assert result == Screening("soon", "iop_fit", ["withdrawal_symptoms"])


@pytest.mark.parametrize("last_use", ["today", "yesterday"])
def test_r3_recent_opioid_use_is_at_least_soon(last_use):
    result = screen({"substances": ["opioids"], "last_use": last_use, "withdrawal_signs": []})
    assert result == Screening("soon", "iop_fit", ["recent_opioid_use"])


def test_r3_older_opioid_use_is_routine():
    result = screen({"substances": ["opioids"], "last_use": "this week", "withdrawal_signs": []})
    assert result == Screening("routine", "iop_fit", ["default"])


def test_r4_depressant_combination_this_week():
    result = screen({"substances": ["alcohol", "benzodiazepines"], "last_use": "this week", "withdrawal_signs": []})
    assert result == Screening("soon", "iop_fit", ["depressant_combination"])


def test_r4_needs_two_depressants():
    result = screen({"substances": ["alcohol", "cannabis"], "last_use": "this week", "withdrawal_signs": []})
    assert result.reasons == ["default"]


def test_r5_mild_withdrawal_signs_are_soon():
    result = screen({"substances": ["cannabis"], "last_use": "this week", "withdrawal_signs": ["other"]})
    assert result == Screening("soon", "iop_fit", ["withdrawal_symptoms"])


def test_r6_any_use_today_is_soon():
    result = screen({"substances": ["stimulants"], "last_use": "today", "withdrawal_signs": []})
    assert result == Screening("soon", "iop_fit", ["recent_use"])


@pytest.mark.parametrize("treatment", [["detox"], ["inpatient"], ["outpatient"], ["mat"], ["inpatient", "other"]])
def test_r7_months_without_use_after_treatment_may_fit_outpatient(treatment):
    result = screen({"substances": ["alcohol"], "last_use": "longer", "withdrawal_signs": [], "prior_treatment": treatment})
    assert result == Screening("routine", "outpatient", ["no_recent_use_after_treatment"])


def test_r7_meetings_alone_are_not_treatment():
    result = screen({"substances": ["alcohol"], "last_use": "longer", "withdrawal_signs": [], "prior_treatment": ["other"]})
    assert result.level_of_care == "iop_fit"


def test_r7_needs_no_recent_use():
    result = screen({"substances": ["alcohol"], "last_use": "this month", "prior_treatment": ["detox"]})
    assert result.level_of_care == "iop_fit"


def test_r7_does_not_apply_with_withdrawal_signs():
    result = screen({"substances": ["alcohol"], "last_use": "longer", "withdrawal_signs": ["other"], "prior_treatment": ["detox"]})
    assert result.level_of_care == "iop_fit"


def test_rules_only_raise_urgency_and_collect_every_reason():
    result = screen({
        "substances": ["alcohol", "opioids", "benzodiazepines"],
        "last_use": "today",
        "withdrawal_signs": ["shaking", "seizures"],
    })
    assert (result.urgency, result.level_of_care) == ("urgent", "higher_level")
    assert result.reasons == [
        "danger_withdrawal_signs", "alcohol_benzo_withdrawal", "recent_opioid_use", "depressant_combination",
    ]


def test_a_single_string_answer_is_accepted():
    assert screen({"substances": "opioids", "last_use": "today"}).reasons == ["recent_opioid_use"]


def test_to_dict_and_reason_text():
    result = screen({"withdrawal_signs": ["seizures"]})
    assert result.to_dict() == {"urgency": "urgent", "level_of_care": "higher_level", "reasons": ["danger_withdrawal_signs"]}
    assert describe_reasons(result.reasons) == [REASON_TEXT["danger_withdrawal_signs"]]
    assert describe_reasons(["made_up"]) == ["made_up"]

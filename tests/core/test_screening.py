"""Screening rules R1-R7 (see helpline/intake/screening.py), one test per branch."""
from __future__ import annotations

import pytest

from helpline.intake.screening import REASON_TEXT, URGENCIES, Screening, describe_reasons, screen


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


# -- R0: the suicide-risk screen, and R0b: a callback from the crisis path --------------------

def test_urgency_order_puts_immediate_above_urgent():
    assert URGENCIES == ("routine", "soon", "urgent", "immediate")


@pytest.mark.parametrize("key", ["suicide_wish", "suicide_thoughts", "loved_one_suicide_risk"])
def test_r0_a_yes_on_any_screen_question_is_immediate(key):
    result = screen({"substances": ["cannabis"], "last_use": "longer", key: "yes"})
    assert result.urgency == "immediate"
    assert result.reasons == ["suicide_screen_positive"]
    assert "suicide screen positive" in REASON_TEXT["suicide_screen_positive"].lower()


def test_r0_keeps_the_other_reasons_and_the_level_of_care():
    result = screen({"substances": ["alcohol"], "last_use": "today", "withdrawal_signs": ["shaking"], "suicide_wish": "no",
                     "suicide_thoughts": "yes"})
    assert (result.urgency, result.level_of_care) == ("immediate", "higher_level")
    assert result.reasons[0] == "suicide_screen_positive" and "alcohol_benzo_withdrawal" in result.reasons


@pytest.mark.parametrize("answer", ["no", "declined", None])
def test_no_or_declined_screen_answers_raise_nothing(answer):
    result = screen({"substances": ["cannabis"], "last_use": "this week", "suicide_wish": answer, "suicide_thoughts": answer})
    assert result == Screening("routine", "iop_fit", ["default"])


def test_r0c_an_answer_still_unclear_after_asking_twice_is_soon_for_staff_to_ask():
    result = screen({"substances": ["cannabis"], "last_use": "this week", "suicide_wish": "unclear", "suicide_thoughts": "no"})
    assert result == Screening("soon", "iop_fit", ["suicide_screen_unclear"])


def test_r0b_a_crisis_follow_up_is_immediate_even_without_answers():
    assert screen({}, crisis_follow_up=True) == Screening("immediate", "iop_fit", ["crisis_follow_up"])
    assert screen({"suicide_wish": "yes"}, crisis_follow_up=True).reasons == ["suicide_screen_positive", "crisis_follow_up"]


def test_every_reason_a_rule_can_give_has_staff_text():
    answers = {"substances": ["alcohol", "opioids", "benzodiazepines"], "last_use": "today",
               "withdrawal_signs": ["shaking", "seizures", "other"], "suicide_wish": "yes", "suicide_thoughts": "unclear"}
    for reason in screen(answers, crisis_follow_up=True).reasons:
        assert reason in REASON_TEXT, reason

"""ValidateIntakeForm: answers in any shape become clean slots; anything else gets a kind re-ask."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.events import SlotSet

from actions.intake_form import ValidateIntakeForm
from tests.adapters.conftest import make_tracker, responses


def run_form(tracker, dispatcher, domain) -> dict:
    events = asyncio.run(ValidateIntakeForm().run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot" and e["name"] != "requested_slot"}


@pytest.mark.parametrize("slot, text, intent, expected", [
    ("callback_phone", "my number is (602) 555-0134 thanks", "inform", "+16025550134"),
    ("who_for", "myself", "inform", "self"),
    ("substances", "mostly beer and some xanax", "inform", ["alcohol", "benzodiazepines"]),
    ("state", "arizona", "inform", "AZ"),
    ("best_time", "after 5pm", "inform", "evening"),
    ("consent", "yes I agree", "affirm", True),
    ("consent", "no", "deny", False),
    # A one-word answer the classifier mistakes for an FAQ is still an answer.
    ("prior_treatment", "detox", "faq", ["detox"]),
    ("insurance", "do you take aetna?", "faq", "Aetna"),
])
def test_answers_are_normalised(slot, text, intent, expected, dispatcher, domain):
    filled = run_form(make_tracker(text, intent, requested_slot=slot), dispatcher, domain)
    assert filled[slot] == expected
    assert not any(r and r.startswith("utter_reask") for r in responses(dispatcher))


def test_loved_one_answer_also_fills_the_relation(dispatcher, domain):
    filled = run_form(make_tracker("my son", requested_slot="who_for"), dispatcher, domain)
    assert filled["who_for"] == "loved_one"
    assert filled["caller_relation"] == "parent"


@pytest.mark.parametrize("slot, text, reask", [
    ("callback_phone", "12345", "utter_reask_phone"),
    ("callback_phone", "call me maybe", "utter_reask_phone"),
    ("callback_phone", "   ", "utter_reask_empty"),
    ("last_use", "x" * 600, "utter_reask_too_long"),
    ("first_name", "6025550134", "utter_reask_digits_only"),
    ("consent", "maybe later", "utter_reask_unclear"),
    ("state", "the moon", "utter_reask_unrecognized"),
])
def test_bad_answers_get_a_clear_reask_and_no_value(slot, text, reask, dispatcher, domain):
    filled = run_form(make_tracker(text, requested_slot=slot), dispatcher, domain)
    assert filled[slot] is None
    assert reask in responses(dispatcher)


@pytest.mark.parametrize("slot, text, intent", [
    ("first_name", "how much does it cost?", "faq"),
    ("insurance", "how long is the program", "faq"),
    ("last_use", "never mind", "stop"),
    ("callback_phone", "i want to end my life", "crisis"),
    ("state", "arizona", "crisis"),  # crisis wins even over an understood answer
])
def test_questions_stops_and_crises_are_left_to_the_rules(slot, text, intent, dispatcher, domain):
    filled = run_form(make_tracker(text, intent, requested_slot=slot), dispatcher, domain)
    assert slot not in filled
    assert dispatcher.messages == []


def test_skip_fills_optional_slots_only(dispatcher, domain):
    filled = run_form(make_tracker("/skip", "skip", requested_slot="insurance"), dispatcher, domain)
    assert filled["insurance"] == "skipped"
    filled = run_form(make_tracker("/skip", "skip", requested_slot="callback_phone"), dispatcher, domain)
    assert filled["callback_phone"] is None
    assert "utter_reask_required_callback_phone" in responses(dispatcher)


def test_phone_can_be_corrected_while_another_question_is_open(dispatcher, domain):
    tracker = make_tracker(
        "actually my number is 480 555 0199", "correct",
        requested_slot="best_time", slots={"callback_phone": "+16025550134"},
    )
    filled = run_form(tracker, dispatcher, domain)
    assert filled["callback_phone"] == "+14805550199"
    assert "utter_phone_updated" in responses(dispatcher)


def test_dangerous_withdrawal_signs_get_urgent_medical_advice(dispatcher, domain):
    filled = run_form(make_tracker("he had a seizure last time", requested_slot="withdrawal_signs"), dispatcher, domain)
    assert "seizures" in filled["withdrawal_signs"]
    assert "utter_withdrawal_danger" in responses(dispatcher)


@pytest.mark.parametrize("slots, asked", [
    ({"who_for": "self"}, False),
    ({"who_for": "loved_one"}, True),
])
def test_relation_is_asked_only_for_a_loved_one(slots, asked, dispatcher, domain):
    required = asyncio.run(ValidateIntakeForm().required_slots(
        domain["forms"]["intake_form"]["required_slots"], dispatcher, make_tracker("x", slots=slots), domain))
    assert ("caller_relation" in required) is asked


def test_member_id_is_not_asked_without_insurance(dispatcher, domain):
    required = asyncio.run(ValidateIntakeForm().required_slots(
        domain["forms"]["intake_form"]["required_slots"], dispatcher,
        make_tracker("x", slots={"insurance": "none"}), domain))
    assert "insurance_member_id" not in required


@pytest.mark.parametrize("slot, text", [
    ("substances", "no idea honestly"),
    ("insurance_member_id", "i don't have it"),
])
def test_dont_know_moves_on_for_optional_questions(slot, text, dispatcher, domain):
    filled = run_form(make_tracker(text, requested_slot=slot), dispatcher, domain)
    assert filled[slot] == "skipped"
    assert dispatcher.messages == []


def crisis_entities(category: str, severity: str) -> list:
    return [{"entity": "crisis_category", "value": category}, {"entity": "crisis_severity", "value": severity}]


def test_seizures_as_an_answer_to_the_withdrawal_question_is_recorded_with_advice(dispatcher, domain):
    tracker = make_tracker("seizures", "crisis", requested_slot="withdrawal_signs",
                           entities=crisis_entities("medical_emergency", "urgent"))
    filled = run_form(tracker, dispatcher, domain)
    assert filled["withdrawal_signs"] == ["seizures"]
    assert "utter_withdrawal_danger" in responses(dispatcher)


@pytest.mark.parametrize("slot, text, category, severity", [
    ("withdrawal_signs", "he is having a seizure right now", "medical_emergency", "immediate"),
    ("withdrawal_signs", "shaking and i want to die", "suicide_self_harm", "urgent"),
    ("substances", "seizures", "medical_emergency", "urgent"),
])
def test_other_crises_in_the_form_still_go_to_the_crisis_rules(slot, text, category, severity, dispatcher, domain):
    tracker = make_tracker(text, "crisis", requested_slot=slot, entities=crisis_entities(category, severity))
    assert slot not in run_form(tracker, dispatcher, domain)

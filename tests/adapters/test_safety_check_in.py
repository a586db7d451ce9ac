"""The safety check-in: asked when the crisis detector is unsure; pauses, never ends, the intake."""
from __future__ import annotations

import asyncio

from actions.crisis import ActionPauseIntake, ActionSafetyCheckIn, ActionSafetyOk
from actions.intake_form import ValidateIntakeForm
from tests.adapters.conftest import make_tracker, responses


def run(action, tracker, dispatcher, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def test_the_check_in_asks_and_changes_nothing(dispatcher, domain):
    tracker = make_tracker("i just want it all to stop", "possible_risk", active_loop=None)
    assert run(ActionSafetyCheckIn(), tracker, dispatcher, domain) == []
    assert responses(dispatcher) == ["utter_safety_check_in"]


def test_a_clear_question_under_the_check_in_is_answered_after_it_without_an_offer_of_a_call(dispatcher, domain):
    tracker = make_tracker("my boss can't find out right?", "possible_risk", active_loop=None,
                           slots={"faq_topics_answered": ["cost"]})
    tracker.latest_message["intent_ranking"] = [{"name": "possible_risk", "confidence": 0.53},
                                                {"name": "faq", "confidence": 0.99}]
    tracker.latest_message["response_selector"] = {"faq": {"ranking": [
        {"intent_response_key": "faq/confidentiality", "confidence": 0.82},
        {"intent_response_key": "faq/professional_privacy", "confidence": 0.03}]}}
    events = run(ActionSafetyCheckIn(), tracker, dispatcher, domain)
    # Safety first; the check-in's Yes/No buttons stay the last ones offered.
    assert responses(dispatcher) == ["utter_safety_check_in", "utter_faq/confidentiality"]
    assert [(e["name"], e["value"]) for e in events] == [("faq_topics_answered", ["cost", "confidentiality"])]


def test_pausing_the_intake_marks_it_and_keeps_its_answers(dispatcher, domain):
    tracker = make_tracker("i just want it all to stop", "possible_risk",
                           slots={"who_for": "self", "first_name": "Sam"}, requested_slot="substances")
    events = run(ActionPauseIntake(), tracker, dispatcher, domain)
    assert responses(dispatcher) == []
    assert [(e["name"], e["value"]) for e in events] == [("intake_paused", True)]


def test_no_goes_back_to_a_paused_intake_and_clears_the_pause(dispatcher, domain):
    tracker = make_tracker("no", "deny", slots={"intake_paused": True}, active_loop=None)
    events = run(ActionSafetyOk(), tracker, dispatcher, domain)
    assert responses(dispatcher) == ["utter_safety_ok_back_to_intake"]
    assert [e["value"] for e in events if e.get("name") == "intake_paused"] == [False]


def test_no_outside_an_intake_is_thanked(dispatcher, domain):
    tracker = make_tracker("no", "deny", slots={"intake_paused": False}, active_loop=None)
    run(ActionSafetyOk(), tracker, dispatcher, domain)
    assert responses(dispatcher) == ["utter_safety_ok"]


def test_the_form_never_takes_a_possible_risk_message_as_an_answer(dispatcher, domain):
    tracker = make_tracker("i dont see the point of anything", "possible_risk", requested_slot="first_name")
    extracted = asyncio.run(ValidateIntakeForm().extract_first_name(dispatcher, tracker, domain))
    assert extracted == {}


def test_every_check_in_and_crisis_answer_is_in_spanish_with_the_same_numbers(domain):
    from helpline_rasa.nlg import locale_responses

    spanish_responses = locale_responses("es")
    for name in ("utter_safety_check_in", "utter_safety_ok", "utter_safety_ok_back_to_intake", "utter_crisis_safe_now",
                 "utter_crisis_not_safe", "utter_crisis_followup", "utter_crisis_suicide_self_harm",
                 "utter_crisis_overdose", "utter_crisis_medical_emergency", "utter_crisis_violence_abuse",
                 "utter_crisis_unspecified"):
        [plain] = domain["responses"][name]
        [spanish] = spanish_responses[name]
        # The same numbers in both languages, and the same buttons.
        for number in ("{emergency_number}", "{lifeline_number}"):
            assert (number in plain["text"]) == (number in spanish["text"]), (name, number)
        assert [b["payload"] for b in plain.get("buttons", [])] == [b["payload"] for b in spanish.get("buttons", [])], name


def test_the_check_in_names_988_and_911_in_the_same_message(domain):
    [plain] = [v for v in domain["responses"]["utter_safety_check_in"] if not v.get("condition")]
    assert "{emergency_number}" in plain["text"] and "{lifeline_number}" in plain["text"]
    assert [b["payload"] for b in plain["buttons"]] == ["/affirm", "/deny"]


def test_withdrawal_signs_given_as_the_answer_to_that_question_are_an_answer_not_a_check_in(dispatcher, domain):
    tracker = make_tracker("just some shaking in the mornings", "possible_risk", requested_slot="withdrawal_signs")
    extracted = asyncio.run(ValidateIntakeForm().extract_withdrawal_signs(dispatcher, tracker, domain))
    assert extracted == {"withdrawal_signs": "just some shaking in the mornings"}

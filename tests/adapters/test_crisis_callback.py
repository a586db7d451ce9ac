"""The crisis path's short callback: a phone number and consent, then a lead marked immediate."""
from __future__ import annotations

import asyncio
import time

import pytest

from actions.crisis_callback import ActionCrisisCallback, ActionSubmitCrisisCallback, ValidateCrisisCallbackForm
from actions.handoff import ActionSubmitIntake, ActionSubmitScreening
from helpline.queues import callbacks
from helpline.settings import load_settings
from helpline.store import db
from tests.adapters.conftest import make_tracker, responses

FORM = "crisis_callback_form"
# What an intake had when a crisis interrupted its contact questions (the lead is not stored yet).
INTERRUPTED = {"who_for": "self", "first_name": "Sam", "best_time": "evening"}


def stored():
    return callbacks.LEADS.list(db.session_factory(load_settings().effective_database_url))


def slot_events(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def run(action, tracker, dispatcher, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def wait_for_alerts():
    deadline = time.monotonic() + 30
    while any(r.notification_status == "pending" for r in stored()) and time.monotonic() < deadline:
        time.sleep(0.1)


# -- accepting the offer ------------------------------------------------------------------------

def test_without_a_stored_lead_the_short_form_starts(isolated_data, dispatcher, domain):
    events = run(ActionCrisisCallback(), make_tracker("yes", "affirm", active_loop=None), dispatcher, domain)
    assert slot_events(events) == {"lead_on_file": False}
    assert responses(dispatcher) == ["utter_crisis_callback_start"]
    assert stored() == []


def test_a_stored_open_lead_is_marked_immediate_not_duplicated(isolated_data, dispatcher, domain):
    submit = make_tracker("yes I agree", "affirm", active_loop=None, sender_id="web-twice",
                          slots={**INTERRUPTED, "callback_phone": "+16025550177", "consent": True})
    events = run(ActionSubmitIntake(), submit, dispatcher, domain)
    reference = slot_events(events)["lead_reference"]
    assert stored()[0].urgency == "routine"
    later = make_tracker("please call me", "request_callback", active_loop=None, sender_id="web-twice",
                         slots={"lead_reference": reference})
    events = run(ActionCrisisCallback(), later, dispatcher, domain)
    assert slot_events(events) == {"lead_on_file": True}
    assert responses(dispatcher)[-1] == "utter_crisis_callback_on_file"
    assert dispatcher.messages[-1]["reference"] == reference
    [record] = stored()
    assert (record.reference, record.urgency) == (reference, "immediate")
    assert "crisis_follow_up" in record.screening_reasons
    wait_for_alerts()


def test_a_lead_staff_already_closed_needs_a_new_one(isolated_data, dispatcher, domain):
    submit = make_tracker("yes", "affirm", active_loop=None, slots={**INTERRUPTED, "callback_phone": "+16025550177",
                                                                   "consent": True})
    reference = slot_events(run(ActionSubmitIntake(), submit, dispatcher, domain))["lead_reference"]
    wait_for_alerts()
    callbacks.LEADS.close(db.session_factory(load_settings().effective_database_url), reference, "reached")
    events = run(ActionCrisisCallback(), make_tracker("yes", "affirm", active_loop=None,
                                                      slots={"lead_reference": reference}), dispatcher, domain)
    assert slot_events(events) == {"lead_on_file": False}


# -- the short form -----------------------------------------------------------------------------

def test_the_short_form_asks_only_for_a_phone_number_and_consent(dispatcher, domain):
    assert domain["forms"][FORM]["required_slots"] == ["callback_phone", "consent"]
    slots = asyncio.run(ValidateCrisisCallbackForm().required_slots(
        domain["forms"][FORM]["required_slots"], dispatcher, make_tracker("x", slots=INTERRUPTED, active_loop=FORM),
        domain))
    assert slots == ["callback_phone", "consent"]


@pytest.mark.parametrize("text, intent", [
    ("602 555 0177", "inform"),
    ("yes, 602-555-0177", "affirm"),
    ("call me at (602) 555-0177 please", "request_callback"),
])
def test_a_phone_number_in_reply_to_the_offer_fills_the_phone_at_once(text, intent, dispatcher, domain):
    tracker = make_tracker(text, intent, requested_slot=None, active_loop=FORM)
    filled = slot_events(run(ValidateCrisisCallbackForm(), tracker, dispatcher, domain))
    assert filled["callback_phone"] == "+16025550177"
    assert "consent" not in filled  # the yes to the offer is not consent
    assert dispatcher.messages == []


def test_a_plain_yes_to_the_offer_fills_nothing(dispatcher, domain):
    tracker = make_tracker("yes please", "affirm", requested_slot=None, active_loop=FORM)
    filled = slot_events(run(ValidateCrisisCallbackForm(), tracker, dispatcher, domain))
    assert "callback_phone" not in filled and "consent" not in filled


@pytest.mark.parametrize("slot, text, intent, expected", [
    ("callback_phone", "my number is (602) 555-0177", "inform", "+16025550177"),
    ("consent", "yes I agree", "affirm", True),
    ("consent", "no", "deny", False),
])
def test_the_intakes_parsers_and_validation_are_reused(slot, text, intent, expected, dispatcher, domain):
    tracker = make_tracker(text, intent, requested_slot=slot, active_loop=FORM)
    assert slot_events(run(ValidateCrisisCallbackForm(), tracker, dispatcher, domain))[slot] == expected


def test_a_bad_number_is_asked_again_like_in_the_intake(dispatcher, domain):
    tracker = make_tracker("12345", "inform", requested_slot="callback_phone", active_loop=FORM)
    assert slot_events(run(ValidateCrisisCallbackForm(), tracker, dispatcher, domain))["callback_phone"] is None
    assert responses(dispatcher) == ["utter_reask_phone"]


def test_crisis_language_in_the_short_form_goes_to_the_rules(dispatcher, domain):
    tracker = make_tracker("i want to die", "crisis", requested_slot="callback_phone", active_loop=FORM)
    assert "callback_phone" not in slot_events(run(ValidateCrisisCallbackForm(), tracker, dispatcher, domain))


# -- storing --------------------------------------------------------------------------------------

def test_the_callback_is_stored_immediate_with_the_interrupted_intakes_answers(isolated_data, dispatcher, domain):
    slots = {**INTERRUPTED, "callback_phone": "+16025550177", "consent": True}
    tracker = make_tracker("yes I agree", "affirm", slots=slots, active_loop=None, sender_id="web-crisis")
    events = run(ActionSubmitCrisisCallback(), tracker, dispatcher, domain)
    [record] = stored()
    assert (record.urgency, record.conversation_id) == ("immediate", "web-crisis")
    assert record.screening_reasons[0] == "crisis_follow_up"
    assert record.answers == {"who_for": "self", "first_name": "Sam", "best_time": "evening"}
    assert responses(dispatcher) == ["utter_crisis_callback_confirmed"]
    message = dispatcher.messages[0]
    assert (message["reference"], message["phone_last4"]) == (record.reference, "0177")
    assert {"event": "slot", "name": "lead_reference", "value": record.reference, "timestamp": None} in events
    assert {"event": "slot", "name": "first_name", "value": None, "timestamp": None} in events
    # Staff are alerted as for any lead: reference and urgency, nothing else.
    wait_for_alerts()
    assert stored()[0].notification_status == "outbox"
    # A retried action stores nothing new.
    run(ActionSubmitCrisisCallback(), tracker, dispatcher, domain)
    assert len(stored()) == 1


def test_no_consent_on_the_crisis_path_stores_nothing_and_names_988(isolated_data, dispatcher, domain):
    tracker = make_tracker("no", "deny", slots={"callback_phone": "+16025550177", "consent": False}, active_loop=None)
    run(ActionSubmitCrisisCallback(), tracker, dispatcher, domain)
    assert stored() == []
    assert responses(dispatcher) == ["utter_crisis_callback_no_consent"]
    text = domain["responses"]["utter_crisis_callback_no_consent"][0]["text"]
    assert "{lifeline_number}" in text and "{emergency_number}" in text


def test_an_intake_with_a_positive_screen_confirms_the_immediate_call(isolated_data, dispatcher, domain):
    slots = {**INTERRUPTED, "suicide_wish": "yes", "callback_phone": "+16025550177", "consent": True}
    run(ActionSubmitIntake(), make_tracker("yes", "affirm", slots=slots, active_loop=None), dispatcher, domain)
    [record] = stored()
    assert record.urgency == "immediate" and record.answers["suicide_wish"] == "yes"
    assert "suicide_screen_positive" in record.screening_reasons
    assert responses(dispatcher) == ["utter_handoff_confirmed_immediate"]
    wait_for_alerts()


def test_what_the_person_is_told_next_names_the_reference_the_number_and_988(domain):
    for name in ("utter_crisis_callback_confirmed", "utter_handoff_confirmed_immediate"):
        text = domain["responses"][name][0]["text"]
        # {promise}: when someone will call, honestly (helpline.intake.callback_times).
        for part in ("request {reference}", "{promise}", "{phone_last4}", "{lifeline_number}", "{emergency_number}"):
            assert part in text, (name, part)
    for name in ("utter_crisis_callback_on_file", "utter_crisis_callback_on_file_unchanged"):
        assert "Your request {reference}" in domain["responses"][name][0]["text"]
    # The end of a screening with a yes on the suicide-risk screen (the lead was stored before it).
    text = domain["responses"]["utter_screening_done_immediate"][0]["text"]
    assert "{lifeline_number}" in text and "{emergency_number}" in text


def test_a_yes_on_the_screen_after_the_lead_was_stored_ends_with_988_and_an_immediate_lead(
    isolated_data, dispatcher, domain
):
    # The screen is asked after consent now, so a "no" to consent never follows a "yes" on it:
    # the lead is stored first, and the screening's end names 988 and 911 again.
    contact = {"who_for": "self", "first_name": "Sam", "callback_phone": "+16025550177", "consent": True}
    submit = make_tracker("yes I agree", "affirm", slots=contact, active_loop=None)
    reference = slot_events(run(ActionSubmitIntake(), submit, dispatcher, domain))["lead_reference"]
    slots = {**contact, "substances": ["opioids"], "suicide_wish": "yes", "lead_reference": reference}
    events = run(ActionSubmitScreening(), make_tracker("yes", "affirm", slots=slots, active_loop=None), dispatcher, domain)
    assert responses(dispatcher)[-1] == "utter_screening_done_immediate"
    [record] = stored()
    assert (record.reference, record.urgency) == (reference, "immediate")
    assert record.answers["suicide_wish"] == "yes" and "suicide_screen_positive" in record.screening_reasons
    assert slot_events(events)["suicide_wish"] is None
    wait_for_alerts()

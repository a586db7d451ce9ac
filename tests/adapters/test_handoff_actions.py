"""The end of the contact questions: a lead is stored exactly once, staff alerted without PHI; then the screening's end."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

from actions.handoff import FORM_SLOTS, ActionStopIntake, ActionSubmitIntake, ActionSubmitScreening
from helpline.queues import callbacks
from helpline.settings import load_settings
from helpline.store import db
from tests.adapters.conftest import make_tracker, responses

# What the contact questions (intake_form) fill: the lead is stored with these.
CONTACT = {
    "who_for": "self", "first_name": "Sam", "callback_phone": "+16025550134", "best_time": "evening", "consent": True,
}
# Then the optional screening (screening_form), each answer updating the stored lead.
SCREENING = {
    "substances": ["alcohol"], "last_use": "today", "withdrawal_signs": ["shaking"], "prior_treatment": [],
    "insurance": "Aetna", "insurance_member_id": "skipped", "state": "AZ",
    "contact_permissions": {"call": True, "voicemail": True, "text": False},
}
COMPLETE = {**CONTACT, **SCREENING}


def submit(tracker, dispatcher, domain):
    return asyncio.run(ActionSubmitIntake().run(dispatcher, tracker, domain))


def submit_screening(tracker, dispatcher, domain):
    return asyncio.run(ActionSubmitScreening().run(dispatcher, tracker, domain))


def slot_event(name, value) -> dict:
    return {"event": "slot", "name": name, "value": value, "timestamp": None}


def stored():
    sessions = db.session_factory(load_settings().effective_database_url)
    return callbacks.LEADS.list(sessions)


def wait_for_alerts():
    deadline = time.monotonic() + 30
    while any(r.notification_status == "pending" for r in stored()) and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_retried_submit_stores_one_record_and_confirms_both_times(isolated_data, dispatcher, domain):
    tracker = make_tracker("yes", "affirm", slots=CONTACT, active_loop=None)
    first = submit(tracker, dispatcher, domain)
    second = submit(tracker, dispatcher, domain)
    records = stored()
    assert len(records) == 1
    record = records[0]
    assert record.phone_e164 == "+16025550134"
    assert record.urgency == "routine"  # nothing screened yet
    assert responses(dispatcher) == ["utter_handoff_confirmed", "utter_handoff_confirmed"]
    assert dispatcher.messages[0]["reference"] == record.reference
    assert dispatcher.messages[0]["phone_last4"] == "0134"
    assert dispatcher.messages[0]["promise"]  # when someone will call, in words
    for events in (first, second):
        # The contact answers are cleared but who it is for (the screening asks by it), so a
        # later request for a call asks again instead of storing this lead a second time.
        assert events[-2:] == [slot_event("lead_reference", record.reference), slot_event("lead_on_file", True)]
        cleared = {e["name"] for e in events[:-2] if e["value"] is None}
        assert {"first_name", "callback_phone", "best_time", "consent", "answer_words"} <= cleared
        assert not {"who_for", "caller_relation"} & cleared
    wait_for_alerts()


def test_the_lead_keeps_the_persons_own_words(isolated_data, dispatcher, domain):
    words = {"first_name": "its sam", "best_time": "after 5pm"}
    submit(make_tracker("yes", "affirm", slots={**CONTACT, "answer_words": words}, active_loop=None), dispatcher, domain)
    assert stored()[0].answer_words == words
    wait_for_alerts()


def test_staff_alerts_go_to_the_outbox_without_health_details(isolated_data, dispatcher, domain):
    """The new lead's alert, and the second one when the screening makes it urgent."""
    events = submit(make_tracker("yes", "affirm", slots=CONTACT, active_loop=None), dispatcher, domain)
    wait_for_alerts()
    reference = stored()[0].reference
    assert slot_event("lead_reference", reference) in events
    # Shaking with alcohol used today: medical withdrawal risk, so staff are alerted again.
    submit_screening(make_tracker("no", "deny", slots={**COMPLETE, "lead_reference": reference}, active_loop=None),
                     dispatcher, domain)
    wait_for_alerts()
    record = stored()[0]
    assert (record.urgency, record.alert_round, record.notification_status) == ("urgent", 2, "outbox")
    listing = subprocess.run(
        [sys.executable, "-m", "helpline.cli", "outbox", "list", "--json"],
        capture_output=True, text=True, check=True,
    )
    bodies = [message["body"] for message in json.loads(listing.stdout)]
    assert len(bodies) == 2
    for body in bodies:
        assert record.reference in body
        for secret in ("Sam", "alcohol", "0134", "Aetna", "shaking"):
            assert secret not in body


def test_no_consent_stores_nothing_forgets_the_answers_and_offers_no_screening(isolated_data, dispatcher, domain):
    events = submit(make_tracker("no", "deny", slots={**CONTACT, "consent": False}, active_loop=None), dispatcher, domain)
    assert stored() == []
    assert responses(dispatcher) == ["utter_no_consent"]
    assert slot_event("callback_phone", None) in events and slot_event("answer_words", None) in events
    assert slot_event("lead_on_file", False) in events  # the rules offer the screening only on True


def test_a_database_outage_spools_the_lead_and_confirms_its_reference(isolated_data, dispatcher, domain, monkeypatch):
    from helpline.intake import handoff
    from helpline.queues import lead_spool

    monkeypatch.setattr(handoff, "STORE_RETRY_DELAYS", (0.01,))
    not_a_dir = isolated_data / "plain-file"
    not_a_dir.write_text("")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{not_a_dir / 'helpline.db'}")
    events = submit(make_tracker("yes", "affirm", slots=CONTACT, active_loop=None), dispatcher, domain)
    assert responses(dispatcher) == ["utter_handoff_confirmed"]
    reference = dispatcher.messages[0]["reference"]
    assert events[-2:] == [slot_event("lead_reference", reference), slot_event("lead_on_file", True)]
    [spooled] = lead_spool.pending(load_settings())
    assert lead_spool.read(spooled).reference == reference
    monkeypatch.delenv("DATABASE_URL")
    assert stored() == []  # staff see it once the spool is imported (helpline run does it every minute)


def test_when_neither_database_nor_spool_can_keep_it_the_answers_stay_and_the_phone_number_is_given(
    isolated_data, dispatcher, domain, monkeypatch
):
    from helpline.intake import handoff

    monkeypatch.setattr(handoff, "STORE_RETRY_DELAYS", (0.01,))
    not_a_dir = isolated_data / "plain-file"
    not_a_dir.write_text("")
    (isolated_data / "spool").write_text("")  # the spool cannot be created either
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{not_a_dir / 'helpline.db'}")
    events = submit(make_tracker("yes", "affirm", slots=CONTACT, active_loop=None), dispatcher, domain)
    # The answers stay in the slots; no lead, so no screening is offered.
    assert events == [slot_event("lead_on_file", False)]
    assert responses(dispatcher) == ["utter_handoff_failed"]


def test_stop_ends_the_form_and_forgets_the_answers(dispatcher, domain):
    events = asyncio.run(ActionStopIntake().run(dispatcher, make_tracker("never mind", "stop", slots=COMPLETE), domain))
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert {"event": "slot", "name": "first_name", "value": None, "timestamp": None} in events


# -- the end of the screening ---------------------------------------------------------------------

def store_contact_lead(dispatcher, domain) -> str:
    events = submit(make_tracker("yes", "affirm", slots=CONTACT, active_loop=None), dispatcher, domain)
    return next(e["value"] for e in events if e["name"] == "lead_reference")


def test_submit_screening_updates_the_lead_thanks_and_clears_the_slots(isolated_data, dispatcher, domain):
    reference = store_contact_lead(dispatcher, domain)
    answers = {**COMPLETE, "withdrawal_signs": [], "insurance_member_id": "W123456789"}
    words = {"first_name": "sam", "substances": "beer mostly", "insurance_member_id": "W123456789"}
    tracker = make_tracker("AZ", slots={**answers, "lead_reference": reference, "answer_words": words},
                           active_loop=None)
    events = submit_screening(tracker, dispatcher, domain)
    [record] = stored()
    assert record.answers["substances"] == ["alcohol"] and record.answers["insurance"] == "Aetna"
    assert record.answers["insurance_member_id"] == "W123456789"
    assert record.answer_words == words
    # Alcohol today makes it sooner, but without withdrawal signs it pages nobody again.
    assert (record.urgency, record.alert_round) == ("soon", 1)
    assert responses(dispatcher)[-1] == "utter_screening_done"
    assert events == [slot_event(slot, None) for slot in FORM_SLOTS]
    # The reference stays: a crisis later in the conversation marks this lead, not a new one.
    assert "lead_reference" not in FORM_SLOTS and "callback_phone" in FORM_SLOTS and "answer_words" in FORM_SLOTS
    # Retried, the action writes the same answers and stores nothing new.
    submit_screening(tracker, dispatcher, domain)
    assert len(stored()) == 1 and stored()[0].answers == record.answers
    wait_for_alerts()


def test_submit_screening_without_a_stored_lead_still_thanks_and_clears(isolated_data, dispatcher, domain):
    events = submit_screening(make_tracker("AZ", slots=COMPLETE, active_loop=None), dispatcher, domain)
    assert stored() == []
    assert responses(dispatcher) == ["utter_screening_done"]
    assert slot_event("substances", None) in events

"""The end of the intake: a lead is stored exactly once, staff alerted without PHI."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

from actions.handoff import ActionStopIntake, ActionSubmitIntake
from helpline.queues import callbacks
from helpline.settings import load_settings
from helpline.store import db
from tests.adapters.conftest import make_tracker, responses

COMPLETE = {
    "who_for": "self", "first_name": "Sam", "substances": ["alcohol"], "last_use": "today",
    "withdrawal_signs": ["shaking"], "prior_treatment": [], "insurance": "Aetna",
    "insurance_member_id": "skipped", "state": "AZ", "callback_phone": "+16025550134",
    "best_time": "evening", "contact_permissions": {"call": True, "voicemail": True, "text": False},
    "consent": True,
}


def submit(tracker, dispatcher, domain):
    return asyncio.run(ActionSubmitIntake().run(dispatcher, tracker, domain))


def stored():
    sessions = db.session_factory(load_settings().effective_database_url)
    return callbacks.LEADS.list(sessions)


def test_a_retried_submit_stores_one_record_and_confirms_both_times(isolated_data, dispatcher, domain):
    tracker = make_tracker("yes", "affirm", slots=COMPLETE, active_loop=None)
    first = submit(tracker, dispatcher, domain)
    second = submit(tracker, dispatcher, domain)
    records = stored()
    assert len(records) == 1
    record = records[0]
    assert record.phone_e164 == "+16025550134"
    assert record.urgency == "urgent"  # shaking with recent alcohol use: medical withdrawal risk
    assert responses(dispatcher) == ["utter_handoff_confirmed", "utter_handoff_confirmed"]
    assert dispatcher.messages[0]["reference"] == record.reference
    assert dispatcher.messages[0]["phone_last4"] == "0134"
    for events in (first, second):
        assert {"event": "slot", "name": "lead_reference", "value": record.reference, "timestamp": None} in events
        assert {"event": "slot", "name": "callback_phone", "value": None, "timestamp": None} in events


def test_staff_alert_goes_to_the_outbox_without_health_details(isolated_data, dispatcher, domain):
    submit(make_tracker("yes", "affirm", slots=COMPLETE, active_loop=None), dispatcher, domain)
    deadline = time.monotonic() + 30
    while stored()[0].notification_status == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)
    record = stored()[0]
    assert record.notification_status == "outbox"
    listing = subprocess.run(
        [sys.executable, "-m", "helpline.cli", "outbox", "list", "--json"],
        capture_output=True, text=True, check=True,
    )
    result = json.loads(listing.stdout)
    assert len(result) == 1
    body = result[0]["body"]
    assert record.reference in body
    for secret in ("Sam", "alcohol", "0134", "Aetna", "shaking"):
        assert secret not in body


def test_no_consent_stores_nothing(isolated_data, dispatcher, domain):
    submit(make_tracker("no", "deny", slots={**COMPLETE, "consent": False}, active_loop=None), dispatcher, domain)
    assert stored() == []
    assert responses(dispatcher) == ["utter_no_consent"]


def test_a_database_outage_spools_the_lead_and_confirms_its_reference(isolated_data, dispatcher, domain, monkeypatch):
    from helpline.intake import handoff
    from helpline.queues import lead_spool

    monkeypatch.setattr(handoff, "STORE_RETRY_DELAYS", (0.01,))
    not_a_dir = isolated_data / "plain-file"
    not_a_dir.write_text("")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{not_a_dir / 'helpline.db'}")
    events = submit(make_tracker("yes", "affirm", slots=COMPLETE, active_loop=None), dispatcher, domain)
    assert responses(dispatcher) == ["utter_handoff_confirmed"]
    reference = dispatcher.messages[0]["reference"]
    assert {"event": "slot", "name": "lead_reference", "value": reference, "timestamp": None} in events
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
    events = submit(make_tracker("yes", "affirm", slots=COMPLETE, active_loop=None), dispatcher, domain)
    assert events == []  # slots untouched
    assert responses(dispatcher) == ["utter_handoff_failed"]


def test_stop_ends_the_form_and_forgets_the_answers(dispatcher, domain):
    events = asyncio.run(ActionStopIntake().run(dispatcher, make_tracker("never mind", "stop", slots=COMPLETE), domain))
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert {"event": "slot", "name": "first_name", "value": None, "timestamp": None} in events

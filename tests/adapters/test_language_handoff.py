"""The actions pass the conversation's ``language`` slot to what they store, so staff call back in it."""
from __future__ import annotations

import asyncio

from actions.crisis import ActionCrisisResponse
from actions.crisis_callback import ActionCrisisCallback
from actions.handoff import ActionSubmitIntake, ActionSubmitScreening
from helpline.queues import callbacks, crisis_flags
from helpline.settings import load_settings
from helpline.store import db
from helpline.store.models import OutboxMessage
from tests.adapters.conftest import join_alert_threads, make_tracker

CONTACT = {"who_for": "self", "first_name": "Lupita", "best_time": "morning", "callback_phone": "+16025550177",
           "consent": True}


def sessions():
    return db.session_factory(load_settings().effective_database_url)


def run(action, tracker, dispatcher, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def reference_of(events) -> str:
    return next(e["value"] for e in events if e["event"] == "slot" and e["name"] == "lead_reference")


def test_a_spanish_conversations_lead_is_stored_spanish_and_alerted_so(isolated_data, dispatcher, domain):
    tracker = make_tracker("sí, pueden llamarme", "affirm", active_loop=None, sender_id="web-es",
                           slots={**CONTACT, "language": "es"})
    reference = reference_of(run(ActionSubmitIntake(), tracker, dispatcher, domain))
    join_alert_threads()
    assert callbacks.LEADS.get(sessions(), reference).language == "es"
    with sessions()() as session:
        [alert] = session.query(OutboxMessage).all()
    assert "Call back in Spanish." in alert.body


def test_later_actions_store_the_language_spoken_now(isolated_data, dispatcher, domain):
    tracker = make_tracker("yes", "affirm", active_loop=None, sender_id="web-switch", slots=CONTACT)
    reference = reference_of(run(ActionSubmitIntake(), tracker, dispatcher, domain))
    assert callbacks.LEADS.get(sessions(), reference).language == "en"  # no language decided yet: English

    # The person switched to Spanish during the screening.
    done = make_tracker("no", "deny", active_loop=None, sender_id="web-switch",
                        slots={"who_for": "self", "lead_reference": reference, "language": "es"})
    run(ActionSubmitScreening(), done, dispatcher, domain)
    assert callbacks.LEADS.get(sessions(), reference).language == "es"

    # ... and back to English before accepting a call on the crisis path.
    accept = make_tracker("yes please call", "affirm", active_loop=None, sender_id="web-switch",
                          slots={"lead_reference": reference, "language": "en"})
    run(ActionCrisisCallback(), accept, dispatcher, domain)
    join_alert_threads()
    assert callbacks.LEADS.get(sessions(), reference).language == "en"


def test_a_crisis_flag_takes_the_conversations_language(isolated_data, dispatcher, domain):
    entities = [{"entity": "crisis_category", "value": "overdose"}, {"entity": "crisis_severity", "value": "urgent"}]
    tracker = make_tracker("se tomó todas las pastillas", "crisis", entities=entities, sender_id="web-crisis-es",
                           active_loop=None, slots={"language": "es"})
    run(ActionCrisisResponse(), tracker, dispatcher, domain)
    join_alert_threads()
    [flag] = crisis_flags.CRISES.list(sessions())
    assert flag.language == "es"

"""The crisis action answers first, then leaves a follow-up flag for staff."""
from __future__ import annotations

import asyncio
import time

from actions.crisis import ActionCrisisResponse
from helpline.queues import crisis_flags
from helpline.settings import load_settings
from helpline.store import db
from tests.adapters.conftest import make_tracker, responses


def crisis_tracker(category, severity, sender_id="crisis-conversation"):
    entities = [{"entity": "crisis_category", "value": category}, {"entity": "crisis_severity", "value": severity}]
    return make_tracker("text does not matter here", "crisis", entities=entities, sender_id=sender_id, active_loop=None)


def run(tracker, dispatcher, domain):
    return asyncio.run(ActionCrisisResponse().run(dispatcher, tracker, domain))


def flags():
    return crisis_flags.CRISES.list(db.session_factory(load_settings().effective_database_url))


def wait_for_alert():
    deadline = time.monotonic() + 30
    while any(f.notification_status == "pending" for f in flags()) and time.monotonic() < deadline:
        time.sleep(0.1)


def test_the_answer_names_the_category_and_a_flag_is_stored(isolated_data, dispatcher, domain):
    events = run(crisis_tracker("overdose", "immediate"), dispatcher, domain)
    assert responses(dispatcher) == ["utter_crisis_overdose"]
    assert {"event": "slot", "name": "crisis_category", "value": "overdose", "timestamp": None} in events
    wait_for_alert()
    [flag] = flags()
    assert (flag.conversation_id, flag.category, flag.severity) == ("crisis-conversation", "overdose", "immediate")
    assert flag.notification_status == "outbox"


def test_repeated_crisis_messages_keep_one_open_flag(isolated_data, dispatcher, domain):
    for _ in range(3):
        run(crisis_tracker("suicide_self_harm", "urgent"), dispatcher, domain)
    wait_for_alert()
    [flag] = flags()
    assert flag.occurrences == 3


def test_an_unknown_category_gets_the_general_answer_and_an_unspecified_flag(isolated_data, dispatcher, domain):
    run(crisis_tracker("made-up", None), dispatcher, domain)
    assert responses(dispatcher) == ["utter_crisis_unspecified"]
    wait_for_alert()
    [flag] = flags()
    assert (flag.category, flag.severity) == ("unspecified", "immediate")


def test_the_answer_still_goes_out_when_the_database_is_unusable(isolated_data, dispatcher, domain, monkeypatch):
    not_a_dir = isolated_data / "plain-file"
    not_a_dir.write_text("")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{not_a_dir}/helpline.db")
    run(crisis_tracker("violence_abuse", "urgent"), dispatcher, domain)
    assert responses(dispatcher) == ["utter_crisis_violence_abuse"]

"""Transcripts (helpline.transcripts) read what Rasa's own encrypted tracker store wrote, on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from helpline import crypto, transcripts
from helpline_rasa.tracker_store import EncryptedSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
AT = 1_764_599_405.0  # 2025-12-01 14:30:05 UTC


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(autouse=True)
def key(monkeypatch, tmp_path):
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(crypto.KEYS_ENV, crypto.generate_key())
    crypto.reset_cache()
    yield
    crypto.reset_cache()


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def test_a_transcript_of_what_the_encrypted_store_saved(domain, tracker_url):
    store = EncryptedSQLTrackerStore(domain=domain, host=tracker_url, dialect=tracker_url.split(":")[0])
    tracker = DialogueStateTracker("web-" + "a" * 32, domain.slots)
    for event in (
        ActionExecuted("action_session_start", timestamp=AT),
        SessionStarted(timestamp=AT),
        ActionExecuted("action_listen", timestamp=AT),
        UserUttered("I took too many pills, I'm Marisol", {"name": "crisis", "confidence": 0.9}, timestamp=AT + 1,
                    input_channel="rest"),
        SlotSet("first_name", "Marisol", timestamp=AT + 1),
        SlotSet("callback_phone", "+16025550134", timestamp=AT + 1),
        BotUttered("Please call 911 now.", {"buttons": [{"title": "I'm safe", "payload": "/affirm"},
                                                        {"title": "Call me", "payload": "/request_callback"}]},
                   {"utter_action": "utter_crisis_overdose"}, timestamp=AT + 2),
        UserUttered("/request_callback", {"name": "request_callback", "confidence": 1.0}, timestamp=AT + 3),
    ):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    store.engine.dispose()

    found = transcripts.read_transcript(tracker.sender_id, tracker_url)

    assert found.status == "ok" and found.total == 3
    assert [(m.at.isoformat(), m.speaker, m.text, m.buttons, m.chose_button) for m in found.messages] == [
        ("2025-12-01T14:30:06+00:00", "person", "I took too many pills, I'm Marisol", (), False),
        ("2025-12-01T14:30:07+00:00", "assistant", "Please call 911 now.", ("I'm safe", "Call me"), False),
        ("2025-12-01T14:30:08+00:00", "person", "Call me", (), True),
    ]
    shown = json.dumps(found.to_dict())
    for hidden in ("+16025550134", "first_name", "utter_crisis_overdose", "request_callback", "action_listen", "0.9"):
        assert hidden not in shown, hidden

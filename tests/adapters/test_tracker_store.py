"""The encrypted Rasa tracker store, in-process (no server, no model) on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from helpline.security import crypto
from helpline.store import retention, transcripts
from helpline_rasa.tracker_store import EncryptedSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
SAID = "my name is Marisol, I use fentanyl, call me at 602-555-0134"
AT = 1_764_599_405.0  # 2025-12-01 14:30:05 UTC
PHI = ("Marisol", "fentanyl", "555-0134", "6025550134")


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


def conversation(domain: Domain, sender: str, at: float) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, domain.slots)
    for event in (
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at),
        ActionExecuted("action_listen", timestamp=at),
        UserUttered(SAID, {"name": "inform", "confidence": 0.9}, timestamp=at + 1),
        SlotSet("first_name", "Marisol", timestamp=at + 2),
        SlotSet("substances", ["fentanyl"], timestamp=at + 2),
        SlotSet("callback_phone", "+16025550134", timestamp=at + 2),
        BotUttered("Thanks, Marisol.", timestamp=at + 3),
    ):
        tracker.update(event)
    return tracker


def store_for(url: str, domain: Domain) -> EncryptedSQLTrackerStore:
    return EncryptedSQLTrackerStore(domain=domain, host=url, dialect=url.split(":")[0])


def raw_rows(url: str) -> list:
    engine = sa.create_engine(url, future=True)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT sender_id, type_name, data FROM events ORDER BY id")).all()
    engine.dispose()
    return rows


def test_events_are_sealed_on_save_and_opened_on_retrieve(domain, tracker_url):
    store = store_for(tracker_url, domain)
    original = conversation(domain, "conv-a", 1_700_000_000.0)
    asyncio.run(store.save(original))

    rows = raw_rows(tracker_url)
    assert len(rows) == len(original.events)
    assert all(crypto.is_token(data) for _, _, data in rows)
    assert not [p for p in PHI if any(p in data for _, _, data in rows)]

    again = asyncio.run(store.retrieve("conv-a"))
    assert again is not None
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in original.events]
    assert again.get_slot("first_name") == "Marisol" and again.latest_message.text == SAID

    # Rasa saves only what is new since the last save: appended events are sealed too.
    again.update(UserUttered("still fentanyl", {"name": "inform", "confidence": 0.9}, timestamp=1_700_000_010.0))
    asyncio.run(store.save(again))
    rows = raw_rows(tracker_url)
    assert len(rows) == len(original.events) + 1 and crypto.is_token(rows[-1][2])
    store.engine.dispose()


def test_rows_written_before_encryption_are_still_read(domain, tracker_url):
    plain = SQLTrackerStore(domain=domain, host=tracker_url)
    asyncio.run(plain.save(conversation(domain, "conv-legacy", 1_700_000_000.0)))
    plain.engine.dispose()

    store = store_for(tracker_url, domain)
    tracker = asyncio.run(store.retrieve("conv-legacy"))
    assert tracker is not None and tracker.get_slot("callback_phone") == "+16025550134"
    tracker.update(UserUttered("next turn", {"name": "inform", "confidence": 0.9}, timestamp=1_700_000_020.0))
    asyncio.run(store.save(tracker))
    rows = raw_rows(tracker_url)
    assert not crypto.is_token(rows[0][2]) and crypto.is_token(rows[-1][2])
    assert len(asyncio.run(store.retrieve("conv-legacy")).events) == len(rows)
    store.engine.dispose()


def test_reencrypt_seals_legacy_rows(domain, tracker_url):
    from helpline.security import rekey

    plain = SQLTrackerStore(domain=domain, host=tracker_url)
    asyncio.run(plain.save(conversation(domain, "conv-legacy", 1_700_000_000.0)))
    plain.engine.dispose()
    count = len(raw_rows(tracker_url))
    assert rekey.reencrypt_tracker(tracker_url) == count
    assert all(crypto.is_token(data) for _, _, data in raw_rows(tracker_url))
    store = store_for(tracker_url, domain)
    assert asyncio.run(store.retrieve("conv-legacy")).get_slot("first_name") == "Marisol"
    store.engine.dispose()


def test_wrong_key_is_a_clear_error(domain, tracker_url, monkeypatch):
    store = store_for(tracker_url, domain)
    asyncio.run(store.save(conversation(domain, "conv-b", 1_700_000_000.0)))
    monkeypatch.setenv(crypto.KEYS_ENV, crypto.generate_key())
    with pytest.raises(crypto.DecryptionError) as error:
        asyncio.run(store.retrieve("conv-b"))
    assert not [p for p in PHI if p in str(error.value)]
    store.engine.dispose()


def test_a_malformed_key_stops_the_store_at_start_up(domain, tmp_path, monkeypatch):
    monkeypatch.setenv(crypto.KEYS_ENV, "not-a-fernet-key")
    with pytest.raises(crypto.KeyConfigError):
        store_for(f"sqlite:///{tmp_path / 'tracker.db'}", domain)


def test_a_rasa_server_started_alone_creates_its_tracker_database_owner_only(domain, tmp_path):
    import os
    import stat

    os.umask(0o022)  # as a shell would start `rasa run` (tests/conftest.py restores the umask)
    store = store_for(f"sqlite:///{tmp_path / 'tracker.db'}", domain)
    asyncio.run(store.save(conversation(domain, "conv-m", 1_700_000_000.0)))
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.glob("tracker.db*")}
    store.engine.dispose()
    assert "tracker.db" in modes and set(modes.values()) == {0o600}, modes


def test_purge_on_rasas_own_schema(domain, tracker_url):
    store = store_for(tracker_url, domain)
    now = datetime.now(timezone.utc)
    asyncio.run(store.save(conversation(domain, "old", (now - timedelta(days=40)).timestamp())))
    asyncio.run(store.save(conversation(domain, "new", (now - timedelta(days=2)).timestamp())))
    conversations, events = retention.purge_tracker(tracker_url, now - timedelta(days=30))
    assert conversations == 1 and events == len(conversation(domain, "x", 0).events)
    assert asyncio.run(store.retrieve("old")) is None
    assert asyncio.run(store.retrieve("new")) is not None
    store.engine.dispose()


def test_endpoints_yml_selects_the_encrypted_store(domain, tmp_path, monkeypatch):
    from helpline.ops.runner import rasa_environment

    for name, value in rasa_environment({}, tmp_path, 5055).items():
        monkeypatch.setenv(name, value)
    store = TrackerStore.create(read_endpoint_config(str(ROOT / "endpoints.yml"), "tracker_store"), domain)
    # Rasa falls back to an in-memory store, with only a warning, if the class cannot be imported.
    inner = getattr(store, "_tracker_store", store)
    assert isinstance(inner, EncryptedSQLTrackerStore)
    assert str(inner.engine.url) == f"sqlite:///{tmp_path / 'tracker.db'}"
    inner.engine.dispose()


# Transcripts (helpline.store.transcripts) read what this store wrote, on SQLite and PostgreSQL.
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

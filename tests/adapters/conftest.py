"""Fake trackers and a private database for testing the Rasa adapters without a server."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


def make_tracker(
    text: Optional[str],
    intent: str = "inform",
    *,
    slots: Optional[Dict[str, Any]] = None,
    requested_slot: Optional[str] = None,
    entities: Optional[List[dict]] = None,
    sender_id: str = "test-conversation",
    active_loop: Optional[str] = "intake_form",
) -> Tracker:
    all_slots = dict(slots or {})
    all_slots["requested_slot"] = requested_slot
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []},
        events=[{"event": "user", "timestamp": 1700000000.5, "text": text}],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def isolated_data(tmp_path, monkeypatch, migrated_database) -> Path:
    """Point the core at a fresh, migrated SQLite database and no Twilio account."""
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path))
    for key in ("DATABASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HELPLINE_STAFF_SMS_TO", "+16025550100")
    from helpline.store import db

    migrated_database(f"sqlite:///{tmp_path / 'helpline.db'}")
    yield tmp_path
    join_alert_threads()
    db.dispose_all()


def join_alert_threads(timeout: float = 30) -> None:
    """Wait for staff alerts still being sent in the background, before the test's settings are undone.

    A lead alerted twice (stored, then made urgent by a screening answer) can leave
    the first round's thread running after the record already shows the second's
    outcome; left running, it would read the developer's data directory instead.
    """
    for thread in threading.enumerate():
        if thread.name.startswith(("staff-alert-", "crisis-alert-")):
            thread.join(timeout)


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [message.get("response") for message in dispatcher.messages]

"""Conversations written into a Rasa-shaped ``events`` table, sealed as the encrypted tracker store seals them.

The layout is the one ``SQLTrackerStore`` creates (the real store writes it in
tests/adapters/test_transcript_tracker_store.py); ``data`` is the event's JSON
as a Fernet token (``helpline.security.crypto``), or plain JSON for rows written before
encryption was switched on. No Rasa import: the core's tests use this.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Iterable, Optional, Sequence, Tuple

import sqlalchemy as sa

from helpline.security import crypto

EVENTS_DDL = """CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"""

Event = Dict[str, Any]


def user(text: str, at: float, intent: str = "inform") -> Event:
    return {"event": "user", "timestamp": at, "text": text, "input_channel": "rest", "message_id": "m-1",
            "metadata": {"client": "secret-metadata"},
            "parse_data": {"intent": {"name": intent, "confidence": 0.97}, "entities": [{"entity": "substance",
                           "value": "entity-value"}], "text": text}}


def bot(text: Optional[str], at: float, buttons: Sequence[Tuple[str, str]] = ()) -> Event:
    data: Dict[str, Any] = {"elements": None, "quick_replies": None, "attachment": None, "image": None, "custom": None,
                            "buttons": [{"title": title, "payload": payload} for title, payload in buttons] or None}
    return {"event": "bot", "timestamp": at, "text": text, "data": data, "metadata": {"utter_action": "utter_secret"}}


def slot(name: str, value: Any, at: float) -> Event:
    return {"event": "slot", "timestamp": at, "name": name, "value": value}


def action(name: str, at: float) -> Event:
    return {"event": "action", "timestamp": at, "name": name, "policy": "RulePolicy", "confidence": 1.0}


def write(url: str, sender: str, events: Iterable[Event], *, sealed: bool = True, box: Any = None) -> None:
    """Append ``events`` of ``sender`` in order (ids ascending, as Rasa saves them)."""
    engine = sa.create_engine(url, future=True)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(EVENTS_DDL))
            for event in events:
                text = json.dumps(event)
                connection.execute(
                    sa.text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                            "VALUES (:sender, :type, :at, :intent, :action, :data)"),
                    {
                        "sender": sender, "type": event["event"], "at": event.get("timestamp"),
                        "intent": (event.get("parse_data") or {}).get("intent", {}).get("name"),
                        "action": event.get("name") if event["event"] == "action" else None,
                        "data": crypto.encrypt(text, box) if sealed else text,
                    },
                )
    finally:
        engine.dispose()

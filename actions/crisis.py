"""Crisis answer: the first thing the bot says when crisis language is detected.

The answer goes out first; the follow-up flag for staff (and their page) is
recorded after, off the event loop, and can never delay or break the answer.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from helpline import crisis_handoff

CATEGORIES = ("suicide_self_harm", "overdose", "medical_emergency", "violence_abuse")


def _entity(tracker: Tracker, name: str) -> Optional[str]:
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == name:
            return entity.get("value")
    return None


def crisis_category(tracker: Tracker) -> str:
    category = _entity(tracker, "crisis_category")
    return category if category in CATEGORIES else "unspecified"


class ActionCrisisResponse(Action):
    def name(self) -> Text:
        return "action_crisis_response"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        category = crisis_category(tracker)
        dispatcher.utter_message(response=f"utter_crisis_{category}")
        # Storing the flag takes milliseconds; the SMS to staff runs in its own thread.
        await asyncio.to_thread(
            crisis_handoff.flag_and_alert,
            tracker.sender_id,
            category,
            _entity(tracker, "crisis_severity"),
            tracker.get_latest_input_channel(),
        )
        return [SlotSet("crisis_category", category)]

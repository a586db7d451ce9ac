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

from actions.faq import answer_topic
from helpline.faq import clarify as faq_clarify
from helpline.safety import crisis_handoff

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
            # Set before this action runs (actions/language.py), from this very message.
            language=tracker.get_slot("language"),
        )
        return [SlotSet("crisis_category", category)]


class ActionSafetyCheckIn(Action):
    """Asks directly about danger when the crisis detector is unsure (intent ``possible_risk``).

    The question names 988/911 itself, so the first reply is safe even if the
    person never answers. Nothing is flagged and nobody is paged until the
    person says yes (data/rules.yml). Inside the intake, ``action_pause_intake``
    and ``action_deactivate_loop`` run first: the form is paused, not ended.

    When the message was also a clear question, its answer follows the
    check-in (``helpline.faq.clarify.question_beside_check_in``), without the
    offer of a call: the check-in's Yes/No buttons stay the ones to answer.
    """

    def name(self) -> Text:
        return "action_safety_check_in"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_safety_check_in")
        message = tracker.latest_message
        topic = faq_clarify.question_beside_check_in(message.get("intent_ranking") or [],
                                                     message.get("response_selector"))
        if topic is None:
            return []
        return answer_topic(dispatcher, tracker, topic, offer_call=False)


class ActionPauseIntake(Action):
    """Marks the intake as paused, so "no, I'm safe" goes back to it with its answers kept."""

    def name(self) -> Text:
        return "action_pause_intake"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return [SlotSet("intake_paused", True)]


class ActionSafetyOk(Action):
    """The person said they are safe: thank them, and go back to a paused intake."""

    def name(self) -> Text:
        return "action_safety_ok"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        paused = bool(tracker.get_slot("intake_paused"))
        dispatcher.utter_message(response="utter_safety_ok_back_to_intake" if paused else "utter_safety_ok")
        return [SlotSet("intake_paused", False)]

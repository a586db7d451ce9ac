"""The conversation's language: the ``language`` slot, decided after every message.

Rasa runs this as the slot's custom mapping each time a message arrives, before
any reply, so the reply to the very first "hola" is already in Spanish. The
decision is :func:`helpline.language.conversation_language`; this adapter only
adds what the tracker knows: a language picked with a button or named in a
request ("en español, por favor"), and the crisis detector's own reading of a
crisis message, which wins even on two words ("me mato") because its answer is
the one that must be understood.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from helpline import language

SLOT = "language"
SWITCH_INTENT = "switch_language"


def _entity(tracker: Tracker, name: str) -> Optional[str]:
    value = next(tracker.get_latest_entity_values(name), None)
    return value if value in language.LANGUAGES else None


def decide(tracker: Tracker) -> Optional[str]:
    current = tracker.get_slot(SLOT)
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    if (message.get("intent") or {}).get("name") == SWITCH_INTENT:
        asked = _entity(tracker, SLOT) or language.named_language(text)
        if asked:
            return asked
        # "other language, please" without naming one: the one not spoken now.
        return language.SPANISH if current != language.SPANISH else language.ENGLISH
    if language.is_payload(text, language.offered_payloads(reversed(tracker.events or []))):
        # A button's payload ("/request_callback", "yes, safe for now") is our wording,
        # not the person's: a Spanish speaker's tap must not switch them to English. A
        # payload may carry the language, as the widget's first /greet does on a Spanish page.
        return _entity(tracker, SLOT) or current
    crisis = _entity(tracker, "crisis_language")
    if crisis:
        # Spanglish keeps the conversation's language, a crisis message included.
        found = language.guess(text)
        return current if current in language.LANGUAGES and found is not None and found.mixed else crisis
    return language.conversation_language(current, text)


class ActionDetectLanguage(Action):
    def name(self) -> Text:
        return "action_detect_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        decided = decide(tracker)
        return [SlotSet(SLOT, decided)] if decided != tracker.get_slot(SLOT) else []

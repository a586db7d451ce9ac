"""FAQ adapters: ask which topic was meant, and answer the one picked.

``helpline_rasa.faq_clarifier`` turns a weak FAQ guess into the intent
``faq_clarify``; :class:`ActionClarifyFaq` offers the likeliest topics from
the same ResponseSelector ranking (``helpline.faq_clarify.options``) as
buttons, which the SMS channel numbers. A button sends
``/choose_faq_topic{"faq_topic": "<topic>"}``; :class:`ActionAnswerFaqTopic`
answers with that topic's own response (``utter_faq/<topic>``).
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from helpline import faq_clarify

TOPIC_ENTITY = "faq_topic"


def topic_button(topic: str) -> Dict[str, str]:
    return {"title": faq_clarify.TOPIC_LABELS[topic],
            "payload": "/choose_faq_topic" + json.dumps({TOPIC_ENTITY: topic}, separators=(",", ":"))}


class ActionClarifyFaq(Action):
    def name(self) -> Text:
        return "action_clarify_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        topics = faq_clarify.options(faq_clarify.ranking_from(tracker.latest_message.get("response_selector")))
        if not topics:
            dispatcher.utter_message(response="utter_default")
            return []
        buttons = [topic_button(t) for t in topics]
        buttons += [{"title": "Something else", "payload": "/something_else"},
                    {"title": "Talk to a person", "payload": "/request_callback"}]
        dispatcher.utter_message(response="utter_clarify_faq", buttons=buttons)
        return []


class ActionAnswerFaqTopic(Action):
    def name(self) -> Text:
        return "action_answer_faq_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        topic = next((e.get("value") for e in tracker.latest_message.get("entities") or []
                      if e.get("entity") == TOPIC_ENTITY), None)
        # Every labelled topic has its utter_faq/<topic> answer (tests/adapters/test_faq_actions.py).
        if topic in faq_clarify.TOPIC_LABELS:
            dispatcher.utter_message(response=f"utter_faq/{topic}")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []

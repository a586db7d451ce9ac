"""FAQ adapters: ask which topic was meant, and answer the one picked.

``helpline_rasa.faq_clarifier`` turns a weak FAQ guess into the intent
``faq_clarify``; :class:`ActionClarifyFaq` offers the likeliest topics from
the same ResponseSelector ranking (``helpline.faq.clarify.options``) as
buttons, which the SMS channel numbers. A button sends
``/choose_faq_topic{"faq_topic": "<topic>"}``; :class:`ActionAnswerFaq`
answers it as it answers a clear question.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from helpline import messages
from helpline.faq import answers as faq_answers
from helpline.faq import clarify as faq_clarify

TOPIC_ENTITY = "faq_topic"
# The topics answered so far in this conversation, once per answer.
ANSWERED_SLOT = "faq_topics_answered"


def topic_button(topic: str, language: Optional[str] = None) -> Dict[str, str]:
    return {"title": faq_clarify.topic_labels(language)[topic],
            "payload": "/choose_faq_topic" + json.dumps({TOPIC_ENTITY: topic}, separators=(",", ":"))}


class ActionClarifyFaq(Action):
    def name(self) -> Text:
        return "action_clarify_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        topics = faq_clarify.options(faq_clarify.ranking_from(tracker.latest_message.get("response_selector")))
        offer_topics(dispatcher, topics, tracker.get_slot("language"))
        return []


def offer_topics(dispatcher: CollectingDispatcher, topics: List[str], language: Optional[str] = None) -> None:
    """The clarifying question with a button per topic; the menu when there is nothing to offer."""
    if not topics:
        dispatcher.utter_message(response="utter_default")
        return
    wording = messages.resolve(language)
    buttons = [topic_button(t, language) for t in topics]
    buttons += [{"title": messages.text("faq_clarify.something_else", language=wording), "payload": "/something_else"},
                {"title": messages.text("faq_clarify.talk_to_a_person", language=wording), "payload": "/request_callback"}]
    dispatcher.utter_message(response="utter_clarify_faq", buttons=buttons)


class ActionAnswerFaq(Action):
    """Answers the topic the ResponseSelector picked, or the one picked from a clarification.

    Used instead of Rasa's bare ``utter_faq`` so that a topic asked again gets a
    follow-up rather than the same paragraph, and so that the offer of a call
    (Yes/No buttons) comes only outside a form (``helpline.faq.answers``). Also
    answers a message shaped like a form answer sent outside a form ("kratom?").
    """

    def name(self) -> Text:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        selector = tracker.latest_message.get("response_selector")
        if intent == faq_clarify.BARE_ANSWER_INTENT:
            # Outside a form (the rule's only case), "fentanyl?" is a question, not an answer.
            kind, topics = faq_clarify.reply_to_bare_answer(faq_clarify.ranking_from(selector))
            if kind != "answer":
                offer_topics(dispatcher, topics, tracker.get_slot("language"))
                return []
            topic = topics[0]
        else:
            topic = chosen_topic(tracker) or faq_clarify.answered_topic(selector)
        # Every labelled topic has its utter_faq/<topic> answer (tests/core/test_faq_clarify.py).
        if topic not in faq_clarify.TOPIC_LABELS:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        in_form = bool((tracker.active_loop or {}).get("name"))
        return answer_topic(dispatcher, tracker, topic, offer_call=not in_form)


def answer_topic(dispatcher: CollectingDispatcher, tracker: Tracker, topic: str, *,
                 offer_call: bool) -> List[Dict[Text, Any]]:
    """Says ``topic``'s answer (or its follow-up when asked again) and remembers it was answered."""
    answered = list(tracker.get_slot(ANSWERED_SLOT) or [])
    for response in faq_answers.replies(topic, faq_answers.times_answered(topic, answered), offer_call=offer_call):
        dispatcher.utter_message(response=response, topic_label=faq_clarify.topic_labels(tracker.get_slot("language"))[topic])
    return [SlotSet(ANSWERED_SLOT, answered + [topic])]


def chosen_topic(tracker: Tracker) -> Optional[str]:
    """The topic of a clarification button (``/choose_faq_topic{"faq_topic": ...}``), if that was the message."""
    return next((e.get("value") for e in tracker.latest_message.get("entities") or []
                 if e.get("entity") == TOPIC_ENTITY), None)

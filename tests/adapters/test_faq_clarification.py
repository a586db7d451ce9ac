"""Asking which question was meant: the NLU component, the clarifying action and the answer to a pick."""
from __future__ import annotations

import asyncio
import json

import pytest
from rasa.shared.nlu.training_data.message import Message

from actions.faq import ANSWERED_SLOT, ActionAnswerFaq, ActionClarifyFaq
from helpline_rasa.faq_clarifier import CLARIFY_INTENT, FaqClarifier
from tests.adapters.conftest import make_tracker, responses


def selector(*ranking):
    return {"faq": {"response": {"intent_response_key": f"faq/{ranking[0][0]}", "confidence": ranking[0][1]},
                    "ranking": [{"intent_response_key": f"faq/{t}", "confidence": c} for t, c in ranking]}}


def message(intent, ranking, intents=None):
    msg = Message(data={"text": "is there an age limit"})
    msg.set("intent", {"name": intent, "confidence": 0.9})
    msg.set("intent_ranking", intents or [{"name": intent, "confidence": 0.9}])
    msg.set("response_selector", selector(*ranking))
    return msg


def test_a_weak_faq_guess_becomes_a_clarification():
    msg = message("faq", [("location", 0.34), ("age", 0.30), ("who_is_it_for", 0.2)])
    FaqClarifier({}).process([msg])
    assert msg.get("intent")["name"] == CLARIFY_INTENT
    assert msg.get("intent_ranking")[0]["name"] == CLARIFY_INTENT
    assert msg.get("response_selector") == selector(("location", 0.34), ("age", 0.30), ("who_is_it_for", 0.2))


def test_a_clear_faq_answer_is_left_alone():
    msg = message("faq", [("cost", 0.97), ("insurance", 0.02)])
    FaqClarifier({}).process([msg])
    assert msg.get("intent")["name"] == "faq"


def test_a_fallback_whose_best_guess_was_a_question_offers_topics():
    intents = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "faq", "confidence": 0.45},
               {"name": "greet", "confidence": 0.3}]
    msg = message("nlu_fallback", [("cost", 0.5), ("insurance", 0.4)], intents)
    FaqClarifier({}).process([msg])
    assert msg.get("intent")["name"] == CLARIFY_INTENT


def test_a_fallback_whose_best_guess_was_not_a_question_stays_a_fallback():
    intents = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "greet", "confidence": 0.45}]
    msg = message("nlu_fallback", [("cost", 0.5), ("insurance", 0.4)], intents)
    FaqClarifier({}).process([msg])
    assert msg.get("intent")["name"] == "nlu_fallback"


@pytest.mark.parametrize("intent", ["crisis", "request_callback", "greet"])
def test_other_intents_are_never_touched(intent):
    msg = message(intent, [("cost", 0.3), ("insurance", 0.25)])
    FaqClarifier({}).process([msg])
    assert msg.get("intent")["name"] == intent


def test_thresholds_come_from_the_config():
    msg = message("faq", [("cost", 0.6), ("insurance", 0.3)])
    FaqClarifier({"min_confidence": 0.7}).process([msg])
    assert msg.get("intent")["name"] == CLARIFY_INTENT


def selector_tracker(text, intent, *ranking, answered=(), active_loop=None):
    """A tracker whose latest message has this intent and this FAQ selector ranking."""
    tracker = make_tracker(text, intent, active_loop=active_loop,
                           slots={ANSWERED_SLOT: list(answered)} if answered else None)
    tracker.latest_message["response_selector"] = selector(*ranking)
    return tracker


def clarify_tracker(*ranking):
    return selector_tracker("is there an age limit", CLARIFY_INTENT, *ranking)


def test_the_clarification_offers_the_likeliest_topics_something_else_and_a_person(dispatcher, domain):
    tracker = clarify_tracker(("location", 0.34), ("age", 0.30), ("who_is_it_for", 0.2), ("cost", 0.01))
    asyncio.run(ActionClarifyFaq().run(dispatcher, tracker, domain))
    assert responses(dispatcher) == ["utter_clarify_faq"]
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["title"] for b in buttons] == ["Location", "Age", "Who the program is for", "Something else",
                                            "Talk to a person"]
    assert buttons[1]["payload"] == '/choose_faq_topic{"faq_topic":"age"}'
    assert json.loads(buttons[1]["payload"].split("topic", 1)[1]) == {"faq_topic": "age"}
    assert [b["payload"] for b in buttons[-2:]] == ["/something_else", "/request_callback"]


def test_with_nothing_to_offer_it_falls_back_to_the_menu(dispatcher, domain):
    tracker = make_tracker("hmm", CLARIFY_INTENT, active_loop=None)
    asyncio.run(ActionClarifyFaq().run(dispatcher, tracker, domain))
    assert responses(dispatcher) == ["utter_default"]


def test_the_topic_picked_is_answered_with_its_own_answer(dispatcher, domain):
    tracker = make_tracker('/choose_faq_topic{"faq_topic":"age"}', "choose_faq_topic", active_loop=None,
                           entities=[{"entity": "faq_topic", "value": "age"}])
    events = asyncio.run(ActionAnswerFaq().run(dispatcher, tracker, domain))
    assert responses(dispatcher) == ["utter_faq/age", "utter_offer_call"]
    assert events == [{"event": "slot", "timestamp": None, "name": ANSWERED_SLOT, "value": ["age"]}]


@pytest.mark.parametrize("entities", [[], [{"entity": "faq_topic", "value": "../etc"}]])
def test_an_unknown_or_missing_topic_asks_to_rephrase(dispatcher, domain, entities):
    tracker = make_tracker("/choose_faq_topic", "choose_faq_topic", active_loop=None, entities=entities)
    asyncio.run(ActionAnswerFaq().run(dispatcher, tracker, domain))
    assert responses(dispatcher) == ["utter_ask_rephrase"]


def faq_tracker(topic, *, answered=(), active_loop=None):
    return selector_tracker("how much is it", "faq", (topic, 0.97), ("insurance", 0.02),
                            answered=answered, active_loop=active_loop)


def test_a_question_is_answered_then_a_call_is_offered_with_yes_no_buttons(dispatcher, domain):
    asyncio.run(ActionAnswerFaq().run(dispatcher, faq_tracker("cost"), domain))
    assert responses(dispatcher) == ["utter_faq/cost", "utter_offer_call"]
    buttons = domain["responses"]["utter_offer_call"][0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]


def test_the_same_topic_asked_again_gets_a_follow_up_not_the_same_paragraph(dispatcher, domain):
    events = asyncio.run(ActionAnswerFaq().run(dispatcher, faq_tracker("cost", answered=["medication", "cost"]), domain))
    assert responses(dispatcher) == ["utter_faq_follow_up", "utter_offer_call"]
    assert dispatcher.messages[0]["topic_label"] == "Cost & payment"
    assert events[0]["value"] == ["medication", "cost", "cost"]


def test_a_third_ask_points_to_a_person(dispatcher, domain):
    asyncio.run(ActionAnswerFaq().run(dispatcher, faq_tracker("cost", answered=["cost", "cost"]), domain))
    assert responses(dispatcher) == ["utter_faq_ask_a_person", "utter_offer_call"]


def test_inside_a_form_there_is_no_offer_the_form_asks_next(dispatcher, domain):
    asyncio.run(ActionAnswerFaq().run(dispatcher, faq_tracker("cost", active_loop="intake_form"), domain))
    assert responses(dispatcher) == ["utter_faq/cost"]


def bare_answer_tracker(*ranking):
    return selector_tracker("kratom?", "inform", *ranking)


def test_a_bare_answer_outside_a_form_is_answered_as_a_question(dispatcher, domain):
    events = asyncio.run(ActionAnswerFaq().run(dispatcher, bare_answer_tracker(("substances", 0.9), ("cost", 0.05)), domain))
    assert responses(dispatcher) == ["utter_faq/substances", "utter_offer_call"]
    assert events[0]["value"] == ["substances"]


def test_an_unsure_bare_answer_gets_the_choice_of_topics(dispatcher, domain):
    events = asyncio.run(ActionAnswerFaq().run(dispatcher, bare_answer_tracker(("substances", 0.4), ("medication", 0.35)), domain))
    assert responses(dispatcher) == ["utter_clarify_faq"]
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]][:2] == ["What we treat", "Medication (MAT)"]
    assert events == []


def test_a_spanish_conversation_gets_spanish_topic_buttons():
    from rasa_sdk.executor import CollectingDispatcher

    from actions.faq import offer_topics

    dispatcher = CollectingDispatcher()
    offer_topics(dispatcher, ["cost", "insurance"], "es")
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles == ["Costo y pagos", "Seguro médico", "Otra cosa", "Hablar con una persona"]
    assert dispatcher.messages[0]["buttons"][0]["payload"] == '/choose_faq_topic{"faq_topic":"cost"}'

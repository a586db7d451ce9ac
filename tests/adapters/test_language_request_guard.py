"""A guess of `switch_language` stands only when the message names a language (helpline_rasa/language_request_guard.py)."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from helpline_rasa.language_request_guard import LanguageRequestGuard

RANKING = [{"name": "switch_language", "confidence": 0.84}, {"name": "faq", "confidence": 0.12},
           {"name": "greet", "confidence": 0.04}]


def guarded(text: str, ranking=RANKING) -> Message:
    message = Message(data={"text": text})
    message.set("intent", dict(ranking[0]) if ranking else {"name": None, "confidence": 0.0})
    message.set("intent_ranking", [dict(r) for r in ranking])
    return LanguageRequestGuard().process([message])[0]


@pytest.mark.parametrize("text", [
    "Soy abogado. ¿El State Bar tiene que enterarse de que estoy en un programa?",
    "el group therapy es como AA o es otra onda?",
    "my mom only understands a little, can someone call her",
])
def test_a_guess_without_a_language_named_gives_way_to_the_next(text):
    message = guarded(text)
    assert message.get("intent") == {"name": "faq", "confidence": 0.12}
    assert [r["name"] for r in message.get("intent_ranking")] == ["faq", "greet"]


@pytest.mark.parametrize("text", ["english please", "¿hablan español?", "no hablo ingles", "Spanish", "en castellano"])
def test_a_request_that_names_a_language_stands(text):
    assert guarded(text).get("intent")["name"] == "switch_language"


def test_other_intents_are_left_alone():
    ranking = [{"name": "faq", "confidence": 0.9}, {"name": "switch_language", "confidence": 0.1}]
    assert guarded("do you speak spanish", ranking).get("intent") == {"name": "faq", "confidence": 0.9}


def test_a_switch_with_nothing_behind_it_is_no_intent():
    message = guarded("asdf", [{"name": "switch_language", "confidence": 1.0}])
    assert message.get("intent") == {"name": None, "confidence": 0.0} and message.get("intent_ranking") == []

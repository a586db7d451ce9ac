"""The language slot after each message (actions/language.py)."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.language import ActionDetectLanguage
from tests.adapters.conftest import make_tracker


def run(text, *, intent="inform", current=None, entities=None):
    tracker = make_tracker(text, intent, slots={"language": current}, entities=entities, active_loop=None)
    return asyncio.run(ActionDetectLanguage().run(CollectingDispatcher(), tracker, {}))


def test_a_spanish_first_message_sets_spanish():
    assert run("hola, necesito informacion del programa") == [{"event": "slot", "timestamp": None, "name": "language", "value": "es"}]


def test_an_unchanged_language_sets_nothing():
    assert run("cuanto cuesta", current="es") == []
    assert run("ok", current="es") == []


def test_the_button_payload_wins():
    events = run("/switch_language", intent="switch_language", current="en",
                 entities=[{"entity": "language", "value": "es"}])
    assert events[0]["value"] == "es"


@pytest.mark.parametrize("text, current, expected", [
    ("english please", "es", "en"),
    ("¿hablan español?", None, "es"),
    ("other language please", "es", "en"),
])
def test_a_switch_request_names_or_toggles(text, current, expected):
    assert run(text, intent="switch_language", current=current)[0]["value"] == expected


def test_the_crisis_detectors_reading_wins_on_two_words():
    events = run("me mato", intent="crisis", current="en", entities=[{"entity": "crisis_language", "value": "es"}])
    assert events[0]["value"] == "es"


def test_spanglish_crisis_keeps_the_conversations_language():
    events = run("mi hijo took all his pills", intent="crisis", current="es",
                 entities=[{"entity": "crisis_language", "value": "en"}])
    assert events == []


def test_a_button_payload_says_nothing_about_the_language():
    assert run('/choose_faq_topic{"faq_topic":"cost"}', intent="choose_faq_topic", current="es") == []
    assert run("/request_callback", intent="request_callback", current="es") == []


def test_a_tapped_button_with_an_english_payload_keeps_spanish():
    tracker = make_tracker("yes, safe for now", "affirm", slots={"language": "es"}, active_loop=None)
    tracker.events.insert(0, {"event": "bot", "text": "¿Está a salvo?", "data": {"buttons": [
        {"title": "Sí, por ahora", "payload": "yes, safe for now"}, {"title": "No", "payload": "no, not safe"}]}})
    assert asyncio.run(ActionDetectLanguage().run(CollectingDispatcher(), tracker, {})) == []


def test_the_widgets_greeting_on_a_spanish_page_says_spanish():
    events = run('/greet{"language":"es"}', intent="greet", entities=[{"entity": "language", "value": "es"}])
    assert events[0]["value"] == "es"
    assert run("/greet", intent="greet") == []

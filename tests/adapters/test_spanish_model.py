"""The Spanish model understands Spanish the way the English one understands English (README, "Spanish").

A few messages per kind, written for this test (not in the training data), read by
the model the NLU server would pick (helpline_rasa/nlu_router.py); the blind rounds in
README are the real measure. Run on the trained models.
"""
from __future__ import annotations

import pytest

from helpline.faq import clarify as faq_clarify

pytestmark = pytest.mark.model


@pytest.mark.parametrize("text, intent", [
    ("hola buenas tardes", "greet"),
    ("¿hablan español?", "switch_language"),
    ("en español porfa", "switch_language"),
    ("can we do this in english", "switch_language"),
    ("me pueden marcar mañana? es para mi esposo", "request_callback"),
    ("muchas gracias por la ayuda", "thank"),
    ("¿eres una persona o un robot?", "bot_challenge"),
])
def test_spanish_intents(parse, text, intent):
    assert parse(text)["intent"]["name"] == intent


@pytest.mark.parametrize("text, topic", [
    ("¿aceptan el AHCCCS?", "insurance"),
    ("cuantas horas a la semana son", "hours_per_week"),
    ("donde estan ubicados", "location"),
    ("puedo tomar el programa desde mi casa por video", "virtual"),
    ("mi papa toma diario y le tiemblan las manos, es peligroso que lo deje de golpe?", "safe_to_stop"),
])
def test_spanish_questions_get_their_topic(parse, text, topic):
    result = parse(text)
    assert result["intent"]["name"] in ("faq", "faq_clarify"), result["intent"]
    assert faq_clarify.ranking_from(result.get("response_selector"))[0][0] == topic


@pytest.mark.parametrize("text, intent", [
    ("si", "affirm"),
    ("no gracias", "deny"),
    ("english please", "switch_language"),   # too short to switch: read by the Spanish model
    ("me pueden llamar", "request_callback"),
])
def test_short_replies_in_a_spanish_conversation(parse, text, intent):
    assert parse(text, "es")["intent"]["name"] == intent


@pytest.mark.parametrize("text, intent", [
    ("en español por favor", "switch_language"),
    ("¿hablan español?", "switch_language"),
])
def test_an_english_conversation_understands_a_request_for_spanish(parse, text, intent):
    assert parse(text, "en")["intent"]["name"] == intent


# Crisis and ordinary messages in both languages, written for this test.
CRISIS_NET_PROBES = [
    "me quiero morir", "mi hermano tomo muchas pastillas y no respira", "i want to end it all tonight",
    "my friend is not breathing after using", "ya no quiero vivir, tengo la pistola aqui", "si", "ok",
    "cuanto cuesta el programa", "this traffic is killing me", "me muero de hambre jaja",
    "tengo temblores desde que deje de tomar", "i relapsed last week", "para mi hijo", "me mato",
]


def test_both_languages_models_have_the_same_crisis_net():
    """A message read by either model gets the same crisis answer (config.yml: `ordinary_data`)."""
    import asyncio

    from rasa.core.agent import Agent

    from helpline import language
    from tests.conftest import MODEL

    loop = asyncio.new_event_loop()
    verdicts = {}
    for lang in language.LANGUAGES:
        agent = Agent.load(str(language.model_archive(MODEL, lang)))
        verdicts[lang] = []
        for text in CRISIS_NET_PROBES:
            result = loop.run_until_complete(agent.parse_message(text))
            crisis = sorted((e["entity"], str(e["value"])) for e in result["entities"] if e["entity"].startswith("crisis_"))
            verdicts[lang].append((text, result["intent"]["name"] in ("crisis", "possible_risk") and result["intent"]["name"],
                                   crisis))
    loop.close()
    assert verdicts["en"] == verdicts["es"]
    assert sum(1 for _, intent, _ in verdicts["en"] if intent == "crisis") >= 5  # the probe has crises in it

"""The bilingual model understands Spanish the way it understands English (README, "Spanish").

A few messages per kind, written for this test (not in the training data); the
blind rounds in README are the real measure. Run on the trained model.
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

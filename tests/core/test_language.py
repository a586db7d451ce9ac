"""Which language a message is in, and when a conversation changes language (helpline.language)."""
from __future__ import annotations

import pytest

from helpline import language as lang


@pytest.mark.parametrize("text, expected", [
    ("necesito ayuda para mi hijo", "es"),
    ("cuanto cuesta el programa", "es"),
    ("me pueden llamar mañana en la tarde", "es"),
    ("how much does the program cost", "en"),
    ("i need help with my drinking", "en"),
])
def test_a_clear_message_is_identified(text, expected):
    found = lang.guess(text)
    assert found is not None and found.language == expected and not found.mixed


@pytest.mark.parametrize("text", ["", "   ", "602 555 0107", "911", "?!", "😭"])
def test_text_without_words_has_no_language(text):
    assert lang.guess(text) is None


@pytest.mark.parametrize("text", ["mi hijo is using again", "tienen aseguranza? my insurance is aetna"])
def test_spanglish_is_code_switched(text):
    found = lang.guess(text)
    assert found is not None and found.mixed


def test_a_new_conversation_takes_the_first_message_that_leans_one_way():
    assert lang.conversation_language(None, "hola") == "es"
    assert lang.conversation_language(None, "hi, i have a question about your program") == "en"
    assert lang.conversation_language(None, "602 555 0107") is None


@pytest.mark.parametrize("text", ["ok", "Maria", "si", "no", "my son", "mi hijo is using again", "602 555 0107"])
def test_a_spanish_conversation_keeps_its_language_on_short_neutral_or_mixed_replies(text):
    assert lang.conversation_language("es", text) == "es"


@pytest.mark.parametrize("text", ["ok", "hola", "mi hijo is using again", "cristal"])
def test_an_english_conversation_keeps_its_language_too(text):
    assert lang.conversation_language("en", text) == "en"


def test_a_whole_message_in_the_other_language_switches():
    assert lang.conversation_language("en", "necesito hablar con alguien sobre mi esposo") == "es"
    assert lang.conversation_language("es", "sorry, can we please do this in english instead") == "en"


@pytest.mark.parametrize("text, expected", [
    ("¿Hablan español?", "es"),
    ("en espanol por favor", "es"),
    ("Spanish please", "es"),
    ("english please", "en"),
    ("habla inglés?", "en"),
    ("hi", None),
    ("english or spanish?", None),
    ("no hablo ingles", "es"),
    ("i don't speak spanish", "en"),
    ("do you speak spanish? my english is not good", "es"),
    ("hablo poquito inglés, mejor en español", "es"),
    ("mi mamá no habla inglés, puede ser en español?", "es"),
    ("no le entiendo nada, no sé inglés", "es"),
])
def test_a_request_names_its_language(text, expected):
    assert lang.named_language(text) == expected


def test_fold_drops_accents_and_case():
    assert lang.fold("Español MAÑANA ¿Qué?") == "espanol manana ¿que?"

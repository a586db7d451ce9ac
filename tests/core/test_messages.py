"""The wording files (helpline/messages/*.yml) and the code that uses them agree.

Read from the source, without running it: every ``messages.text("key", ...)`` /
``messages.table("key")`` call names a key the file has, supplies every field
its text needs (facility facts when it passes them, the rest by name), and
every text of the file is used somewhere. Another language's file must have
the same keys and fields as English, and every call must work in it.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, List, Set

import pytest

from helpline import messages
from helpline.channels import sms
from helpline.facility import load_facility

ROOT = Path(__file__).resolve().parents[2]
CODE = ("helpline", "helpline_rasa", "actions")


@dataclass(frozen=True)
class Use:
    where: str
    function: str  # "text" or "table"
    keys: FrozenSet[str]  # a conditional key ("a" if x else "b") names both
    passes_facts: bool
    named: FrozenSet[str]
    spreads: bool  # **values: the fields cannot be checked from the source


def _uses() -> List[Use]:
    found = []
    for folder in CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "messages"
                    and node.func.attr in ("text", "table")
                ):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                keys = frozenset(
                    n.value for n in ast.walk(node.args[0]) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                ) if node.args else frozenset()
                assert keys, f"{where}: pass the key as a literal, so this test can check it"
                found.append(Use(
                    where=where,
                    function=node.func.attr,
                    keys=keys,
                    passes_facts=len(node.args) > 1,
                    named=frozenset(k.arg for k in node.keywords if k.arg and k.arg != "language"),
                    spreads=any(k.arg is None for k in node.keywords),
                ))
    return found


USES = _uses()
TEXTS = messages.catalog()
FACTS = frozenset(load_facility().placeholders())
OTHER_LANGUAGES = [lang for lang in messages.languages() if lang != messages.DEFAULT_LANGUAGE]


def test_the_code_uses_the_wording_file():
    assert {u.where.split(":")[0] for u in USES} >= {
        "helpline/notify/alerts.py", "helpline/channels/sms.py", "helpline/channels/turn_replies.py",
    }


@pytest.mark.parametrize("use", [u for u in USES if u.function == "text"], ids=lambda u: u.where)
def test_every_text_the_code_asks_for_exists_and_gets_every_field(use):
    assert not use.spreads, f"{use.where}: name each value, so its fields can be checked"
    for key in use.keys:
        assert key in TEXTS, f"{use.where}: en.yml has no text {key!r}"
        supplied = set(use.named) | (set(FACTS) if use.passes_facts else set())
        missing = messages.fields(TEXTS[key]) - supplied
        assert not missing, f"{use.where}: {key} needs {sorted(missing)}, which the call does not supply"


@pytest.mark.parametrize("use", [u for u in USES if u.function == "table"], ids=lambda u: u.where)
def test_every_table_the_code_asks_for_exists_and_is_plain_words(use):
    for key in use.keys:
        words = messages.table(key)
        assert all(not messages.fields(word) for word in words.values()), f"{key}: words take no fields"


def test_every_text_in_the_file_is_used():
    used: Set[str] = set()
    for use in USES:
        for key in use.keys:
            used |= {key} if use.function == "text" else {f"{key}.{name}" for name in messages.table(key)}
    assert sorted(set(TEXTS) - used) == []


@pytest.mark.parametrize("language", messages.languages())
def test_every_language_has_the_same_texts_and_fields(language):
    other = messages.catalog(language)
    assert sorted(other) == sorted(TEXTS)
    fields: Dict[str, Set[str]] = {key: messages.fields(text) for key, text in other.items()}
    assert fields == {key: messages.fields(text) for key, text in TEXTS.items()}


def test_fields_are_filled_from_values_then_facts_and_a_missing_one_is_named():
    assert messages.fields("call {helpline_phone} ({max_chars:,})") == {"helpline_phone", "max_chars"}
    with pytest.raises(messages.MessagesError, match="no text 'staff_alert.nope'"):
        messages.text("staff_alert.nope")
    with pytest.raises(messages.MessagesError, match="'helpline_phone'"):
        messages.text("channel_notice.not_saved", {})
    assert "(555)" in messages.text("channel_notice.not_saved", {"helpline_phone": "(555)"})
    with pytest.raises(messages.MessagesError, match="no wording file"):
        messages.catalog("xx")


def test_spanish_has_a_wording_file():
    assert "es" in OTHER_LANGUAGES


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
@pytest.mark.parametrize("use", USES, ids=lambda u: u.where)
def test_every_call_works_in_every_language(use, language):
    """Each call as the code makes it, in ``language``, with that language's facility facts (1 for each value)."""
    facts = load_facility().placeholders(language)
    for key in use.keys:
        if use.function == "table":
            assert set(messages.table(key, language=language)) == set(messages.table(key)), key
            continue
        text = messages.text(key, facts if use.passes_facts else None, language=language, **dict.fromkeys(use.named, 1))
        assert text.strip() or not TEXTS[key].strip(), key


# Texts that go out by SMS, with the values they are sent with (menu: the web greeting's three choices).
SMS_KEYS = [key for key in TEXTS if key.startswith(("texter_sms.", "channel_notice.", "staff_alert."))]
MENUS = {
    "en": "Reply 1 for What is IOP, 2 for Cost & insurance, 3 for Have someone call me.",
    "es": "Responda 1 para ¿Qué es el IOP, 2 para Costo y seguro, 3 para Que me llamen.",
}
SMS_VALUES = {
    "max_chars": 1600, "title": "This number", "last_digits": "0107", "reference": "CB-7Q2M4K",
    "urgency": "IMMEDIATE", "best_time": "as soon as possible", "count": 12,
    "link": "https://helpline.example.org/callbacks/1234", "number": 1, "choices": "1 for What is IOP",
}


def _sms(key: str, language: str) -> str:
    facts = load_facility().placeholders(language)
    return sms.plain_text(messages.text(key, facts, language=language, menu=MENUS.get(language, MENUS["en"]), **SMS_VALUES))


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
@pytest.mark.parametrize("key", SMS_KEYS)
def test_sms_texts_fit_in_two_segments_in_every_language_as_in_english(key, language):
    assert sms.segments(_sms(key, "en")) <= 2
    assert sms.segments(_sms(key, language)) <= 2, f"{language}.yml {key}: {len(_sms(key, language))} characters"


@pytest.mark.parametrize("key", SMS_KEYS)
def test_spanish_sms_texts_keep_to_the_sms_alphabet(key):
    # One á, í, ó or ú makes the whole SMS UCS-2: 67 characters a segment instead of 153.
    text = _sms(key, "es")
    assert sms.segments(text) == sms.segments("x" * len(text)), f"es.yml {key}: {[c for c in text if c in 'áíóúÁÍÓÚ']}"


def test_the_spanish_carrier_replies_name_the_spanish_keywords_and_stop_too():
    assert "Responda ALTO para cancelar" in _sms("texter_sms.help", "es") and "STOP" in _sms("texter_sms.help", "es")
    assert "AYUDA" in _sms("texter_sms.opted_in", "es") and "ALTO" in _sms("texter_sms.opted_in", "es")
    assert "COMENZAR (o START)" in _sms("texter_sms.opted_out", "es")
    assert "(oprima el 2 para español)" in _sms("texter_sms.help", "es")


def test_an_abbreviation_ending_a_sentence_takes_one_full_stop():
    facts = {"helpline_phone": "(555)", "helpline_hours": "de 8:00 a. m. a 4:00 p. m."}
    assert messages.text("callback_promise.no_hours", facts, language="es").endswith("de 8:00 a. m. a 4:00 p. m.")
    # An ellipsis is not a doubled stop.
    assert messages.text("callback_promise.scheduled", when="soon... or later") == "Someone will call you soon... or later."


def test_the_conversation_language_resolves_to_a_wording_file():
    assert messages.resolve("es") == "es"
    assert messages.resolve(None) == messages.resolve("fr") == messages.resolve("") == "en"

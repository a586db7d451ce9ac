"""Every response exists in every language, with the same shape (locale/*.yml against the domain).

The English responses are Rasa's (domain.yml, data/faq_responses.yml); each other
language's are in locale/<language>.yml. A response in one language only, a
button whose payload differs, or a fact named in one language and not the other
fails here, before anyone hears English in a Spanish conversation.
"""
from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from helpline import language
from helpline.facility import load_facility
from helpline_rasa.nlg import FacilityResponseGenerator, locale_responses

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")
OTHER_LANGUAGES = [lang for lang in language.LANGUAGES if lang != language.DEFAULT_LANGUAGE]
# Facts a translation names instead of the English one: the Lifeline's chat in Spanish.
SAME_FACT = {"lifeline_chat_es": "lifeline_chat"}
# Facts only a translation names: in Spanish, when Spanish-speaking staff can call (on a
# switch to Spanish, and when a Spanish speaker's lead is stored).
ONLY_TRANSLATED = {"utter_language_switched": {"spanish_staff"}, "utter_handoff_confirmed": {"spanish_staff"}}


@pytest.fixture(scope="module")
def domain():
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
    )
    return importer.get_domain()


def _shape(name: str, variations: List[Dict[str, Any]]) -> List[Any]:
    """What must agree across languages: channel, conditions, payloads, and the facts named."""
    shape = []
    for variation in variations:
        words = yaml.safe_dump({k: v for k, v in variation.items() if k in ("text", "buttons")}, allow_unicode=True)
        facts = {SAME_FACT.get(fact, fact) for fact in PLACEHOLDER.findall(words)} - ONLY_TRANSLATED.get(name, set())
        shape.append((
            variation.get("channel"),
            yaml.safe_dump(variation.get("condition")),
            [b.get("payload") for b in variation.get("buttons") or []],
            sorted(facts),
            sorted(variation.get("custom") or {}),
        ))
    return shape


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_response_exists_in_every_language(domain, lang):
    english, other = set(domain.responses), set(locale_responses(lang))
    assert not english - other, f"missing in locale/{lang}.yml: {sorted(english - other)}"
    assert not other - english, f"in locale/{lang}.yml but not in the domain: {sorted(other - english)}"


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_each_translation_has_the_shape_of_the_english(domain, lang):
    translated = locale_responses(lang)
    different = {name: (_shape(name, variations), _shape(name, translated[name]))
                 for name, variations in domain.responses.items()
                 if name in translated and _shape(name, variations) != _shape(name, translated[name])}
    assert not different, f"locale/{lang}.yml differs from the English in shape: {different}"


def _generate(domain, name: str, lang: str, channel: str = "rest") -> Dict[str, Any]:
    tracker = DialogueStateTracker.from_events("locale-test", [], slots=domain.slots)
    tracker.slots["language"].value = lang
    values = {"reference": "HL-TEST", "promise": "…", "phone_last4": "0107", "person": "…", "topic_label": "…"}
    response = asyncio.run(FacilityResponseGenerator(domain=domain).generate(name, tracker, channel, **values))
    assert response is not None, name
    return response


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_translation_fills_and_says_its_language(domain, lang):
    for name in domain.responses:
        response = _generate(domain, name, lang)
        assert "{" not in (response.get("text") or ""), f"{name}: a fact was not filled in"
        assert response["language"] == lang


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_translated_faq_answers_fit_an_sms(domain, lang):
    for name in [n for n in domain.responses if n.startswith("utter_faq/")]:
        text = _generate(domain, name, lang, channel="twilio")["text"]
        assert len(text) <= 320, f"{name} in {lang} is {len(text)} characters"


def test_a_conversation_without_a_language_is_answered_in_english(domain):
    tracker = DialogueStateTracker.from_events("locale-test", [], slots=domain.slots)
    response = asyncio.run(FacilityResponseGenerator(domain=domain).generate("utter_greet", tracker, "rest"))
    assert response is not None and response["language"] == "en"
    assert response["text"] == asyncio.run(
        FacilityResponseGenerator(domain=domain).generate("utter_greet", tracker, "rest"))["text"]


def test_spanish_facts_are_spanish():
    english, spanish = load_facility().placeholders("en"), load_facility().placeholders("es")
    assert english.keys() == spanish.keys()
    assert spanish["typical_length"] != english["typical_length"]

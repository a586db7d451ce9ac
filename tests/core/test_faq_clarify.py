"""When the FAQ asks which topic was meant instead of answering (helpline.faq.clarify)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from helpline.faq import clarify as faq_clarify
from helpline.faq.clarify import needs_clarifying, options

ROOT = Path(__file__).resolve().parents[2]


def faq_topics_in(path: Path, key: str) -> set:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if key == "nlu":
        return {b["intent"].split("/", 1)[1] for b in data["nlu"] if b.get("intent", "").startswith("faq/")}
    return {name.split("/", 1)[1] for name in data["responses"] if name.startswith("utter_faq/")}


def test_every_faq_topic_has_a_button_label_and_every_label_an_answer():
    trained = faq_topics_in(ROOT / "data" / "faq.yml", "nlu")
    answered = faq_topics_in(ROOT / "data" / "faq_responses.yml", "responses")
    assert trained == answered == set(faq_clarify.TOPIC_LABELS)


def test_labels_are_short_enough_for_a_numbered_sms_menu():
    assert all(len(label) <= 28 for label in faq_clarify.TOPIC_LABELS.values())


@pytest.mark.parametrize("ranking, unsure", [
    ([("cost", 0.97), ("insurance", 0.02)], False),
    ([("cost", 0.45), ("insurance", 0.30)], True),          # weak
    ([("cost", 0.55), ("insurance", 0.45)], True),          # close
    ([("cost", 0.60), ("insurance", 0.30)], False),
    ([], False),
])
def test_it_asks_when_the_best_topic_is_weak_or_barely_ahead(ranking, unsure):
    assert needs_clarifying(ranking, min_confidence=0.5, min_margin=0.2) is unsure


def test_the_options_are_the_likeliest_known_topics_best_first():
    ranking = [("cost", 0.40), ("insurance", 0.35), ("low_cost", 0.15), ("location", 0.06), ("age", 0.04)]
    assert options(ranking) == ["cost", "insurance", "low_cost"]
    assert options(ranking, max_options=2) == ["cost", "insurance"]


def test_negligible_and_unknown_topics_are_not_offered():
    assert options([("cost", 0.9), ("insurance", 0.05), ("parking_lot", 0.04)]) == ["cost"]
    assert options([("retired_topic", 0.5), ("cost", 0.3)]) == ["cost"]
    assert options([]) == []


def test_topic_of_a_retrieval_key():
    assert faq_clarify.topic_of("faq/cost") == "cost"
    assert faq_clarify.topic_of(None) == ""


def test_a_weak_faq_answer_or_a_fallback_that_guessed_a_question_is_clarified():
    weak, clear = [("cost", 0.4), ("insurance", 0.3)], [("cost", 0.95), ("insurance", 0.02)]
    assert faq_clarify.clarifies("faq", "faq", weak)
    assert not faq_clarify.clarifies("faq", "faq", clear)
    assert faq_clarify.clarifies("nlu_fallback", "faq", clear)
    assert not faq_clarify.clarifies("nlu_fallback", "greet", weak)
    assert not faq_clarify.clarifies("crisis", "faq", weak)
    assert not faq_clarify.clarifies("faq", "faq", [])


def test_the_ranking_is_read_from_rasas_parse_result():
    selector = {"faq": {"ranking": [{"intent_response_key": "faq/cost", "confidence": 0.6},
                                    {"intent_response_key": "faq/insurance", "confidence": None}]}}
    assert faq_clarify.ranking_from(selector) == [("cost", 0.6), ("insurance", 0.0)]
    assert faq_clarify.ranking_from(None) == [] == faq_clarify.ranking_from({"faq": {}})


def test_a_bare_answer_outside_a_form_is_answered_when_the_topic_is_clear():
    from helpline.faq.clarify import reply_to_bare_answer
    assert reply_to_bare_answer([("substances", 0.9), ("medication", 0.05)]) == ("answer", ["substances"])


def test_a_bare_answer_with_an_unsure_topic_offers_the_likeliest():
    from helpline.faq.clarify import reply_to_bare_answer
    kind, topics = reply_to_bare_answer([("cost", 0.4), ("insurance", 0.35), ("low_cost", 0.2)])
    assert kind == "clarify" and topics == ["cost", "insurance", "low_cost"]


def test_a_bare_answer_with_nothing_to_offer_gets_the_menu():
    from helpline.faq.clarify import reply_to_bare_answer
    assert reply_to_bare_answer([]) == ("menu", [])
    assert reply_to_bare_answer([("retired_topic", 0.9)]) == ("menu", [])


def _selector(*ranking):
    return {"faq": {"ranking": [{"intent_response_key": f"faq/{t}", "confidence": c} for t, c in ranking]}}


def test_a_clear_question_under_a_check_in_is_answered_after_it():
    intents = [{"name": "possible_risk", "confidence": 0.53}, {"name": "faq", "confidence": 0.98}]
    selector = _selector(("confidentiality", 0.82), ("professional_privacy", 0.03))
    assert faq_clarify.question_beside_check_in(intents, selector) == "confidentiality"


@pytest.mark.parametrize("intents, ranking", [
    # Not a question: the classifier's own best guess was something else.
    ([{"name": "possible_risk", "confidence": 0.6}, {"name": "mood_unhappy", "confidence": 0.7},
      {"name": "faq", "confidence": 0.2}], [("cost", 0.9)]),
    # A question, but only just: the fallback would not have answered it either.
    ([{"name": "possible_risk", "confidence": 0.6}, {"name": "nlu_fallback", "confidence": 0.4},
      {"name": "faq", "confidence": 0.4}], [("cost", 0.9)]),
    # A question whose topic is unsure: no guessing under a check-in.
    ([{"name": "possible_risk", "confidence": 0.6}, {"name": "faq", "confidence": 0.9}],
     [("childcare", 0.45), ("age", 0.35)]),
    # A topic without an answer.
    ([{"name": "possible_risk", "confidence": 0.6}, {"name": "faq", "confidence": 0.9}], [("retired_topic", 0.9)]),
    ([{"name": "possible_risk", "confidence": 0.6}], []),
])
def test_anything_less_than_a_clear_question_gets_the_check_in_alone(intents, ranking):
    assert faq_clarify.question_beside_check_in(intents, _selector(*ranking)) is None

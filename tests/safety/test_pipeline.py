"""Crisis detection through the trained pipeline (DIET + ResponseSelector + fallback + safety net).

The lexicon tests prove the safety net alone; these prove nothing in front of
it (a confident FAQ guess, a fallback) can hide a crisis, and that the whole
pipeline does not cry wolf on the near-miss set.
"""
from __future__ import annotations

import pytest

from tests.safety.datasets import HOLDOUT, NEAR_MISS, POSITIVE

pytestmark = pytest.mark.model


def crisis_of(result: dict):
    if result["intent"]["name"] != "crisis":
        return None
    return {e["entity"]: e["value"] for e in result.get("entities", [])}.get("crisis_category", "unspecified")


def test_every_positive_and_holdout_example_names_988_911_through_the_pipeline(parse):
    """The lexicon's promise: a crisis answer, or a safety check-in where the model doubts the match."""
    intents = {text: parse(text)["intent"]["name"] for text, _ in POSITIVE + HOLDOUT}
    missed = [text for text, name in intents.items() if name not in ("crisis", "possible_risk")]
    assert not missed, f"{len(missed)} crises missed: {missed[:10]}"
    asked = [text for text, name in intents.items() if name == "possible_risk"]
    assert len(asked) / len(intents) <= 0.10, f"{len(asked)} only asked about: {asked[:10]}"


def test_near_misses_rarely_raise_a_crisis_through_the_pipeline(parse):
    false_alarms = [text for text in NEAR_MISS if crisis_of(parse(text)) is not None]
    assert len(false_alarms) / len(NEAR_MISS) <= 0.05, false_alarms

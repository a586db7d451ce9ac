"""Each language's model trains on every intent and FAQ topic people write (Makefile: one model per language).

data/*.yml trains the English model (with the dialogue), data/es/ the Spanish NLU;
both read data/switch_language.yml. A Spanish speaker may ask anything an English
speaker may, so an intent or topic with examples in one language only is a gap
in the other's model.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import List

import rasa.shared.data
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

ROOT = Path(__file__).resolve().parents[2]
# Set by a component, never by the classifier (crisis: the detector has the last word).
COMPONENT_INTENTS = {"faq_clarify", "choose_faq_topic", "request_human", "possible_risk", "nlu_fallback"}
SHARED = [ROOT / "data" / "switch_language.yml", ROOT / "data" / "faq_responses.yml"]
MIN_EXAMPLES = 25


def nlu(paths: List[Path]) -> TrainingData:
    files = sorted(rasa.shared.data.get_data_files([str(p) for p in paths], rasa.shared.data.is_nlu_file))
    return TrainingData().merge(*(load_data(f) for f in files))


def counts(data: TrainingData) -> Counter:
    return Counter(m.get("intent_response_key") or m.get("intent") for m in data.intent_examples)


ENGLISH = counts(nlu(sorted((ROOT / "data").glob("*.yml"))))
SPANISH = counts(nlu([ROOT / "data" / "es", *SHARED]))


def test_the_spanish_model_trains_on_every_intent_and_topic_of_the_english_one():
    wanted = {name for name in ENGLISH if name not in COMPONENT_INTENTS}
    assert sorted(wanted - set(SPANISH)) == []
    thin = {name: SPANISH[name] for name in wanted if SPANISH[name] < MIN_EXAMPLES}
    assert thin == {}


def test_both_models_understand_a_request_for_either_language():
    assert ENGLISH["switch_language"] == SPANISH["switch_language"] >= 30


def test_the_spanish_data_has_no_intent_or_topic_the_english_has_not():
    # One dialogue for both: an intent only the Spanish model predicts would have no rule or story.
    assert not [n for n in SPANISH if n not in ENGLISH and n not in COMPONENT_INTENTS]

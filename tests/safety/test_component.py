"""helpline_rasa.crisis_detector.CrisisDetector on hand-built Rasa messages (no model training)."""
from __future__ import annotations

import copy
import logging

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.recipes.recipe import Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.data import TrainingType
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from helpline_rasa.crisis_detector import CrisisDetector

COMPONENT_NAME = "helpline_rasa.crisis_detector.CrisisDetector"
NEUTRAL_TEXT = "what are your hours on saturday"


@pytest.fixture
def detector(tmp_path) -> CrisisDetector:
    return make_detector(tmp_path)


def make_detector(tmp_path, **config) -> CrisisDetector:
    return CrisisDetector.create(
        {**CrisisDetector.get_default_config(), **config},
        LocalModelStorage(tmp_path),
        Resource("crisis_detector"),
        ExecutionContext(GraphSchema({}), "test-model"),
    )


def intent(name: str, confidence: float) -> dict:
    return {"name": name, "confidence": confidence}


def message(text, top=None, ranking=None, entities=None) -> Message:
    """A message as DIET/FallbackClassifier leave it (they declare output properties)."""
    data = {TEXT: text} if text is not None else {}
    output = set()
    if top is not None:
        data[INTENT] = intent(*top)
        data[INTENT_RANKING_KEY] = [intent(*r) for r in (ranking or [top])]
        output |= {INTENT, INTENT_RANKING_KEY}
    if entities is not None:
        data[ENTITIES] = entities
        output.add(ENTITIES)
    return Message(data=data, output_properties=output)


def crisis_entities(msg: Message) -> dict:
    found = [e for e in msg.get(ENTITIES, []) if e["entity"] in ("crisis_category", "crisis_severity")]
    assert all(e["extractor"] == "CrisisDetector" and e["start"] == 0 and e["end"] == 0 for e in found)
    assert len(found) == len({e["entity"] for e in found}), "one value per crisis entity"
    return {e["entity"]: e["value"] for e in found}


def ranking_names(msg: Message) -> list:
    return [r["name"] for r in msg.get(INTENT_RANKING_KEY)]


# --- lexicon matches ----------------------------------------------------------------------------


def test_a_lexicon_match_overrides_the_classifier(detector):
    msg = message("he's not breathing", ("greet", 0.9), [("greet", 0.9), ("faq", 0.05)])
    detector.process([msg])
    assert msg.get(INTENT) == intent("crisis", 1.0)
    assert ranking_names(msg) == ["crisis", "greet", "faq"]
    assert crisis_entities(msg) == {"crisis_category": "overdose", "crisis_severity": "immediate"}


def test_a_lexicon_match_overrides_nlu_fallback(detector):
    msg = message("i wanna kms", ("nlu_fallback", 0.5), [("nlu_fallback", 0.5), ("faq", 0.4), ("greet", 0.3)])
    detector.process([msg])
    assert msg.get(INTENT)["name"] == "crisis"
    assert ranking_names(msg) == ["crisis", "nlu_fallback", "faq", "greet"]
    assert crisis_entities(msg) == {"crisis_category": "suicide_self_harm", "crisis_severity": "urgent"}


def test_the_ranking_keeps_a_single_crisis_entry(detector):
    msg = message("my husband hits me", ("inform", 0.6), [("inform", 0.6), ("crisis", 0.3), ("faq", 0.1)])
    detector.process([msg])
    assert ranking_names(msg) == ["crisis", "inform", "faq"]


def test_crisis_entities_from_upstream_are_replaced_and_others_kept(detector):
    upstream = [
        {"entity": "substance", "value": "alcohol", "start": 20, "end": 27, "extractor": "DIETClassifier"},
        {"entity": "crisis_category", "value": "overdose", "start": 0, "end": 2, "extractor": "DIETClassifier"},
    ]
    msg = message("he hits me when he drinks alcohol", ("inform", 0.7), entities=upstream)
    detector.process([msg])
    assert [e["entity"] for e in msg.get(ENTITIES)][0] == "substance"
    assert crisis_entities(msg) == {"crisis_category": "violence_abuse", "crisis_severity": "urgent"}


# --- the classifier's own crisis prediction --------------------------------------------------------


def test_a_classifier_crisis_without_lexicon_match_is_kept_as_unspecified(detector):
    msg = message("I need to talk to someone", ("crisis", 0.82), [("crisis", 0.82), ("request_callback", 0.1)])
    before = copy.deepcopy(msg.get(INTENT)), copy.deepcopy(msg.get(INTENT_RANKING_KEY))
    detector.process([msg])
    assert (msg.get(INTENT), msg.get(INTENT_RANKING_KEY)) == before
    assert crisis_entities(msg) == {"crisis_category": "unspecified", "crisis_severity": "urgent"}


def test_a_classifier_crisis_with_lexicon_match_keeps_its_intent_and_gets_the_category(detector):
    msg = message("I want to kill myself", ("crisis", 0.7))
    detector.process([msg])
    assert msg.get(INTENT) == intent("crisis", 0.7)
    assert crisis_entities(msg)["crisis_category"] == "suicide_self_harm"


def test_a_low_confidence_classifier_crisis_is_never_taken_away(detector):
    msg = message(NEUTRAL_TEXT, ("crisis", 0.2), [("crisis", 0.2), ("faq", 0.19)])
    detector.process([msg])
    assert msg.get(INTENT) == intent("crisis", 0.2)
    assert crisis_entities(msg)["crisis_category"] == "unspecified"


def test_a_crisis_guess_hidden_by_fallback_is_put_back(detector):
    ranking = [("nlu_fallback", 0.5), ("crisis", 0.45), ("faq", 0.4)]
    msg = message(NEUTRAL_TEXT, ranking[0], ranking)
    detector.process([msg])
    assert msg.get(INTENT) == intent("crisis", 0.45)
    assert ranking_names(msg) == ["crisis", "nlu_fallback", "faq"]
    assert crisis_entities(msg)["crisis_category"] == "unspecified"


@pytest.mark.parametrize("ranking", [
    [("nlu_fallback", 0.5), ("crisis", 0.2), ("faq", 0.19)],  # below threshold
    [("nlu_fallback", 0.5), ("faq", 0.45), ("crisis", 0.44)],  # not the best guess
])
def test_a_hidden_crisis_guess_is_left_alone_when_weak_or_not_the_best(detector, ranking):
    msg = message(NEUTRAL_TEXT, ranking[0], ranking)
    before = copy.deepcopy(msg.data)
    detector.process([msg])
    assert msg.data == before


def test_the_threshold_is_configurable(tmp_path):
    ranking = [("nlu_fallback", 0.5), ("crisis", 0.45), ("faq", 0.4)]
    msg = message(NEUTRAL_TEXT, ranking[0], ranking)
    make_detector(tmp_path, threshold=0.6).process([msg])
    assert msg.get(INTENT)["name"] == "nlu_fallback"


def test_the_intent_name_is_configurable(tmp_path):
    msg = message("he won't wake up", ("greet", 0.9))
    make_detector(tmp_path, intent="emergency").process([msg])
    assert msg.get(INTENT) == intent("emergency", 1.0)


# --- nothing to do -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [NEUTRAL_TEXT, "this wait is killing me", "I am not suicidal"])
def test_no_crisis_leaves_the_message_untouched(detector, text):
    msg = message(text, ("faq", 0.9), [("faq", 0.9), ("greet", 0.05)], entities=[])
    before, before_output = copy.deepcopy(msg.data), set(msg.output_properties)
    detector.process([msg])
    assert msg.data == before and msg.output_properties == before_output


@pytest.mark.parametrize("text", [None, "", "   "])
def test_messages_without_text_do_not_crash(detector, text):
    plain = message(text)
    classified = message(text, ("crisis", 0.9))
    detector.process([plain, classified])
    assert INTENT not in plain.data
    assert crisis_entities(classified)["crisis_category"] == "unspecified"


def test_non_string_text_does_not_crash(detector):
    msg = Message(data={TEXT: 12345})
    detector.process([msg])
    assert INTENT not in msg.data


# --- what Rasa returns -------------------------------------------------------------------------------


def test_the_parse_result_carries_intent_and_entities_without_upstream_classifier(detector):
    # Rasa's processor returns only output properties; with no DIET before it
    # nobody declared intent or entities.
    msg = Message(data={TEXT: "my son overdosed"})
    detector.process([msg])
    parsed = msg.as_dict(only_output_properties=True)
    assert parsed[INTENT] == intent("crisis", 1.0)
    assert parsed[INTENT_RANKING_KEY] == [intent("crisis", 1.0)]
    assert {e["entity"]: e["value"] for e in parsed[ENTITIES]} == {
        "crisis_category": "overdose",
        "crisis_severity": "immediate",
    }


def test_every_message_in_a_batch_is_processed(detector):
    msgs = [message("hi", ("greet", 0.9)), message("she's having a seizure", ("greet", 0.9))]
    assert detector.process(msgs) is msgs
    assert [m.get(INTENT)["name"] for m in msgs] == ["greet", "crisis"]
    assert crisis_entities(msgs[1])["crisis_category"] == "medical_emergency"


def test_process_training_data_returns_the_data_unchanged(detector):
    data = TrainingData([Message(data={TEXT: "I want to die", INTENT: "crisis"})])
    before = copy.deepcopy(data.training_examples[0].data)
    assert detector.process_training_data(data) is data
    assert data.training_examples[0].data == before


def test_user_text_is_not_logged(detector, caplog):
    caplog.set_level(logging.DEBUG)
    detector.process([message("my girlfriend Zelda is unresponsive", ("greet", 0.9))])
    assert not any("zelda" in r.getMessage().lower() for r in caplog.records)


# --- registration and place in the pipeline ------------------------------------------------------------


def test_it_is_registered_as_a_trainable_intent_classifier():
    registered = DefaultV1Recipe._from_registry(COMPONENT_NAME)
    assert registered.clazz is CrisisDetector
    assert DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER in registered.types
    assert registered.is_trainable is True


def test_the_recipe_places_it_after_fallback_and_trains_it():
    config = {
        "recipe": "default.v1",
        "language": "en",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "CountVectorsFeaturizer"},
            {"name": "DIETClassifier", "epochs": 1},
            {"name": "FallbackClassifier", "threshold": 0.5},
            {"name": COMPONENT_NAME, "threshold": 0.3},
        ],
    }
    graph = Recipe.recipe_for_name("default.v1").graph_config_for_recipe(config, {}, TrainingType.NLU)
    predict = graph.predict_schema.nodes
    ours = [name for name, node in predict.items() if node.uses is CrisisDetector]
    assert len(ours) == 1
    node = predict[ours[0]]
    assert predict[node.needs["messages"]].uses.__name__ == "FallbackClassifier"
    assert node.config["threshold"] == 0.3
    # Nothing but Rasa's own payload handler ("/intent" messages) runs after it.
    after = [n for n in predict.values() if ours[0] in n.needs.values()]
    assert [n.uses.__name__ for n in after] == ["RegexMessageHandler"]
    assert predict[graph.nlu_target].uses.__name__ == "RegexMessageHandler"
    assert len([n for n in graph.train_schema.nodes.values() if n.uses is CrisisDetector]) == 1


# --- the lexicon overrules a classifier fooled by idioms and denials ------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "the line at the DMV is killing me",  # idiom
        "I'm not suicidal, I just have a question about cost",  # denial
        "what are the signs of a fentanyl overdose",  # information question
    ],
)
def test_a_classifier_crisis_the_lexicon_explains_away_is_overruled(detector, text):
    msg = message(text, ("crisis", 0.97), [("crisis", 0.97), ("faq", 0.9), ("greet", 0.01)])
    detector.process([msg])
    assert msg.get(INTENT) == intent("faq", 0.9)
    assert ranking_names(msg) == ["faq", "greet"]
    assert crisis_entities(msg) == {}


def test_an_overruled_crisis_with_a_weak_next_guess_becomes_fallback(detector):
    msg = message("my feet are killing me", ("crisis", 0.9), [("crisis", 0.9), ("inform", 0.08)])
    detector.process([msg])
    assert msg.get(INTENT) == intent("nlu_fallback", 0.08)
    assert "crisis" not in ranking_names(msg)


def test_an_idiom_does_not_hide_a_real_crisis_in_the_same_message(detector):
    msg = message("this wait is killing me and I want to kill myself", ("crisis", 0.9))
    detector.process([msg])
    assert msg.get(INTENT)["name"] == "crisis"
    assert crisis_entities(msg)["crisis_category"] == "suicide_self_harm"


# --- with a trained crisis model: three tiers ---------------------------------------------------

SMALL_CORPUS = """examples:
  - {kind: crisis, family: overdose_other, lang: en, text: "he took a whole bottle of pills and wont wake up"}
  - {kind: crisis, family: overdose_self, lang: en, text: "i swallowed all my pills"}
  - {kind: crisis, family: suicide_indirect, lang: en, text: "gave away my dog and wrote my letters, tonight is the night"}
  - {kind: crisis, family: suicide_explicit, lang: en, text: "i want to end my life tonight"}
  - {kind: crisis, family: suicide_explicit, lang: es, text: "ya no quiero vivir, me voy a matar"}
  - {kind: crisis, family: overdose_other, lang: es, text: "mi hermano tomo muchas pastillas y no despierta"}
  - {kind: near_miss, family: faq_question, lang: en, text: "what are your hours"}
  - {kind: near_miss, family: faq_question, lang: en, text: "do you take blue cross insurance"}
  - {kind: near_miss, family: intake_answer, lang: en, text: "he's on my insurance"}
  - {kind: near_miss, family: service_question, lang: es, text: "cuanto cuesta el programa"}
  - {kind: near_miss, family: service_question, lang: es, text: "tienen grupos en la tarde"}
"""


@pytest.fixture
def trained(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.yml").write_text(SMALL_CORPUS, encoding="utf-8")
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    config = {**CrisisDetector.get_default_config(), "corpus": str(corpus)}
    resource = Resource("crisis_detector")
    context = ExecutionContext(GraphSchema({}), "test-model")
    detector = CrisisDetector.create(config, storage, resource, context)
    detector.train(TrainingData())
    # What the server does: load the trained component from the model storage.
    return CrisisDetector.load(config, storage, resource, context), config


def language_of(msg: Message):
    return next((e["value"] for e in msg.get(ENTITIES, []) if e["entity"] == "crisis_language"), None)


def test_a_trained_detector_flags_what_it_learned_with_category_and_language(trained):
    detector, _ = trained
    msg = message("mi hermano tomo muchas pastillas y no despierta", ("greet", 0.9))
    detector.process([msg])
    assert msg.get(INTENT)["name"] == "crisis"
    assert crisis_entities(msg)["crisis_category"] == "overdose"
    assert language_of(msg) == "es"


def test_a_message_between_the_thresholds_gets_the_check_in_intent_and_no_crisis_entities(trained):
    detector, config = trained
    detector.component_config.update(crisis_threshold=0.999, check_in_threshold=0.01)
    msg = message("i feel really heavy tonight", ("greet", 0.9))
    detector.process([msg])
    assert msg.get(INTENT)["name"] == "possible_risk"
    assert crisis_entities(msg) == {}
    assert language_of(msg) == "en"


def test_a_request_for_a_person_between_the_thresholds_stays_a_request_for_a_person(trained):
    # "I want a real person right now": the answer names the 24/7 number and 911 anyway.
    detector, _ = trained
    detector.component_config.update(crisis_threshold=0.999, check_in_threshold=0.01)
    msg = message("i want a real person right now", ("request_human", 1.0))
    detector.process([msg])
    assert msg.get(INTENT)["name"] == "request_human"
    # Above the crisis threshold the crisis answer still comes first.
    detector.component_config.update(crisis_threshold=0.02, check_in_threshold=0.01)
    msg = message("i want to end my life tonight, get me a real person", ("request_human", 1.0))
    detector.process([msg])
    assert msg.get(INTENT)["name"] == "crisis"


@pytest.mark.parametrize("text", ["ya", "yes please", "no thanks", "ok"])
def test_a_bare_yes_or_no_between_the_thresholds_gets_no_check_in(trained, text):
    # It answers the question just asked ("Shall we go on?"); it says nothing about safety.
    detector, _ = trained
    detector.component_config.update(crisis_threshold=0.999, check_in_threshold=0.01)
    msg = message(text, ("affirm", 0.9), [("affirm", 0.9), ("deny", 0.05)])
    detector.process([msg])
    assert msg.get(INTENT)["name"] == "affirm"
    # With more to it, the same band still asks.
    msg = message("ya i feel really heavy tonight", ("affirm", 0.9))
    detector.process([msg])
    assert msg.get(INTENT)["name"] == "possible_risk"


def test_the_main_classifiers_crisis_guess_is_overruled_when_the_detector_sees_none(trained):
    detector, _ = trained
    detector.component_config.update(crisis_threshold=0.999, check_in_threshold=0.99)
    msg = message("he's on my insurance, blue cross blue shield", ("crisis", 0.95),
                  [("crisis", 0.95), ("inform", 0.7), ("faq", 0.1)])
    detector.process([msg])
    assert msg.get(INTENT) == intent("inform", 0.7)
    assert crisis_entities(msg) == {}


def test_the_lexicon_still_guarantees_its_phrasings_with_a_model(trained):
    detector, _ = trained
    detector.component_config.update(crisis_threshold=0.999, check_in_threshold=0.99)
    msg = message("she is not breathing", ("greet", 0.9))
    detector.process([msg])
    assert msg.get(INTENT) == intent("crisis", 1.0)
    assert crisis_entities(msg) == {"crisis_category": "overdose", "crisis_severity": "immediate"}


def test_the_fingerprint_changes_with_the_corpus_so_rasa_retrains_it(trained, tmp_path):
    _, config = trained
    before = CrisisDetector.fingerprint_addon(config)
    (tmp_path / "corpus" / "more.yml").write_text(
        "examples:\n  - {kind: crisis, family: self_harm, lang: en, text: burning my arm}\n", encoding="utf-8")
    assert CrisisDetector.fingerprint_addon(config) != before


def test_the_assistants_own_ordinary_messages_train_the_detector_as_non_crisis(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.yml").write_text(SMALL_CORPUS, encoding="utf-8")
    (tmp_path / "storage").mkdir()
    config = {**CrisisDetector.get_default_config(), "corpus": str(corpus)}
    detector = CrisisDetector.create(config, LocalModelStorage(tmp_path / "storage"), Resource("crisis_detector"),
                                     ExecutionContext(GraphSchema({}), "test-model"))
    ordinary = ["hi", "hello there", "please have someone call me", "yes please call me", "last night"]
    nlu = TrainingData([Message(data={TEXT: t, INTENT: "greet"}) for t in ordinary]
                       + [Message(data={TEXT: "i swallowed the whole bottle", INTENT: "crisis"})])
    detector.train(nlu)
    for text in ordinary:
        msg = message(text, ("greet", 0.9))
        detector.process([msg])
        assert msg.get(INTENT)["name"] == "greet", text

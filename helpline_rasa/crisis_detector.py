"""Rasa NLU component: the crisis safety net, lexicon (``helpline.safety.lexicon``) and trained model.

Trained by ``rasa train`` on the crisis corpus (``corpus: corpus/crisis``, see
``helpline.safety.crisis_model``); its fingerprint includes the corpus files, so a
changed corpus retrains it and nothing else. With a trained model it puts each
message in one of three tiers (``helpline.safety.crisis_model.tier``):

  - crisis: intent ``crisis`` with ``crisis_category``, ``crisis_severity`` and
    ``crisis_language`` entities: the 988/911 answer, a flag, a staff alert;
  - check-in: intent ``possible_risk`` with ``crisis_language``: a direct
    safety question naming 988/911, no alert unless the person says yes;
  - nothing: the trained classifier's intent, except that its own ``crisis``
    or ``possible_risk`` guess is replaced by its next guess. The main
    classifier saw 40 crisis examples; the detector saw thousands, so the
    detector alone decides (DIET's crisis guesses on "he's on my insurance"
    paged staff).

Without a trained model (a component created but not trained, as in unit
tests) it behaves as before the model existed, described below.

Put it LAST in the NLU pipeline, after DIETClassifier, ResponseSelector and
FallbackClassifier, so that it has the final word::

    - name: helpline_rasa.crisis_detector.CrisisDetector
      threshold: 0.3

What it emits
  - intent ``crisis`` (confidence 1.0 when the lexicon matched), put first in
    ``intent_ranking``;
  - entity ``crisis_category``: suicide_self_harm | overdose |
    medical_emergency | violence_abuse | unspecified;
  - entity ``crisis_severity``: immediate | urgent.
  Both entities come from extractor ``CrisisDetector`` with start = end = 0:
  they describe the whole message, not a span of it, and copy no user text.

How it treats the trained classifier
  - The lexicon matched: the intent becomes ``crisis`` whatever the classifier
    said (if it already said ``crisis``, its intent is left as it is).
  - The classifier said ``crisis``, the lexicon matched nothing and saw no
    crisis-sounding words either: the intent is left as it is and the category
    is ``unspecified``, severity ``urgent``. The classifier catches oblique
    wording the lexicon was never given.
  - The classifier said ``crisis`` but the lexicon explained every crisis-like
    word away (``helpline.safety.lexicon.benign_reading``: a known idiom such as "my feet
    are killing me", a denial, history, an information question): the crisis
    intent is replaced by the classifier's next guess, or ``nlu_fallback`` if
    that guess is below ``fallback_threshold``. A trained classifier generalises
    "killing me" into a crisis; the lexicon's tested reading of idioms and
    negation is the better judge of those words. Measured effect on the
    near-miss set: see ``make safety-report``.
  - FallbackClassifier replaced the classifier's best guess with
    ``nlu_fallback`` and that guess was ``crisis`` with confidence >=
    ``threshold``: ``crisis`` is put back on top. The fallback answer is a menu
    of topics; someone in crisis must not get a menu. Not when the lexicon
    has a benign reading of the message (see above).
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import rasa.shared.data
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import ENTITY_ATTRIBUTE_CONFIDENCE_TYPE
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from helpline.intake import non_answers
from helpline.safety import crisis_model
from helpline.safety.crisis_model import CrisisModel, Verdict
from helpline.safety.lexicon import CrisisMatch, benign_reading, detect_crisis
from helpline_rasa.intent_overrides import REQUEST_HUMAN
from helpline_rasa.intent_ranking import put_first

CRISIS_INTENT = "crisis"
POSSIBLE_RISK_INTENT = "possible_risk"
LANGUAGE_ENTITY = "crisis_language"
MODEL_FILE = "crisis_model.joblib"
CATEGORY_ENTITY = "crisis_category"
SEVERITY_ENTITY = "crisis_severity"
UNSPECIFIED_CATEGORY = "unspecified"
# The lexicon's definition: "immediate" needs evidence of danger to life now.
CLASSIFIER_ONLY_SEVERITY = "urgent"
EXTRACTOR_NAME = "CrisisDetector"

CORPUS_KEY = "corpus"
ORDINARY_DATA_KEY = "ordinary_data"
CRISIS_THRESHOLD_KEY = "crisis_threshold"
CHECK_IN_THRESHOLD_KEY = "check_in_threshold"
SEED_KEY = "random_seed"
THRESHOLD_KEY = "threshold"
FALLBACK_THRESHOLD_KEY = "fallback_threshold"
INTENT_KEY = "intent"

logger = logging.getLogger(__name__)


def _ordinary_files(paths: List[str]) -> List[Path]:
    return sorted(Path(f) for f in rasa.shared.data.get_data_files(paths, rasa.shared.data.is_nlu_file))


def _ordinary_data(paths: List[str]) -> Optional[TrainingData]:
    files = _ordinary_files(paths)
    if paths and not files:
        raise ValueError(f"CrisisDetector: no NLU data in {ORDINARY_DATA_KEY} {paths}")
    return TrainingData().merge(*(load_data(str(f)) for f in files)) if files else None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CrisisDetector(GraphComponent, IntentClassifier):
    """Puts crisis messages first, asks when unsure, and keeps the classifier's crisis guesses out."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Name of the crisis intent in domain.yml.
            INTENT_KEY: CRISIS_INTENT,
            # Minimum confidence of a `crisis` guess that FallbackClassifier
            # displaced, for it to be put back. Below FallbackClassifier's own
            # threshold on purpose: a missed crisis costs more than a false one.
            THRESHOLD_KEY: 0.3,
            # When a crisis guess is overruled, a next guess below this becomes
            # `nlu_fallback`; keep it equal to FallbackClassifier's threshold.
            FALLBACK_THRESHOLD_KEY: 0.5,
            # The crisis corpus, relative to where `rasa train` runs.
            CORPUS_KEY: "corpus/crisis",
            # NLU data whose examples are ordinary traffic, relative to where `rasa train`
            # runs. Empty: the model's own training data. Each language's model trains on
            # its own language's NLU, and both must judge a message alike (a Spanish word in
            # an English conversation is parsed by the English model), so config.yml names
            # all of it.
            ORDINARY_DATA_KEY: [],
            CRISIS_THRESHOLD_KEY: crisis_model.CRISIS_THRESHOLD,
            CHECK_IN_THRESHOLD_KEY: crisis_model.CHECK_IN_THRESHOLD,
            SEED_KEY: 0,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
        model: Optional[CrisisModel] = None,
    ) -> None:
        self.component_config = {**self.get_default_config(), **(config or {})}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisDetector:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # The corpus is read from files, not from the graph: without this Rasa
        # would reuse a detector trained on an older corpus.
        fingerprint = crisis_model.corpus_fingerprint(Path(config.get(CORPUS_KEY, "corpus/crisis")))
        return fingerprint + "".join(
            hashlib.sha256(path.read_bytes()).hexdigest() for path in _ordinary_files(config.get(ORDINARY_DATA_KEY) or [])
        )

    def train(self, training_data: TrainingData) -> Resource:
        examples = crisis_model.load_corpus(Path(self.component_config[CORPUS_KEY]))
        # The assistant's own training messages (greetings, call requests, intake
        # answers, FAQ questions) are what ordinary traffic looks like: without them
        # the model scored "hi" and "please have someone call me" as possible risks.
        ordinary = _ordinary_data(self.component_config[ORDINARY_DATA_KEY]) or training_data
        examples += crisis_model.ordinary_messages(
            (message.get(TEXT), message.get(INTENT)) for message in ordinary.intent_examples
            if message.get(INTENT) not in (self.component_config[INTENT_KEY], POSSIBLE_RISK_INTENT)
        )
        self._model = CrisisModel.train(examples, seed=int(self.component_config[SEED_KEY]))
        assert self._model_storage is not None and self._resource is not None
        with self._model_storage.write_to(self._resource) as directory:
            self._model.save(Path(directory) / MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CrisisDetector:
        try:
            with model_storage.read_from(resource) as directory:
                model = CrisisModel.load(Path(directory) / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            # A model archive without a trained detector: the lexicon alone still guards.
            logger.warning("CrisisDetector: no trained crisis model in this archive; lexicon only")
            model = None
        return cls(config, model_storage, resource, model)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if self._model is None:
                self._process_message(message)
            else:
                self._process_with_model(message)
        return messages

    # --- with the trained model: three tiers ------------------------------------------------

    def _process_with_model(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text.strip():
            return
        verdict = crisis_model.tier(
            text, self._model,
            crisis_threshold=float(self.component_config[CRISIS_THRESHOLD_KEY]),
            check_in_threshold=float(self.component_config[CHECK_IN_THRESHOLD_KEY]),
        )
        ranking = list(message.get(INTENT_RANKING_KEY) or [])
        if verdict.tier == crisis_model.NONE:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) in (self.component_config[INTENT_KEY], POSSIBLE_RISK_INTENT):
                self._overrule_crisis(message, ranking, "crisis model")
            return
        if verdict.tier != crisis_model.CRISIS and (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == REQUEST_HUMAN:
            # Set by IntentOverrides, which runs just before this component.
            # "I want a real person right now" is answered with the 24/7 number (and 911),
            # which is what an unsure reading asks for too: no safety check-in first.
            return
        if verdict.tier == crisis_model.CHECK_IN and non_answers.bare_yes_or_no(text):
            # "ya" scores near the training prior, just over the check-in line, and answers
            # the question just asked ("Shall we go on?"): no safety question for it.
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) in (self.component_config[INTENT_KEY], POSSIBLE_RISK_INTENT):
                self._overrule_crisis(message, ranking, "bare yes or no")
            return
        name = self.component_config[INTENT_KEY] if verdict.tier == crisis_model.CRISIS else POSSIBLE_RISK_INTENT
        put_first(message, {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: round(verdict.probability, 4)}, ranking)
        message.set(ENTITIES, self._with_verdict_entities(message.get(ENTITIES) or [], verdict), add_to_output=True)
        # Tier and source only: never the text, which is health information.
        logger.debug("CrisisDetector: %s (source=%s, p=%.2f)", verdict.tier, verdict.source, verdict.probability)

    @staticmethod
    def _with_verdict_entities(entities: List[Dict[Text, Any]], verdict: Verdict) -> List[Dict[Text, Any]]:
        kept = [e for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) not in (CATEGORY_ENTITY, SEVERITY_ENTITY, LANGUAGE_ENTITY)]
        added = [_entity(LANGUAGE_ENTITY, verdict.language)]
        if verdict.tier == crisis_model.CRISIS:
            added = [_entity(CATEGORY_ENTITY, verdict.category), _entity(SEVERITY_ENTITY, verdict.severity)] + added
        return kept + added

    # ------------------------------------------------------------------------------

    def _process_message(self, message: Message) -> None:
        text = message.get(TEXT)
        match = detect_crisis(text) if isinstance(text, str) else None
        intent = message.get(INTENT) or {}
        ranking = list(message.get(INTENT_RANKING_KEY) or [])
        crisis_name = self.component_config[INTENT_KEY]

        already_crisis = intent.get(INTENT_NAME_KEY) == crisis_name
        if already_crisis and match is None and isinstance(text, str):
            reason = benign_reading(text)
            if reason is not None:
                self._overrule_crisis(message, ranking, reason)
                return
        displaced = None if already_crisis else self._displaced_crisis(intent, ranking)
        if displaced is not None and match is None and benign_reading(text) is not None:
            # A weak crisis guess on words the lexicon explained away stays hidden.
            displaced = None
        if match is None and not already_crisis and displaced is None:
            return

        if not already_crisis:
            # Past the return above, no lexicon match means a displaced crisis guess.
            confidence = 1.0 if match is not None or displaced is None else displaced[PREDICTED_CONFIDENCE_KEY]
            put_first(message, {INTENT_NAME_KEY: crisis_name, PREDICTED_CONFIDENCE_KEY: confidence}, ranking)

        message.set(ENTITIES, self._with_crisis_entities(message.get(ENTITIES) or [], match), add_to_output=True)
        # The pattern name only: never the text, which is health information.
        logger.debug(
            "CrisisDetector: crisis flagged (pattern=%s)", match.matched if match else "classifier"
        )

    def _overrule_crisis(self, message: Message, ranking: List[Dict[Text, Any]], reason: Text) -> None:
        crisis_name = self.component_config[INTENT_KEY]
        rest = [r for r in ranking if r.get(INTENT_NAME_KEY) not in (crisis_name, DEFAULT_NLU_FALLBACK_INTENT_NAME)]
        best = rest[0] if rest else None
        if best is None or (best.get(PREDICTED_CONFIDENCE_KEY) or 0.0) < self.component_config[FALLBACK_THRESHOLD_KEY]:
            confidence = best.get(PREDICTED_CONFIDENCE_KEY, 0.0) if best else 0.0
            best = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: confidence}
        put_first(message, dict(best), rest)
        logger.debug("CrisisDetector: classifier's crisis overruled (lexicon reading=%s)", reason)

    def _displaced_crisis(self, intent: Dict[Text, Any], ranking: List[Dict[Text, Any]]) -> Optional[Dict[Text, Any]]:
        """The classifier's best guess if it was `crisis` and FallbackClassifier hid it."""
        if intent.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME:
            return None
        best = next((r for r in ranking if r.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME), None)
        if best is None or best.get(INTENT_NAME_KEY) != self.component_config[INTENT_KEY]:
            return None
        if (best.get(PREDICTED_CONFIDENCE_KEY) or 0.0) < self.component_config[THRESHOLD_KEY]:
            return None
        return best

    @staticmethod
    def _with_crisis_entities(entities: List[Dict[Text, Any]], match: Optional[CrisisMatch]) -> List[Dict[Text, Any]]:
        # Replace, not add to, any crisis entities from upstream extractors, so
        # the slot gets exactly one value.
        kept = [e for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) not in (CATEGORY_ENTITY, SEVERITY_ENTITY)]
        return kept + crisis_entities(match)


def crisis_entities(match: Optional[CrisisMatch]) -> List[Dict[Text, Any]]:
    """The category and severity entities a crisis reading carries (``match``: the lexicon's, if any)."""
    category = match.category if match else UNSPECIFIED_CATEGORY
    severity = match.severity if match else CLASSIFIER_ONLY_SEVERITY
    return [_entity(CATEGORY_ENTITY, category), _entity(SEVERITY_ENTITY, severity)]


def _entity(name: Text, value: Text) -> Dict[Text, Any]:
    return {
        ENTITY_ATTRIBUTE_TYPE: name,
        ENTITY_ATTRIBUTE_VALUE: value,
        ENTITY_ATTRIBUTE_START: 0,
        ENTITY_ATTRIBUTE_END: 0,
        # "confidence_entity", the key DIET and RegexEntityExtractor use.
        ENTITY_ATTRIBUTE_CONFIDENCE_TYPE: 1.0,
        EXTRACTOR: EXTRACTOR_NAME,
    }

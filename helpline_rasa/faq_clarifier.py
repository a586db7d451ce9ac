"""Rasa NLU component: turn a weak FAQ answer into a clarifying question.

Runs after the ResponseSelector and before the crisis detector (which keeps the
final word). When the message's intent is ``faq`` but the selector's best topic
is weak or barely ahead of the next (:func:`helpline.faq.clarify.needs_clarifying`),
the intent becomes ``faq_clarify``; the rule for it runs ``action_clarify_faq``,
which offers the likeliest topics as buttons. The selector's output is left as
it is, so the action reads the same ranking. The decision itself is plain
Python in :mod:`helpline.faq.clarify`.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import RESPONSE_SELECTOR_PROPERTY_NAME
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

from helpline.faq import clarify as faq_clarify
from helpline_rasa.intent_ranking import put_first

CLARIFY_INTENT = "faq_clarify"
MIN_CONFIDENCE_KEY = "min_confidence"
MIN_MARGIN_KEY = "min_margin"

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class FaqClarifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {MIN_CONFIDENCE_KEY: faq_clarify.MIN_CONFIDENCE, MIN_MARGIN_KEY: faq_clarify.MIN_MARGIN}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.component_config = {**self.get_default_config(), **(config or {})}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> FaqClarifier:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process(message)
        return messages

    def _process(self, message: Message) -> None:
        intent: Optional[Dict[Text, Any]] = message.get(INTENT)
        ranking = faq_clarify.ranking_from(message.get(RESPONSE_SELECTOR_PROPERTY_NAME))
        if not faq_clarify.clarifies(
            (intent or {}).get(INTENT_NAME_KEY), self._best_guess(message), ranking,
            min_confidence=float(self.component_config[MIN_CONFIDENCE_KEY]),
            min_margin=float(self.component_config[MIN_MARGIN_KEY]),
        ):
            return
        put_first(message, {INTENT_NAME_KEY: CLARIFY_INTENT,
                            PREDICTED_CONFIDENCE_KEY: (intent or {}).get(PREDICTED_CONFIDENCE_KEY)})
        logger.debug("FaqClarifier: asking (top %.2f)", ranking[0][1] if ranking else 0.0)

    @staticmethod
    def _best_guess(message: Message) -> Optional[Text]:
        for entry in message.get(INTENT_RANKING_KEY) or []:
            if entry.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME:
                return entry.get(INTENT_NAME_KEY)
        return None

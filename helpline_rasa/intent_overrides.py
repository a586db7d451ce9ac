"""Rasa NLU component: a request for a person, or to stop, is that whatever the classifier guessed.

Runs after the FAQ clarifier and before the crisis detector, which keeps the final
word. Measured blind, "representative please" and "actually I don't want to do
this anymore" were read as answers or as FAQ questions; the tables of
:mod:`helpline.intake.non_answers` recognise them, and this component sets the
intent the rules answer: ``request_human`` (the 24/7 number first, then the short
way to a call back) or ``stop``.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from helpline.intake import non_answers
from helpline_rasa.intent_ranking import put_first

REQUEST_HUMAN = "request_human"
STOP = "stop"

logger = logging.getLogger(__name__)


def override_for(text: Optional[str]) -> Optional[str]:
    """The intent a message gets whatever the classifier said, or ``None``."""
    if non_answers.asks_for_a_person(text):
        return REQUEST_HUMAN
    if non_answers.wants_to_stop(text):
        return STOP
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class IntentOverrides(GraphComponent, IntentClassifier):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> IntentOverrides:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = override_for(message.get(TEXT))
            if intent is None or (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == intent:
                continue
            put_first(message, {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0})
            logger.debug("IntentOverrides: %s", intent)
        return messages

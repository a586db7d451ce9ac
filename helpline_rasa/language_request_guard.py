"""Rasa NLU component: a request to change language names a language.

Each language's model learns `switch_language` from data/switch_language.yml, in
both languages, and those are the only examples of the other language it sees, so
it learns that the other language's words mean a request to switch: the Spanish
model read "Soy abogado. ¿El State Bar tiene que enterarse?" as one (blind Spanish
round 3). Every request in the data names the language it wants or refuses
(``helpline.language.mentions_language``), so a guess of `switch_language` without
a language named is dropped and the next guess stands. Runs before the
FallbackClassifier, which then judges that guess as it would any other.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from helpline import language
from helpline_rasa.intent_ranking import set_intent

SWITCH_LANGUAGE = "switch_language"


def without_unnamed_switch(text: str, intent: Dict[str, Any], ranking: List[Dict[str, Any]]) -> tuple:
    """(intent, ranking) with a `switch_language` guess dropped when ``text`` names no language."""
    if intent.get(INTENT_NAME_KEY) != SWITCH_LANGUAGE or language.mentions_language(text):
        return intent, ranking
    rest = [r for r in ranking if r.get(INTENT_NAME_KEY) != SWITCH_LANGUAGE]
    if not rest:
        return {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, []
    return {INTENT_NAME_KEY: rest[0][INTENT_NAME_KEY], PREDICTED_CONFIDENCE_KEY: rest[0][PREDICTED_CONFIDENCE_KEY]}, rest


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LanguageRequestGuard(GraphComponent, IntentClassifier):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LanguageRequestGuard:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) != SWITCH_LANGUAGE:
                continue
            chosen, ranking = without_unnamed_switch(message.get(TEXT) or "", intent, message.get(INTENT_RANKING_KEY) or [])
            set_intent(message, chosen, ranking)
        return messages

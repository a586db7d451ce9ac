"""Setting a message's intent from an NLU component: the one way our components do it.

The FAQ clarifier, the intent overrides, the language-request guard and the crisis
detector each replace the classifier's intent; each must set the intent and the
ranking together, in Rasa's output (``add_to_output``: Rasa returns only output
properties, and upstream components may not have declared these).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

Intent = Dict[Text, Any]


def set_intent(message: Message, intent: Intent, ranking: List[Intent]) -> None:
    """``intent`` becomes the message's intent and ``ranking`` its ranking."""
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)


def put_first(message: Message, intent: Intent, ranking: Optional[List[Intent]] = None) -> None:
    """``intent`` becomes the message's intent, first in ``ranking`` (default: the message's) without its name."""
    others = (message.get(INTENT_RANKING_KEY) or []) if ranking is None else ranking
    set_intent(message, intent, [intent] + [r for r in others if r.get(INTENT_NAME_KEY) != intent[INTENT_NAME_KEY]])

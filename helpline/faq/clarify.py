"""Ask which question was meant instead of answering the wrong one.

Measured blind, most of the FAQ's misses were confident answers on the wrong
topic ("is there an age limit" got the street address). The ResponseSelector's
own confidence tells most of them apart: on the first blind FAQ round the right
answers had a median top confidence of 0.97, the wrong ones 0.34. So when the
best topic is weak, or barely ahead of the next, the assistant offers the two
or three likeliest topics as buttons (numbered on SMS), plus "something else"
and "talk to a person", and answers none of them until the person picks.

Plain Python: the Rasa component that applies it is
``helpline_rasa.faq_clarifier``; the action that asks is
``actions.faq.ActionClarifyFaq``. Thresholds are calibrated on held-out data by
``scripts/faq_calibrate.py`` (README, "Questions people ask").
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from helpline import messages

FAQ_INTENT = "faq"
FALLBACK_INTENT = "nlu_fallback"
# A form answer's intent; outside a form it is taken as a short question (reply_to_bare_answer).
BARE_ANSWER_INTENT = "inform"

# Below this top confidence, or this lead over the second topic, ask. Chosen with
# scripts/faq_calibrate.py on the held-out set and blind round 4 before it was
# folded in (README, "Blind FAQ rounds"): 0.5 asked on 12% of round 4 for the
# same share of right answers or useful clarifications as 0.3 (8.9% asked).
MIN_CONFIDENCE = 0.3
MIN_MARGIN = 0.2
MAX_OPTIONS = 3
# An option must have at least this share of the top one's confidence to be offered.
OPTION_SHARE = 0.1

# What a button says for each FAQ topic (``faq/<topic>``), in each language: the wording
# files' ``faq_topic`` table (helpline/messages/*.yml). Short: SMS numbers them.
def topic_labels(language: Optional[str] = None) -> Dict[str, str]:
    """Button labels by topic, in ``language`` (None: English)."""
    return messages.table("faq_topic", language=messages.resolve(language))


# The topics, with their English labels.
TOPIC_LABELS: Dict[str, str] = topic_labels()

Ranking = Sequence[Tuple[str, float]]


def needs_clarifying(ranking: Ranking, *, min_confidence: float = MIN_CONFIDENCE,
                     min_margin: float = MIN_MARGIN) -> bool:
    """Whether the best topic is too weak, or too close to the next, to answer."""
    if not ranking:
        return False
    top = ranking[0][1]
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    return top < min_confidence or top - second < min_margin


def options(ranking: Ranking, *, max_options: int = MAX_OPTIONS) -> List[str]:
    """The likeliest topics to offer, best first: known topics with a real share of the top one."""
    if not ranking:
        return []
    top = ranking[0][1]
    chosen: List[str] = []
    for topic, confidence in ranking:
        if topic in TOPIC_LABELS and topic not in chosen and confidence >= top * OPTION_SHARE:
            chosen.append(topic)
        if len(chosen) == max_options:
            break
    return chosen


def clarifies(intent: Optional[str], best_guess: Optional[str], ranking: Ranking, *,
              min_confidence: float = MIN_CONFIDENCE, min_margin: float = MIN_MARGIN) -> bool:
    """Whether a message classified as ``intent`` gets a choice of topics instead of a reply.

    ``best_guess`` is the classifier's best intent other than the fallback.
    An FAQ answer is replaced when its topic is unsure; "didn't get that" helps
    nobody when the best guess was a question about the program.
    """
    if intent == FAQ_INTENT:
        unsure = needs_clarifying(ranking, min_confidence=min_confidence, min_margin=min_margin)
    else:
        unsure = intent == FALLBACK_INTENT and best_guess == FAQ_INTENT
    return unsure and bool(options(ranking))


def reply_to_bare_answer(ranking: Ranking, *, min_confidence: float = MIN_CONFIDENCE,
                         min_margin: float = MIN_MARGIN) -> Tuple[str, List[str]]:
    """What a message shaped like a form answer ("fentanyl?", "payment plans?") gets outside a form.

    Out of context it is a short question about the program: the selector's
    topic is answered when it is sure, its likeliest topics offered when not;
    ``("menu", [])`` when it has nothing to offer. Returns ``("answer", [topic])``
    or ``("clarify", topics)`` otherwise.
    """
    topics = options(ranking)
    if not topics:
        return "menu", []
    if ranking[0][0] == topics[0] and not needs_clarifying(ranking, min_confidence=min_confidence,
                                                           min_margin=min_margin):
        return "answer", [topics[0]]
    return "clarify", topics


def topic_of(retrieval_key: Optional[str]) -> str:
    """``faq/cost`` -> ``cost``."""
    return (retrieval_key or "").split("/", 1)[-1]


def answered_topic(response_selector: Optional[Dict[str, Any]]) -> str:
    """The topic the FAQ selector chose (``""`` if none), from Rasa's ``response_selector``."""
    selector = (response_selector or {}).get(FAQ_INTENT) or {}
    return topic_of((selector.get("response") or {}).get("intent_response_key"))


def ranking_from(response_selector: Optional[Dict[str, Any]]) -> List[Tuple[str, float]]:
    """The FAQ selector's ranking as ``[(topic, confidence), ...]``, best first.

    ``response_selector`` is the ``response_selector`` part of Rasa's parse
    result (a message's, or a tracker's ``latest_message``).
    """
    selector = (response_selector or {}).get(FAQ_INTENT) or {}
    return [(topic_of(r.get("intent_response_key")), float(r.get("confidence") or 0.0))
            for r in selector.get("ranking") or []]


# Intents the crisis net puts above the classifier's own guess (helpline_rasa.crisis_detector):
# the crisis answer, and the safety check-in when it is unsure.
CHECK_IN_INTENT = "possible_risk"
SAFETY_INTENTS = frozenset({"crisis", CHECK_IN_INTENT})
# The classifier's confidence that a message was a question, below which the
# FallbackClassifier would not have let it through either (config.yml).
QUESTION_MIN_CONFIDENCE = 0.5


def question_beside_check_in(intent_ranking: Sequence[Dict[str, Any]],
                             response_selector: Optional[Dict[str, Any]]) -> Optional[str]:
    """The FAQ topic to answer after a safety check-in, when the message was plainly a question too.

    The check-in tier is the crisis net being unsure; blind FAQ rounds showed it
    mostly fires on ordinary questions ("my boss can't find out right?", "could
    my baby be in the room with me"). Asking about safety first and then
    answering loses nothing: a person in danger still gets 911/988 first, and
    a person who only asked gets the answer. Only a clear question is answered
    (the classifier's best non-safety guess is ``faq`` and its topic is sure);
    anything less gets the check-in alone.
    """
    best = next((r for r in intent_ranking
                 if r.get("name") not in SAFETY_INTENTS and r.get("name") != FALLBACK_INTENT), None)
    if best is None or best.get("name") != FAQ_INTENT or (best.get("confidence") or 0.0) < QUESTION_MIN_CONFIDENCE:
        return None
    ranking = ranking_from(response_selector)
    if not ranking or needs_clarifying(ranking) or ranking[0][0] not in TOPIC_LABELS:
        return None
    return ranking[0][0]

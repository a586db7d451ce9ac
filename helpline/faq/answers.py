"""What the assistant says when it answers an FAQ topic, and when it is asked again.

Tried as a new user would, one conversation got the cost answer three times
and the medication answer four times, word for word. A person who asks the same
thing again has usually not found what they wanted in the first answer, so the
paragraph is given once; a second ask gets a follow-up that asks what they want
to know, and later asks point to a person, who can answer what the FAQ cannot.

Outside a form every answer ends with a separate offer of a call (Yes/No
buttons, numbered on SMS). Inside a form there is no offer: the person is
already giving their details, and the form's next question follows. Nor after
a safety check-in, whose own Yes/No buttons must stay the ones to answer.

Plain Python; the Rasa action that speaks these is ``actions.faq.ActionAnswerFaq``.
"""
from __future__ import annotations

from typing import List, Sequence

ANSWER_PREFIX = "utter_faq/"
FOLLOW_UP = "utter_faq_follow_up"
ASK_A_PERSON = "utter_faq_ask_a_person"
OFFER_CALL = "utter_offer_call"


def times_answered(topic: str, answered: Sequence[str] | None) -> int:
    return sum(1 for t in answered or () if t == topic)


def replies(topic: str, answered_before: int, *, offer_call: bool) -> List[str]:
    """The responses to send, in order, for an ask of ``topic`` answered ``answered_before`` times already."""
    if answered_before <= 0:
        first = ANSWER_PREFIX + topic
    elif answered_before == 1:
        first = FOLLOW_UP
    else:
        first = ASK_A_PERSON
    return [first, OFFER_CALL] if offer_call else [first]

"""Requests for a person, wishes to stop and questions are recognised, and only those."""
from __future__ import annotations

import pytest

from helpline.intake.non_answers import asks_for_a_person, is_question, wants_to_stop
from helpline_rasa.intent_overrides import override_for


@pytest.mark.parametrize("text", [
    "representative please", "I want a real person right now", "can i talk to someone now", "agent",
    "id rather speak to a person first before i agree to anything", "HUMAN", "get me a person",
    "i need to speak with a counselor", "is there a live person i can text with",
])
def test_a_request_for_a_person(text):
    assert asks_for_a_person(text)
    assert override_for(text) == "request_human"


@pytest.mark.parametrize("text", [
    "are you a real person?", "is this a bot", "am i talking to a human", "my son", "he's my partner",
    "Alcohol", "the afternoon", "personal insurance through work",
])
def test_not_a_request_for_a_person(text):
    assert not asks_for_a_person(text)


@pytest.mark.parametrize("text", [
    "stop", "actually i dont want to do this anymore", "forget it", "actually forget it, that's enough", "never mind", "nvm", "not doing this rn sorry",
    "I changed my mind", "ok I'm done", "no more questions please", "cancel",
])
def test_a_wish_to_stop(text):
    assert wants_to_stop(text)
    assert override_for(text) == "stop"


@pytest.mark.parametrize("text", [
    "he can't stop drinking", "i want to stop using", "stopped 2 weeks ago", "quit drinking last month",
    "I don't want to go to rehab", "later in the day is better", "done with detox last year",
])
def test_not_a_wish_to_stop(text):
    assert not wants_to_stop(text)
    assert override_for(text) is None


@pytest.mark.parametrize("text, expected", [
    ("why do u need my name", True), ("is tomorrow ok?", True), ("how much does it cost", True),
    ("Linda", False), ("my son", False), ("evenings after 5", False),
])
def test_a_question(text, expected):
    assert is_question(text) is expected


@pytest.mark.parametrize("text", [
    "i don't want to answer any more questions", "I dont want to answer anymore questions",
    "i dont wanna answer your questions", "im not answering any more questions",
    "ok i don't want to answer any more questions, sorry", "i don't want to answer questions anymore",
])
def test_no_more_questions_is_a_wish_to_stop(text):
    assert wants_to_stop(text)
    assert override_for(text) == "stop"


def test_one_question_declined_is_not_a_wish_to_stop():
    assert not wants_to_stop("i don't want to answer that question")

"""Questions over REST and SMS against the real servers: asking instead of guessing, questions
about a relative answered without starting the callback form, and a question asked again."""
from __future__ import annotations

import json

import pytest

from tests.e2e.test_intake_e2e import texts
from tests.e2e.test_sms_e2e import new_number, send

pytestmark = pytest.mark.e2e

# Vague questions, or two topics at once: the selector cannot be sure of one topic, so at least
# one of them must get the choice of topics (which ones do depends on the training).
TWO_TOPIC_QUESTIONS = [
    "what do you guys offer",
    "how does all this work",
    "whats the deal with it",
    "what do i need to know",
    "how much is it and do u take aetna",
]


def clarification(messages: list[dict]) -> list[dict] | None:
    for message in messages:
        buttons = message.get("buttons") or []
        if buttons and buttons[0]["payload"].startswith("/choose_faq_topic"):
            return buttons
    return None


def test_an_unclear_question_gets_a_choice_of_topics_and_the_pick_is_answered(assistant, new_sender):
    for question in TWO_TOPIC_QUESTIONS:
        sender = new_sender()
        buttons = clarification(assistant.say(sender, question))
        if buttons:
            break
    else:
        pytest.fail("none of the two-topic questions got a choice of topics")
    assert [b["payload"] for b in buttons[-2:]] == ["/something_else", "/request_callback"]
    assert 2 <= len(buttons) - 2 <= 3
    picked = json.loads(buttons[0]["payload"][len("/choose_faq_topic"):])["faq_topic"]
    answer = texts(assistant.say(sender, buttons[0]["payload"]))
    assert answer and "Is it about one of these" not in answer, (picked, answer)
    # "Something else" asks in other words; "Talk to a person" starts the callback form.
    assert "in your own words" in texts(assistant.say(sender, "/something_else"))


def test_by_text_the_choice_is_numbered_and_a_number_picks_it(assistant):
    for question in TWO_TOPIC_QUESTIONS:
        number = new_number()
        reply = send(assistant, number, question)
        if "Is it about one of these" in reply:
            break
    else:
        pytest.fail("none of the two-topic questions got a choice of topics by text")
    assert "Reply 1 for" in reply and "Talk to a person" in reply
    answer = send(assistant, number, "1")
    assert answer and "Is it about one of these" not in answer


@pytest.mark.parametrize("question", [
    "how long would my son be in the program",
    "my daughter is using, how can i help her as a parent",
    "are there meds to help my husband stop drinking",
])
def test_a_question_about_a_relative_is_answered_not_turned_into_the_form(assistant, sender, question):
    reply = texts(assistant.say(sender, question))
    assert "quick questions at most" not in reply and "looking for help for" not in reply, reply
    assert OFFER in reply or "Is it about one of these" in reply, reply


OFFER = "Want someone from our team to call you?"


def test_a_repeated_question_gets_a_follow_up_not_the_same_paragraph_and_yes_starts_the_intake(assistant, sender):
    first = assistant.say(sender, "how much does the program cost")
    assert OFFER in texts(first), first
    assert [b["payload"] for b in first[-1]["buttons"]] == ["/affirm", "/deny"]
    answer = texts(first[:-1])
    again = texts(assistant.say(sender, "how much does the program cost"))
    assert answer not in again and "I answered that just above" in again, again
    third = texts(assistant.say(sender, "how much does the program cost"))
    assert "A person can go through the details" in third and "I answered that just above" not in third, third
    assert "quick questions at most" in texts(assistant.say(sender, "/affirm"))


def test_by_text_the_offer_of_a_call_is_numbered_and_1_starts_the_intake(assistant):
    number = new_number()
    reply = send(assistant, number, "how much does the program cost")
    assert OFFER in reply and "Reply 1 for" in reply, reply
    assert "quick questions at most" in send(assistant, number, "1")


BARE_WORD_QUESTIONS = ["kratom?", "payment plans?", "weekends?"]


def test_bare_word_questions_outside_a_form_get_an_answer_or_a_choice(assistant, new_sender):
    """Whether each is read as an FAQ, a form-shaped answer or a fallback depends on the training;
    none may start the form, and most must be answered or get the choice of topics."""
    replies = {question: texts(assistant.say(new_sender(), question)) for question in BARE_WORD_QUESTIONS}
    assert not [r for r in replies.values() if "quick questions at most" in r], replies
    answered = [q for q, r in replies.items() if OFFER in r or "Is it about one of these" in r]
    assert len(answered) >= 2, replies

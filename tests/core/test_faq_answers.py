"""A topic is answered once; asked again it gets a follow-up, then a person; a call is offered outside forms."""
from __future__ import annotations

import pytest

from helpline.faq import answers as faq_answers


def test_first_ask_gets_the_answer_and_an_offer_of_a_call():
    assert faq_answers.replies("cost", 0, offer_call=True) == ["utter_faq/cost", "utter_offer_call"]


@pytest.mark.parametrize("before, first", [(1, "utter_faq_follow_up"), (2, "utter_faq_ask_a_person"),
                                           (5, "utter_faq_ask_a_person")])
def test_asked_again_never_repeats_the_paragraph(before, first):
    sent = faq_answers.replies("cost", before, offer_call=True)
    assert sent == [first, "utter_offer_call"]
    assert "utter_faq/cost" not in sent


def test_without_an_offer_only_the_answer_is_sent():
    assert faq_answers.replies("cost", 0, offer_call=False) == ["utter_faq/cost"]
    assert faq_answers.replies("cost", 1, offer_call=False) == ["utter_faq_follow_up"]


def test_times_answered_counts_only_that_topic():
    assert faq_answers.times_answered("cost", ["cost", "insurance", "cost"]) == 2
    assert faq_answers.times_answered("cost", None) == 0

"""Intake policy without Rasa: which questions are asked, when a message is an answer, what it means."""
from __future__ import annotations

from typing import Any, Dict

import pytest

from helpline.intake import parsers
from helpline.intake.policy import (
    OTHER_ANSWER,
    QUESTION,
    REQUIRED,
    SCREEN_REASKED,
    WAIT,
    Checked,
    Message,
    answer_in,
    check,
    other_answer,
    questions_to_ask,
    unfilled_reply,
)
from helpline.intake.questions import SLOTS

SCREEN = ("suicide_wish", "suicide_thoughts", "loved_one_suicide_risk")
URGENT = {"crisis_category": "medical_emergency", "crisis_severity": "urgent"}
SUICIDAL = {"crisis_category": "suicide_self_harm", "crisis_severity": "urgent"}


def asked(**slots: Any) -> list:
    return questions_to_ask(SLOTS, slots)


# -- which questions are asked -------------------------------------------------------------

def test_everything_is_asked_at_the_start_except_the_loved_one_screen():
    assert asked() == [slot for slot in SLOTS if slot != "loved_one_suicide_risk"]


@pytest.mark.parametrize("who_for, relation, screen", [
    (None, True, ["suicide_wish", "suicide_thoughts"]),
    ("self", False, ["suicide_wish", "suicide_thoughts"]),
    ("skipped", False, ["suicide_wish", "suicide_thoughts"]),
    ("loved_one", True, ["loved_one_suicide_risk"]),
])
def test_who_for_decides_the_relation_and_the_screen(who_for, relation, screen):
    slots = asked(who_for=who_for)
    assert ("caller_relation" in slots) is relation
    assert [s for s in slots if s in SCREEN] == screen


@pytest.mark.parametrize("insurance, member_id", [
    (None, True), ("Aetna", True), ("other: acme", True),
    ("none", False), ("self-pay", False), ("unknown", False), (parsers.SKIPPED, False),
])
def test_the_member_id_is_asked_only_with_insurance(insurance, member_id):
    assert ("insurance_member_id" in asked(insurance=insurance)) is member_id


def test_after_a_yes_on_the_screen_only_the_callback_questions_and_the_answered_screen_remain():
    # In the screening form (all optional) that ends the questions: the lead is stored already.
    assert asked(who_for="self", suicide_wish="yes") == ["callback_phone", "consent", "suicide_wish"]
    assert asked(who_for="loved_one", loved_one_suicide_risk="yes") == ["callback_phone", "consent", "loved_one_suicide_risk"]


@pytest.mark.parametrize("slot, text, other", [
    ("insurance", "evenings after 5", "best_time"),
    ("insurance", "voicemail is fine but not text, he might see it", "contact_permissions"),
    ("first_name", "480-555-0142", "callback_phone"),
    ("insurance", "arizona", "state"),
    ("first_name", "Georgia", None),  # a name that is also a state
    ("first_name", "you can call me dave", None),  # "call" alone is no contact answer
    ("best_time", "evenings after 5", None),
])
def test_the_answer_to_another_question_is_recognised(slot, text, other):
    assert other_answer(slot, Message(text=text)) == other
    if other:
        assert answer_in(slot, Message(text=text)) is None


@pytest.mark.parametrize("slot, text, kind", [
    ("insurance", "evenings after 5", OTHER_ANSWER),
    ("first_name", "why do u need my name", QUESTION),
    ("insurance", "hold on let me find the card", WAIT),
    ("first_name", "Linda", None),
])
def test_what_is_said_before_a_question_comes_back(slot, text, kind):
    assert unfilled_reply(slot, Message(text=text), noted=False) == kind


def test_rules_answer_what_the_classifier_understood():
    assert unfilled_reply("first_name", Message(text="how much does it cost?", intent="faq"), noted=False) is None
    assert unfilled_reply("first_name", Message(text="a real person", intent="request_human"), noted=False) is None


@pytest.mark.parametrize("text", [
    "representative please", "actually i dont want to do this anymore", "do you guys do suboxone?",
    "ok this is too much. forget it", "id rather go over insurance stuff with a person",
])
def test_a_non_answer_is_never_a_value(text):
    for slot in ("first_name", "prior_treatment", "insurance", "consent"):
        assert answer_in(slot, Message(text=text)) is None, (slot, text)


@pytest.mark.parametrize("text, consent, permissions", [
    ("yes I agree, call only", True, {"call": True, "voicemail": False, "text": False}),
    ("yes I agree, voicemail and text are ok", True, {"call": None, "voicemail": True, "text": True}),
    ("text only please", True, {"call": False, "voicemail": False, "text": True}),
    ("yes", True, None),
    ("no", False, None),
])
def test_the_consent_answer_also_says_how_we_may_reach_them(text, consent, permissions):
    checked = check("consent", text, Message(text=text), {})
    assert checked.value is consent
    assert checked.also.get("contact_permissions") == permissions


@pytest.mark.parametrize("slots, danger", [
    ({"substances": ["alcohol", "benzodiazepines"], "last_use": "today"}, True),  # shaking + sedatives
    ({"substances": ["cannabis"], "last_use": "today"}, False),
    ({"substances": ["stimulants"]}, False),
])
def test_shaking_is_a_danger_with_alcohol_or_benzos(slots, danger):
    checked = check("withdrawal_signs", "shaking", Message(text="shaking"), slots)
    assert checked.danger_signs is danger


def test_seizures_are_a_danger_whatever_the_substance():
    assert check("withdrawal_signs", "seizures", Message(text="seizures"), {"substances": ["stimulants"]}).danger_signs


def test_using_for_months_asks_when_the_last_time_was():
    assert check("last_use", "he's been using for months", Message(text="x"), {}).reask == parsers.DURATION


def test_a_form_of_only_some_questions_keeps_its_own_list():
    assert questions_to_ask(["callback_phone", "consent"], {"suicide_wish": "yes"}) == ["callback_phone", "consent"]


# -- whether a message is an answer ----------------------------------------------------------

@pytest.mark.parametrize("slot, text, intent, expected", [
    ("state", "arizona", "inform", "arizona"),
    ("prior_treatment", "detox", "faq", "detox"),  # understood: the answer outvotes the classifier
    ("first_name", "how much does it cost?", "faq", None),  # a name parser takes anything: not outvoted
    ("insurance", "how long is the program", "faq", None),  # "other: ..." insurance is not specific enough
    ("last_use", "never mind", "stop", None),
    ("state", "arizona", "crisis", None),  # crisis wins even over an understood answer
    ("insurance", "/skip", "skip", parsers.SKIPPED),
    ("last_use", "last night", "possible_risk", "last night"),
    ("suicide_wish", "i just feel empty", "possible_risk", None),
])
def test_when_a_message_answers_the_question(slot, text, intent, expected):
    assert answer_in(slot, Message(text, intent)) == expected


def test_seizures_given_to_the_withdrawal_question_are_an_answer_not_a_crisis():
    assert answer_in("withdrawal_signs", Message("seizures", "crisis", URGENT)) == "seizures"
    assert answer_in("withdrawal_signs", Message("seizures", "possible_risk")) == "seizures"
    immediate = {**URGENT, "crisis_severity": "immediate"}
    assert answer_in("withdrawal_signs", Message("he is having a seizure right now", "crisis", immediate)) is None
    assert answer_in("substances", Message("seizures", "crisis", URGENT)) is None


def test_suicidal_thoughts_given_to_the_screen_are_its_answer():
    text = "yeah i think about killing myself a lot"
    assert answer_in("suicide_thoughts", Message(text, "crisis", SUICIDAL)) == text
    assert answer_in("suicide_thoughts", Message("yes and tonight", "crisis", {**SUICIDAL, "crisis_severity": "immediate"})) is None
    assert answer_in("suicide_thoughts", Message("no but my brother overdosed", "crisis",
                                                 {"crisis_category": "overdose", "crisis_severity": "urgent"})) is None


# -- what an answer means ------------------------------------------------------------------------

def checked(slot: str, value: Any, text: str = "", intent: str = "inform", **slots: Any) -> Checked:
    return check(slot, value, Message(text or (value if isinstance(value, str) else ""), intent), slots)


@pytest.mark.parametrize("slot, value, expected", [
    ("state", "arizona", Checked("AZ")),
    ("state", "the moon", Checked(None, reask=parsers.UNRECOGNIZED)),
    ("callback_phone", "12345", Checked(None, reask=parsers.BAD_PHONE)),
    ("callback_phone", "+16025550134", Checked("+16025550134")),
    ("insurance", parsers.SKIPPED, Checked(parsers.SKIPPED)),  # optional: skipping is an answer
    ("consent", parsers.SKIPPED, Checked(None, reask=REQUIRED)),  # needed to call back: asked again
    ("substances", "no idea honestly", Checked(parsers.SKIPPED)),  # "don't know" moves on
    ("substances", ["alcohol"], Checked(["alcohol"])),  # already normalised
])
def test_answers_are_normalised_or_asked_again(slot, value, expected):
    assert checked(slot, value) == expected


def test_naming_the_loved_one_also_answers_the_relation():
    assert checked("who_for", "my son") == Checked("loved_one", also={"caller_relation": "parent"})
    assert checked("who_for", "someone else") == Checked("loved_one")


def test_danger_signs_of_withdrawal_call_for_urgent_advice():
    assert checked("withdrawal_signs", "he had a seizure last time").danger_signs
    assert not checked("withdrawal_signs", "shaking").danger_signs


@pytest.mark.parametrize("value, intent, expected", [
    ("no", "deny", Checked("no")),
    ("prefer not to say", "inform", Checked("declined")),
    (parsers.SKIPPED, "skip", Checked("declined")),  # skipping declines; it is never a "no"
    ("kinda, sometimes", "affirm", Checked("yes", positive_screen=True)),
    ("i think about it", "crisis", Checked("yes", positive_screen=True)),
    ("not anymore", "inform", Checked(None, reask=parsers.UNCLEAR, also={SCREEN_REASKED: "suicide_wish"})),
])
def test_screen_answers(value, intent, expected):
    assert checked("suicide_wish", value, intent=intent) == expected


def test_an_unclear_screen_answer_asked_twice_is_stored_as_unclear():
    reasked: Dict[str, Any] = {SCREEN_REASKED: "suicide_wish"}
    assert checked("suicide_wish", "idk", **reasked) == Checked("unclear")
    # The re-ask of the other question is its own.
    assert checked("suicide_thoughts", "maybe", **reasked).reask == parsers.UNCLEAR


@pytest.mark.parametrize("slot", ["who_for", "first_name", "insurance", "state"])
def test_crisis_language_never_answers_another_question(slot):
    # "tonight" is a time of day: as the best time it would keep the form going past a crisis.
    message = Message(text="i'm going to kill myself tonight", intent="crisis", entities=SUICIDAL)
    assert other_answer(slot, message) is None
    assert answer_in(slot, message) is None
    assert unfilled_reply(slot, message, noted=False) is None


@pytest.mark.parametrize("slot", ["who_for", "first_name", "best_time", "prior_treatment", "insurance", "suicide_wish"])
@pytest.mark.parametrize("text", ["español", "en español por favor", "can we do this in english"])
def test_a_request_for_the_other_language_is_never_an_answer(slot, text):
    """The rules confirm the switch and ask the question again; "español" is no one's name."""
    message = Message(text=text, intent="switch_language")
    assert answer_in(slot, message) is None
    assert other_answer(slot, message) is None
    assert unfilled_reply(slot, message, noted=False) is None


@pytest.mark.parametrize("slot", SLOTS)
@pytest.mark.parametrize("text", [
    "ya no quiero contestar mas preguntas", "Ya no quiero contestar más preguntas.", "ya no quiero seguir",
    "i don't want to answer any more questions", "I dont want to answer anymore questions", "no more questions",
])
@pytest.mark.parametrize("intent", ["stop", "skip", "possible_risk", "inform", "deny"])
def test_a_stop_wins_over_the_none_in_it_on_every_question(slot, text, intent):
    """"Ya no quiero contestar más preguntas" holds a "no": asked about treatment before, it was
    stored as "none" when the crisis detector was unsure (possible_risk) or the classifier said skip."""
    assert answer_in(slot, Message(text=text, intent=intent)) is None


@pytest.mark.parametrize("intent", ["inform", "faq", "request_callback", "greet", None])
def test_another_questions_answer_kept_is_noted_whatever_the_classifier_said(intent):
    """bilingual1 read "evenings after 6 work best for me" as faq/days_per_week: the form kept it as
    the best time (other_answer ignores the classifier) but said nothing, so the name question
    came back unexplained."""
    from helpline.intake.policy import OTHER_ANSWER_NOTED

    message = Message(text="evenings after 6 work best for me", intent=intent)
    assert other_answer("first_name", message) == "best_time"
    assert unfilled_reply("first_name", message, noted=True) == OTHER_ANSWER_NOTED


def test_an_faq_that_filled_nothing_is_still_left_to_the_rules():
    message = Message(text="evenings after 6 work best for me", intent="faq")
    assert unfilled_reply("first_name", message, noted=False) is None

"""The intake's questions: one record per form slot, and everything derived from them.

A question's slot name used to be repeated in the form action, the parser
registry, the lead's answer keys and the tests, and forgetting one of them
failed silently (raw text kept, the question re-asked forever, the answer
dropped from the lead). Now the table below is the one list; the Rasa form
action (``actions/intake_form.py``), the stored answers
(:mod:`helpline.intake.handoff`) and the tests are generated from it, and
``tests/core/test_intake_questions.py`` fails when ``domain.yml`` disagrees.

The table's order is the order ``domain.yml``'s ``intake_form`` (the contact
questions) and then ``screening_form`` ask in, which is also the order of the
keys in a stored lead's answers.

Adding a screening question: a record here (with a parser in
:mod:`helpline.intake.parsers` if none fits), and in ``domain.yml`` the slot, its
place in ``screening_form``'s ``required_slots`` and its ``utter_ask_<slot>`` wording.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Literal, Mapping, Optional, Tuple

from helpline.intake import parsers
from helpline.intake.parsers import Parsed

Parser = Callable[[Optional[str]], Parsed]
Slots = Mapping[str, Any]
# Where a question belongs: "contact" questions are domain.yml's intake_form, asked
# first, and the lead is stored when they are answered; "screening" questions are
# screening_form, optional, asked after, each answer updating the stored lead.
Stage = Literal["contact", "screening"]
FORM_OF_STAGE = {"contact": "intake_form", "screening": "screening_form"}


def always(slots: Slots) -> bool:
    return True


@dataclass(frozen=True)
class Question:
    """One intake question, as the code needs to know it.

    ``optional``: the caller may skip it, and "I don't know" moves on; the other
    questions are needed to call back at all (skipping one asks again), and after
    a "yes" on the suicide-risk screen they are all that is still asked.
    ``ask_if``: asked only when this holds for the slots filled so far.
    ``free_text``: the parser takes almost any text (a name, a member ID), so a
    message the classifier reads as a question ("what is iop?") is not taken as
    the answer.
    ``suicide_screen``: a question of the suicide-risk screen, validated its own
    way: skipping declines, an unclear answer is asked once more, then stored
    as "unclear", and a "yes" gets the crisis answer and a flag for staff.
    ``in_answers``: kept in the lead's answers under the slot's name; the phone
    number and consent are stored in their own columns instead.
    """

    slot: str
    parse: Parser
    stage: Stage
    optional: bool = True
    ask_if: Callable[[Slots], bool] = always
    free_text: bool = False
    suicide_screen: bool = False
    in_answers: bool = True


# --- when a question is asked -------------------------------------------------------

# Insurance answers that have no member ID to ask for.
NO_MEMBER_ID_FOR = frozenset({"none", "self-pay", "unknown", parsers.SKIPPED})


def for_loved_one_or_not_known(slots: Slots) -> bool:
    return slots.get("who_for") in (None, "loved_one")


def not_for_a_loved_one(slots: Slots) -> bool:
    # The validated screen is about oneself; someone calling for a loved one gets
    # our adapted question instead. Not known for whom: the screen, as for everyone.
    return slots.get("who_for") != "loved_one"


def for_a_loved_one(slots: Slots) -> bool:
    return slots.get("who_for") == "loved_one"


def permissions_not_known(slots: Slots) -> bool:
    # A validated answer is a dict; the text of this turn's answer (still to be
    # validated) keeps the question on the list, or rasa-sdk would drop the answer.
    return not isinstance(slots.get("contact_permissions"), dict)


def has_insurance(slots: Slots) -> bool:
    return slots.get("insurance") not in NO_MEMBER_ID_FOR


# --- the table ------------------------------------------------------------------------

QUESTIONS: Tuple[Question, ...] = (
    # Contact first (intake_form): what is needed to call back. The lead is stored
    # as soon as these are answered: at most five questions.
    Question("who_for", parsers.parse_who_for, "contact"),
    Question("first_name", parsers.parse_first_name, "contact", free_text=True),
    Question("callback_phone", parsers.parse_callback_phone, "contact", optional=False, in_answers=False),
    Question("best_time", parsers.parse_best_time, "contact"),
    # Also asks about voicemail and text; an answer that names them fills contact_permissions.
    Question("consent", parsers.parse_consent, "contact", optional=False, in_answers=False),
    # Then the optional screening (screening_form); each answer updates the stored lead.
    Question("caller_relation", parsers.parse_caller_relation, "screening", ask_if=for_loved_one_or_not_known),
    Question("substances", parsers.parse_substances, "screening"),
    Question("last_use", parsers.parse_last_use, "screening"),
    Question("withdrawal_signs", parsers.parse_withdrawal_signs, "screening"),
    # The suicide-risk screen, right after the withdrawal question: items 1 and 2 of
    # the C-SSRS Screener about oneself, or our adapted question about a loved one.
    Question("suicide_wish", parsers.parse_suicide_screen, "screening",
             ask_if=not_for_a_loved_one, suicide_screen=True),
    Question("suicide_thoughts", parsers.parse_suicide_screen, "screening",
             ask_if=not_for_a_loved_one, suicide_screen=True),
    Question("loved_one_suicide_risk", parsers.parse_suicide_screen, "screening",
             ask_if=for_a_loved_one, suicide_screen=True),
    Question("prior_treatment", parsers.parse_prior_treatment, "screening"),
    Question("insurance", parsers.parse_insurance, "screening"),
    Question("insurance_member_id", parsers.parse_insurance_member_id, "screening",
             ask_if=has_insurance, free_text=True),
    Question("state", parsers.parse_state, "screening"),
    # Only when the consent answer did not say (a plain "yes").
    Question("contact_permissions", parsers.parse_contact_permissions, "screening", ask_if=permissions_not_known),
)

BY_SLOT: Dict[str, Question] = {q.slot: q for q in QUESTIONS}
SLOTS: Tuple[str, ...] = tuple(q.slot for q in QUESTIONS)
# The answers kept with the lead for staff, in the order asked.
ANSWER_KEYS: Tuple[str, ...] = tuple(q.slot for q in QUESTIONS if q.in_answers)
SUICIDE_SCREEN: Tuple[str, ...] = tuple(q.slot for q in QUESTIONS if q.suicide_screen)
# Slot name -> parser, so form validation can be written once.
PARSERS: Dict[str, Parser] = {q.slot: q.parse for q in QUESTIONS}


def question(slot: str) -> Question:
    """The question for ``slot``; a ``KeyError`` naming it for a slot not in the table."""
    try:
        return BY_SLOT[slot]
    except KeyError:
        raise KeyError(f"no intake question for slot {slot!r}") from None


def parse_slot(slot: str, text: Optional[str]) -> Parsed:
    """Parse ``text`` as an answer for ``slot`` (a slot of :data:`QUESTIONS`)."""
    try:
        parser = PARSERS[slot]
    except KeyError:
        raise KeyError(f"no intake parser for slot {slot!r}") from None
    return parser(text)

"""Intake policy: which questions are asked, when a message is an answer, and what an answer means.

Kept out of the Rasa form action (``actions/intake_form.py``), which only turns
these decisions into slot events and responses, so the rules are tested
without Rasa.

When a message answers the question asked: what the caller typed wins over the
intent classifier when the question's parser understands it ("detox" answering
"any prior treatment?" is an answer, not an FAQ), while a message the parser
does not understand and that the classifier reads as a question or a request to
stop is left to the rules (answer, then come back; or stop). Crisis language
always goes to the rules, whatever the question, except two answers that are
answers: danger signs given to the withdrawal question, and suicidal thoughts
given to the suicide-risk screen (which the form itself answers with 988/911).

The suicide-risk screen (after the withdrawal question): items 1 and 2 of the
C-SSRS Screener, recent version, when the intake is for the person themselves
(or we do not know for whom); our adapted question when it is for a loved one.
A "yes" gets the crisis answer, a crisis flag for staff, and the rest of the
form asks only what is needed to call back (phone, consent); the lead is then
immediate (:mod:`helpline.intake.screening`). An unclear answer is asked once
more, then stored as "unclear"; "prefer not to say" is stored as "declined".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, Sequence

from helpline.intake import parsers
from helpline.intake.parsers import Parsed
from helpline.intake.questions import Question, Slots, question
from helpline.intake.screening import DANGER_SIGNS, suicide_screen_positive

# Intents that, when the answer is not understood, mean "not an answer".
INTERRUPTIONS = frozenset({"faq", "faq_clarify", "choose_faq_topic", "stop", "bot_challenge", "out_of_scope",
                           "request_callback", "greet"})
ALWAYS_INTERRUPTS = frozenset({"crisis", "possible_risk"})
# Crisis language that answers a screen question: "yes" (an immediate danger still goes to the crisis rules).
SCREEN_CRISIS_CATEGORIES = frozenset({"suicide_self_harm", "unspecified"})
# The slot that remembers which screen question was already asked a second time.
SCREEN_REASKED = "screen_reasked"
# Why a question is asked again when a required question was skipped.
REQUIRED = "required"


@dataclass(frozen=True)
class Message:
    """What the form needs of the caller's latest message."""

    text: Optional[str]
    intent: Optional[str] = None
    entities: Mapping[str, Any] = field(default_factory=dict)  # entity name -> value


@dataclass(frozen=True)
class Checked:
    """A validated answer: the slot's new value, and what else the answer calls for.

    ``reask``: why the question is asked again (a parser reason code, or
    :data:`REQUIRED`); the value is then ``None``. ``also``: other slots the
    same answer fills. ``danger_signs``: withdrawal signs that need urgent
    medical advice now. ``positive_screen``: a "yes" on the suicide-risk screen.
    """

    value: Any
    reask: Optional[str] = None
    also: Mapping[str, Any] = field(default_factory=dict)
    danger_signs: bool = False
    positive_screen: bool = False


# --- which questions are asked --------------------------------------------------------

def questions_to_ask(form_slots: Sequence[str], slots: Slots) -> List[str]:
    """The form's slots still to be asked (or validated this turn), given the slots so far."""
    asked = [slot for slot in form_slots if question(slot).ask_if(slots)]
    if suicide_screen_positive(slots):
        # Only what we need to call back. The screen questions already answered
        # stay on the list, so that this turn's answer is still validated.
        asked = [
            slot for slot in asked
            if not question(slot).optional or (question(slot).suicide_screen and slots.get(slot) is not None)
        ]
    return asked


# --- whether a message is an answer ---------------------------------------------------

def answer_in(slot: str, message: Message) -> Optional[Any]:
    """The latest message as a candidate answer to the question asked, ``slot``; ``None``: not an answer."""
    text = message.text or ""

    def understood() -> bool:
        return outvotes_classifier(slot, question(slot).parse(text))

    if message.intent == "possible_risk" and understood():
        # The detector was only unsure, and the text is a clear answer to the
        # question asked ("last night" to "when was the last use?").
        return text
    if (
        message.intent in ALWAYS_INTERRUPTS
        and not withdrawal_history_answer(slot, message)
        and not screen_answer_in_crisis_words(slot, message)
    ):
        return None
    if message.intent == "skip":
        return parsers.SKIPPED
    if message.intent in INTERRUPTIONS and not understood():
        return None
    return text


def outvotes_classifier(slot: str, parsed: Parsed) -> bool:
    """Whether an answer is specific enough to outvote the classifier.

    Names, member IDs and unknown insurers accept almost any text, so a question
    asked in their place ("what is iop?") must not be taken as the answer.
    """
    if not parsed.ok or question(slot).free_text:
        return False
    return not (slot == "insurance" and str(parsed.value).startswith("other:"))


def withdrawal_history_answer(slot: str, message: Message) -> bool:
    """"Seizures" answering the withdrawal question is history, not an emergency now.

    The safety net flags any mention of seizures or hallucinations; when that is
    the answer to "are there signs like seizures...?" the form records it and
    gives the urgent medical advice itself (call 911 if it is happening now).
    Anything the net rates as immediate danger still goes to the crisis rules.
    """
    if slot != "withdrawal_signs" or not parsers.parse_withdrawal_signs(message.text).ok:
        return False
    if message.intent == "possible_risk":
        # The detector was unsure, and the person was answering the question
        # about these very signs: an answer, not a reason for a safety check-in.
        return True
    entities = message.entities
    return entities.get("crisis_category") == "medical_emergency" and entities.get("crisis_severity") == "urgent"


def screen_answer_in_crisis_words(slot: str, message: Message) -> bool:
    """"Yes, I think about killing myself" answering a screen question is its answer: yes.

    The form gives the crisis answer and flags the conversation itself, and then
    asks only for a phone number and consent. Crisis language rated immediate
    danger ("...tonight"), of another kind, or with a clear "no" in it still goes
    to the crisis rules.
    """
    if not question(slot).suicide_screen or message.intent != "crisis":
        return False
    entities = message.entities
    if entities.get("crisis_category") not in SCREEN_CRISIS_CATEGORIES or entities.get("crisis_severity") != "urgent":
        return False
    return parsers.parse_suicide_screen(message.text).value in (None, parsers.SCREEN_YES)


# --- what an answer means -------------------------------------------------------------

def check(slot: str, value: Any, message: Message, slots: Slots) -> Checked:
    """Validate ``value`` for ``slot``: the normalised answer, or why to ask again."""
    asked = question(slot)
    if asked.suicide_screen:
        return _check_screen(asked, value, message, slots)
    checked = _check_answer(asked, value)
    if slot == "who_for" and checked.value == "loved_one":
        # "my son" answers both questions at once.
        relation = parsers.parse_caller_relation(message.text or "")
        if relation.ok and relation.value != "other":
            return Checked(checked.value, also={"caller_relation": relation.value})
    if slot == "withdrawal_signs" and isinstance(checked.value, list) and DANGER_SIGNS.intersection(checked.value):
        return Checked(checked.value, danger_signs=True)
    return checked


def _check_answer(asked: Question, value: Any) -> Checked:
    if value == parsers.SKIPPED:
        return Checked(parsers.SKIPPED) if asked.optional else Checked(None, reask=REQUIRED)
    if not isinstance(value, str):
        return Checked(value)  # already normalised (a correction, or a re-run)
    parsed = asked.parse(value)
    if parsed.ok:
        return Checked(parsed.value)
    if parsed.reason in (parsers.SKIPPED, parsers.DONT_KNOW) and asked.optional:
        # "I don't have it" / "no idea" answer the question: move on, asking no more.
        return Checked(parsers.SKIPPED)
    return Checked(None, reask=parsed.reason)


def _check_screen(asked: Question, value: Any, message: Message, slots: Slots) -> Checked:
    if value == parsers.SKIPPED:
        return Checked(parsers.SCREEN_DECLINED)  # "skip" declines; it is not a "no"
    parsed = asked.parse(value) if isinstance(value, str) else Parsed(reason=parsers.UNCLEAR)
    if parsed.value == parsers.SCREEN_YES or message.intent == "crisis":
        return Checked(parsers.SCREEN_YES, positive_screen=True)
    if parsed.ok:
        return Checked(parsed.value)
    if slots.get(SCREEN_REASKED) == asked.slot:
        return Checked(parsers.SCREEN_UNCLEAR)  # asked twice: staff ask on the call
    return Checked(None, reask=parsed.reason, also={SCREEN_REASKED: asked.slot})


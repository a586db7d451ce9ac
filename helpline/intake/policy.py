"""Intake policy: which questions are asked, when a message is an answer, and what an answer means.

Kept out of the Rasa form action (``actions/intake_form.py``), which only turns
these decisions into slot events and responses, so the rules are tested
without Rasa.

When a message answers the question asked: what the caller typed wins over the
intent classifier when the question's parser understands it ("detox" answering
"any prior treatment?" is an answer, not an FAQ), while a message the parser
does not understand and that the classifier reads as a question or a request to
stop is left to the rules (answer, then come back; or stop). A wish to stop or a
request for a person is never an answer, whatever answer words it holds ("ya no
quiero contestar más preguntas" is not "no treatment"). Crisis language
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

import re
from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, Sequence

from helpline.intake import non_answers, parsers
from helpline.intake.parsers import Parsed
from helpline.intake.questions import Question, Slots, question
from helpline.intake.screening import screen, suicide_screen_positive

# Screening reasons for withdrawal that can be dangerous now: the person hears the medical warning.
DANGER_REASONS = frozenset({"danger_withdrawal_signs", "alcohol_benzo_withdrawal"})

# Intents that, when the answer is not understood, mean "not an answer".
INTERRUPTIONS = frozenset({"faq", "faq_clarify", "choose_faq_topic", "stop", "bot_challenge", "out_of_scope",
                           "request_callback", "greet"})
# "A real person" is never an answer, even to a question that takes any text (a name); nor is
# "español", a request for the other language (the rules confirm it and ask the question again).
ALWAYS_INTERRUPTS = frozenset({"crisis", "possible_risk", "request_human", "switch_language"})
# What the form says before asking again, for a message that answered nothing (unfilled_reply).
QUESTION = "question"
OTHER_ANSWER_NOTED = "other_answer_noted"
OTHER_ANSWER = "other_answer"
WAIT = "wait"
# Questions whose answers are recognisable anywhere: a phone number, a time of day,
# voicemail or text, an insurer's name, a substance. Checked in this order.
RECOGNISABLE = ("callback_phone", "contact_permissions", "best_time", "insurance", "substances", "state")
# Not another question's answer here: asked together ("may we call... voicemail or text?"),
# or a name that is also a state ("Georgia", "Virginia").
NOT_OTHER = {"consent": ("contact_permissions",), "first_name": ("state",)}
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
        return outvotes_classifier(slot, question(slot).parse(text), text)

    if stops_the_form(text):
        # First, whatever the classifier or the crisis detector said: "ya no quiero contestar
        # más preguntas" holds a "no" that reads as "no treatment", and "skip" or an unsure
        # crisis reading would let it through. The rules answer the stop (or the crisis).
        return None
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
        # "no idea" to the insurance is "unknown", "prefer not to say" to the name is that:
        # what the parser reads wins over a bare skip.
        return text if understood() else parsers.SKIPPED
    if not_an_answer(text):
        # Whatever words of an answer they hold: "not doing this, no"; "do you guys do
        # suboxone?" asks, it does not answer "any treatment before?".
        return None
    if non_answers.only_asks(text) and not question(slot).suicide_screen and not answers_first(slot, text):
        # "si ya fue a rehab y recayó todavía lo aceptan?" asks, whatever "rehab" answers. Not
        # on the suicide-risk screen: "me quiero morir, es normal?" is a yes, asked or not.
        return None
    if message.intent in INTERRUPTIONS and not understood():
        return None
    if not understood() and (non_answers.is_question(text) or other_answer(slot, message) is not None):
        # A question, or the answer to another question: never this one's value.
        return None
    return text


def stops_the_form(text: str) -> bool:
    """A wish to stop or a request for a person: never an answer, on any question."""
    return non_answers.wants_to_stop(text) or non_answers.asks_for_a_person(text)


def not_an_answer(text: str) -> bool:
    """A stop, a request for a person, a question or "hold on": no question's answer."""
    return stops_the_form(text) or non_answers.starts_like_question(text) or non_answers.is_stalling(text)


def answers_first(slot: str, text: str) -> bool:
    """"Mi hijo, ¿lo pueden ayudar?": the words before the first comma answer ``slot`` by themselves."""
    head, comma, _ = text.partition(",")
    return bool(comma) and outvotes_classifier(slot, question(slot).parse(head), head)


def recognised_as(slot: str, text: str) -> bool:
    """Whether ``text`` plainly answers ``slot``'s question, wherever it is said.

    Stricter than the parser: voicemail or text only when named, an insurer only
    by name, a phone number only when the text holds one.
    """
    parsed = question(slot).parse(text)
    if not parsed.ok:
        return False
    if slot == "contact_permissions":
        return parsers.names_contact_channel(text, messages_only=True)
    if slot == "insurance":
        return not str(parsed.value).startswith("other:") and parsed.value not in ("none", "unknown")
    if slot == "substances":
        return bool(parsed.value)
    if slot == "best_time" and parsed.value == "anytime":
        # "any", "either", "whenever", "cuando sea" answer many questions; only "any time" (or
        # "a cualquier hora") names a time.
        return bool(re.search(r"\bany ?time\b|\bcualquier (?:hora|momento)\b", text.lower()))
    return True


def other_answer(slot: str, message: Message) -> Optional[str]:
    """The other question that ``message`` answers instead of ``slot``'s, if any.

    "Evenings" to the insurance question, "voicemail is fine but not text" to the
    name question. ``None`` when the message answers ``slot`` itself or nothing
    recognisable.
    """
    text = message.text or ""
    if not text.strip() or outvotes_classifier(slot, question(slot).parse(text), text):
        return None
    if message.intent in ALWAYS_INTERRUPTS or not_an_answer(text) or non_answers.only_asks(text):
        # Crisis language first of all: "i'm going to kill myself tonight" names a time of
        # day, and must reach the crisis rules, never the best-time question.
        return None
    for other in RECOGNISABLE:
        if other != slot and other not in NOT_OTHER.get(slot, ()) and recognised_as(other, text):
            return other
    return None


def unfilled_reply(slot: str, message: Message, *, noted: bool) -> Optional[str]:
    """What to say before asking ``slot``'s question again, when the message filled it not.

    ``None`` when the rules answer the message (a question the classifier
    understood, a stop, a request for a person, crisis language, a switch of
    language) or the re-ask explains itself. ``noted``: the message filled another
    question of the form, which is said whatever the classifier read.
    """
    if message.intent in ALWAYS_INTERRUPTS:
        return None
    if noted and other_answer(slot, message) is not None:
        # Kept for the other question whatever the classifier said (one model read "evenings
        # after 6 work best for me" as an FAQ): the form keeps the turn, so it says so itself.
        return OTHER_ANSWER_NOTED
    if message.intent in INTERRUPTIONS:
        return None
    if non_answers.is_stalling(message.text):
        return WAIT
    if other_answer(slot, message) is not None:
        return OTHER_ANSWER
    if non_answers.is_question(message.text):
        return QUESTION
    return None


def outvotes_classifier(slot: str, parsed: Parsed, text: str = "") -> bool:
    """Whether an answer is specific enough to outvote the classifier.

    Names, member IDs and unknown insurers accept almost any text, so a question
    asked in their place ("what is iop?") must not be taken as the answer.
    """
    if not parsed.ok:
        return False
    if slot == "first_name":
        # "you can call me dave", "id rather not give my name": the wording says it answers;
        # so does a name alone ("Gail"), which a classifier may read as anything.
        if parsed.value == parsers.PREFER_NOT_TO_SAY or parsers.names_itself(text):
            return True
        short = len(text.split()) <= 2 and "?" not in text
        return short and not any(
            recognised_as(other, text) for other in RECOGNISABLE if other not in NOT_OTHER["first_name"]
        )
    if question(slot).free_text:
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
    if slot == "withdrawal_signs" and isinstance(checked.value, list) and withdrawal_danger({**slots, slot: checked.value}):
        return Checked(checked.value, danger_signs=True)
    if slot == "consent" and isinstance(value, str) and parsers.names_contact_channel(value):
        return _consent_with_channels(checked, value)
    return checked


def _consent_with_channels(checked: Checked, text: str) -> Checked:
    """The consent question also asks about voicemail and text: "yes, but call only", "text only", "no calls"."""
    permissions = parsers.parse_contact_permissions(text, call_asked=True)
    if not permissions.ok:
        return checked
    allowed = [channel for channel, ok in permissions.value.items() if ok]
    if checked.value is True or (checked.value is None and allowed):
        # Naming how we may reach them agrees to be reached that way.
        return Checked(True, also={"contact_permissions": permissions.value})
    if checked.value is None and not allowed and permissions.value["call"] is False:
        return Checked(False)  # "no calls or texts"
    # "Buzón de voz no" refuses a message and says nothing of the call: asked again.
    return checked


def withdrawal_danger(slots: Slots) -> bool:
    """Withdrawal signs the screening rates dangerous: seizures, hallucinations, severe
    vomiting, or shaking with recent alcohol or benzodiazepine use (R1, R2 of
    :mod:`helpline.intake.screening`). The person is told at once, whoever it is for."""
    answers = {key: value for key, value in slots.items() if value not in (None, parsers.SKIPPED)}
    return bool(DANGER_REASONS.intersection(screen(answers).reasons))


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


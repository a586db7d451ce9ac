"""Messages that are not an answer: a request for a person, a wish to stop, a question.

Measured blind (README, "Form answers"), the intake stored "representative please"
as a first name and "actually I don't want to do this anymore" as an answer, and a
question in place of the answer came back as the next question's value. These
tables recognise the three kinds wherever they come, in or out of the forms:
:mod:`helpline_rasa.intent_overrides` turns the first two into the intents the
rules answer (``request_human``, ``stop``), and :mod:`helpline.intake.policy`
keeps all three out of the answers.

Patterns are matched on the lower-cased message with typographic apostrophes
straightened. A wish to stop must be about the conversation ("stop asking",
"forget it"), never about using ("I can't stop drinking").
"""
from __future__ import annotations

import re
from typing import Optional

from helpline.intake.parsers import parse_yes_no

HUMAN_REQUEST = (
    r"(?:real|live|actual|human|another) (?:person|human|people|being|someone|one)",
    r"representative", r"rep", r"agent", r"operator", r"a human", r"human please", r"human",
    r"someone real", r"somebody real", r"not (?:a|some|this) (?:bot|robot|machine|computer|ai)",
    r"(?:talk|speak|chat|text) (?:to|with) (?:a |an |some(?:one|body)? )?(?:person|human|people|staff|"
    r"counsell?or|nurse|doctor|admissions|team member|someone|somebody|anyone|anybody|live agent|rep)",
    r"(?:talk|speak) to (?:someone|somebody|a person) (?:now|first|right now|today)",
    r"(?:can|could) i (?:talk|speak) to (?:someone|somebody|a person)",
    r"(?:get|give) me (?:a|to a) (?:person|human|someone)",
    r"(?:call|phone) (?:number|line)(?: for| to)? (?:a )?(?:person|human|someone)",
    r"(?:with|to) a (?:real |live )?(?:person|human)",
    r"rather (?:talk|speak) to (?:a |some)?(?:person|one|body|human)",
)
# "Are you a real person?" asks about the assistant (the bot_challenge answer), not for a person.
ABOUT_THE_BOT = (
    r"are (?:you|u) (?:a |an )?(?:real|human|person|bot|robot|ai)", r"is this (?:a |an )?(?:real|human|person|bot|robot|ai)",
    r"am i (?:talking|texting|chatting) (?:to|with)", r"r u (?:a |an )?(?:real|human|person|bot)",
)
STOP_REQUEST = (
    r"stop", r"stop it", r"stop this", r"stop please", r"please stop", r"quit", r"cancel", r"cancel (?:it|this|that)",
    r"nevermind", r"never mind", r"forget it", r"forget (?:about )?(?:it|this|that)", r"nvm",
    r"stop (?:asking|the questions|with the questions|now|this now)",
    r"(?:i )?(?:don'?t|do not|dont) want to (?:do|continue|answer|go on with|finish) (?:this|that|these|any ?more|it)",
    r"(?:i )?(?:don'?t|do not|dont) want to (?:do|continue|answer) (?:this|that|these|it)? ?any ?more",
    r"(?:i )?(?:don'?t|do not|dont) want to do this",
    r"not (?:doing|gonna do|going to do) this", r"(?:i )?changed my mind", r"(?:i'?m|im|i am) done(?: here| now)?",
    r"no more questions", r"enough questions", r"that'?s enough", r"leave me alone", r"i'?ll (?:call|come) back later",
    r"(?:i )?(?:have|need|gotta|got) to go", r"gtg", r"g2g", r"(?:i )?can'?t do this (?:right )?now",
    r"not (?:right )?now", r"maybe later",
)
QUESTION_START = (
    r"why", r"what", r"how", r"when", r"where", r"who", r"which", r"do (?:you|u|i|we|they)", r"does", r"did",
    r"can (?:you|u|i|we|they|he|she)", r"could (?:you|u|i)", r"is (?:it|this|that|there)", r"are (?:you|u|there|they)",
    r"will (?:you|u|it|they|i|my|insurance)", r"would (?:you|u|it|i)", r"should i", r"is my", r"isn'?t", r"how'?s",
)

_HUMAN = re.compile(rf"(?<![\w'])(?:{'|'.join(HUMAN_REQUEST)})(?![\w'])")
_ABOUT_BOT = re.compile(rf"(?<![\w'])(?:{'|'.join(ABOUT_THE_BOT)})(?![\w'])")
# A stop request is the whole message (give or take "ok", "actually", "sorry" and punctuation).
_FILLER = r"(?:ok(?:ay)?|actually|sorry|um+|uh+|hmm+|no|nah|please|pls|just|you know what|honestly|i think)"
_STOP = re.compile(
    rf"^(?:{_FILLER}[\s,.!]*)*(?:{'|'.join(STOP_REQUEST)})(?:[\s,.!]*(?:{_FILLER}|sorry|thanks|thank you|bye|for now|right now|rn|now))*[\s.!]*$"
)
_QUESTION_START = re.compile(rf"^(?:{'|'.join(QUESTION_START)})\b")
# "Hold on, let me find the card": an answer is coming, not this message.
STALLING = (
    r"hold on", r"hang on", r"one sec(?:ond)?", r"just a (?:sec|second|minute|min|moment)", r"give me a (?:sec|second|minute|min)",
    r"let me (?:find|check|get|look|grab|see|ask)", r"wait", r"brb", r"one moment",
)
_STALLING = re.compile(rf"^(?:ok(?:ay)?[\s,]*)?(?:{'|'.join(STALLING)})\b")


def _clean(text: Optional[str]) -> str:
    return re.sub(r"\s+", " ", (text or "").replace("\u2019", "'").lower()).strip()


def asks_for_a_person(text: Optional[str]) -> bool:
    """"Representative please", "I want a real person", "can I talk to someone now"; not "are you a real person?"."""
    clean = _clean(text)
    return bool(_HUMAN.search(clean)) and not _ABOUT_BOT.search(clean)


def wants_to_stop(text: Optional[str]) -> bool:
    """"Actually I don't want to do this anymore", "ok this is too much. forget it", "stop";
    never "I can't stop drinking". The whole message, or its last sentence."""
    clean = _clean(text).strip(" ?")
    last = re.split(r"[.!;]+\s+", clean)[-1].strip(" .!")
    return bool(_STOP.match(clean) or (last != clean and _STOP.match(last)))


def starts_like_question(text: Optional[str]) -> bool:
    """"Do you guys do suboxone?", "what if we dont have insurance": a question even where a word of it answers."""
    return bool(_QUESTION_START.match(_clean(text)))


def is_stalling(text: Optional[str]) -> bool:
    """"Hold on let me find the card", "one sec": the answer is coming in the next message."""
    return bool(_STALLING.match(_clean(text)))


def is_question(text: Optional[str]) -> bool:
    """Shaped like a question: ends with "?" or starts like one ("why do u need my name")."""
    return _clean(text).endswith("?") or starts_like_question(text)


# Short enough that a yes or no is all it says.
BARE_REPLY_WORDS = 3


def bare_yes_or_no(text: Optional[str]) -> bool:
    """"ya", "yes please", "no thanks": a yes or a no and nothing else, which tells nothing about safety."""
    clean = _clean(text)
    return 0 < len(clean.split()) <= BARE_REPLY_WORDS and parse_yes_no(clean).ok

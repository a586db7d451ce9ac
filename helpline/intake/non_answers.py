"""Messages that are not an answer: a request for a person, a wish to stop, a question.

Measured blind (README, "Form answers"), the intake stored "representative please"
as a first name and "actually I don't want to do this anymore" as an answer, and a
question in place of the answer came back as the next question's value. These
tables recognise the three kinds wherever they come, in or out of the forms:
:mod:`helpline_rasa.intent_overrides` turns the first two into the intents the
rules answer (``request_human``, ``stop``), and :mod:`helpline.intake.policy`
keeps all three out of the answers.

Patterns are matched on the lower-cased message with typographic apostrophes
straightened and accents dropped ("olvídelo" -> "olvidelo"). A wish to stop must be
about the conversation ("stop asking", "forget it", "ya no quiero seguir"), never
about using ("I can't stop drinking", "ya no toma"). Spanish tables are in
:mod:`helpline.intake.spanish`; each list here is read in both languages.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

from helpline.intake import spanish as es
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
) + es.HUMAN_REQUEST
# "Are you a real person?" asks about the assistant (the bot_challenge answer), not for a person.
ABOUT_THE_BOT = (
    r"are (?:you|u) (?:a |an )?(?:real|human|person|bot|robot|ai)", r"is this (?:a |an )?(?:real|human|person|bot|robot|ai)",
    r"am i (?:talking|texting|chatting) (?:to|with)", r"r u (?:a |an )?(?:real|human|person|bot)",
) + es.ABOUT_THE_BOT
STOP_REQUEST = (
    r"stop", r"stop it", r"stop this", r"stop please", r"please stop", r"quit", r"cancel", r"cancel (?:it|this|that)",
    r"nevermind", r"never mind", r"forget it", r"forget (?:about )?(?:it|this|that)", r"nvm",
    r"stop (?:asking|the questions|with the questions|now|this now)",
    r"(?:i )?(?:don'?t|do not|dont) want to (?:do|continue|answer|go on with|finish) (?:this|that|these|any ?more|it)",
    r"(?:i )?(?:don'?t|do not|dont) want to (?:do|continue|answer) (?:this|that|these|it)? ?any ?more",
    r"(?:i )?(?:don'?t|do not|dont) want to do this",
    # "I don't want to answer any more questions": the whole conversation, not this question.
    r"(?:i )?(?:don'?t|do not|dont) (?:want to|wanna) (?:answer|do) (?:any ?more |more |any |your |these |the |all these |all the )?"
    r"questions(?: any ?more)?",
    r"(?:i'?m|im|i am) not (?:answering|doing) (?:any ?more |more |any |your |these |the )?questions(?: any ?more)?",
    r"not (?:doing|gonna do|going to do) this", r"(?:i )?changed my mind", r"(?:i'?m|im|i am) done(?: here| now)?",
    r"no more questions", r"enough questions", r"that'?s enough", r"leave me alone", r"i'?ll (?:call|come) back later",
    r"(?:i )?(?:have|need|gotta|got) to go", r"gtg", r"g2g", r"(?:i )?can'?t do this (?:right )?now",
    r"not (?:right )?now", r"maybe later",
) + es.STOP_REQUEST
QUESTION_START = (
    r"why", r"what", r"how", r"when", r"where", r"who", r"which", r"do (?:you|u|i|we|they)", r"does", r"did",
    r"can (?:you|u|i|we|they|he|she)", r"could (?:you|u|i)", r"is (?:it|this|that|there)", r"are (?:you|u|there|they)",
    r"will (?:you|u|it|they|i|my|insurance)", r"would (?:you|u|it|i)", r"should i", r"is my", r"isn'?t", r"how'?s",
) + es.QUESTION_START

_HUMAN = re.compile(rf"(?<![\w'])(?:{'|'.join(HUMAN_REQUEST)})(?![\w'])")
_ABOUT_BOT = re.compile(rf"(?<![\w'])(?:{'|'.join(ABOUT_THE_BOT)})(?![\w'])")
# A stop request is the whole message (give or take "ok", "actually", "sorry" and punctuation).
# Each filler once and as a whole word: the same word reachable two ways ("no" in both
# languages, "okay" as "ok" + "ay") makes the pattern try exponentially many readings.
STOP_FILLERS = (
    r"ok(?:ay)?", r"actually", r"sorry", r"um+", r"uh+", r"hmm+", r"no", r"nah", r"please", r"pls", r"just",
    r"you know what", r"honestly", r"i think",
) + es.STOP_FILLER
# Why they stop, after the wish to stop: "forget it, I'm not ready", "olvídelo, no estoy listo".
STOP_REASONS = (r"(?:i'?m |i am )?not ready(?: yet| for this)?",) + es.STOP_REASON
_FILLER = rf"(?:{'|'.join(STOP_FILLERS)})(?![\w'])"
_STOP_AFTER = (
    rf"(?:{'|'.join(STOP_FILLERS + STOP_REASONS + (r'thanks', r'thank you', r'bye', r'for now', r'right now', r'rn', r'now'))})"
    r"(?![\w'])"
)
# "Forget it, that's enough": a second wish to stop after the first, once.
_STOP = re.compile(
    rf"^(?:{_FILLER}[\s,.!]*)*(?:{'|'.join(STOP_REQUEST)})(?:[\s,.!]+(?:{'|'.join(STOP_REQUEST)})(?![\w']))?"
    rf"(?:[\s,.!]*{_STOP_AFTER})*[\s.!]*$"
)
_QUESTION_START = re.compile(rf"^(?:{'|'.join(QUESTION_START)})\b")
# "Hold on, let me find the card": an answer is coming, not this message.
STALLING = (
    r"hold on", r"hang on", r"one sec(?:ond)?", r"just a (?:sec|second|minute|min|moment)", r"give me a (?:sec|second|minute|min)",
    r"let me (?:find|check|get|look|grab|see|ask)", r"wait", r"brb", r"one moment",
) + es.STALLING
_STALLING = re.compile(rf"^(?:(?:ok(?:ay)?|{es.STALLING_LEAD})[\s,]*)?(?:{'|'.join(STALLING)})\b")
_NOT_A_QUESTION = re.compile(es.NOT_A_QUESTION)
_ACCENTED_QUESTION = re.compile(es.ACCENTED_QUESTION)


def _lower(text: Optional[str]) -> str:
    """Lower case, straight apostrophes, single spaces, without the Spanish opening marks "¿", "¡"."""
    text = (text or "").replace("\u2019", "'").replace("\u00bf", " ").replace("\u00a1", " ")
    return re.sub(r"\s+", " ", text.lower()).strip()


def _clean(text: Optional[str]) -> str:
    """:func:`_lower`, and accents dropped ("olvídelo" -> "olvidelo")."""
    folded = unicodedata.normalize("NFKD", _lower(text))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


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
    """"Do you guys do suboxone?", "what if we dont have insurance", "¿para qué quieren saber?", "cuánto
    cuesta": a question even where a word of it answers. Not "cuando sea", "cómo no", "quién sabe"."""
    clean = _clean(text)
    if _NOT_A_QUESTION.match(clean):
        return False
    # Typed with its accent, "qué"/"cómo"/"cuándo"... opens a question whatever follows.
    return bool(_QUESTION_START.match(clean) or _ACCENTED_QUESTION.match(_lower(text)))


def is_stalling(text: Optional[str]) -> bool:
    """"Hold on let me find the card", "one sec": the answer is coming in the next message."""
    return bool(_STALLING.match(_clean(text)))


def is_question(text: Optional[str]) -> bool:
    """Shaped like a question: ends with "?", opens with "¿", or starts like one ("why do u need my name")."""
    return _clean(text).endswith("?") or (text or "").lstrip().startswith("\u00bf") or starts_like_question(text)


# Fewer words than this ending in "?" are an answer said unsure ("rehab?", "¿en la tarde?").
MIN_QUESTION_WORDS = 5


def only_asks(text: Optional[str]) -> bool:
    """Every sentence a question, and more than an unsure answer: "si ya fue a rehab y recayó
    todavía lo aceptan?", "están en Scottsdale verdad? queda lejos?". Whatever answer words
    it holds, it asks; "New Mexico. Is that too far?" answers first, then asks."""
    clean = _clean(text)
    if not clean.endswith("?") or len(re.findall(r"\w+", clean)) < MIN_QUESTION_WORDS:
        return False
    sentences = [part.strip() for part in re.split(r"(?<=[.!?])\s+", clean) if part.strip()]
    return all(sentence.endswith("?") for sentence in sentences)


# Short enough that a yes or no is all it says.
BARE_REPLY_WORDS = 3


def bare_yes_or_no(text: Optional[str]) -> bool:
    """"ya", "yes please", "no thanks", "sí, gracias": a yes or a no and nothing else, which tells
    nothing about safety. Every word must be part of the yes or no: "no quiero vivir" reads
    as "no" to :func:`parse_yes_no`, but says much more."""
    clean = _clean(text)
    if not 0 < len(clean.split()) <= BARE_REPLY_WORDS or not parse_yes_no(clean).ok:
        return False
    rest = _BARE_YES_NO_WORDS.sub(" ", clean)
    return not re.search(r"\w", rest)


# What a bare yes or no may be made of: yes and no words in both languages, and the
# courtesies around them ("gracias", "ok bye", "that's fine"). Not "nada" (nothing), which
# is more than a no ("nada importa"). Longest first, so "please do" is read whole.
BARE_REPLY_PARTS = (
    r"yes", r"y", r"yeah", r"yea", r"yep", r"yup", r"ya", r"yah", r"sure", r"ok", r"okay", r"k", r"of course",
    r"absolutely", r"definitely", r"please", r"pls", r"go ahead", r"fine", r"correct", r"i agree", r"agree", r"i do",
    r"i consent", r"consent", r"affirmative", r"true", r"sounds good", r"thanks", r"thank you", r"no", r"n", r"nope",
    r"nah", r"never", r"not", r"don'?t", r"dont", r"do not", r"rather not", r"i'?d rather not", r"false", r"decline",
    r"refuse", r"no problem", r"why not",
) + tuple(word for word in es.YES_WORDS + es.YES_WHOLE_ANSWER + es.NO_WORDS if word != r"nada") + (es.BARE_REPLY_FILLERS,)
_BARE_YES_NO_WORDS = re.compile(rf"(?<![\w'])(?:{'|'.join(sorted(BARE_REPLY_PARTS, key=len, reverse=True))})(?![\w'])")

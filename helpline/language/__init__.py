"""Which language a person writes in, and which one their conversation stays in.

The identifier is Lingua (``lingua-language-detector``), a statistical model of
character n-grams shipped inside the package and built for short text; it is
asked about English and Spanish only, the two languages the helpline answers in.

Identifying one message is not deciding the conversation's language. A word of
reply ("ok", "Maria", "602 555 0107") carries no language, and Spanglish ("mi
hijo is using again") carries two: neither must flip a Spanish conversation to
English. So the conversation keeps its language until a message is clearly,
wholly in the other one, or the person asks for the other one by name.
README ("Spanish") gives the thresholds' figures on a blind probe.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, List, Mapping, Optional, Tuple

ENGLISH = "en"
SPANISH = "es"
LANGUAGES = (ENGLISH, SPANISH)
DEFAULT_LANGUAGE = ENGLISH

# A conversation with no language yet takes the first message that leans one way
# ("hola" is 0.66 Spanish, "hello" 0.61 Spanish: left undecided, so English, and the
# next message decides); one that has a language changes only on a message that is
# clearly the other language and long enough to say so. 0.65 on the blind probe:
# 8 of 390 first messages in the wrong language against 9 at 0.6 (README, "Spanish").
FIRST_CONFIDENCE = 0.65
SWITCH_CONFIDENCE = 0.9
SWITCH_MIN_WORDS = 3
# A single word this sure of one language, beside one this sure of the other, makes
# the message code-switched.
WORD_CONFIDENCE = 0.9

_WORD = re.compile(r"[^\W\d_]{2,}")
# The person names the language they want: "en español", "english please", "¿hablan español?",
# "ingles". These name a language; they do not identify one (matched on folded text).
_NAME = {SPANISH: r"(?:espanol|spanish|castellano)", ENGLISH: r"(?:english|ingles)"}
# ... and sometimes the one they do NOT want: "no hablo inglés", "i don't speak spanish",
# "my english is not good", "poquito inglés".
_CANNOT = r"(?:no|don'?t|do not|can'?t|cannot|not)\s+(?:\w+\s+){0,2}?(?:hablo|habla|hablamos|entiendo|entiende|se|leo|speak|understand|read)\s+(?:\w+\s+)?"
_POOR = r"(?:\s+(?:is|es)\s+(?:not\s+(?:good|great|very good)|bad|malo|poco|muy malo)|\s+(?:no\s+es\s+bueno))"
# ... or prefer one over the other: "mejor en español", "in english please".
_PREFER = r"(?:\ben|\bin|mejor|prefiero|prefer|please|por favor|pls|porfa)\s+"


def _patterns(name: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    return (
        re.compile(rf"\b{name}\b"),
        re.compile(rf"\b{_CANNOT}{name}\b|\bmy {name}{_POOR}|\bmi {name}{_POOR}|\bpo(?:quito|co) (?:de )?{name}\b"),
        re.compile(rf"{_PREFER}{name}\b"),
    )


_NAMES = {language: _patterns(name) for language, name in _NAME.items()}


@dataclass(frozen=True)
class Guess:
    """What one message says about its writer's language."""

    language: str
    confidence: float
    words: int
    mixed: bool


def fold(text: str) -> str:
    """Lower case without accents: "Español" -> "espanol"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _detector():  # type: ignore[no-untyped-def]
    # Imported here so that code which never identifies a language (the CLI, the
    # console) does not load the models.
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.SPANISH).with_preloaded_language_models().build()


def _spanish_confidence(text: str) -> float:
    from lingua import Language

    return float(_detector().compute_language_confidence(text, Language.SPANISH))


def guess(text: Optional[str]) -> Optional[Guess]:
    """The likelier language of ``text`` and how sure, or None for text without words."""
    words = _WORD.findall(text or "")
    if not words:
        return None
    spanish = _spanish_confidence(" ".join(words))
    word_scores = [_spanish_confidence(word) for word in words]
    mixed = any(s >= WORD_CONFIDENCE for s in word_scores) and any(s <= 1 - WORD_CONFIDENCE for s in word_scores)
    if spanish >= 0.5:
        return Guess(SPANISH, spanish, len(words), mixed)
    return Guess(ENGLISH, 1 - spanish, len(words), mixed)


def mentions_language(text: Optional[str]) -> bool:
    """Whether ``text`` names English or Spanish at all ("spanish", "inglés", "castellano")."""
    folded = fold(text or "")
    return any(named.search(folded) for named, _, _ in _NAMES.values())


def named_language(text: Optional[str]) -> Optional[str]:
    """The language a request asks for ("¿hablan español?" -> "es", "no hablo inglés" -> "es"), or None."""
    folded = fold(text or "")
    wanted: dict[str, int] = {}
    for language, (named, cannot, prefer) in _NAMES.items():
        if not named.search(folded):
            continue
        other = SPANISH if language == ENGLISH else ENGLISH
        if cannot.search(folded):
            wanted[other] = wanted.get(other, 0) + 2
        else:
            wanted[language] = wanted.get(language, 0) + (2 if prefer.search(folded) else 1)
    if not wanted:
        return None
    best = max(wanted.values())
    top = [language for language, score in wanted.items() if score == best]
    return top[0] if len(top) == 1 else None


def conversation_language(current: Optional[str], text: Optional[str]) -> Optional[str]:
    """The conversation's language after a message: ``current`` unless the message settles it.

    None means not known yet (answered in :data:`DEFAULT_LANGUAGE`).
    """
    found = guess(text)
    if found is None:
        return current
    if current not in LANGUAGES:
        return found.language if found.confidence >= FIRST_CONFIDENCE and not found.mixed else current
    if found.language == current or found.mixed:
        return current
    if found.confidence >= SWITCH_CONFIDENCE and found.words >= SWITCH_MIN_WORDS:
        return found.language
    return current


def offered_payloads(events_newest_first: Iterable[Mapping[str, Any]]) -> List[str]:
    """The payloads of the buttons under the bot's last message, from events as Rasa serialises them."""
    for event in events_newest_first:
        if event.get("event") == "bot":
            return [str(button.get("payload")) for button in (event.get("data") or {}).get("buttons") or []]
    return []


def is_payload(text: Optional[str], offered: Iterable[str] = ()) -> bool:
    """A button's payload ("/request_callback", "yes, safe for now"): our wording, not the person's."""
    return bool(text) and (str(text).startswith("/") or text in set(offered))


def parsing_languages(current: Optional[str], text: Optional[str], offered: Iterable[str] = ()) -> Tuple[str, ...]:
    """The languages whose NLU models read a message: the one its conversation is in once it has arrived.

    Decided before the message is understood, so without what the model finds in it (a
    request for a language, a crisis): both models know every request to switch, and their
    crisis detectors are the same (config.yml), so either reads those alike. While no
    language is known (a first "es caro?", "tienen telehealth", Spanglish), both models
    read it and the surer reading wins (helpline_rasa/nlu_router.py): measured on the blind
    Spanish rounds, about one first question in eight is not clear enough to decide.
    """
    decided = current if is_payload(text, offered) else conversation_language(current, text)
    return (decided,) if decided in LANGUAGES else LANGUAGES


def model_archive(served: Path, language: str) -> Path:
    """The NLU model of ``language``, given the archive Rasa serves (English NLU and the dialogue).

    ``models/current.tar.gz`` -> ``models/current-es.tar.gz`` beside it (the Makefile trains both).
    """
    if language == ENGLISH:
        return served
    name = served.name
    stem = name[: -len(".tar.gz")] if name.endswith(".tar.gz") else served.stem
    return served.with_name(f"{stem}-{language}.tar.gz")


def is_language_archive(path: Path) -> bool:
    """A language's NLU archive (``*-es.tar.gz``), which is not a model to serve on its own."""
    return any(path.name.endswith(f"-{language}.tar.gz") for language in LANGUAGES if language != ENGLISH)

"""The helpline's own wording, one file per language (``en.yml``, ``es.yml``): everything it says that is not the bot's dialogue.

That is staff alerts, texters' keyword replies, the channels' notices, the
callback promise, and the words the code composes facility facts and times
with (:mod:`helpline.facility`, :mod:`helpline.intake.office_hours`). The bot's
answers stay in domain.yml (Rasa's convention), the console's pages in
:mod:`helpline.web`. Keeping the rest in one file per language means a wording
change, or a translation, touches one file and no Python.

Texts are ``str.format`` templates: their ``{fields}`` are facility facts
(:meth:`helpline.facility.Facility.placeholders`, passed by the caller, so this
module reads no facility file and a staff alert never depends on it) or values
the caller names. Keys are dotted paths into the file (``staff_alert.crisis``);
callers pass them as literals so that ``tests/core/test_messages.py`` can check,
without running anything, that every key exists, every field is supplied and no
text is left unused.
"""
from __future__ import annotations

import re
import string
from functools import cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

import yaml

DEFAULT_LANGUAGE = "en"
FOLDER = Path(__file__).resolve().parent
_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?=\s|$)")


class MessagesError(LookupError):
    """A wording file, a key or a field is missing."""


def languages() -> List[str]:
    """The languages that have a wording file, e.g. ``["en", "es"]``."""
    return list(_language_files())


@cache
def _language_files() -> Tuple[str, ...]:
    # Read once per process: the files ship with the code.
    return tuple(sorted(path.stem for path in FOLDER.glob("*.yml")))


def resolve(language: Optional[str]) -> str:
    """The wording language for a conversation's ``language`` slot: itself when it has a
    wording file, else English (None while the conversation's language is not known)."""
    return language if language and language in _language_files() else DEFAULT_LANGUAGE


def _flatten(node: Any, prefix: str, into: Dict[str, str]) -> None:
    if isinstance(node, Mapping):
        for name, child in node.items():
            _flatten(child, f"{prefix}.{name}" if prefix else str(name), into)
    elif isinstance(node, str):
        into[prefix] = node
    else:
        raise MessagesError(f"{prefix}: a text must be a string, not {type(node).__name__}")


@cache
def catalog(language: str = DEFAULT_LANGUAGE) -> Dict[str, str]:
    """Every text of ``language`` by dotted key (read once per process: the file ships with the code)."""
    path = FOLDER / f"{language}.yml"
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise MessagesError(f"no wording file for language {language!r} ({path})") from None
    texts: Dict[str, str] = {}
    _flatten(data or {}, "", texts)
    return texts


def text(key: str, facts: Optional[Mapping[str, str]] = None, *, language: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The text at ``key``, its fields filled from ``values`` and then the facility ``facts``."""
    texts = catalog(language)
    if key not in texts:
        raise MessagesError(f"{language}.yml has no text {key!r}")
    try:
        filled = texts[key].format_map({**(facts or {}), **values})
    except KeyError as exc:
        raise MessagesError(f"{language}.yml {key}: nothing supplies the field {exc.args[0]!r}") from None
    # A value ending in an abbreviation ("4:00 p. m.") before the text's own full stop: one stop ends both.
    return single_stops(filled)


def table(key: str, *, language: str = DEFAULT_LANGUAGE) -> Dict[str, str]:
    """The words under ``key`` by their last name, e.g. ``table("staff_alert.urgency")["urgent"]``."""
    prefix = key + "."
    words = {name[len(prefix):]: value for name, value in catalog(language).items() if name.startswith(prefix)}
    if not words or any("." in name for name in words):
        raise MessagesError(f"{language}.yml has no table of words {key!r}")
    return words


def fields(template: str) -> Set[str]:
    """The field names a template needs (``{max_chars:,}`` -> ``max_chars``)."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def single_stops(text: str) -> str:
    """One full stop where a filled-in value ending in "a. m." meets the sentence's own ("a. m.." -> "a. m.")."""
    return _DOUBLE_STOP.sub(".", text)

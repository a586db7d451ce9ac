"""The helpline's own wording, one file per language (``en.yml``, ...): everything it sends that is not the bot's dialogue.

That is staff alerts, texters' keyword replies and the channels' notices. The
bot's answers stay in domain.yml (Rasa's convention), the console's pages in
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

import string
from functools import cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Set

import yaml

DEFAULT_LANGUAGE = "en"
FOLDER = Path(__file__).resolve().parent


class MessagesError(LookupError):
    """A wording file, a key or a field is missing."""


def languages() -> List[str]:
    """The languages that have a wording file, e.g. ``["en"]``."""
    return sorted(path.stem for path in FOLDER.glob("*.yml"))


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
        return texts[key].format_map({**(facts or {}), **values})
    except KeyError as exc:
        raise MessagesError(f"{language}.yml {key}: nothing supplies the field {exc.args[0]!r}") from None


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

"""Text from stored records made safe to print on a staff member's terminal.

Callers type names, relations and answers, and a texter's message can carry
any character. Printed as they are, an escape sequence (``ESC [ ...``, or the
one-byte C1 form ``U+009B``) could recolour, clear or retitle the terminal,
move the cursor over earlier lines or, on some terminals, make it answer back;
a carriage return could overwrite the start of a line, and a bidi override
(U+202A-U+202E, U+2066-U+2069) could show a row's text in an order other than
the stored one. :func:`printable` turns each such character into a visible
``\\x1b`` / ``\\u202e`` escape; everything else, accented and non-Latin
letters included, is printed as it is.

Every CLI line that shows stored data goes through :func:`printable` (tables,
``show`` pages, SMS replies) or :func:`json_text` (``--json``).
"""
from __future__ import annotations

import json
import re
from typing import Any

# C0 controls (tab, newline and carriage return included: a stored value gets
# no say in our layout), DEL, the C1 controls, the line and paragraph
# separators, and the bidi embeddings, overrides and isolates.
_NOT_C0 = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE_CHARACTER = re.compile(f"[\x00-\x1f{_NOT_C0}]")
_UNSAFE_EXCEPT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_NOT_C0}]")
_UNSAFE_NOT_C0 = re.compile(f"[{_NOT_C0}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: Any, *, keep_newlines: bool = False) -> str:
    """``str(value)`` with every control, separator and bidi character shown as an escape.

    ``keep_newlines`` leaves ``\\n`` alone, for text whose line breaks are
    meant (the bot's own multi-paragraph SMS replies).
    """
    pattern = _UNSAFE_EXCEPT_NEWLINE if keep_newlines else _UNSAFE_CHARACTER
    return pattern.sub(_escape, str(value))


def json_text(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` for a terminal: non-ASCII letters stay readable, unsafe characters become ``\\uXXXX``.

    ``json.dumps`` already escapes C0 controls; with ``ensure_ascii=False`` it
    would print C1 controls and bidi overrides raw. They can only occur inside
    JSON strings, where ``\\uXXXX`` is the same character to a JSON reader.
    (C0 is left to ``json.dumps``: outside strings its output has the newlines of ``indent``.)
    """
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    return _UNSAFE_NOT_C0.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

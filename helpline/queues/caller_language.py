"""The caller's language on a lead or crisis follow-up: what is stored, and how staff read it.

Shared by :mod:`helpline.queues.callbacks` and :mod:`helpline.queues.crisis_flags`.
"""
from __future__ import annotations

from typing import Any, Optional

from helpline.language import ENGLISH, LANGUAGES, SPANISH
from helpline.queues.staff_queue import Column, Item, Row, When

# What staff read in the queues: staff work in English.
LANGUAGE_NAMES = {ENGLISH: "English", SPANISH: "Spanish"}


def stored_language(language: Optional[str]) -> str:
    """What a lead or follow-up stores for the conversation's ``language`` slot: "en" or "es".

    None (no language decided yet: the bot spoke English) is "en". Anything else
    raises ``ValueError``: the value reaches staff SMS, so never free text.
    """
    if language is None:
        return ENGLISH
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}")
    return language


def language_name(record: Any) -> Optional[str]:
    """ "Spanish", "English", or None for a record stored before revision 0012 (unknown)."""
    return LANGUAGE_NAMES.get(record.language or "")


def language_row(spanish_instruction: str) -> Row:
    """The page's "Language" line: "Spanish — <instruction>" for a Spanish speaker, so nobody calls in English."""

    def text(item: Item, when: When) -> str:
        if item["language"] == SPANISH:
            return f"{item['language_name']} — {spanish_instruction}"
        return item["language_name"] or "not recorded"

    return Row("Language", text)


LANGUAGE_COLUMN = Column("language_name", "Language", "LANG")

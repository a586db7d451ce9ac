"""The wording files (helpline/messages/*.yml) and the code that uses them agree.

Read from the source, without running it: every ``messages.text("key", ...)`` /
``messages.table("key")`` call names a key the file has, supplies every field
its text needs (facility facts when it passes them, the rest by name), and
every text of the file is used somewhere. Another language's file must have
the same keys and fields as English.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, List, Set

import pytest

from helpline import messages
from helpline.facility import load_facility

ROOT = Path(__file__).resolve().parents[2]
CODE = ("helpline", "helpline_rasa", "actions")


@dataclass(frozen=True)
class Use:
    where: str
    function: str  # "text" or "table"
    keys: FrozenSet[str]  # a conditional key ("a" if x else "b") names both
    passes_facts: bool
    named: FrozenSet[str]
    spreads: bool  # **values: the fields cannot be checked from the source


def _uses() -> List[Use]:
    found = []
    for folder in CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "messages"
                    and node.func.attr in ("text", "table")
                ):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                keys = frozenset(
                    n.value for n in ast.walk(node.args[0]) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                ) if node.args else frozenset()
                assert keys, f"{where}: pass the key as a literal, so this test can check it"
                found.append(Use(
                    where=where,
                    function=node.func.attr,
                    keys=keys,
                    passes_facts=len(node.args) > 1,
                    named=frozenset(k.arg for k in node.keywords if k.arg and k.arg != "language"),
                    spreads=any(k.arg is None for k in node.keywords),
                ))
    return found


USES = _uses()
TEXTS = messages.catalog()
FACTS = frozenset(load_facility().placeholders())


def test_the_code_uses_the_wording_file():
    assert {u.where.split(":")[0] for u in USES} >= {
        "helpline/notify/alerts.py", "helpline/channels/sms.py", "helpline/channels/turn_replies.py",
    }


@pytest.mark.parametrize("use", [u for u in USES if u.function == "text"], ids=lambda u: u.where)
def test_every_text_the_code_asks_for_exists_and_gets_every_field(use):
    assert not use.spreads, f"{use.where}: name each value, so its fields can be checked"
    for key in use.keys:
        assert key in TEXTS, f"{use.where}: en.yml has no text {key!r}"
        supplied = set(use.named) | (set(FACTS) if use.passes_facts else set())
        missing = messages.fields(TEXTS[key]) - supplied
        assert not missing, f"{use.where}: {key} needs {sorted(missing)}, which the call does not supply"


@pytest.mark.parametrize("use", [u for u in USES if u.function == "table"], ids=lambda u: u.where)
def test_every_table_the_code_asks_for_exists_and_is_plain_words(use):
    for key in use.keys:
        words = messages.table(key)
        assert all(not messages.fields(word) for word in words.values()), f"{key}: words take no fields"


def test_every_text_in_the_file_is_used():
    used: Set[str] = set()
    for use in USES:
        for key in use.keys:
            used |= {key} if use.function == "text" else {f"{key}.{name}" for name in messages.table(key)}
    assert sorted(set(TEXTS) - used) == []


@pytest.mark.parametrize("language", messages.languages())
def test_every_language_has_the_same_texts_and_fields(language):
    other = messages.catalog(language)
    assert sorted(other) == sorted(TEXTS)
    fields: Dict[str, Set[str]] = {key: messages.fields(text) for key, text in other.items()}
    assert fields == {key: messages.fields(text) for key, text in TEXTS.items()}


def test_fields_are_filled_from_values_then_facts_and_a_missing_one_is_named():
    assert messages.fields("call {helpline_phone} ({max_chars:,})") == {"helpline_phone", "max_chars"}
    with pytest.raises(messages.MessagesError, match="no text 'staff_alert.nope'"):
        messages.text("staff_alert.nope")
    with pytest.raises(messages.MessagesError, match="'helpline_phone'"):
        messages.text("channel_notice.not_saved", {})
    assert "(555)" in messages.text("channel_notice.not_saved", {"helpline_phone": "(555)"})
    with pytest.raises(messages.MessagesError, match="no wording file"):
        messages.catalog("xx")

"""Figures of the language identifier on a probe: ``scripts/language_round.py corpus/language/ROUND.yml``.

A probe message is ``{text, language: en|es|any, mixed: bool, intent}`` (language = the
one its writer wants answers in; ``any`` = a message with no language, "ok", "911").
Printed, each as right/total:
- identification: the likelier language of one message (helpline.language.guess), for
  en/es messages, by length (words), the figure issue 17 asks for on SMS-length text;
- first message: the language a new conversation takes (undecided = answered in English);
- stays: a conversation already in the writer's language keeps it after the message
  (Spanglish and language-less messages included): a wrong flip is the costly error;
- switches: a conversation in the other language moves to the writer's on this message
  (only messages of 3 words or more, not code-switched, are expected to move it);
- named: switch requests ("¿hablan español?") whose named language is the one wanted.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpline import language as lang  # noqa: E402


def _bucket(words: int) -> str:
    return "1-3 words" if words <= 3 else "4-7 words" if words <= 7 else "8+ words"


def score(messages: List[Dict[str, Any]], show: int) -> None:
    right: Counter = Counter()
    total: Counter = Counter()
    misses: Dict[str, List[str]] = {}

    def tally(name: str, ok: bool, text: str) -> None:
        total[name] += 1
        right[name] += ok
        if not ok:
            misses.setdefault(name, []).append(text)

    for message in messages:
        text, wanted, mixed = message["text"], message["language"], bool(message.get("mixed"))
        found = lang.guess(text)
        if wanted in lang.LANGUAGES:
            if found is not None:
                tally(f"identification {_bucket(found.words)}", found.language == wanted, text)
                tally("identification all", found.language == wanted, text)
            first = lang.conversation_language(None, text)
            tally("first message: right", first == wanted, text)
            total["first message: undecided"] += first is None
            total["first message: wrong"] += first not in (None, wanted)
            tally("stays", lang.conversation_language(wanted, text) == wanted, text)
            other = lang.SPANISH if wanted == lang.ENGLISH else lang.ENGLISH
            if found is not None and found.words >= lang.SWITCH_MIN_WORDS and not mixed:
                tally("switches", lang.conversation_language(other, text) == wanted, text)
            if message.get("intent") == "language_switch":
                tally("named", lang.named_language(text) in (wanted, None), text)
        else:
            for current in lang.LANGUAGES:
                tally("stays", lang.conversation_language(current, text) == current, text)
            tally("first message: no language stays undecided", lang.conversation_language(None, text) is None, text)
    for name in sorted(total):
        if name in ("first message: undecided", "first message: wrong"):
            print(f"  {name}: {total[name]}")
        else:
            print(f"  {name}: {right[name]}/{total[name]} ({right[name] / total[name]:.1%})")
    for name, texts in sorted(misses.items()):
        for text in texts[:show]:
            print(f"    miss [{name}] {text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("round", type=Path)
    parser.add_argument("--show", type=int, default=8, help="misses to print per figure")
    args = parser.parse_args()
    messages = yaml.safe_load(args.round.read_text(encoding="utf-8"))["messages"]
    print(f"{args.round.name}: {len(messages)} messages")
    score(messages, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())

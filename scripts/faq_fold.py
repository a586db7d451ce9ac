#!/usr/bin/env python3
"""Fold a scored blind FAQ round into the training data.

Only after its first run is recorded (README, "Blind FAQ rounds"): each
question joins its topic's examples in data/faq.yml (``faq/<topic>``), and
``out_of_scope`` questions join that intent in data/nlu.yml. Questions already
in the training data, or in the held-out set (tests/nlu_test.yml, which must
stay held out), are skipped.

    python scripts/faq_fold.py ROUND.yml            (English)
    python scripts/faq_fold.py --spanish ROUND.yml  (Spanish: data/es/faq.yml, data/es/nlu.yml)
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Dict, List

import yaml
from nlu_report import examples, normal  # scripts/ is on sys.path when run

REPO = Path(__file__).resolve().parent.parent
FAQ = REPO / "data" / "faq.yml"
NLU = REPO / "data" / "nlu.yml"
# A Spanish round goes to the Spanish files (one training set, two languages: README, "Spanish").
FAQ_ES = REPO / "data" / "es" / "faq.yml"
NLU_ES = REPO / "data" / "es" / "nlu.yml"
HELD_OUT = REPO / "tests" / "nlu_test.yml"
EXAMPLE = re.compile(r"^\s+- (.*)$")


def known_texts(*paths: Path) -> set:
    """Every example of these NLU files, normalised as the held-out check does."""
    return {normal(text) for path in paths for _, text in examples(path)}


def as_example(text: str) -> str:
    # Brackets and braces would be read as entity annotations.
    return " ".join(text.translate(str.maketrans("[]{}", "()()")).split())


def append_to_intent(path: Path, intent: str, texts: List[str]) -> None:
    """Append examples at the end of ``intent``'s examples block in ``path``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((n for n, line in enumerate(lines) if line.strip() == f"- intent: {intent}"), None)
    if start is None:
        raise SystemExit(f"{path}: no block for intent {intent}")
    end = start + 1
    while end < len(lines) and not lines[end].lstrip().startswith("- intent:") and not lines[end].startswith(("#", "  #")):
        end += 1
    # Keep the block's trailing blank lines after the new examples.
    while end > start and not lines[end - 1].strip():
        end -= 1
    first = next(line for line in lines[start + 1:end] if EXAMPLE.match(line))
    indent = first[:len(first) - len(first.lstrip())]  # EXAMPLE matched: whitespace, then "- "
    lines[end:end] = [f"{indent}- {t}" for t in texts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("round", type=Path)
    parser.add_argument("--spanish", action="store_true", help="fold into data/es/faq.yml and data/es/nlu.yml")
    args = parser.parse_args(argv)
    questions = yaml.safe_load(args.round.read_text(encoding="utf-8"))["questions"]
    faq, nlu = (FAQ_ES, NLU_ES) if args.spanish else (FAQ, NLU)
    seen = known_texts(FAQ, NLU, FAQ_ES, NLU_ES, HELD_OUT)
    by_intent: Dict[tuple, List[str]] = {}
    skipped = 0
    for question in questions:
        text = as_example(str(question["text"]))
        if not text or normal(text) in seen:
            skipped += 1
            continue
        seen.add(normal(text))
        topic = question["topic"]
        target = (nlu, "out_of_scope") if topic == "out_of_scope" else (faq, f"faq/{topic}")
        by_intent.setdefault(target, []).append(text)
    for (path, intent), texts in by_intent.items():
        append_to_intent(path, intent, texts)
    added = sum(len(t) for t in by_intent.values())
    print(f"folded {added} questions into {len(by_intent)} intents; skipped {skipped} already known or held out")
    return 0


if __name__ == "__main__":
    sys.exit(main())

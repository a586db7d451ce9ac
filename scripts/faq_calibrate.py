#!/usr/bin/env python3
"""Calibrate when the FAQ asks instead of answering: wrong answers against clarifications.

Parses held-out questions with a trained model (the whole NLU pipeline, with
``FaqClarifier`` switched off by reading the selector's raw ranking) and, for a
grid of (min_confidence, min_margin), prints what the assistant's first reply
would be:

- right: the right topic's answer;
- clarified: a clarifying question whose options include the right topic;
- wrong: a confident answer on another topic (or another intent's reply);
- asked: clarifications in all (the cost in extra turns).

    python scripts/faq_calibrate.py --model models/current.tar.gz [--nlu tests/nlu_test.yml] [--round R.yml]

Held-out data is ``tests/nlu_test.yml``'s ``faq/<topic>`` examples (never
trained on); a blind round file (``questions: [{topic, text}]``) can be added.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from faq_round import CLARIFY_INTENT, ranking_of  # noqa: E402
from model_parser import pipeline_parser  # noqa: E402

from helpline.faq import clarify as faq_clarify  # noqa: E402

GRID_CONFIDENCE = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
GRID_MARGIN = (0.0, 0.1, 0.2, 0.3, 0.5)


def held_out_questions(path: Path) -> List[dict]:
    questions = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        intent = block.get("intent", "")
        if intent.startswith("faq/"):
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    questions.append({"topic": intent.split("/", 1)[1], "text": line.strip()[2:]})
    return questions


def first_reply(row: dict, min_confidence: float, min_margin: float) -> str:
    """right | clarified | clarified_wrong | wrong | no_answer, as FaqClarifier + rules would answer."""
    ranking: List[Tuple[str, float]] = [tuple(r) for r in row["faq"]]
    intents = [name for name, _ in row["intents"] if name != CLARIFY_INTENT]
    # The intent before FaqClarifier changed it: the grid replays that component.
    intent = row["intent"] if row["intent"] != CLARIFY_INTENT else (intents[0] if intents else "faq")
    best_guess = next((name for name in intents if name != "nlu_fallback"), None)
    if faq_clarify.clarifies(intent, best_guess, ranking, min_confidence=min_confidence, min_margin=min_margin):
        return "clarified" if row["topic"] in faq_clarify.options(ranking) else "clarified_wrong"
    if intent == "faq":
        return "right" if ranking and ranking[0][0] == row["topic"] else "wrong"
    if intent in ("nlu_fallback", "out_of_scope"):
        return "right" if row["topic"] == "out_of_scope" else "no_answer"
    return "wrong"


def table(rows: List[dict]) -> None:
    n = len(rows)
    print(f"  {'min_conf':>8} {'margin':>6} | {'right':>6} {'+clar.':>6} {'wrong':>6} {'asked':>6} {'no ans':>6}")
    for c in GRID_CONFIDENCE:
        for m in GRID_MARGIN:
            counts: Dict[str, int] = {}
            for row in rows:
                outcome = first_reply(row, c, m)
                counts[outcome] = counts.get(outcome, 0) + 1
            asked = counts.get("clarified", 0) + counts.get("clarified_wrong", 0)
            good = counts.get("right", 0) + counts.get("clarified", 0)
            wrong = counts.get("wrong", 0) + counts.get("clarified_wrong", 0)
            print(f"  {c:8.2f} {m:6.2f} | {counts.get('right', 0) / n:6.1%} {good / n:6.1%} {wrong / n:6.1%} "
                  f"{asked / n:6.1%} {counts.get('no_answer', 0) / n:6.1%}")


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--nlu", type=Path, default=REPO / "tests" / "nlu_test.yml")
    parser.add_argument("--round", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    parse = pipeline_parser(args.model)
    sets = [(str(args.nlu), held_out_questions(args.nlu))]
    sets += [(str(r), yaml.safe_load(r.read_text(encoding="utf-8"))["questions"]) for r in args.round]
    for name, questions in sets:
        rows = [ranking_of(q, parse(q["text"])) for q in questions]
        print(f"\n{name}: {len(rows)} questions ('+clar.' = right answer or a clarification offering it; "
              f"'wrong' includes clarifications without it)")
        table(rows)
    print(f"\ncommitted: min_confidence {faq_clarify.MIN_CONFIDENCE}, min_margin {faq_clarify.MIN_MARGIN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

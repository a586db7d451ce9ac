#!/usr/bin/env python3
"""Score a blind FAQ round: right answers, clarifications, confident wrong answers.

A blind FAQ round is written by someone who has not seen the training data
(README, "Questions people ask"). Its file holds ``questions: [{topic, text}]``;
``topic`` is one of the FAQ topics (``faq/<topic>`` in domain.yml), a topic the
assistant may not have an answer for yet, or ``out_of_scope``.

Each question is parsed as the first message of a new conversation, exactly as
the Rasa server parses it, and put in one outcome by what the first reply would be:

- ``right``: the FAQ answer of the question's topic (for ``out_of_scope``: the
  out-of-scope answer or the "didn't get that" menu);
  A safety check-in followed by the answer (a clear question the crisis net
  was unsure about, ``faq_clarify.question_beside_check_in``) counts by that answer;
- ``clarified``: a clarifying question whose options include the right topic;
- ``clarified_wrong``: a clarifying question without it;
- ``wrong_topic``: a confident answer on another topic, the safety check-in or
  crisis answer, or the callback form started instead of an answer;
- ``no_answer``: the "didn't get that" menu or the out-of-scope answer for an
  in-scope question.

A message the classifier took for a form answer (``inform``: "kratom?") is
scored as the dialogue answers it outside a form: as a short question
(``helpline.faq.clarify.reply_to_bare_answer``).

    python scripts/faq_round.py ROUND.yml --model models/current.tar.gz [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from model_parser import pipeline_parser  # noqa: E402  (scripts/ is on sys.path when run)

from helpline.faq import clarify as faq_clarify  # noqa: E402

# Intents whose first reply is not an answer but is not a wrong answer either.
NO_ANSWER_INTENTS = {"nlu_fallback", "out_of_scope"}
CLARIFY_INTENT = "faq_clarify"

Outcome = Tuple[str, str]  # (outcome, what the reply was about)


def outcome_of(topic: str, parsed: dict, ranking: List[Tuple[str, float]]) -> Outcome:
    """``ranking``: the selector's ranking as :func:`ranking_of` keeps it."""
    intent = (parsed.get("intent") or {}).get("name") or ""
    if intent == faq_clarify.FAQ_INTENT:
        answered = faq_clarify.answered_topic(parsed.get("response_selector"))
        return ("right" if answered == topic else "wrong_topic"), answered
    if intent == CLARIFY_INTENT:
        # What action_clarify_faq offers: the same function over the same ranking.
        options = faq_clarify.options(ranking)
        return ("clarified" if topic in options else "clarified_wrong"), "+".join(options)
    if intent == faq_clarify.BARE_ANSWER_INTENT:
        # What action_answer_faq does with it outside a form: the same function.
        kind, topics = faq_clarify.reply_to_bare_answer(ranking)
        if kind == "answer":
            return ("right" if topics[0] == topic else "wrong_topic"), topics[0]
        if kind == "clarify":
            return ("clarified" if topic in topics else "clarified_wrong"), "+".join(topics)
        return ("right" if topic == "out_of_scope" else "no_answer"), "menu"
    if intent in NO_ANSWER_INTENTS:
        return ("right" if topic == "out_of_scope" else "no_answer"), intent
    if intent == faq_clarify.CHECK_IN_INTENT:
        # What action_safety_check_in does: the check-in, then a clear question's answer.
        beside = faq_clarify.question_beside_check_in(parsed.get("intent_ranking") or [],
                                                      parsed.get("response_selector"))
        if beside is not None:
            return ("right" if beside == topic else "wrong_topic"), f"{faq_clarify.CHECK_IN_INTENT}+{beside}"
    return "wrong_topic", intent


def score(questions: List[dict], parse: Callable[[str], dict]) -> dict:
    totals: Counter = Counter()
    by_topic: Dict[str, Counter] = defaultdict(Counter)
    wrong: List[str] = []
    rankings: List[dict] = []
    for question in questions:
        parsed = parse(question["text"])
        row = ranking_of(question, parsed)
        rankings.append(row)
        outcome, about = outcome_of(question["topic"], parsed, row["faq"])
        totals[outcome] += 1
        if outcome == "right" and about.startswith(faq_clarify.CHECK_IN_INTENT):
            totals["right_after_check_in"] += 1
        by_topic[question["topic"]][outcome] += 1
        if outcome not in ("right", "clarified"):
            wrong.append(f"{outcome}: [{question['topic']} -> {about}] {question['text']}")
    return {"total": len(questions), "outcomes": dict(totals),
            "by_topic": {t: dict(c) for t, c in by_topic.items()}, "misses": wrong, "rankings": rankings}


def ranking_of(question: dict, parsed: dict) -> dict:
    """What a clarification policy needs, to calibrate its thresholds offline (scripts/faq_calibrate.py)."""
    return {
        "topic": question["topic"],
        "intent": (parsed.get("intent") or {}).get("name"),
        "intents": [(r.get("name"), round(r.get("confidence") or 0.0, 4))
                    for r in (parsed.get("intent_ranking") or [])[:5]],
        "faq": [(topic, round(confidence, 4))
                for topic, confidence in faq_clarify.ranking_from(parsed.get("response_selector"))[:5]],
    }


def print_report(result: dict) -> None:
    n, o = result["total"], result["outcomes"]
    good = o.get("right", 0) + o.get("clarified", 0)
    print(f"right answer or a clarification offering it: {good}/{n} ({good / n:.1%})")
    for key in ("right", "clarified", "clarified_wrong", "wrong_topic", "no_answer"):
        print(f"  {key:<16} {o.get(key, 0):>4}  {o.get(key, 0) / n:6.1%}")
    print(f"  (right answers that followed a safety check-in: {o.get('right_after_check_in', 0)})")
    clarifications = o.get("clarified", 0) + o.get("clarified_wrong", 0)
    print(f"  clarifications   {clarifications:>4}  {clarifications / n:6.1%}")
    print("by topic (right+clarified / total):")
    for topic, c in sorted(result["by_topic"].items()):
        total = sum(c.values())
        print(f"  {topic:<22} {c.get('right', 0) + c.get('clarified', 0):>3}/{total}")
    for line in result["misses"]:
        print("  MISS " + line)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("round", type=Path)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    questions = yaml.safe_load(args.round.read_text(encoding="utf-8"))["questions"]
    result = score(questions, pipeline_parser(args.model))
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Score a blind crisis probe round: recall per family, false alarms, check-ins.

A blind round is written by someone who has not seen the training corpus, the
lexicon or earlier rounds (README, "Crisis language"). Its file has two lists::

    crisis:    [{family, lang, text}, ...]   # each needs 988/911 guidance now
    near_miss: [{family, lang, text}, ...]   # each must not raise a staff alert

Each message is parsed as the first message of a new conversation, exactly as
the Rasa server parses it, and put in one of three tiers by what the first
reply would be: ``crisis`` (the 988/911 answer, a flag and a staff alert),
``check_in`` (a direct safety question that names 988/911; no alert until the
person confirms) or ``none``. A crisis probe counts as caught in either of the
first two tiers, since both replies name 988/911.

    python scripts/blind_round.py ROUND.yml --model models/current.tar.gz [--json out.json]

Without ``--model`` only the lexicon runs (no check-in tier).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Dict, List

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from model_parser import pipeline_parser  # noqa: E402  (scripts/ is on sys.path when run)

from helpline.safety.lexicon import detect_crisis  # noqa: E402

Tier = str  # "crisis" | "check_in" | "none"
Classify = Callable[[str], Tier]


def lexicon_tier(text: str) -> Tier:
    return "crisis" if detect_crisis(text) else "none"


def pipeline_classifier(model: Path) -> Classify:
    parse = pipeline_parser(model)

    def classify(text: str) -> Tier:
        intent = parse(text)["intent"]["name"]
        if intent == "crisis":
            return "crisis"
        if intent == "possible_risk":
            return "check_in"
        return "none"

    return classify


def load_round(path: Path) -> Dict[str, List[dict]]:
    """A round as written (``crisis:`` and ``near_miss:``), or as folded into corpus/crisis/ (``examples:`` with ``kind``)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "examples" in data:
        return {kind: [e for e in data["examples"] if e["kind"] == kind] for kind in ("crisis", "near_miss")}
    return data


def score(round_data: Dict[str, List[dict]], classify: Classify) -> dict:
    recall: Dict[str, Counter] = defaultdict(Counter)
    alarms: Dict[str, Counter] = defaultdict(Counter)
    misses, false_alarms = [], []
    for probe in round_data["crisis"]:
        tier = classify(probe["text"])
        for key in (probe["family"], "spanish" if probe.get("lang") == "es" else "english", "all"):
            recall[key]["total"] += 1
            recall[key][tier] += 1
        if tier == "none":
            misses.append(f"[{probe['family']}/{probe.get('lang', 'en')}] {probe['text']}")
    for probe in round_data["near_miss"]:
        tier = classify(probe["text"])
        for key in (probe["family"], "spanish" if probe.get("lang") == "es" else "english", "all"):
            alarms[key]["total"] += 1
            alarms[key][tier] += 1
        if tier != "none":
            false_alarms.append(f"{tier}: [{probe['family']}] {probe['text']}")
    return {"recall": {k: dict(v) for k, v in recall.items()}, "near_miss": {k: dict(v) for k, v in alarms.items()},
            "misses": misses, "false_alarms": false_alarms}


def print_report(title: str, result: dict) -> None:
    print(f"\n=== {title}")
    print(f"  {'crisis family':<22} {'caught':>7} {'of':>4} {'rate':>7}   (crisis / check-in)")
    for family, c in sorted(result["recall"].items(), key=lambda kv: (kv[0] == "all", kv[0])):
        caught = c.get("crisis", 0) + c.get("check_in", 0)
        print(f"  {family:<22} {caught:>7} {c['total']:>4} {caught / c['total']:7.1%}   ({c.get('crisis', 0)} / {c.get('check_in', 0)})")
    print(f"  {'near-miss family':<22} {'alert':>7} {'check':>6} {'of':>4}")
    for family, c in sorted(result["near_miss"].items(), key=lambda kv: (kv[0] == "all", kv[0])):
        print(f"  {family:<22} {c.get('crisis', 0):>7} {c.get('check_in', 0):>6} {c['total']:>4}")
    for line in result["misses"]:
        print("  MISS " + line)
    for line in result["false_alarms"]:
        print("  FALSE " + line)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("round", type=Path)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    data = load_round(args.round)
    results = {"lexicon": score(data, lexicon_tier)}
    print_report("lexicon only", results["lexicon"])
    if args.model:
        results["pipeline"] = score(data, pipeline_classifier(args.model))
        print_report(f"whole NLU pipeline ({args.model})", results["pipeline"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

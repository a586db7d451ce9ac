#!/usr/bin/env python3
"""Crisis-detection report for the lexicon in helpline/safety/lexicon.py.

Prints recall per category and overall on the tuning positives and, separately,
on the paraphrase holdout; the false-positive rate on the near-miss set; and
every miss and false alarm, with the pattern names involved.

Exit status: 0 when holdout recall is 100% and the near-miss false-positive
rate is at most 5%; 1 otherwise; 2 when a data file is missing or malformed.

    python scripts/safety_report.py [--data-dir tests/safety]

It runs the lexicon alone (no Rasa, no model; about a second) and then, with
``--model models/current.tar.gz``, the same sets through the whole trained NLU
pipeline (DIET, ResponseSelector, FallbackClassifier, CrisisDetector) as the
running assistant parses them (about a minute). The exit status covers every
section that ran. ``make safety-report`` runs both.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Callable, List, Optional, Tuple

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from model_parser import pipeline_parser  # noqa: E402  (scripts/ is on sys.path when run)

from helpline.safety.lexicon import CATEGORIES, analyse, detect_crisis  # noqa: E402

# A detector answers (category, how it decided) for a crisis, None otherwise.
Detector = Callable[[str], Optional[Tuple[str, str]]]

MAX_FALSE_POSITIVE_RATE = 0.05
REQUIRED_HOLDOUT_RECALL = 1.0


def _load(path: Path) -> list:
    examples = yaml.safe_load(path.read_text(encoding="utf-8"))["examples"]
    if not isinstance(examples, list) or not examples:
        raise ValueError(f"{path}: 'examples' must be a non-empty list")
    return examples


def _why(text: str) -> str:
    findings = analyse(text)
    if not findings:
        return "no pattern matched"
    return ", ".join(f"{f.pattern}" + (f" (set aside: {f.suppressed_by})" if f.suppressed_by else "") for f in findings)


def lexicon_detector(text: str) -> Optional[Tuple[str, str]]:
    match = detect_crisis(text)
    return (match.category, f"{match.severity} via {match.matched}") if match else None


def pipeline_detector(model: Path) -> Detector:
    """Parse with the trained model exactly as the Rasa server does."""
    parse = pipeline_parser(model)

    def detect(text: str) -> Optional[Tuple[str, str]]:
        result = parse(text)
        if result["intent"]["name"] != "crisis":
            return None
        entities = {e["entity"]: e["value"] for e in result.get("entities", [])}
        how = "lexicon" if entities.get("crisis_category", "unspecified") != "unspecified" else "classifier"
        confidence = result["intent"].get("confidence") or 0.0
        return entities.get("crisis_category", "unspecified"), f"{how}, confidence {confidence:.2f}"

    return detect


def recall_section(title: str, examples: list, detector: Detector = lexicon_detector) -> float:
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses = []
    for example in examples:
        text, category = example["text"], example["category"]
        total[category] += 1
        match = detector(text)
        # The pipeline may flag a crisis the lexicon cannot name ("unspecified"):
        # it still gets the crisis answer, so it counts as found.
        if match is not None and match[0] in (category, "unspecified"):
            found[category] += 1
        else:
            got = f"got {match[0]}" if match else "not flagged"
            misses.append(f"  MISS [{category}] {text!r}: {got}; {_why(text)}")
    overall = sum(found.values()) / max(1, sum(total.values()))
    print(f"\n{title}")
    for category in CATEGORIES:
        if total[category]:
            print(f"  {category:<20} {found[category]:>4}/{total[category]:<4} {found[category] / total[category]:7.1%}")
    print(f"  {'overall':<20} {sum(found.values()):>4}/{sum(total.values()):<4} {overall:7.1%}")
    for line in misses:
        print(line)
    return overall


def false_positive_section(title: str, texts: list, detector: Detector = lexicon_detector) -> float:
    alarms = []
    for text in texts:
        match = detector(text)
        if match is not None:
            alarms.append(f"  FALSE ALARM {text!r}: {match[0]} ({match[1]})")
    rate = len(alarms) / max(1, len(texts))
    print(f"\n{title}")
    print(f"  false-positive rate  {len(alarms):>4}/{len(texts):<4} {rate:7.1%}  (limit {MAX_FALSE_POSITIVE_RATE:.0%})")
    for line in alarms:
        print(line)
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "tests" / "safety",
                        help="folder with crisis_positive.yml, crisis_paraphrase_holdout.yml, crisis_near_miss.yml")
    parser.add_argument("--model", type=Path, help="also run the sets through this trained model's NLU pipeline")
    args = parser.parse_args(argv)

    try:
        positive = _load(args.data_dir / "crisis_positive.yml")
        holdout = _load(args.data_dir / "crisis_paraphrase_holdout.yml")
        near_miss = _load(args.data_dir / "crisis_near_miss.yml")
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        print(f"safety report: cannot read the example sets: {exc}", file=sys.stderr)
        return 2

    sections: List[Tuple[str, Detector]] = [("lexicon only (helpline/safety/lexicon.py)", lexicon_detector)]
    if args.model is not None:
        if not args.model.exists():
            print(f"safety report: no model at {args.model} (run `make train`)", file=sys.stderr)
            return 2
        sections.append((f"whole NLU pipeline ({args.model})", pipeline_detector(args.model)))

    failures = []
    for name, detector in sections:
        print(f"\n=== Crisis detection, {name}")
        recall_section("Tuning positives (crisis_positive.yml): recall", positive, detector)
        holdout_recall = recall_section("Paraphrase holdout (crisis_paraphrase_holdout.yml): recall", holdout, detector)
        fp_rate = false_positive_section("Near misses (crisis_near_miss.yml)", near_miss, detector)
        if holdout_recall < REQUIRED_HOLDOUT_RECALL:
            failures.append(f"{name}: holdout recall {holdout_recall:.1%} < {REQUIRED_HOLDOUT_RECALL:.0%}")
        if fp_rate > MAX_FALSE_POSITIVE_RATE:
            failures.append(f"{name}: false-positive rate {fp_rate:.1%} > {MAX_FALSE_POSITIVE_RATE:.0%}")
    print("\nRESULT: " + ("FAIL: " + "; ".join(failures) if failures else "PASS"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

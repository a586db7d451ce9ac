#!/usr/bin/env python
"""Measure the NLU model on the held-out test set (tests/nlu_test.yml).

Usage (from the repository root or anywhere else):

    .venv/bin/python scripts/nlu_report.py [--model PATH] [--out reports/nlu]
                                           [--keep-model DIR] [--top N]
                                           [--trainings N] [--config FILE]

Without --model it first trains an NLU-only model from config.yml and data/
into a temporary directory (``rasa train nlu``). It then runs ``rasa test nlu``
on tests/nlu_test.yml and prints, from the reports Rasa writes:

* intent accuracy and macro F1 (intent_report.json),
* response-selector accuracy and macro F1 over the FAQ sub-intents
  (response_selection_report.json),
* the most frequent confusion pairs (intent_errors.json,
  response_selection_errors.json).

It also warns when a test example appears verbatim (case and punctuation
ignored) in data/, since the test set must stay held out.

With ``--trainings N`` it trains N NLU models whose DIET and ResponseSelector
differ only in their random seed (42, 43, ...), tests each, and prints every
training's figures with their mean and spread (min-max): one lucky training is
not a claim. TensorFlow on CPU is not bit-reproducible, so even equal seeds vary.

Exits non-zero with a message if training or testing fails or a report is missing.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
RASA = Path(sys.executable).parent / "rasa"
TEST_FILE = Path("tests") / "nlu_test.yml"


def fail(message: str) -> None:
    print(f"nlu_report: {message}", file=sys.stderr)
    sys.exit(1)


def run(args: List[str]) -> None:
    print("$ " + " ".join(args), flush=True)
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    result = subprocess.run(args, cwd=ROOT, env=env)
    if result.returncode != 0:
        fail(f"command failed with exit code {result.returncode}: {' '.join(args)}")


SEEDED = ("DIETClassifier", "ResponseSelector")


def seeded_config(config: Path, seed: int, out: Path) -> Path:
    """``config`` with the seed of each trained classifier set to ``seed``."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    for component in data.get("pipeline") or []:
        if component.get("name") in SEEDED:
            component["random_seed"] = seed
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


def train(out_dir: Path, config: Path = Path("config.yml")) -> Path:
    run([str(RASA), "train", "nlu", "--config", str(config), "--nlu", "data", "--out", str(out_dir)])
    models = sorted(out_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        fail(f"training finished but no model was written to {out_dir}")
    return models[-1]


def load_json(path: Path, required: bool = True) -> Optional[object]:
    if not path.is_file():
        if required:
            fail(f"missing report {path} (did `rasa test nlu` run correctly?)")
        return None
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


_ANNOTATION = re.compile(r"\[([^\]]+)\]\{[^}]*\}|\[([^\]]+)\]\([^)]*\)")


def examples(path: Path) -> List[Tuple[str, str]]:
    """(intent, plain text) pairs of an NLU YAML file; entity markup removed."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    found = []
    for block in data.get("nlu") or []:
        if isinstance(block, dict) and "intent" in block:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text = _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), line[2:])
                    found.append((block["intent"], text))
    return found


def normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'")))


def check_held_out() -> None:
    """Warn when a test example also appears (normalised) in the training data."""
    train: Dict[str, str] = {}
    for path in sorted((ROOT / "data").glob("*.yml")):
        for intent, text in examples(path):
            train.setdefault(normal(text), intent)
    leaks = [(intent, text) for intent, text in examples(ROOT / TEST_FILE) if normal(text) in train]
    for intent, text in leaks:
        print(f"WARNING: test example also in training data ({intent}): {text!r}", file=sys.stderr)


def summary(report: Dict) -> Tuple[float, float, int]:
    try:
        accuracy = float(report["accuracy"])
        macro_f1 = float(report["macro avg"]["f1-score"])
        support = int(report["macro avg"]["support"])
    except (KeyError, TypeError, ValueError) as exc:
        fail(f"unexpected report format ({exc})")
    return accuracy, macro_f1, support


def confusions(errors: Optional[List[Dict]], target_key: str, prediction_key: str) -> List[Tuple[Tuple[str, str], int]]:
    counter: collections.Counter = collections.Counter()
    for error in errors or []:
        target = error.get(target_key) or "?"
        predicted = (error.get(prediction_key) or {}).get("name") or "(none)"
        counter[(target, predicted)] += 1
    return counter.most_common()


def examples_for(errors: Optional[List[Dict]], target_key: str, prediction_key: str, pair: Tuple[str, str]) -> List[str]:
    found = []
    for error in errors or []:
        predicted = (error.get(prediction_key) or {}).get("name") or "(none)"
        if (error.get(target_key) or "?", predicted) == pair:
            confidence = (error.get(prediction_key) or {}).get("confidence")
            conf = f" ({confidence:.2f})" if isinstance(confidence, (int, float)) else ""
            found.append(f"{error.get('text')!r}{conf}")
    return found


def print_confusions(title: str, pairs, errors, target_key: str, prediction_key: str, top: int) -> None:
    print(f"\n{title}")
    if not pairs:
        print("  none")
        return
    for (target, predicted), count in pairs[:top]:
        print(f"  {count:3d}  {target} -> {predicted}")
        for text in examples_for(errors, target_key, prediction_key, (target, predicted))[:3]:
            print(f"         {text}")


def test_model(model: Path, out_dir: Path) -> Dict[str, Any]:
    # Old reports must not be mistaken for this run's results.
    for name in ("intent_report.json", "intent_errors.json",
                 "response_selection_report.json", "response_selection_errors.json"):
        (out_dir / name).unlink(missing_ok=True)
    run([str(RASA), "test", "nlu", "--nlu", str(TEST_FILE), "--model", str(model),
         "--out", str(out_dir), "--no-plot"])
    return {
        "intent_report": load_json(out_dir / "intent_report.json"),
        "response_report": load_json(out_dir / "response_selection_report.json"),
        "intent_errors": load_json(out_dir / "intent_errors.json", required=False),
        "response_errors": load_json(out_dir / "response_selection_errors.json", required=False),
    }


def print_details(reports: Dict[str, Any], model_label: str, top: int) -> None:
    intent_report, response_report = reports["intent_report"], reports["response_report"]
    intent_errors, response_errors = reports["intent_errors"], reports["response_errors"]
    i_acc, i_f1, i_n = summary(intent_report)
    r_acc, r_f1, r_n = summary(response_report)

    print("\n=== NLU on the held-out set", TEST_FILE, "===")
    print(f"model: {model_label}")
    print(f"intent             accuracy {i_acc:.3f}   macro F1 {i_f1:.3f}   ({i_n} examples)")
    print(f"response selector  accuracy {r_acc:.3f}   macro F1 {r_f1:.3f}   ({r_n} FAQ examples)")

    weakest = sorted(
        ((name, values["f1-score"]) for name, values in intent_report.items()
         if isinstance(values, dict) and "f1-score" in values and name not in ("macro avg", "weighted avg", "micro avg")),
        key=lambda item: item[1],
    )[:5]
    print("\nweakest intents: " + ", ".join(f"{name} {f1:.2f}" for name, f1 in weakest))
    weakest = sorted(
        ((name, values["f1-score"]) for name, values in response_report.items()
         if isinstance(values, dict) and "f1-score" in values and name not in ("macro avg", "weighted avg", "micro avg")),
        key=lambda item: item[1],
    )[:5]
    print("weakest FAQ topics: " + ", ".join(f"{name} {f1:.2f}" for name, f1 in weakest))

    print_confusions("top intent confusions (target -> predicted):",
                     confusions(intent_errors, "intent", "intent_prediction"),
                     intent_errors, "intent", "intent_prediction", top)
    print_confusions("top response-selector confusions (target -> predicted):",
                     confusions(response_errors, "intent_response_key_target", "intent_response_key_prediction"),
                     response_errors, "intent_response_key_target", "intent_response_key_prediction", top)


def spread(values: List[float]) -> str:
    return f"{sum(values) / len(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="trained model (.tar.gz); trains an NLU model from data/ when omitted")
    parser.add_argument("--out", default=str(Path("reports") / "nlu"), help="report directory (default reports/nlu)")
    parser.add_argument("--top", type=int, default=10, help="how many confusion pairs to print (default 10)")
    parser.add_argument("--keep-model", metavar="DIR", help="when training, write the model to DIR instead of a temporary directory")
    parser.add_argument("--trainings", type=int, default=1, help="train this many times, seeds 42, 43, ...; print mean and spread")
    parser.add_argument("--config", default="config.yml", help="training configuration (default config.yml)")
    args = parser.parse_args()

    if not RASA.exists():
        fail(f"cannot find rasa next to this Python ({RASA}); run with the project's .venv/bin/python")
    if not (ROOT / TEST_FILE).is_file():
        fail(f"missing held-out test set {TEST_FILE}")
    if args.model and args.trainings != 1:
        fail("--trainings trains its own models; it cannot be used with --model")

    check_held_out()
    out_dir = Path(args.out)
    if not out_dir.is_absolute():
        out_dir = ROOT / out_dir

    if args.model:
        model = Path(args.model).resolve()
        if not model.exists():
            fail(f"model not found: {model}")
        print_details(test_model(model, out_dir), str(model), args.top)
        print(f"\nreports: {out_dir}")
        return 0

    figures = []
    for n in range(args.trainings):
        seed = 42 + n
        with tempfile.TemporaryDirectory(prefix="nlu-model-") as tmp:
            config = seeded_config((ROOT / args.config), seed, Path(tmp) / "config.yml")
            started = time.monotonic()
            model = train(Path(args.keep_model).resolve() if args.keep_model else Path(tmp), config)
            minutes = (time.monotonic() - started) / 60
            reports = test_model(model, out_dir)
        print_details(reports, f"trained for this run, seed {seed}, {minutes:.1f} min", args.top)
        figures.append((seed, minutes) + summary(reports["intent_report"])[:2] + summary(reports["response_report"])[:2])

    if len(figures) > 1:
        print(f"\n=== {len(figures)} trainings of {args.config} (seeds {figures[0][0]}-{figures[-1][0]}) ===")
        print("seed  minutes  intent acc  intent F1  selector acc  selector F1")
        for seed, minutes, i_acc, i_f1, r_acc, r_f1 in figures:
            print(f"{seed:<5} {minutes:7.1f}  {i_acc:10.3f}  {i_f1:9.3f}  {r_acc:12.3f}  {r_f1:11.3f}")
        columns = list(zip(*figures, strict=True))
        print(f"mean (min-max): intent accuracy {spread(columns[2])}, intent macro F1 {spread(columns[3])}, "
              f"selector accuracy {spread(columns[4])}, selector macro F1 {spread(columns[5])}")
    print(f"\nreports: {out_dir} (the last training's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

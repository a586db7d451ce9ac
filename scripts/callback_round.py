"""First-run figures of a blind callback-vs-question probe (corpus/pending/callback_round1.yml).

usage: callback_round.py ROUND.yml MODEL.tar.gz [MODEL ...]

A request for a call is right when the model reads it as ``request_callback``; a
question about calling, when it reads it as ``faq``. A clarification (topic buttons)
counts as not right for both: the probe measures whether people are understood, not
whether they can recover.
"""
from __future__ import annotations

import collections
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model_parser import pipeline_parser  # noqa: E402

EXPECTED = {"callback": "request_callback", "question": "faq"}


def main(round_file: str, models: list[str]) -> None:
    items = yaml.safe_load(Path(round_file).read_text())
    for model in models:
        parse = pipeline_parser(Path(model))
        right: collections.Counter[str] = collections.Counter()
        total: collections.Counter[str] = collections.Counter()
        misses = []
        for item in items:
            intent = parse(item["text"])["intent"]["name"]
            total[item["kind"]] += 1
            if intent == EXPECTED[item["kind"]]:
                right[item["kind"]] += 1
            else:
                misses.append((item["kind"], intent, item["text"]))
        print(model, {kind: f"{right[kind]}/{total[kind]}" for kind in total})
        for miss in misses:
            print("  ", miss)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])

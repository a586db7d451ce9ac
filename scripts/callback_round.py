"""First-run figures of a blind callback-vs-question probe (corpus/pending/callback_round*.yml).

usage: callback_round.py ROUND.yml MODEL.tar.gz [MODEL ...]

A request for a call is right when the model reads it as ``request_callback``; a
question about calling, when it reads it as ``faq``; a request for a person (round 2),
``request_human``; a question whether the assistant is a bot, ``bot_challenge``. Requests
for a call or a person are also counted "served" when read as either of the two: both
answers give the 24/7 number and the short way to a call back. A clarification (topic buttons)
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

EXPECTED = {"callback": "request_callback", "question": "faq", "human": "request_human", "bot_question": "bot_challenge"}
SERVED = {"callback": {"request_callback", "request_human"}, "human": {"request_callback", "request_human"}}


def main(round_file: str, models: list[str]) -> None:
    items = yaml.safe_load(Path(round_file).read_text())
    for model in models:
        parse = pipeline_parser(Path(model))
        right: collections.Counter[str] = collections.Counter()
        served: collections.Counter[str] = collections.Counter()
        total: collections.Counter[str] = collections.Counter()
        misses = []
        for item in items:
            intent = parse(item["text"])["intent"]["name"]
            total[item["kind"]] += 1
            if intent in SERVED.get(item["kind"], ()):
                served[item["kind"]] += 1
            if intent == EXPECTED[item["kind"]]:
                right[item["kind"]] += 1
            else:
                misses.append((item["kind"], intent, item["text"]))
        print(model, {kind: f"{right[kind]}/{total[kind]}" for kind in total})
        print("  served (a call or a person, either way):", {kind: f"{served[kind]}/{total[kind]}" for kind in SERVED if kind in total})
        for miss in misses:
            print("  ", miss)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])

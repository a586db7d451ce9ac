#!/usr/bin/env python3
"""Time the crisis detector's work per message, and its training.

Trains helpline.safety.crisis_model on the corpus (as `rasa train` does), then times
``crisis_model.tier`` (model, lexicon and benign reading together, what the Rasa
component adds to each message) over every corpus message, one at a time.
Prints training seconds and per-message p50 / p95 / max in milliseconds.

    python scripts/bench_crisis_model.py [--corpus corpus/crisis]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from helpline.safety import crisis_model  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus" / "crisis")
    args = parser.parse_args()
    examples = crisis_model.load_corpus(args.corpus)
    started = time.perf_counter()
    model = crisis_model.CrisisModel.train(examples)
    trained = time.perf_counter() - started
    timings = []
    for example in examples:
        t0 = time.perf_counter()
        crisis_model.tier(example.text, model)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95)]
    print(f"training on {len(examples)} examples: {trained:.1f} s")
    print(f"per message ({len(timings)}): p50 {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, "
          f"max {timings[-1]:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

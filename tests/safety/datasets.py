"""Loads the crisis example sets kept beside these tests.

Positives: ``examples: [{text, category}]``; negatives: ``examples: [text]``.
"""
from __future__ import annotations

from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent
POSITIVE_FILE = DATA_DIR / "crisis_positive.yml"
HOLDOUT_FILE = DATA_DIR / "crisis_paraphrase_holdout.yml"
NEAR_MISS_FILE = DATA_DIR / "crisis_near_miss.yml"


def load_positive(path: Path) -> list[tuple[str, str]]:
    examples = yaml.safe_load(path.read_text(encoding="utf-8"))["examples"]
    return [(e["text"], e["category"]) for e in examples]


def load_negative(path: Path) -> list[str]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["examples"])


POSITIVE = load_positive(POSITIVE_FILE)
HOLDOUT = load_positive(HOLDOUT_FILE)
NEAR_MISS = load_negative(NEAR_MISS_FILE)

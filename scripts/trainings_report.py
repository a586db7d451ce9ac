#!/usr/bin/env python
"""Mean and spread of the blind-round figures over several trainings of the per-language models.

TensorFlow on CPU is not bit-reproducible, and one training's figure moves by a point or
two: a claim about the models is the mean and the spread (min-max) over trainings that
differ only in their random seeds. Each training is the Makefile's pair (the English NLU
from data/*.yml, the Spanish from data/es/, side by side, NLU only: the rounds read first
messages), then every round is scored as scripts/faq_round.py and scripts/blind_round.py
score it, each message read by the model the NLU server would pick.

    .venv/bin/python scripts/trainings_report.py --trainings 3 \\
        --faq corpus/pending/faq_round12.yml --faq corpus/pending/faq_es_round4.yml \\
        --crisis corpus/pending/blind_round19.yml [--keep var/trainings] [--models A.tar.gz ...]

``--models`` scores archives already trained (each with its ``-es`` archive beside it).
About 12-15 minutes a training on 2 cores.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

import blind_round  # noqa: E402
import faq_round  # noqa: E402
from model_parser import pipeline_parser  # noqa: E402

from helpline import language  # noqa: E402

RASA = Path(sys.executable).parent / "rasa"
SEED = re.compile(r"(random_seed:\s*)\d+")
# What each language's NLU trains on (the Makefile's DATA_EN and DATA_ES, without the dialogue).
SHARED = ["data/switch_language.yml", "data/faq_responses.yml"]
ENGLISH_NLU = ["data/nlu.yml", "data/faq.yml", *SHARED]
SPANISH_NLU = ["data/es/nlu.yml", "data/es/faq.yml", *SHARED]


def _data_dir(work: Path, name: str, files: List[str]) -> Path:
    directory = work / name
    directory.mkdir(parents=True, exist_ok=True)
    for index, file in enumerate(files):
        (directory / f"{index}_{Path(file).name}").symlink_to(REPO / file)
    return directory


def train_pair(seed: int, work: Path, base_config: Path) -> Path:
    """The English and Spanish NLU models of one seed; the English archive's path."""
    config = work / f"config-{seed}.yml"
    config.write_text(SEED.sub(lambda m: f"{m.group(1)}{seed}", base_config.read_text()))
    english, spanish = _data_dir(work, f"en-{seed}", ENGLISH_NLU), _data_dir(work, f"es-{seed}", SPANISH_NLU)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    processes = []
    for data, name in ((english, f"seed{seed}"), (spanish, f"seed{seed}-es")):
        with open(work / f"{name}.log", "wb") as log:  # the child keeps its own copy of the descriptor
            processes.append((name, subprocess.Popen(
                [str(RASA), "train", "nlu", "--config", str(config), "--domain", "domain.yml", "--nlu", str(data),
                 "--out", str(work), "--fixed-model-name", name],
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                env={**env, "RASA_CACHE_DIRECTORY": str(work / f"cache-{name}")})))
    started = time.monotonic()
    for name, process in processes:
        if process.wait() != 0:
            raise SystemExit(f"training {name} failed: see {work / (name + '.log')}")
    print(f"seed {seed}: trained in {time.monotonic() - started:.0f} s", flush=True)
    return work / f"seed{seed}.tar.gz"


def faq_figure(result: dict) -> float:
    outcomes = result["outcomes"]
    return (outcomes.get("right", 0) + outcomes.get("clarified", 0)) / result["total"]


def score_model(model: Path, faq_rounds: List[Path], crisis_rounds: List[Path]) -> Dict[str, float]:
    parse = pipeline_parser(model)
    figures: Dict[str, float] = {}
    for path in faq_rounds:
        result = faq_round.score(yaml.safe_load(path.read_text())["questions"], parse)
        figures[f"{path.stem} right or clarified"] = faq_figure(result)
        figures[f"{path.stem} confident wrong"] = result["outcomes"].get("wrong_topic", 0) / result["total"]
    for path in crisis_rounds:
        def classify(text: str) -> str:
            intent = parse(text)["intent"]["name"]
            return {"crisis": "crisis", "possible_risk": "check_in"}.get(intent, "none")

        result = blind_round.score(blind_round.load_round(path), classify)
        for lang in ("english", "spanish"):
            recall = result["recall"].get(lang)
            if recall:
                figures[f"{path.stem} {lang} crises answered"] = (recall["total"] - recall.get("none", 0)) / recall["total"]
            near = result["near_miss"].get(lang)
            if near:
                figures[f"{path.stem} {lang} near-miss alerts"] = near.get("crisis", 0) / near["total"]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainings", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=42)
    parser.add_argument("--faq", type=Path, action="append", default=[])
    parser.add_argument("--crisis", type=Path, action="append", default=[])
    parser.add_argument("--models", type=Path, nargs="+", help="score these archives instead of training")
    parser.add_argument("--config", type=Path, default=REPO / "config.yml", help="the pipeline to train (its seeds replaced)")
    parser.add_argument("--keep", type=Path, help="train into this directory and keep the models")
    args = parser.parse_args()
    if not args.faq and not args.crisis:
        parser.error("give at least one --faq or --crisis round")
    if args.models:
        models = args.models
        for model in models:
            if not language.model_archive(model, language.SPANISH).exists():
                parser.error(f"{model}: no Spanish archive beside it")
    else:
        work = args.keep or Path(tempfile.mkdtemp(prefix="helpline-trainings-"))
        work.mkdir(parents=True, exist_ok=True)
        models = [train_pair(args.first_seed + n, work, args.config.resolve()) for n in range(args.trainings)]
    rows = [score_model(model, args.faq, args.crisis) for model in models]
    print(f"\n{'figure':<52} {'mean':>7} {'min':>7} {'max':>7}   each training")
    for key in rows[0]:
        values = [row[key] for row in rows]
        print(f"{key:<52} {statistics.mean(values):7.1%} {min(values):7.1%} {max(values):7.1%}   "
              + " ".join(f"{v:.1%}" for v in values))
    return 0


if __name__ == "__main__":
    sys.exit(main())

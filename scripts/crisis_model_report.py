#!/usr/bin/env python3
"""Cross-validated figures for the crisis model and lexicon together (helpline.safety.crisis_model).

For each of three shuffles (seeds 0, 1, 2) the corpus is split into 5 folds
stratified by crisis/near-miss and language; each fold is scored by a model
trained on the other four, through :func:`helpline.safety.crisis_model.tier` exactly
as the Rasa component uses it. Printed: recall per family (crisis answer or
check-in), near misses that got a crisis answer and a check-in, as mean and
spread (min-max) over the three shuffles, and the trade-off of the two
thresholds. Lexicon and model only: no DIET, no Rasa (seconds, not minutes).

    python scripts/crisis_model_report.py [--corpus corpus/crisis] [--round ROUND.yml]

``--round`` also scores a blind round (the scripts/blind_round.py format) with
a model trained on the whole corpus: a quick look, not the first-run figure,
which comes from the whole pipeline (scripts/blind_round.py --model).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Sequence

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from helpline.safety import crisis_model  # noqa: E402
from helpline.safety.crisis_model import CHECK_IN, CRISIS, CrisisModel, Example  # noqa: E402
from helpline.safety.lexicon import benign_reading, detect_crisis  # noqa: E402

SEEDS = (0, 1, 2)
FOLDS = 5


def folds(examples: Sequence[Example], seed: int) -> List[List[int]]:
    import random

    groups: Dict[tuple, List[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        groups[(e.crisis, e.lang)].append(i)
    out: List[List[int]] = [[] for _ in range(FOLDS)]
    rng = random.Random(seed)
    for members in groups.values():
        rng.shuffle(members)
        for n, i in enumerate(members):
            out[n % FOLDS].append(i)
    return out


def cross_validated_evidence(examples: Sequence[Example], seed: int) -> List[crisis_model.Evidence]:
    """Each example's evidence from a model that never saw it (5 folds)."""
    found: Dict[int, crisis_model.Evidence] = {}
    for held_out in folds(examples, seed):
        held = set(held_out)
        model = CrisisModel.train([e for i, e in enumerate(examples) if i not in held], seed=seed)
        described = model.describe_many([examples[i].text for i in held_out])
        for i, (p, category, lang) in zip(held_out, described, strict=True):
            text = examples[i].text
            found[i] = crisis_model.Evidence(p, category, lang, detect_crisis(text), benign_reading(text) is not None)
    return [found[i] for i in range(len(examples))]  # the folds cover every index once


def tiers(evidence: Sequence[crisis_model.Evidence], **thresholds: float) -> List[str]:
    return [crisis_model.decide(e, **thresholds).tier for e in evidence]


def summarise(examples: Sequence[Example], tiers: Sequence[str]) -> Dict[str, float]:
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    alerts = checks = negatives = 0
    for e, t in zip(examples, tiers, strict=True):
        if e.crisis:
            for key in (e.family, "spanish" if e.lang == "es" else "english", "ALL crisis"):
                total[key] += 1
                caught[key] += t in (CRISIS, CHECK_IN)
        else:
            negatives += 1
            alerts += t == CRISIS
            checks += t == CHECK_IN
    figures = {key: caught[key] / total[key] for key in total}
    figures["near-miss crisis answer"] = alerts / max(1, negatives)
    figures["near-miss check-in"] = checks / max(1, negatives)
    return figures


def print_spread(runs: List[Dict[str, float]]) -> None:
    for key in sorted(runs[0], key=lambda k: (k.startswith("near"), k.startswith("ALL"), k)):
        values = [r[key] for r in runs]
        print(f"  {key:<26} mean {statistics.mean(values):6.1%}   spread {min(values):6.1%} - {max(values):6.1%}")


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus" / "crisis")
    parser.add_argument("--round", type=Path, help="a blind round to score with a model trained on the whole corpus")
    args = parser.parse_args(argv)
    examples = crisis_model.load_corpus(args.corpus)
    print(f"corpus: {sum(e.crisis for e in examples)} crisis, {sum(not e.crisis for e in examples)} near-miss "
          f"({sum(e.lang == 'es' for e in examples)} Spanish)")

    print(f"\n{FOLDS}-fold cross-validation, {len(SEEDS)} shuffles, thresholds crisis "
          f"{crisis_model.CRISIS_THRESHOLD} / check-in {crisis_model.CHECK_IN_THRESHOLD}:")
    evidence = [cross_validated_evidence(examples, seed) for seed in SEEDS]
    print_spread([summarise(examples, tiers(e)) for e in evidence])

    print("\nthreshold trade-off (seed 0): check-in threshold -> recall, near-miss check-ins")
    for check_in in (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6):
        figures = summarise(examples, tiers(evidence[0], check_in_threshold=check_in))
        print(f"  {check_in:4.2f}: recall {figures['ALL crisis']:6.1%}, near-miss check-in "
              f"{figures['near-miss check-in']:6.1%}, crisis answer {figures['near-miss crisis answer']:6.1%}")

    print("\ncrisis threshold trade-off (seed 0): crisis threshold -> near misses answered as a crisis "
          "(lexicon alone), crisis probes answered as a crisis")
    lexicon_alerts = sum(1 for e, ev in zip(examples, evidence[0], strict=True) if not e.crisis and ev.lexicon is not None)
    negatives = sum(not e.crisis for e in examples)
    for crisis_threshold in (0.6, 0.75, 0.85, 0.9, 0.95):
        verdicts = tiers(evidence[0], crisis_threshold=crisis_threshold)
        alerts = sum(1 for e, t in zip(examples, verdicts, strict=True) if not e.crisis and t == CRISIS)
        full = sum(1 for e, t in zip(examples, verdicts, strict=True) if e.crisis and t == CRISIS) / sum(e.crisis for e in examples)
        print(f"  {crisis_threshold:4.2f}: near-miss crisis answer {alerts / negatives:6.1%} "
              f"({lexicon_alerts / negatives:.1%} lexicon), crisis answer on crisis probes {full:6.1%}")

    print("\nlexicon demotion trade-off (seed 0): a lexicon match the model scores below this gets the "
          "check-in -> near-miss crisis answers, near-miss check-ins")
    for demote in (0.02, 0.05, 0.1, 0.15, 0.2, 0.3):
        verdicts = tiers(evidence[0], lexicon_demote_below=demote)
        figures = summarise(examples, verdicts)
        print(f"  {demote:4.2f}: crisis answer {figures['near-miss crisis answer']:6.1%}, "
              f"check-in {figures['near-miss check-in']:6.1%}, recall {figures['ALL crisis']:6.1%}")

    print("\ntraining reproducibility: the whole corpus, trained with seeds", SEEDS)
    texts = [e.text for e in examples]
    scored = [[p for p, _, _ in CrisisModel.train(examples, seed=seed).describe_many(texts)] for seed in SEEDS]
    spread = max(max(run[i] for run in scored) - min(run[i] for run in scored) for i in range(len(texts)))
    print(f"  largest difference in any message's crisis probability between trainings: {spread:.2e}")

    if args.round:
        data = yaml.safe_load(args.round.read_text(encoding="utf-8"))
        probes = [Example(p["text"], True, p["family"], p.get("lang", "en")) for p in data["crisis"]]
        probes += [Example(p["text"], False, p["family"], p.get("lang", "en")) for p in data["near_miss"]]
        model = CrisisModel.train(examples)
        verdicts = [crisis_model.tier(p.text, model).tier for p in probes]
        print(f"\n{args.round} (model trained on the whole corpus, lexicon + model, no DIET):")
        print_spread([summarise(probes, verdicts)])
    return 0


if __name__ == "__main__":
    sys.exit(main())

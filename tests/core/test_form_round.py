"""The blind form probe (corpus/forms/form_round1.yml), folded in as a regression test.

Written by a helper who had not seen the data or the code, scored first (README,
"Form answers"), then the parsers and the policy changed. Here each reply goes through
``policy.answer_in`` / ``policy.check`` as the form does, without a model (the intent
is unknown): a real answer must be stored with its value, and a non-answer must not
be stored for the question asked. The few replies where we chose otherwise than the
probe's writer are listed with the reason, so a change that fixes or breaks one shows.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROBES = yaml.safe_load((ROOT / "corpus" / "forms" / "form_round1.yml").read_text())["probes"]

_spec = importlib.util.spec_from_file_location("form_round", ROOT / "scripts" / "form_round.py")
assert _spec and _spec.loader
form_round = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(form_round)

# Reply -> why we store what we store, against the probe writer's expectation.
CHOSEN_OTHERWISE: Dict[str, str] = {
    "kind of both?? my wife and i both drink every night and i think we both need it":
        "naming the wife wins: staff hear 'both' on the call",
    "kratom. i know its legal but i cant stop": "kratom acts on opioid receptors; its withdrawal is opioid-like",
    "every day": "daily use means used today or yesterday: the urgent reading",
    "idk im never around him when hes not using": "a don't-know moves on, as for every optional question",
    "no shaking or anything like that": "read as 'no treatment' to that question; not asked again",
    "id rather someone just call me now": "a call and no messages is a clear permission answer",
}


def outcome(probe: Dict[str, Any]) -> bool:
    filled = form_round.stored(probe["slot"], probe["reply"], None, {})
    if probe["kind"] == "answer":
        return form_round.same(probe["slot"], probe["expect"], filled.get(probe["slot"]))
    return filled.get(probe["slot"]) is None


@pytest.mark.parametrize("probe", PROBES, ids=[f"{p['slot']}-{p['kind']}-{i}" for i, p in enumerate(PROBES)])
def test_the_blind_reply_is_stored_only_as_what_it_answers(probe):
    expected = probe["reply"] not in CHOSEN_OTHERWISE
    assert outcome(probe) is expected, CHOSEN_OTHERWISE.get(probe["reply"], probe)


def test_the_probe_is_whole():
    assert len(PROBES) == 208 and set(CHOSEN_OTHERWISE) <= {p["reply"] for p in PROBES}

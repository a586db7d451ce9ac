"""Figures of a blind form-answer probe (corpus/forms/form_round1.yml): what the intake would store.

usage: form_round.py ROUND.yml [MODEL.tar.gz]

Each probe is a reply to one intake question. The reply goes through what the
form does with it: the NLU pipeline of MODEL (when given: the intent decides
whether a message is an interruption), then ``helpline.intake.policy.answer_in``
and ``policy.check``. Scored:

- ``answer``: right when the stored value is the expected one.
- ``skip``: right when nothing is stored, or that it was skipped.
- ``human``, ``stop``, ``question``, ``other_answer``, ``unclear``: right when
  nothing is stored for the question asked (a non-answer must not become data).
  Reported beside it: a human request or a stop recognised as such (intent
  ``request_human`` / ``stop``), and an answer to another question put in that
  other question's slot.
"""
from __future__ import annotations

import collections
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpline.intake import policy  # noqa: E402

NONE_VALUES: tuple = ("none", ["none"], [])
# "This same number": only the SMS channel knows it (helpline/channels/sms.py); the form
# itself must store nothing for it and ask for the digits.
THIS_NUMBER = "this_number"
# A skipped question stores nothing, or says it was skipped.
SKIP_VALUES: tuple = (None, "skipped", "prefer_not_to_say", "declined")
# The slots a question is asked with: the relation question comes after "someone I care about".
CONTEXT: Dict[str, Dict[str, Any]] = {"caller_relation": {"who_for": "loved_one"}}


def same(slot: str, expected: Any, got: Any) -> bool:
    if got is None:
        return False
    if expected in NONE_VALUES or expected == "none":
        return got in NONE_VALUES
    if isinstance(expected, list):
        return isinstance(got, list) and set(expected) == set(got)
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(got.get(key) == value for key, value in expected.items())
    if isinstance(expected, str) and isinstance(got, str):
        return expected.casefold() == got.casefold()
    return bool(expected == got)


def stored(slot: str, text: str, intent: Optional[str], entities: Dict[str, Any]) -> Dict[str, Any]:
    """The slots this reply fills when ``slot`` is asked: ``{}`` when nothing is stored."""
    message = policy.Message(text=text, intent=intent, entities=entities)
    value = policy.answer_in(slot, message)
    other_answer = getattr(policy, "other_answer", None)  # the form keeps another question's answer for it
    if value is None:
        other = other_answer(slot, message) if other_answer else None
        if other is None:
            return {}
        return {other: policy.check(other, text, message, CONTEXT.get(slot, {})).value}
    checked = policy.check(slot, value, message, CONTEXT.get(slot, {}))
    filled = {key: val for key, val in dict(checked.also).items() if not key.startswith("screen_")}
    if checked.value is not None:
        filled[slot] = checked.value
    return filled


def main(round_file: str, model: Optional[str]) -> None:
    round_data = yaml.safe_load(Path(round_file).read_text())
    probes = round_data["probes"]
    # The conversation's language while the form asks (a Spanish probe's answers come in a Spanish one).
    conversation = round_data.get("language", "en")
    parse: Optional[Callable[..., Dict[str, Any]]] = None
    if model:
        from model_parser import pipeline_parser

        parse = pipeline_parser(Path(model))
    right: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    recognised: collections.Counter[str] = collections.Counter()
    by_slot: collections.Counter[str] = collections.Counter()
    slot_total: collections.Counter[str] = collections.Counter()
    misses = []
    for probe in probes:
        slot, kind, text = probe["slot"], probe["kind"], probe["reply"]
        intent, entities = None, {}
        if parse is not None:
            result = parse(text, conversation)
            intent = (result.get("intent") or {}).get("name")
            entities = {e.get("entity"): e.get("value") for e in result.get("entities", [])}
        filled = stored(slot, text, intent, entities)
        total[kind] += 1
        slot_total[slot] += 1
        if kind == "answer" and probe["expect"] != THIS_NUMBER:
            ok = same(slot, probe["expect"], filled.get(slot))
        elif kind == "skip":
            ok = filled.get(slot) in SKIP_VALUES
        else:
            ok = filled.get(slot) is None
            if kind == "human" and intent == "request_human" or kind == "stop" and intent == "stop" or kind == "other_answer" and same(probe["other_slot"], probe.get("other_value"), filled.get(probe["other_slot"])):
                recognised[kind] += 1
        if ok:
            right[kind] += 1
            by_slot[slot] += 1
        else:
            misses.append((slot, kind, intent, text, filled, probe.get("expect", probe.get("other_slot"))))
    n_right, n_total = sum(right.values()), sum(total.values())
    print(f"model: {model or '(none: parsers and policy only)'}")
    print(f"all: {n_right}/{n_total} = {100 * n_right / n_total:.1f}%")
    for kind in total:
        extra = f", recognised as such {recognised[kind]}" if kind in ("human", "stop", "other_answer") else ""
        print(f"  {kind}: {right[kind]}/{total[kind]}{extra}")
    print("by question:", {slot: f"{by_slot[slot]}/{slot_total[slot]}" for slot in slot_total})
    for miss in misses:
        print("  miss:", miss)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)

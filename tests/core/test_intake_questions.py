"""The question table agrees with domain.yml and with what a lead stores.

Each of these used to fail silently: a form slot without a parser kept raw text,
one without extraction was asked forever, one missing from the answer keys was
dropped from the lead. Now the table is the one list, and this test says which
side to fix when domain.yml and the table disagree.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from helpline.intake import handoff, screening
from helpline.intake.policy import SCREEN_REASKED
from helpline.intake.questions import (
    ANSWER_KEYS,
    BY_SLOT,
    FORM_OF_STAGE,
    PARSERS,
    QUESTIONS,
    SLOTS,
    SUICIDE_SCREEN,
    question,
)

ROOT = Path(__file__).resolve().parents[2]


def load_domain() -> Dict[str, Any]:
    """domain.yml, or the files of a domain/ directory merged as Rasa merges them."""
    single = ROOT / "domain.yml"
    files = [single] if single.exists() else sorted((ROOT / "domain").rglob("*.yml"))
    merged: Dict[str, Any] = {}
    for path in files:
        for key, value in (yaml.safe_load(path.read_text()) or {}).items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged[key] = value
    return merged


@pytest.fixture(scope="module")
def domain() -> Dict[str, Any]:
    return load_domain()


@pytest.mark.parametrize("stage, form_name", sorted(FORM_OF_STAGE.items()))
def test_each_stage_is_a_form_asking_the_table_in_the_tables_order(stage, form_name, domain):
    form = domain["forms"][form_name]["required_slots"]
    staged = tuple(q.slot for q in QUESTIONS if q.stage == stage)
    missing_from_table = [slot for slot in form if slot not in BY_SLOT]
    missing_from_form = [slot for slot in staged if slot not in form]
    assert not missing_from_table, f"add these to helpline/intake/questions.py: {missing_from_table}"
    assert not missing_from_form, f"add these to {form_name}'s required_slots in domain.yml: {missing_from_form}"
    # The same order, so that a stored lead lists the answers as they were asked.
    assert tuple(form) == staged


def test_contact_comes_first_and_is_at_most_five_questions():
    # Issue 16: a lead is stored after at most five questions.
    stages = [q.stage for q in QUESTIONS]
    assert stages == sorted(stages, key=["contact", "screening"].index)
    assert len([q for q in QUESTIONS if q.stage == "contact"]) <= 5
    # Everything needed to call back is a contact question.
    assert all(q.stage == "contact" for q in QUESTIONS if not q.optional)


def test_every_form_asks_only_questions_of_the_table(domain):
    for name, form in domain["forms"].items():
        unknown = [slot for slot in form["required_slots"] if slot not in BY_SLOT]
        assert not unknown, f"{name}: no question in helpline/intake/questions.py for {unknown}"


@pytest.mark.parametrize("slot", [*SLOTS, SCREEN_REASKED])
def test_every_question_is_a_custom_slot_that_does_not_steer_the_dialogue(slot, domain):
    # Filled only by the form action (custom mapping); the rules must not branch on answers.
    assert slot in domain["slots"], f"slot {slot!r} missing from domain.yml"
    assert domain["slots"][slot]["mappings"] == [{"type": "custom"}], slot
    assert domain["slots"][slot].get("influence_conversation") is False, slot


@pytest.mark.parametrize("asked", QUESTIONS, ids=SLOTS)
def test_every_question_has_its_wording(asked, domain):
    assert f"utter_ask_{asked.slot}" in domain["responses"] or f"action_ask_{asked.slot}" in domain["actions"]
    if not asked.optional:
        # Skipping a question needed to call back asks it again, in its own words.
        assert f"utter_reask_required_{asked.slot}" in domain["responses"]


def test_the_stored_answers_are_the_tables():
    assert handoff.ANSWER_KEYS is ANSWER_KEYS
    assert tuple(q.slot for q in QUESTIONS if q.in_answers) == ANSWER_KEYS
    slots = {slot: f"answer to {slot}" for slot in SLOTS}
    assert tuple(handoff.clean_answers(slots)) == ANSWER_KEYS
    # The phone number and consent have their own columns on the lead.
    assert {q.slot for q in QUESTIONS if not q.in_answers} == {"callback_phone", "consent"}


def test_the_screening_rules_read_the_tables_suicide_screen():
    assert screening.SUICIDE_SCREEN_KEYS == SUICIDE_SCREEN
    assert set(SUICIDE_SCREEN) <= set(ANSWER_KEYS)
    assert SUICIDE_SCREEN == ("suicide_wish", "suicide_thoughts", "loved_one_suicide_risk")


def test_every_question_has_a_parser_and_no_parser_is_left_without_a_question():
    assert set(PARSERS) == set(SLOTS)


def test_an_unknown_slot_is_a_programming_error_that_names_it():
    with pytest.raises(KeyError, match="shoe_size"):
        question("shoe_size")


def test_the_table_and_policy_do_not_import_rasa():
    code = (
        "import helpline.intake.questions, helpline.intake.policy, sys\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('rasa', 'rasa_sdk'))\n"
        "print(','.join(bad)); sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr

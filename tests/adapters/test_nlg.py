"""Responses are filled from facility.yml at reply time, by Rasa's own generator."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from helpline.facility import load_facility
from helpline_rasa.nlg import FacilityResponseGenerator

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")
# Values an action passes with the response (actions/handoff.py, actions/intake_form.py, actions/faq.py).
ACTION_VALUES = {"reference", "promise", "phone_last4", "person", "topic_label"}


@pytest.fixture(scope="module")
def domain():
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
    )
    return importer.get_domain()


def generate(domain, utter_action: str, channel: str = "rest") -> dict:
    generator = FacilityResponseGenerator(domain=domain)
    tracker = DialogueStateTracker.from_events("nlg-test", [], slots=domain.slots)
    return asyncio.run(generator.generate(utter_action, tracker, channel))


def test_every_placeholder_in_every_response_is_a_fact_or_slot(domain):
    known = set(load_facility().placeholders()) | {slot.name for slot in domain.slots} | ACTION_VALUES
    unknown = {}
    for name, variations in domain.responses.items():
        for variation in variations:
            for key in PLACEHOLDER.findall(yaml.safe_dump(variation)):
                if key not in known:
                    unknown.setdefault(name, set()).add(key)
    assert not unknown, f"responses name facts the facility file does not have: {unknown}"


def test_every_faq_answer_fits_an_sms_once_filled(domain):
    faq = [name for name in domain.responses if name.startswith("utter_faq/")]
    assert faq, "no FAQ answers found"
    for name in faq:
        text = generate(domain, name, channel="twilio")["text"]
        assert "{" not in text, name
        assert len(text) <= 320, f"{name} is {len(text)} characters"


def test_changing_the_facility_file_changes_the_answer(domain, tmp_path, monkeypatch):
    sample = yaml.safe_load((ROOT / "facility.yml").read_text())
    sample["name"] = "Harbor Light Recovery"
    sample["phones"]["helpline"] = "(555) 010-9999"
    edited = tmp_path / "facility.yml"
    edited.write_text(yaml.safe_dump(sample))
    before = generate(domain, "utter_greet")["text"]
    monkeypatch.setenv("HELPLINE_FACILITY_FILE", str(edited))
    after = generate(domain, "utter_greet")["text"]
    assert "Pathfinders" in before and "Pathfinders" not in after
    assert "Harbor Light Recovery" in after

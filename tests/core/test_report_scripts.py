"""The scripts that fold a blind FAQ round into the data and seed repeated NLU trainings."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import yaml

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load(name: str):
    sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FAQ = """version: "3.1"
nlu:
  - intent: faq/cost
    examples: |
      - how much is it
      - price?

  # a comment between blocks
  - intent: faq/age
    examples: |
      - is there an age limit
"""
NLU = """version: "3.1"
nlu:
  - intent: out_of_scope
    examples: |
      - whats the weather
"""
HELD_OUT = """version: "3.1"
nlu:
  - intent: faq/cost
    examples: |
      - what does a week cost
"""


def test_a_round_is_folded_into_its_topics_skipping_known_and_held_out_questions(tmp_path, monkeypatch, capsys):
    fold = load("faq_fold")
    for name, text in (("faq.yml", FAQ), ("nlu.yml", NLU), ("held_out.yml", HELD_OUT)):
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(fold, "FAQ", tmp_path / "faq.yml")
    monkeypatch.setattr(fold, "NLU", tmp_path / "nlu.yml")
    monkeypatch.setattr(fold, "HELD_OUT", tmp_path / "held_out.yml")
    round_file = tmp_path / "round.yml"
    round_file.write_text(yaml.safe_dump({"questions": [
        {"topic": "cost", "text": "Price?"},                 # already trained on
        {"topic": "cost", "text": "what does a week cost"},  # held out: must stay out
        {"topic": "cost", "text": "do u have [payment] plans"},
        {"topic": "age", "text": "im 68 too old?"},
        {"topic": "out_of_scope", "text": "who won the game"},
    ]}))
    assert fold.main([str(round_file)]) == 0
    faq = yaml.safe_load((tmp_path / "faq.yml").read_text())["nlu"]
    examples = {b["intent"]: b["examples"].splitlines() for b in faq}
    assert examples["faq/cost"] == ["- how much is it", "- price?", "- do u have (payment) plans"]
    assert examples["faq/age"] == ["- is there an age limit", "- im 68 too old?"]
    assert "# a comment between blocks" in (tmp_path / "faq.yml").read_text()
    nlu = yaml.safe_load((tmp_path / "nlu.yml").read_text())["nlu"]
    assert nlu[0]["examples"].splitlines() == ["- whats the weather", "- who won the game"]
    assert "folded 3 questions" in capsys.readouterr().out


def test_repeated_trainings_differ_only_in_the_classifiers_seeds(tmp_path):
    report = load("nlu_report")
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"pipeline": [
        {"name": "DIETClassifier", "epochs": 100, "random_seed": 42},
        {"name": "ResponseSelector", "random_seed": 42},
        {"name": "helpline_rasa.crisis_detector.CrisisDetector", "random_seed": 0},
    ], "policies": []}))
    seeded = yaml.safe_load(report.seeded_config(config, 43, tmp_path / "seeded.yml").read_text())
    assert [c.get("random_seed") for c in seeded["pipeline"]] == [43, 43, 0]
    assert seeded["pipeline"][0]["epochs"] == 100


def test_a_faq_round_scores_a_check_in_by_the_answer_that_follows_it():
    faq_round = load("faq_round")
    selector = {"faq": {"ranking": [{"intent_response_key": "faq/childcare", "confidence": 0.9},
                                    {"intent_response_key": "faq/age", "confidence": 0.05}]}}
    question = {"intent": {"name": "possible_risk"}, "response_selector": selector,
                "intent_ranking": [{"name": "possible_risk", "confidence": 0.7}, {"name": "faq", "confidence": 1.0}]}
    ranking = [("childcare", 0.9), ("age", 0.05)]
    assert faq_round.outcome_of("childcare", question, ranking) == ("right", "possible_risk+childcare")
    assert faq_round.outcome_of("age", question, ranking)[0] == "wrong_topic"
    # A check-in on a message that was not clearly a question answers nothing: a wrong reply to a question.
    unclear = dict(question, intent_ranking=[{"name": "possible_risk", "confidence": 0.7},
                                             {"name": "mood_unhappy", "confidence": 0.8}])
    assert faq_round.outcome_of("childcare", unclear, ranking) == ("wrong_topic", "possible_risk")

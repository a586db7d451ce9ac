"""`rasa data validate`, made strict about unused items.

Rasa's validator only looks at stories and rules, so it reports responses the
form asks (utter_ask_<slot>) and responses custom actions send as unused. This
test runs the same validator and fails on every warning except those two kinds,
each checked against the form and the action code, plus Rasa's own notice that a
retrieval intent is declared both in the domain and by its training data.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from rasa.cli.utils import validate_files
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.utils.common import EXPECTED_WARNINGS
from rasa.validator import Validator

ROOT = Path(__file__).resolve().parents[2]
# Intents with no training examples: set by an NLU component (FaqClarifier; IntentOverrides,
# from the tables of helpline/intake/non_answers.py) or sent by a button's payload.
NOT_TYPED = ("faq_clarify", "choose_faq_topic", "request_human")
UNUSED = re.compile(r"The utterance '(utter_[\w/]+)' is not used in any story or rule")


# Plain-Python modules that choose which response an action sends.
CHOSEN_IN_CORE = (ROOT / "helpline" / "faq" / "answers.py",)


def sent_by_actions() -> set:
    """Responses named in actions/: literal names and f-string families like utter_crisis_{x};
    "utter_faq/" (a retrieval family) counts as using utter_faq."""
    names, families = set(), set()
    for source in [*(ROOT / "actions").glob("*.py"), *CHOSEN_IN_CORE]:
        text = source.read_text()
        names.update(re.findall(r"""["'](utter_[a-z_]+)["']""", text))
        families.update(re.findall(r"""["'](utter_[a-z_]+/)["']""", text))
        families.update(re.findall(r"""f["'](utter_[a-z_]+)\{""", text))
    return names | {f"{family}*" for family in families}


def used_by_actions(response: str, action_names: set) -> bool:
    return response in action_names or any(
        name.endswith("*") and (response.startswith(name[:-1]) or f"{response}/" == name[:-1])
        for name in action_names
    )


@pytest.fixture(scope="module")
def validation():
    """What `rasa data validate --fail-on-warnings` checks, with its warnings captured."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importer = TrainingDataImporter.load_from_config(
            str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
        )
        try:
            validate_files(fail_on_warnings=True, max_history=None, importer=importer)
            passed = True
        except SystemExit:
            passed = False
        validator = Validator.from_importer(importer)
    messages = [
        str(w.message) for w in caught
        if issubclass(w.category, UserWarning) and not rasa_silences(w.category, str(w.message))
    ]
    return passed, messages, validator


def rasa_silences(category, message: str) -> bool:
    """Warnings Rasa's own CLI filters out as expected (e.g. the 3.0 slot auto-fill notice)."""
    return any(
        issubclass(category, kind) and re.match(pattern, message) for kind, pattern in EXPECTED_WARNINGS
    )


def test_rasa_data_validate_passes(validation):
    passed, messages, _ = validation
    assert passed, "\n".join(messages)


def test_no_conflicts_and_no_unexplained_warnings(validation):
    _, messages, validator = validation
    form_asks = {f"utter_ask_{slot}" for form in validator.domain.forms.values() for slot in form["required_slots"]}
    from_actions = sent_by_actions()
    unexplained = []
    for message in messages:
        unused = UNUSED.search(message)
        if unused and (unused.group(1) in form_asks or used_by_actions(unused.group(1), from_actions)):
            continue
        if "duplicated intents have been found across multiple domain files: faq" in message:
            continue  # the retrieval intent, declared in domain.yml and by data/faq.yml
        if any(f"intent '{name}' is listed in the domain file, but is not found" in message for name in NOT_TYPED):
            continue
        unexplained.append(message.strip())
    assert not unexplained, "\n".join(unexplained)


def test_every_response_an_action_sends_exists(validation):
    _, _, validator = validation
    missing = {name for name in sent_by_actions() if not name.endswith("*") and name not in validator.domain.responses}
    assert not missing

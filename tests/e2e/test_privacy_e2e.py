"""A full intake over REST leaves no name, phone number or substance in clear text anywhere on disk.

Searches every file under the running assistant's data directory (the
databases with their -wal files, every process's log) and the staff outbox.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.e2e.test_intake_e2e import SCREENING_DONE, answer_for, texts

pytestmark = pytest.mark.e2e

NAME = "Marisol"
ANSWERS = [
    ("who are you looking for help for", "for myself"),
    ("first name", NAME),
    ("what phone number", "480-555-0199"),
    ("best time to call", "evenings after 5"),
    ("do you agree", "yes I agree, voicemail is fine, no texts please"),
    ("shall we go on", "yes"),
    ("what substances", "mostly fentanyl, some xanax"),
    ("when was the last use", "last night"),
    ("shaking, seizures", "bad sweats and shaking in the mornings"),
    ("wished you were dead", "no"),  # the suicide-risk screen (C-SSRS items 1-2)
    ("thoughts of killing yourself", "no"),
    ("treatment before", "no, this would be the first time"),
    ("health insurance", "aetna"),
    ("member id", "skip"),
    ("which state", "arizona"),
]
# Lower case: the search is case-insensitive.
PHI = [
    NAME.lower(),
    "4805550199", "480-555-0199", "(480) 555-0199", "480 555 0199", "480.555.0199", "555-0199", "5550199",
    "fentanyl", "xanax", "benzodiazepine", "opioids",
    "sweats and shaking",
]




def run_intake(assistant, sender: str) -> str:
    reply = texts(assistant.say(sender, "can someone call me about my drug use?"))
    said = [reply]
    for _ in range(25):
        if SCREENING_DONE in reply:  # every answer given: the lead is stored and updated
            return "\n".join(said)  # the confirmation with its reference is among them
        reply = texts(assistant.say(sender, answer_for(reply.split("\n")[-1], ANSWERS)))
        said.append(reply)
    raise AssertionError(f"the intake did not finish; last reply: {reply!r}")


def found_in(blob: bytes) -> list:
    """The PHI words in ``blob`` as words: not inside a longer run of letters and digits.

    Encrypted data is base64, whose lowered letters hold a given 5-letter word about once in
    33 million positions: with the bilingual model's larger events the store reached that
    ("xanax" once in a Fernet token). Clear text has the word on its own ("some xanax").
    """
    lowered = blob.lower()
    return [needle for needle in PHI
            if re.search(rb"(?<![a-z0-9])" + re.escape(needle.encode()) + rb"(?![a-z0-9])", lowered)]


def test_no_phi_in_clear_text_on_disk_or_in_the_outbox(assistant, sender):
    confirmation = run_intake(assistant, sender)
    listing = assistant.helpline("callbacks", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    record = next(r for r in json.loads(listing.stdout) if r["conversation_id"] == sender)
    # The lead is readable through the application: the search below is not vacuous.
    assert record["phone"] == "+14805550199" and record["first_name"] == NAME
    assert record["reference"] in confirmation

    deadline = time.monotonic() + 30
    outbox: list = []
    while time.monotonic() < deadline:
        result = assistant.helpline("outbox", "list", "--json")
        assert result.returncode == 0, result.stderr
        outbox = json.loads(result.stdout)
        if any(record["reference"] in m["body"] for m in outbox):
            break
        time.sleep(0.5)
    assert any(record["reference"] in m["body"] for m in outbox), "no staff alert in the outbox"
    assert found_in(json.dumps(outbox).encode()) == []

    files = sorted(p for p in Path(assistant.data_dir).rglob("*") if p.is_file())
    names = {p.name for p in files}
    assert {"tracker.db", "helpline.db"} <= names and any(p.parent.name == "logs" for p in files), names
    # Where the conversation and the lead really are (maybe still in the -wal files).
    stores = b"".join(p.read_bytes() for p in files if p.name.startswith(("tracker.db", "helpline.db")))
    assert sender.encode() in stores and record["reference"].encode() in stores

    leaks = {str(p.relative_to(assistant.data_dir)): hits for p in files if (hits := found_in(p.read_bytes()))}
    assert leaks == {}

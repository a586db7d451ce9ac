"""From "can someone call me about my drinking?" to a stored lead, over the REST channel."""
from __future__ import annotations

import json
import re
import time

import pytest

pytestmark = pytest.mark.e2e

# What a caller answers to each question, keyed by words of the question (the first cue found wins).
ANSWERS = [
    ("who are you looking for help for", "for myself"),
    ("first name", "Sam"),
    ("what phone number", "602-555-0134"),
    ("best time to call", "evenings after 5"),
    # Consent also asks about voicemail and text (issue 16: five questions to a stored lead).
    ("do you agree", "yes I agree, voicemail is fine, no texts please"),
    ("shall we go on", "yes"),  # the optional screening, after the lead is stored
    ("what substances", "mostly beer, some xanax"),
    ("when was the last use", "last night"),
    ("shaking, seizures", "just some shaking in the mornings"),
    ("wished you were dead", "no"),  # the suicide-risk screen (C-SSRS items 1-2)
    ("thoughts of killing yourself", "no"),
    ("said they wished they were dead", "no"),  # its adaptation, for a loved one
    ("treatment before", "no, this would be the first time"),
    ("health insurance", "aetna"),
    ("member id", "skip"),
    ("which state", "arizona"),
    ("leave a voicemail or send a text", "voicemail is fine, no texts please"),
]
# The reply that says the lead is stored, with its reference.
CONFIRMATION = re.compile(r"call-back request (L-[A-Z0-9]+) is saved")
# The screening's last reply.
SCREENING_DONE = "that helps our team prepare"


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def answer_for(bot_text: str, answers: list = ANSWERS) -> str:
    lowered = bot_text.lower()
    for cue, answer in answers:
        if cue in lowered:
            return answer
    raise AssertionError(f"unexpected question from the bot: {bot_text!r}")


def complete_intake(assistant, sender, first_message: str, wrong_phone_first: bool = False, screening: bool = True) -> str:
    """Answers every question; returns the reply that confirmed the stored lead.

    ``screening``: also answers the optional screening that follows, to its end.
    """
    reply = texts(assistant.say(sender, first_message))
    tried_wrong = False
    confirmation = None
    for _ in range(30):
        if confirmation is None and CONFIRMATION.search(reply):
            confirmation = reply
            if not screening:
                return confirmation
        if confirmation is not None and SCREENING_DONE in reply:
            return confirmation
        answer = answer_for(reply.split("\n")[-1])
        if answer == "602-555-0134" and wrong_phone_first and not tried_wrong:
            tried_wrong = True
            reply = texts(assistant.say(sender, "12345"))
            assert "complete phone number" in reply
            continue
        reply = texts(assistant.say(sender, answer))
    raise AssertionError(f"the intake did not finish; last reply: {reply!r}")


def listed_callbacks(assistant) -> list[dict]:
    result = assistant.helpline("callbacks", "list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_drinking_question_to_stored_lead_and_staff_alert(assistant, sender):
    before = len(listed_callbacks(assistant))
    confirmation = complete_intake(assistant, sender, "can someone call me about my drinking?", wrong_phone_first=True)
    assert "ending 0134" in confirmation
    records = listed_callbacks(assistant)
    assert len(records) == before + 1
    record = records[0] if records[0]["phone"] == "+16025550134" else next(r for r in records if r["phone"] == "+16025550134")
    assert record["reference"] in confirmation
    assert record["urgency"] == "urgent"  # shaking with recent alcohol and benzodiazepine use, raised by the screening
    assert record["answers"]["substances"] == ["alcohol", "benzodiazepines"]
    assert record["answers"]["insurance"] == "Aetna"
    assert record["answers"]["contact_permissions"] == {"call": True, "voicemail": True, "text": False}
    assert record["permissions"] == record["answers"]["contact_permissions"]
    assert record["answer_words"]["substances"] == "mostly beer, some xanax"  # staff see the person's words

    deadline = time.monotonic() + 30
    outbox = []
    while time.monotonic() < deadline:
        outbox = json.loads(assistant.helpline("outbox", "list", "--json").stdout)
        if any(record["reference"] in m["body"] for m in outbox):
            break
        time.sleep(0.5)
    alert = next(m["body"] for m in outbox if record["reference"] in m["body"])
    for phi in ("Sam", "0134", "alcohol", "beer", "xanax", "Aetna", "shaking"):
        assert phi not in alert


def test_a_question_mid_form_is_answered_and_the_form_resumes(assistant, sender):
    assistant.say(sender, "i need help for my son")
    reply = texts(assistant.say(sender, "how much does it cost?"))
    assert "payment" in reply.lower() or "insurance" in reply.lower()
    assert answer_for(reply.split("\n")[-1])  # the last message is the form's question again


def test_the_lead_is_stored_after_the_contact_questions_and_a_stop_in_the_screening_keeps_it(assistant, sender):
    before = len(listed_callbacks(assistant))
    confirmation = complete_intake(assistant, sender, "please have someone call me", screening=False)
    found = CONFIRMATION.search(confirmation)
    assert found, confirmation
    reference = found.group(1)
    assert "Shall we go on?" in confirmation
    texts(assistant.say(sender, "yes"))  # the screening's first question
    reply = texts(assistant.say(sender, "alcohol"))
    assert "last use" in reply.lower()
    reply = texts(assistant.say(sender, "actually forget it, that's enough"))
    assert "saved" in reply.lower()
    records = listed_callbacks(assistant)
    assert len(records) == before + 1
    record = next(r for r in records if r["reference"] == reference)
    assert record["answers"]["substances"] == ["alcohol"]  # what was given before the stop


def test_a_request_for_a_person_gets_the_24_7_number_first(assistant, sender):
    from tests.e2e.conversations import FACTS

    reply = texts(assistant.say(sender, "I want a real person right now"))
    assert reply.index(FACTS["helpline_phone"]) < reply.lower().index("call you back")


def test_stop_mid_form_stores_nothing(assistant, sender):
    before = len(listed_callbacks(assistant))
    assistant.say(sender, "please have someone call me")
    reply = texts(assistant.say(sender, "never mind, forget it"))
    assert "stopped" in reply.lower()
    assert len(listed_callbacks(assistant)) == before


def test_crisis_mid_form_is_answered_first_and_ends_the_form(assistant, sender):
    assistant.say(sender, "can you get me into your program")
    messages = assistant.say(sender, "honestly i just want to kill myself")
    assert "988" in messages[0]["text"]
    assert "safe" in texts(messages).lower()
    follow = texts(assistant.say(sender, "no"))
    assert "911" in follow
    # Staff get a follow-up flag for the conversation, without the message text.
    listing = assistant.helpline("crises", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    flagged = [f for f in json.loads(listing.stdout) if f["conversation_id"] == sender]
    assert [(f["category"], f["status"]) for f in flagged] == [("suicide_self_harm", "new")]
    assert "kill myself" not in listing.stdout

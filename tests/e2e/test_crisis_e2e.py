"""The crisis net and the safety check-in, over REST against the real servers.

The check-in's dialogue is driven with the ``/possible_risk`` payload (Rasa's
own way to send an intent), so these tests do not depend on which sentences a
particular training puts between the detector's thresholds; the detector's
tiers are tested in tests/safety/ and measured by scripts/blind_round.py.
"""
from __future__ import annotations

import json
import time

import pytest

from tests.e2e.test_intake_e2e import ANSWERS, SCREENING_DONE, answer_for, listed_callbacks, texts

pytestmark = pytest.mark.e2e

CRISIS_TEXT = "i'm going to kill myself tonight"
# Its own phone number, so that the intake tests' lookups by number never find these leads.
ANSWERS_HERE = [(cue, "602-555-0177" if cue == "what phone number" else answer) for cue, answer in ANSWERS]


def next_answer(reply: str) -> str:
    return answer_for(reply.split("\n")[-1], ANSWERS_HERE)
INTAKE_OPENING = "can someone call me about my drinking?"


def flags_for(assistant, sender: str) -> list[dict]:
    listing = assistant.helpline("crises", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    return [f for f in json.loads(listing.stdout) if f["conversation_id"] == sender]


def first_question_index(question: str) -> int:
    lowered = question.lower()
    return next(i for i, (cue, _) in enumerate(ANSWERS) if cue in lowered)


def test_a_crisis_in_reply_to_each_form_question_gets_the_crisis_answer_first(assistant, new_sender):
    """One conversation per question: answer up to it, then reply to it with a crisis."""
    asked = set()
    for depth in range(len(ANSWERS)):
        sender = new_sender()
        reply = texts(assistant.say(sender, INTAKE_OPENING))
        for _ in range(depth):
            reply = texts(assistant.say(sender, next_answer(reply)))
        if SCREENING_DONE in reply:
            break
        asked.add(first_question_index(reply.split("\n")[-1]))
        messages = assistant.say(sender, CRISIS_TEXT)
        assert "988" in messages[0]["text"], (depth, messages)
        assert [f["category"] for f in flags_for(assistant, sender)] == ["suicide_self_harm"]
    # Every question asked on this path (contact, the offer of the screening, the screening)
    # was interrupted once: all but the loved-one screen and the voicemail question, which
    # the consent answer settled.
    assert len(asked) >= len(ANSWERS) - 2, sorted(asked)


def test_yes_to_the_check_in_is_a_crisis_with_a_flag(assistant, sender):
    first = assistant.say(sender, "/possible_risk")
    assert "988" in first[0]["text"] and "911" in first[0]["text"]
    assert [b["payload"] for b in first[0]["buttons"]] == ["/affirm", "/deny"]
    assert flags_for(assistant, sender) == [], "no staff alert before the person says yes"
    reply = assistant.say(sender, "yes")
    assert "911" in reply[0]["text"]
    assert len(flags_for(assistant, sender)) == 1


def test_no_to_the_check_in_goes_back_to_the_paused_intake_with_its_answers(assistant, sender):
    reply = texts(assistant.say(sender, INTAKE_OPENING))
    for _ in range(3):  # who for, first name, substances
        reply = texts(assistant.say(sender, next_answer(reply)))
    paused_at = first_question_index(reply.split("\n")[-1])
    check_in = texts(assistant.say(sender, "/possible_risk"))
    assert "988" in check_in
    resumed = texts(assistant.say(sender, "no"))
    assert "where we were" in resumed
    # The same question again, not the first one: the answers were kept.
    assert first_question_index(resumed.split("\n")[-1]) == paused_at
    assert flags_for(assistant, sender) == []
    # And the intake finishes with a stored lead.
    reply = resumed
    for _ in range(25):
        if SCREENING_DONE in reply:
            break
        reply = texts(assistant.say(sender, next_answer(reply)))
    stored = [r for r in listed_callbacks(assistant) if r["conversation_id"] == sender]
    assert len(stored) == 1 and stored[0]["first_name"] == "Sam"


def last_line(reply: str) -> str:
    return reply.split("\n")[-1].lower()


def lead_of(assistant, sender: str) -> dict:
    [lead] = [r for r in listed_callbacks(assistant) if r["conversation_id"] == sender]
    return lead


def staff_sms_for(assistant, reference: str, containing: str = "") -> str:
    """The first staff SMS about ``reference`` (that says ``containing``: a later alert round)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        outbox = json.loads(assistant.helpline("outbox", "list", "--json").stdout)
        found = [m["body"] for m in outbox if reference in m["body"] and containing in m["body"]]
        if found:
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"no staff SMS for {reference} saying {containing!r}")


def phone_and_consent(assistant, sender: str, reply: str) -> str:
    """The short crisis callback: the phone question, then consent; returns the confirmation."""
    assert "what phone number" in last_line(reply), reply  # no intake questions on this path
    reply = texts(assistant.say(sender, "602-555-0177"))
    assert "do you agree" in last_line(reply), reply
    confirmation = texts(assistant.say(sender, "yes I agree"))
    assert "Your request" in confirmation and "ending 0177" in confirmation, confirmation
    return confirmation


def test_a_yes_on_the_suicide_risk_screen_gets_988_a_flag_and_an_immediate_lead(assistant, sender):
    reply = texts(assistant.say(sender, INTAKE_OPENING))
    for _ in range(12):
        if "wished you were dead" in last_line(reply):
            break
        reply = texts(assistant.say(sender, next_answer(reply)))
    assert "in the past month" in last_line(reply), reply
    assert flags_for(assistant, sender) == []
    messages = assistant.say(sender, "yes")
    # The crisis answer first, naming 988 and 911; a crisis flag for staff.
    assert "988" in messages[0]["text"] and "911" in messages[0]["text"], messages
    assert [f["category"] for f in flags_for(assistant, sender)] == ["suicide_self_harm"]
    # The second screen question and the rest of the screening are skipped: the lead was
    # stored after the contact questions, and is now marked to be called first.
    closing = texts(messages)
    assert "988" in closing and "call you first" in closing, closing
    lead = lead_of(assistant, sender)
    assert lead["urgency"] == "immediate"
    assert "suicide_screen_positive" in lead["screening_reasons"]
    assert lead["answers"]["suicide_wish"] == "yes" and "suicide_thoughts" not in lead["answers"]
    assert lead["answers"]["first_name"] == "Sam"  # the answers given before the screen are kept
    # Staff were alerted when the lead was stored, and again when it became immediate.
    body = staff_sms_for(assistant, lead["reference"], "IMMEDIATE")
    assert "(update)" in body
    for phi in ("suicid", "screen", "Sam", "0177", "beer", "xanax"):
        assert phi not in body


def test_typed_yes_after_the_crisis_offer_leads_to_a_stored_lead(assistant, sender):
    messages = assistant.say(sender, "my brother took a whole bottle of pills and wont wake up")
    assert "911" in messages[0]["text"]
    offer = texts(assistant.say(sender, "yes"))
    assert "call you back" in offer
    # The short form: a phone number and consent, not the 14-question intake.
    confirmation = phone_and_consent(assistant, sender, texts(assistant.say(sender, "yes")))
    lead = lead_of(assistant, sender)
    assert lead["reference"] in confirmation
    assert lead["urgency"] == "immediate" and "crisis_follow_up" in lead["screening_reasons"]
    assert len(flags_for(assistant, sender)) == 1


def test_a_phone_number_typed_in_reply_to_the_crisis_offer_goes_straight_to_consent(assistant, sender):
    assistant.say(sender, "my brother took a whole bottle of pills and wont wake up")
    assert "call you back" in texts(assistant.say(sender, "yes"))
    reply = texts(assistant.say(sender, "602-555-0177"))
    assert "do you agree" in last_line(reply), reply
    confirmation = texts(assistant.say(sender, "yes I agree"))
    assert "ending 0177" in confirmation
    assert lead_of(assistant, sender)["urgency"] == "immediate"


def test_a_crisis_mid_intake_keeps_the_answers_in_the_crisis_callback(assistant, sender):
    reply = texts(assistant.say(sender, INTAKE_OPENING))
    for _ in range(2):  # who for, first name
        reply = texts(assistant.say(sender, next_answer(reply)))
    messages = assistant.say(sender, CRISIS_TEXT)
    assert "988" in messages[0]["text"]
    assert "call you back" in texts(assistant.say(sender, "yes"))  # safe for now
    phone_and_consent(assistant, sender, texts(assistant.say(sender, "yes")))
    lead = lead_of(assistant, sender)
    assert lead["urgency"] == "immediate"
    assert (lead["answers"]["who_for"], lead["first_name"]) == ("self", "Sam")


def test_a_spanish_crisis_gets_the_answer_in_spanish(assistant, sender):
    messages = assistant.say(sender, "mi hermano tomo muchas pastillas y no respira")
    first = messages[0]["text"]
    assert "911" in first and "llame" in first.lower()
    assert len(flags_for(assistant, sender)) == 1

"""Texting the real running assistant through signed (and forged) Twilio webhooks."""
from __future__ import annotations

import json
import sqlite3
import uuid

import httpx
import pytest
from twilio.request_validator import RequestValidator

from helpline.channels import sms
from helpline.cli.sms import WEBHOOK_PATH, fake_webhook
from helpline.facility import load_facility

FACILITY = load_facility()

pytestmark = pytest.mark.e2e


def new_number() -> str:
    return f"+1602555{uuid.uuid4().int % 10000:04d}"


def send(assistant, number: str, text: str, *extra: str) -> str:
    result = assistant.helpline("sms", "send", "--to-server", assistant.rasa_url, "--from", number, *extra, text)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def user_turns(assistant, number: str) -> int:
    """User messages the tracker store holds for this texter's conversation key."""
    key = sms.conversation_key(number, sms.id_secret(assistant.env).value)
    connection = sqlite3.connect(f"file:{assistant.data_dir / 'tracker.db'}?mode=ro", uri=True)
    try:
        return connection.execute(
            "SELECT count(*) FROM events WHERE sender_id = ? AND type_name = 'user'", (key,)
        ).fetchone()[0]
    finally:
        connection.close()


def opted_out_numbers(assistant) -> list[str]:
    result = assistant.helpline("sms", "opt-outs", "--json")
    assert result.returncode == 0, result.stderr
    return [entry["number"] for entry in json.loads(result.stdout)]


def test_a_signed_text_gets_a_twiml_reply_with_numbered_choices(assistant):
    number = new_number()
    reply = send(assistant, number, "hi")
    assert FACILITY.name in reply and "{" not in reply
    assert "Reply 1 for What is IOP" in reply
    # "1" picks the first button: the answer about the program.
    answer = send(assistant, number, "1")
    assert "days a week" in answer or "IOP" in answer
    assert user_turns(assistant, number) == 2


def test_the_raw_reply_is_twiml(assistant):
    params = fake_webhook(new_number(), "+15005550006", "hi")
    url = assistant.rasa_url + WEBHOOK_PATH
    signature = RequestValidator(sms.auth_token(assistant.env).value).compute_signature(url, params)
    response = httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=60)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert all(len(body) <= 320 for body in sms.parse_twiml(response.text))


def test_a_forged_webhook_gets_403_and_changes_nothing(assistant):
    number = new_number()
    url = assistant.rasa_url + WEBHOOK_PATH
    for body, signature in (("STOP", RequestValidator("guessed-token").compute_signature(url, {})),
                            ("hi", None), ("hi", "bm90IGEgc2lnbmF0dXJl")):
        params = fake_webhook(number, "+15005550006", body, "SM-forged-" + uuid.uuid4().hex[:8])
        headers = {"X-Twilio-Signature": signature} if signature else {}
        response = httpx.post(url, data=params, headers=headers, timeout=60)
        assert response.status_code == 403
        assert "<Message>" not in response.text
    assert user_turns(assistant, number) == 0  # the bot never heard it
    masked = sms_mask(number)
    assert masked not in opted_out_numbers(assistant)  # the forged STOP did not opt anyone out
    assert FACILITY.name in send(assistant, number, "hi")  # and the number still gets answers


def test_stop_silences_the_number_until_start(assistant):
    number = new_number()
    send(assistant, number, "hi")
    assert "unsubscribed" in send(assistant, number, "STOP")
    assert sms_mask(number) in opted_out_numbers(assistant)
    assert send(assistant, number, "hello? can someone call me") == "(no reply)"
    assert user_turns(assistant, number) == 1  # only the "hi" before STOP reached the bot
    assert "subscribed again" in send(assistant, number, "START")
    assert sms_mask(number) not in opted_out_numbers(assistant)
    assert send(assistant, number, "what is IOP?") != "(no reply)"


def test_help_names_the_facility_and_the_rules(assistant):
    reply = send(assistant, new_number(), "HELP")
    assert FACILITY.name in reply and FACILITY.helpline_phone in reply
    assert "Msg & data rates may apply" in reply and "STOP" in reply


def test_a_redelivered_message_sid_is_answered_once(assistant):
    number = new_number()
    sid = "SM" + uuid.uuid4().hex
    first = send(assistant, number, "what is IOP?", "--message-sid", sid)
    again = send(assistant, number, "what is IOP?", "--message-sid", sid)
    assert again == first
    assert user_turns(assistant, number) == 1


def test_the_tracker_store_holds_no_phone_numbers(assistant):
    number = new_number()
    send(assistant, number, "hi")
    connection = sqlite3.connect(f"file:{assistant.data_dir / 'tracker.db'}?mode=ro", uri=True)
    try:
        senders = [row[0] for row in connection.execute("SELECT DISTINCT sender_id FROM events")]
        hits = connection.execute("SELECT count(*) FROM events WHERE data LIKE ?", (f"%{number[2:]}%",)).fetchone()[0]
    finally:
        connection.close()
    assert sms.conversation_key(number, sms.id_secret(assistant.env).value) in senders
    assert not any(number[2:] in sender for sender in senders)
    assert hits == 0


def sms_mask(number: str) -> str:
    from helpline.phone import mask_phone

    return mask_phone(number)


def test_crisis_by_text_mid_form_is_answered_first_and_flagged_for_staff(assistant):
    number = new_number()
    send(assistant, number, "can someone call me about my drinking?")
    result = assistant.helpline(
        "sms", "send", "--to-server", assistant.rasa_url, "--from", number, "--json",
        "i have all my pills lined up and im going to take them tonight",
    )
    assert result.returncode == 0, result.stderr
    replies = json.loads(result.stdout)["replies"]
    assert replies and "988" in replies[0]  # the crisis answer comes before anything else
    assert all(len(body) <= 320 for body in replies)
    listing = assistant.helpline("crises", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    key = sms.conversation_key(number, sms.id_secret(assistant.env).value)
    flagged = [f for f in json.loads(listing.stdout) if f["conversation_id"] == key]
    assert [(f["category"], f["source_channel"]) for f in flagged] == [("suicide_self_harm", "sms")]
    # Neither the number nor the words reach the staff view.
    assert number[2:] not in listing.stdout and "pills" not in listing.stdout

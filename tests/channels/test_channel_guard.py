"""The guard every channel shares (helpline.channels.turn_guard), and a second Twilio channel made by a subclass.

The REST, socket.io and SMS channels' own tests check each one's notices end to
end; here the guard itself, and that a Twilio channel other than SMS (the
WhatsApp recipe of docs/channels.md) needs nothing but its two names.
"""
from __future__ import annotations

import asyncio
import uuid
from asyncio import CancelledError
from typing import List

import httpx
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from twilio.request_validator import RequestValidator

from helpline.channels import sms, turn_guard, turn_replies
from helpline.channels.rate_limit import Decision
from helpline.cli.sms import fake_webhook
from helpline_rasa.channels.sms import HelplineSmsInput, TwilioMessagingInput

TOKEN = "guard-test-token"
SECRET = "guard-test-secret"


def run_turn(text: str, outcome: str, **kwargs) -> tuple:
    said: List[str] = []

    async def run() -> None:
        if outcome == "answer":
            said.append("hello")
        elif outcome == "fail":
            raise RuntimeError("boom")
        elif outcome == "cancel":
            raise CancelledError()

    notice = asyncio.run(turn_guard.guarded_turn("test", text, run, lambda: bool(said), **kwargs))
    return notice, said


def test_an_answered_turn_needs_no_notice():
    assert run_turn("hi", "answer") == (None, ["hello"])


def test_a_silent_or_failed_turn_gets_the_resend_notice():
    assert run_turn("hi", "silent")[0] == turn_replies.not_saved_text()
    assert run_turn("hi", "fail")[0] == turn_replies.not_saved_text()
    assert run_turn("hi", "cancel", catch=(CancelledError, Exception))[0] == turn_replies.not_saved_text()


def test_a_failure_the_channel_answers_itself_is_passed_on():
    with pytest.raises(RuntimeError):
        run_turn("hi", "fail", catch=())


def test_a_too_long_message_never_reaches_the_bot():
    notice, said = run_turn("x" * (turn_replies.MAX_MESSAGE_CHARS + 1), "answer")
    assert notice == turn_replies.too_long_text() and said == []
    assert run_turn("x" * turn_replies.MAX_MESSAGE_CHARS, "answer")[0] is None


def test_a_refusal_is_answered_once_per_run_except_on_rest():
    first, later = Decision(False, 30.0, first_refusal=True), Decision(False, 30.0)
    assert turn_guard.refusal_notice("test", first) == turn_replies.too_many_text()
    assert turn_guard.refusal_notice("test", later) is None
    assert turn_guard.refusal_notice("rest", later, every_time=True) == turn_replies.too_many_text()


# --- a second Twilio channel is a subclass ------------------------------------------------------

class WhatsAppLike(TwilioMessagingInput):
    channel_name = "whatsapp"
    key_prefix = "wa-"


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)


def test_a_twilio_channel_needs_only_its_name_and_key_prefix(store):
    assert (HelplineSmsInput.name(), HelplineSmsInput.key_prefix) == ("sms", sms.KEY_PREFIX)
    channel = WhatsAppLike(env={"TWILIO_AUTH_TOKEN": TOKEN, "HELPLINE_ID_SECRET": SECRET}, store=store)
    heard: List[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        heard.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"on {message.output_channel.name()}")

    app = Sanic(f"wa-test-{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/whatsapp")
    sender = "whatsapp:+16025550134"

    async def go(body: str) -> List[str]:
        await app._startup()
        params = fake_webhook(sender, "whatsapp:+15005550006", body)
        url = "http://testserver/webhooks/whatsapp/webhook"
        signature = RequestValidator(TOKEN).compute_signature(url, params)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            response = await http.post("/webhooks/whatsapp/webhook", data=params, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200
        return sms.parse_twiml(response.text)

    assert asyncio.run(go("hello")) == ["on whatsapp"]
    [message] = heard
    key = sms.conversation_key(sender, SECRET, "wa-")
    assert (message.sender_id, message.input_channel, message.metadata) == (key, "whatsapp", {"channel": "whatsapp"})
    assert asyncio.run(go("STOP")) and store.is_opted_out(key)
    assert not store.is_opted_out(sms.conversation_key("+16025550134", SECRET))  # texting is a channel of its own

"""The Rasa SMS channel over HTTP (Sanic through ASGI): signatures, TwiML, de-duplication."""
from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Dict, List, Optional

import httpx
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from twilio.request_validator import RequestValidator

from helpline.channels import sms
from helpline.cli.sms import fake_webhook
from helpline_rasa.channels.sms import HelplineSmsInput

TOKEN = "test-auth-token"
SECRET = "test-id-secret"
NUMBER = "+16025550134"
LOCAL_URL = "http://testserver/webhooks/sms/webhook"


class Harness:
    """A Sanic app with only the SMS channel, and a bot that records what reaches it."""

    def __init__(self, store, env: Dict[str, str]) -> None:
        self.channel = HelplineSmsInput(env={"TWILIO_AUTH_TOKEN": TOKEN, "HELPLINE_ID_SECRET": SECRET, **env}, store=store)
        self.heard: List[UserMessage] = []
        self.app = Sanic(f"sms-test-{uuid.uuid4().hex[:8]}")
        self.app.blueprint(self.channel.blueprint(self.on_new_message), url_prefix="/webhooks/sms")
        self.started = False

    async def on_new_message(self, message: UserMessage) -> None:
        self.heard.append(message)
        if message.text == "call me":
            await message.output_channel.send_text_with_buttons(
                message.sender_id, "Who are you looking for help for?",
                [{"title": "Myself", "payload": "myself"}, {"title": "Someone I care about", "payload": "someone"}],
            )
        else:
            await message.output_channel.send_text_message(message.sender_id, f"You said: {message.text}")

    def post(self, params: Dict[str, str], signature: Optional[str], path: str = "/webhooks/sms/webhook") -> httpx.Response:
        async def go() -> httpx.Response:
            if not self.started:
                await self.app._startup()
                self.started = True
            headers = {"X-Twilio-Signature": signature} if signature is not None else {}
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.post(path, data=params, headers=headers)

        return asyncio.run(go())

    def text(self, body: str, sid: Optional[str] = None, url: str = LOCAL_URL, token: str = TOKEN) -> httpx.Response:
        params = fake_webhook(NUMBER, "+15005550006", body, sid)
        return self.post(params, RequestValidator(token).compute_signature(url, params))


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    # Several Sanic apps in one process: test mode keeps Sanic from re-patching its own class.
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
def harness(store) -> Harness:
    return Harness(store, {})


def replies(response: httpx.Response) -> List[str]:
    return sms.parse_twiml(response.text)


# --- signatures -----------------------------------------------------------------------------------

def test_a_signed_webhook_gets_a_twiml_reply(harness):
    response = harness.text("what is IOP?")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert replies(response) == ["You said: what is IOP?"]
    message = harness.heard[0]
    assert message.sender_id == sms.conversation_key(NUMBER, SECRET) and NUMBER not in message.sender_id
    assert message.input_channel == "sms" and message.output_channel.name() == "sms"
    assert NUMBER not in repr(message.metadata)


def test_a_missing_signature_is_refused_and_changes_nothing(harness, store):
    params = fake_webhook(NUMBER, "+15005550006", "STOP", "SM-unsigned")
    assert harness.post(params, None).status_code == 403
    assert harness.heard == []
    assert not store.is_opted_out(sms.conversation_key(NUMBER, SECRET))
    assert store.claim_message("SM-unsigned")  # the sid was never recorded


def test_a_forged_signature_is_refused(harness, store):
    response = harness.text("STOP", sid="SM-forged", token="not-the-token")
    assert response.status_code == 403
    assert harness.heard == [] and not store.is_opted_out(sms.conversation_key(NUMBER, SECRET))
    assert harness.post(fake_webhook(NUMBER, "x", "hi"), "garbage").status_code == 403


def test_a_signature_for_another_url_is_refused(harness):
    assert harness.text("hi", url="http://testserver/webhooks/other/webhook").status_code == 403
    assert harness.text("hi", url="https://attacker.example/webhooks/sms/webhook").status_code == 403
    assert harness.heard == []


def test_a_changed_body_breaks_the_signature(harness):
    params = fake_webhook(NUMBER, "+15005550006", "hi", "SM-tampered")
    signature = RequestValidator(TOKEN).compute_signature(LOCAL_URL, params)
    params["Body"] = "STOP"
    assert harness.post(params, signature).status_code == 403


def test_the_query_string_is_part_of_the_signed_url(harness):
    params = fake_webhook(NUMBER, "+15005550006", "hi")
    good = RequestValidator(TOKEN).compute_signature(LOCAL_URL + "?site=main", params)
    assert harness.post(params, good, path="/webhooks/sms/webhook?site=main").status_code == 200
    params = fake_webhook(NUMBER, "+15005550006", "hi")
    bad = RequestValidator(TOKEN).compute_signature(LOCAL_URL, params)
    assert harness.post(params, bad, path="/webhooks/sms/webhook?site=main").status_code == 403


def test_behind_a_proxy_the_public_url_is_what_twilio_signed(store):
    behind_proxy = Harness(store, {"HELPLINE_PUBLIC_URL": "https://helpline.example.org/"})
    public = "https://helpline.example.org/webhooks/sms/webhook"
    assert behind_proxy.text("hi", url=public).status_code == 200
    assert behind_proxy.text("hi", url=LOCAL_URL).status_code == 403


def test_the_old_skip_signature_switch_no_longer_opens_the_webhook(store, caplog):
    with caplog.at_level(logging.WARNING):
        harness = Harness(store, {"HELPLINE_SMS_SKIP_SIGNATURE": "1"})
    assert any(r.levelno >= logging.ERROR and "ignored" in r.getMessage() for r in caplog.records)
    assert harness.post(fake_webhook(NUMBER, "x", "hi"), None).status_code == 403


# --- local-trial mode: no TWILIO_AUTH_TOKEN ---------------------------------------------------------

# What the source once shipped as the fallback token: anyone could sign with it.
OLD_PUBLISHED_TOKEN = "helpline-dev-twilio-auth-token"


def local_trial_harness(store, data_dir) -> Harness:
    """The channel as `helpline run` starts it without TWILIO_AUTH_TOKEN or HELPLINE_ID_SECRET."""
    return Harness(store, {"TWILIO_AUTH_TOKEN": "", "HELPLINE_ID_SECRET": "", "HELPLINE_DATA_DIR": str(data_dir)})


@pytest.fixture
def local_trial(store, tmp_path) -> Harness:
    return local_trial_harness(store, tmp_path)


def test_local_trial_mode_is_announced_at_start_up(store, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        local_trial_harness(store, tmp_path)
    logged = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    assert "LOCAL-TRIAL" in logged and str(tmp_path / sms.LOCAL_AUTH_TOKEN_FILE) in logged
    assert "HELPLINE_ID_SECRET is not set" in logged and str(tmp_path / sms.ID_SECRET_FILE) in logged


def test_local_trial_refuses_the_old_published_token_and_unsigned_requests(local_trial):
    assert local_trial.text("hi", token=OLD_PUBLISHED_TOKEN).status_code == 403
    assert local_trial.post(fake_webhook(NUMBER, "x", "hi"), None).status_code == 403
    assert local_trial.heard == []


def test_local_trial_accepts_what_helpline_sms_send_signs(local_trial, monkeypatch, capsys):
    import helpline.cli.sms as cli_sms
    from helpline.cli import main

    def to_the_channel(url, params, signature):
        reply = local_trial.post(params, signature)
        return reply.status_code, reply.text

    # The CLI reads this install's secret from $HELPLINE_DATA_DIR (tmp_path, as the channel does).
    monkeypatch.setattr(cli_sms, "post_webhook", to_the_channel)
    assert main(["sms", "send", "--to-server", "http://testserver", "--from", NUMBER, "hi"]) == 0
    assert capsys.readouterr().out.strip() == "You said: hi"
    assert [m.text for m in local_trial.heard] == ["hi"]


def test_a_webhook_without_sender_or_sid_is_a_bad_request(harness):
    params = {"Body": "hi"}
    assert harness.post(params, RequestValidator(TOKEN).compute_signature(LOCAL_URL, params)).status_code == 400


# --- the flow over HTTP --------------------------------------------------------------------------------

def test_numbered_reply_over_http(harness):
    assert replies(harness.text("call me")) == [
        "Who are you looking for help for?\n\nReply 1 for Myself, 2 for Someone I care about."
    ]
    harness.text("2")
    assert [m.text for m in harness.heard] == ["call me", "someone"]


def test_redelivery_with_the_same_message_sid_reaches_the_bot_once(harness):
    first = harness.text("hello", sid="SM-redelivered")
    second = harness.text("hello", sid="SM-redelivered")
    assert len(harness.heard) == 1
    assert first.status_code == second.status_code == 200
    assert replies(second) == replies(first)


def test_stop_and_help_over_http(harness):
    assert "unsubscribed" in replies(harness.text("STOP"))[0]
    assert replies(harness.text("anyone there?")) == []
    assert "subscribed again" in replies(harness.text("YES"))[0]
    assert "Msg & data rates may apply" in replies(harness.text("HELP"))[0]
    assert harness.heard == []

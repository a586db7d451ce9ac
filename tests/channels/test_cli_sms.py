"""``helpline sms ...``: the fake webhook is signed as Twilio signs, and staff see opt-outs masked."""
from __future__ import annotations

import asyncio
import json

from twilio.request_validator import RequestValidator

from helpline.channels import sms, turn_replies
from helpline.cli import main
from helpline.cli.sms import fake_webhook, sign
from helpline.settings import load_settings
from helpline.store import db
from helpline.store.sms_models import SqlSmsStore


def test_the_fake_webhook_is_signed_as_twilio_signs():
    params = fake_webhook("+16025550134", "+15005550006", "hi")
    assert params["MessageSid"].startswith("SM") and len(params["MessageSid"]) == 34
    url = "http://localhost:5005/webhooks/sms/webhook"
    signature = sign(url, params, "tok")
    assert RequestValidator("tok").validate(url, params, signature)
    assert not RequestValidator("other").validate(url, params, signature)


def opt_out(number: str, keyword: str = "STOP") -> None:
    url = load_settings().effective_database_url
    db.upgrade(url)
    service = sms.SmsService(SqlSmsStore(db.session_factory(url)), sms.id_secret().value, turn_replies.facility_facts)

    async def no_bot(key, text):
        raise AssertionError("a keyword must not reach the bot")

    asyncio.run(service.handle(sms.Inbound("SM" + number, number, keyword), no_bot))


def test_opt_outs_lists_masked_numbers_and_dates(capsys):
    assert main(["sms", "opt-outs"]) == 0
    assert "No opted-out numbers" in capsys.readouterr().out
    opt_out("+16025550134")
    assert main(["sms", "opt-outs"]) == 0
    table = capsys.readouterr().out
    assert "+1******0134" in table and "STOP" in table and "opted out" in table
    assert "6025550134" not in table
    assert main(["sms", "opt-outs", "--json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["number"] == "+1******0134" and entry["opted_out"] is True and entry["opted_out_at"]


def test_check_tells_staff_whether_a_number_may_be_texted(capsys):
    opt_out("+16025550134")
    assert main(["sms", "opt-outs", "--check", "+16025550134"]) == 0
    assert capsys.readouterr().out.strip() == "opted out"
    assert main(["sms", "opt-outs", "--check", "+16025550199"]) == 0
    assert capsys.readouterr().out.strip() == "not opted out"


def test_send_reports_a_refused_signature(capsys, monkeypatch):
    import helpline.cli.sms as cli_sms

    monkeypatch.setattr(cli_sms, "post_webhook", lambda url, params, signature: (403, "forbidden"))
    assert main(["sms", "send", "--from", "+16025550134", "hi"]) == 1
    assert "403" in capsys.readouterr().err


def test_send_prints_the_twiml_messages(capsys, monkeypatch):
    import helpline.cli.sms as cli_sms

    seen = {}

    def fake_post(url, params, signature):
        seen.update(url=url, signature=signature, params=params)
        return 200, sms.twiml(["first", "second"])

    monkeypatch.setattr(cli_sms, "post_webhook", fake_post)
    assert main(["sms", "send", "--to-server", "http://127.0.0.1:5999/", "--from", "+16025550134", "hi"]) == 0
    assert capsys.readouterr().out == "first\n\nsecond\n"
    assert seen["url"] == "http://127.0.0.1:5999/webhooks/sms/webhook"
    # Without TWILIO_AUTH_TOKEN: signed with this install's local secret, the one the server checks.
    assert RequestValidator(sms.auth_token().value).validate(seen["url"], seen["params"], seen["signature"])

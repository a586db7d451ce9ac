"""Rate limits on the public channels: REST (429), socket.io and SMS, bot faked, clock faked."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any, Dict, List, Optional

import httpx
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from twilio.request_validator import RequestValidator

from helpline.channels import sms, turn_replies, web_ids
from helpline.channels.rate_limit import RateLimiter
from helpline.channels.sms import Inbound, SmsService
from helpline.facility import load_facility
from helpline_rasa.channels.limits import ChannelLimits
from helpline_rasa.channels.rest import HelplineRestInput
from helpline_rasa.channels.sms import HelplineSmsInput
from helpline_rasa.channels.socketio import HelplineSocketIOInput
from tests.channels.conftest import FakeBot

FACTS = load_facility().placeholders()
pytestmark = pytest.mark.filterwarnings("ignore:You have set a listener")


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


class Bot:
    def __init__(self) -> None:
        self.heard: List[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.heard.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"You said: {message.text}")


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def assert_kind_notice(text: str) -> None:
    """The refusal still tells a person in trouble where to turn."""
    assert text == turn_replies.too_many_text()
    for fact in (FACTS["helpline_phone"], FACTS["emergency_number"], FACTS["lifeline_number"]):
        assert fact in text
    assert "911" in text and "988" in text


# -- REST ------------------------------------------------------------------------------------

class Rest:
    def __init__(self, limits: ChannelLimits) -> None:
        self.bot = Bot()
        channel = HelplineRestInput()
        channel.limits = limits
        self.app = Sanic(f"rest-limits-{uuid.uuid4().hex[:8]}")
        self.app.blueprint(channel.blueprint(self.bot), url_prefix="/webhooks/rest")
        self.started = False

    def send(self, sender: str, text: str = "hi", headers: Optional[Dict[str, str]] = None,
             client: tuple = ("203.0.113.9", 50000)) -> httpx.Response:
        async def go() -> httpx.Response:
            if not self.started:
                await self.app._startup()
                self.started = True
            transport = httpx.ASGITransport(app=self.app, client=client)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                return await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": text},
                                       headers=headers or {})

        return asyncio.run(go())


def test_rest_answers_429_with_retry_after_and_the_kind_notice(clock):
    rest = Rest(ChannelLimits(per_sender=3, per_ip=100, clock=clock))
    sender = web_ids.new_web_id()
    for n in range(3):
        assert rest.send(sender, f"message {n}").status_code == 200
    refused = rest.send(sender, "I want to die")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "20"  # 60 s / 3 messages
    body = refused.json()
    assert body["retry_after"] == 20 and "too many" in body["error"]
    [notice] = body["messages"]
    assert notice["recipient_id"] == sender
    assert_kind_notice(notice["text"])
    # Not read: the bot (NLU, the crisis lexicon, a crisis flag) never saw it.
    assert [m.text for m in rest.bot.heard] == ["message 0", "message 1", "message 2"]
    clock.now += 20
    assert rest.send(sender, "back").status_code == 200


def test_rest_limits_an_address_however_many_senders_it_makes_up(clock):
    rest = Rest(ChannelLimits(per_sender=20, per_ip=5, clock=clock))
    statuses = [rest.send(web_ids.new_web_id()).status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    # Someone at another address is not affected.
    assert rest.send(web_ids.new_web_id(), client=("198.51.100.7", 40000)).status_code == 200


def test_rest_ignores_x_forwarded_for_unless_a_proxy_is_trusted(clock):
    untrusted = Rest(ChannelLimits(per_sender=20, per_ip=2, trusted_proxy_hops=0, clock=clock))
    # Made-up forwarded addresses do not buy a fresh allowance.
    statuses = [untrusted.send(web_ids.new_web_id(), headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code
                for n in range(4)]
    assert statuses == [200, 200, 429, 429]

    # Behind HAProxy (one trusted hop) every client arrives from the proxy's address:
    # the address HAProxy appended is the one limited.
    proxied = Rest(ChannelLimits(per_sender=20, per_ip=2, trusted_proxy_hops=1, clock=clock))
    proxy = ("10.0.0.2", 1234)

    def via_proxy(client_says: str, real: str) -> int:
        headers = {"X-Forwarded-For": f"{client_says}, {real}"}
        return proxied.send(web_ids.new_web_id(), headers=headers, client=proxy).status_code

    assert [via_proxy(f"1.1.1.{n}", "203.0.113.9") for n in range(3)] == [200, 200, 429]
    assert via_proxy("1.1.1.1", "198.51.100.7") == 200


def test_rest_limits_come_from_the_settings(monkeypatch):
    monkeypatch.setenv("HELPLINE_RATE_LIMIT_PER_SENDER", "2")
    monkeypatch.setenv("HELPLINE_RATE_LIMIT_PER_IP", "7")
    channel = HelplineRestInput()
    channel.blueprint(Bot())
    assert (channel.limits.per_sender.limit, channel.limits.per_ip.limit) == (2, 7)


# -- socket.io -------------------------------------------------------------------------------

class Headers(dict):
    def getall(self, name: str, default: Any = None) -> list:
        return [self[name]] if name in self else (default or [])


class FakeRequest:
    """The socket.io handshake's Sanic request, as engine.io keeps it in the environ."""

    def __init__(self, ip: str) -> None:
        self.ip = ip
        self.headers = Headers()


def socketio_channel(limits: ChannelLimits, addresses: Dict[str, str], monkeypatch) -> tuple:
    bot = Bot()
    channel = HelplineSocketIOInput()
    channel.rate_limits = limits
    channel.blueprint(bot)
    sio = channel.sio
    emitted: List[tuple] = []

    async def emit(event: str, data: Any = None, room: Any = None, **kwargs: Any) -> None:
        emitted.append((event, data, room))

    def environ(sid: str, namespace: Any = None) -> Dict[str, Any]:
        # engine.io's Sanic driver writes 127.0.0.1 here whatever the peer.
        return {"sanic.request": FakeRequest(addresses[sid]), "REMOTE_ADDR": "127.0.0.1"}

    monkeypatch.setattr(sio, "emit", emit)
    monkeypatch.setattr(sio, "get_environ", environ)
    handler = sio.handlers["/"][channel.user_message_evt]

    def say(sid: str, text: str = "hi") -> None:
        asyncio.run(handler(sid, {"message": text}))

    return bot, emitted, say


def test_socketio_limits_a_connection_and_answers_only_the_first_refusal(clock, monkeypatch):
    limits = ChannelLimits(per_sender=3, per_ip=100, clock=clock)
    bot, emitted, say = socketio_channel(limits, {"sid-1": "203.0.113.9", "sid-2": "203.0.113.9"}, monkeypatch)
    for n in range(6):
        say("sid-1", f"m{n}")
    assert [m.text for m in bot.heard] == ["m0", "m1", "m2"]
    notices = [data["text"] for _, data, room in emitted if "You said" not in data["text"]]
    assert len(notices) == 1  # one kind notice for the run, then silence
    assert_kind_notice(notices[0])
    assert [room for _, data, room in emitted if data["text"] == notices[0]] == ["sid-1"]
    say("sid-2", "other connection")  # its own allowance
    assert bot.heard[-1].text == "other connection"


def test_socketio_limits_an_address_across_connections(clock, monkeypatch):
    limits = ChannelLimits(per_sender=20, per_ip=4, clock=clock)
    addresses = {f"sid-{n}": "203.0.113.9" for n in range(10)}
    addresses["elsewhere"] = "198.51.100.7"
    bot, emitted, say = socketio_channel(limits, addresses, monkeypatch)
    for n in range(10):
        say(f"sid-{n}")
    assert len(bot.heard) == 4
    say("elsewhere")
    assert len(bot.heard) == 5


# -- SMS -------------------------------------------------------------------------------------

NUMBER = "+16025550134"
SECRET = "rate-limit-test-secret"


def sms_text(service: SmsService, bot: FakeBot, body: str, number: str = NUMBER) -> sms.Outcome:
    inbound = Inbound(message_sid="SM" + uuid.uuid4().hex, sender=number, body=body)
    return asyncio.run(service.handle(inbound, bot))


@pytest.fixture
def sms_service(store, clock) -> SmsService:
    return SmsService(store=store, secret=SECRET, facts=lambda language: FACTS, limiter=RateLimiter(3, 60, clock=clock))


def test_sms_over_the_limit_gets_one_kind_reply_then_nothing(sms_service, bot, clock):
    assert [sms_text(sms_service, bot, f"m{n}").kind for n in range(3)] == ["bot"] * 3
    first = sms_text(sms_service, bot, "m3")
    assert first.kind == "rate_limited"
    [body] = first.bodies
    assert_kind_notice(body)
    for n in range(4, 10):
        later = sms_text(sms_service, bot, f"m{n}")
        assert (later.kind, later.bodies) == ("rate_limited", [])
    assert bot.texts == ["m0", "m1", "m2"]
    # Another number has its own allowance; Twilio's shared address is not limited.
    assert sms_text(sms_service, bot, "hello", number="+16025550199").kind == "bot"
    clock.now += 20
    assert sms_text(sms_service, bot, "after a pause").kind == "bot"


def test_sms_stop_and_help_work_whatever_the_limit(sms_service, bot, store):
    for n in range(5):
        sms_text(sms_service, bot, f"m{n}")
    assert sms_text(sms_service, bot, "HELP").kind == "help"
    assert sms_text(sms_service, bot, "STOP").kind == "opt_out"
    assert store.is_opted_out(sms.conversation_key(NUMBER, SECRET))


def test_sms_webhook_limits_per_number_from_the_settings(store, monkeypatch):
    token = "rate-limit-test-token"
    channel = HelplineSmsInput(
        env={"TWILIO_AUTH_TOKEN": token, "HELPLINE_ID_SECRET": SECRET, "HELPLINE_RATE_LIMIT_PER_SENDER": "2"},
        store=store,
    )
    assert channel.service.limiter.limit == 2
    heard: List[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        heard.append(message)
        await message.output_channel.send_text_message(message.sender_id, "ok")

    app = Sanic(f"sms-limits-{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/sms")

    async def go() -> List[List[str]]:
        await app._startup()
        replies = []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            for n in range(4):
                params = {"From": NUMBER, "To": "+15005550006", "Body": f"m{n}", "MessageSid": "SM" + uuid.uuid4().hex}
                signature = RequestValidator(token).compute_signature("http://testserver/webhooks/sms/webhook", params)
                response = await http.post("/webhooks/sms/webhook", data=params, headers={"X-Twilio-Signature": signature})
                assert response.status_code == 200
                replies.append(sms.parse_twiml(response.text))
        return replies

    replies = asyncio.run(go())
    assert replies[:2] == [["ok"], ["ok"]]
    assert len(replies[2]) == 1
    assert_kind_notice(replies[2][0])
    assert replies[3] == []
    assert [m.text for m in heard] == ["m0", "m1"]

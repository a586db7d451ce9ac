"""The hardened REST channel and the SMS channel's notices, over HTTP (Sanic through ASGI), bot faked."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any, List

import httpx
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from twilio.request_validator import RequestValidator

from helpline.channels import sms, turn_replies, web_ids
from helpline.cli.sms import fake_webhook
from helpline.facility import load_facility
from helpline_rasa.channels.rest import HelplineRestInput
from helpline_rasa.channels.sms import HelplineSmsInput
from tests.channels.test_sms_channel import LOCAL_URL, NUMBER, SECRET, TOKEN

PHONE = load_facility().placeholders()["helpline_phone"]
SENDER = web_ids.new_web_id()
# The channel's before_server_start listener runs at ASGI start-up here; Sanic warns about that.
pytestmark = pytest.mark.filterwarnings("ignore:You have set a listener")


class Bot:
    """Echoes, stays silent on "silence" (an unreachable action server), raises on "boom"."""

    def __init__(self) -> None:
        self.heard: List[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.heard.append(message)
        if message.text == "silence":
            return
        if message.text == "boom":
            raise RuntimeError("secret text must not be logged")
        await message.output_channel.send_text_message(message.sender_id, f"You said: {message.text}")


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)


def serve(channel: Any, prefix: str, bot: Bot) -> Sanic:
    app = Sanic(f"channel-test-{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(bot), url_prefix=prefix)
    return app


def post(app: Sanic, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        await app._startup()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            return await client.post(path, **kwargs)

    return asyncio.run(go())


@pytest.fixture
def bot() -> Bot:
    return Bot()


@pytest.fixture
def rest(bot):
    app = serve(HelplineRestInput(), "/webhooks/rest", bot)
    return lambda **kwargs: post(app, "/webhooks/rest/webhook", **kwargs)


def test_a_normal_message_is_answered_by_the_bot(rest, bot):
    response = rest(json={"sender": SENDER, "message": "hi"})
    assert response.status_code == 200
    assert response.json() == [{"recipient_id": SENDER, "text": "You said: hi"}]
    assert bot.heard[0].input_channel == "rest" and bot.heard[0].sender_id == SENDER


@pytest.mark.parametrize("request_kwargs, complaint", [
    ({"content": b"{not json"}, "JSON object"),
    ({"content": b"\xff\xfe\x00garbage\x80"}, "JSON object"),
    ({"content": b'{"sender": "s", "message": "caf\xe9"}'}, "JSON object"),  # Latin-1, not UTF-8
    ({"json": ["sender", "message"]}, "JSON object"),
    ({"json": "hi"}, "JSON object"),
    ({"json": None}, "JSON object"),
    ({"json": {"message": "hi"}}, "sender"),
    ({"json": {"sender": "", "message": "hi"}}, "sender"),
    ({"json": {"sender": ["s"], "message": "hi"}}, "sender"),
    ({"json": {"sender": "s" * 500, "message": "hi"}}, "sender"),
    ({"json": {"sender": SENDER}}, "message"),
    ({"json": {"sender": SENDER, "message": 12}}, "message"),
    ({"json": {"sender": SENDER, "message": ["hi"]}}, "message"),
    ({"json": {"sender": SENDER, "message": None}}, "message"),
    ({"json": {"sender": SENDER, "message": {"text": "hi"}}}, "message"),
    ({"json": {"sender": SENDER, "message": "hi", "metadata": "x"}}, "metadata"),
    ({"content": b'{"sender": "%s", "message": "\\ud800"}' % SENDER.encode()}, "Unicode"),
    ({"data": {"sender": "s", "message": "hi"}}, "JSON object"),  # a form, not JSON
])
def test_a_malformed_request_gets_a_400_that_says_why_and_reaches_no_bot(rest, bot, request_kwargs, complaint):
    response = rest(**request_kwargs)
    assert response.status_code == 400
    assert complaint in response.json()["error"]
    assert bot.heard == []


WIDGET_ID_REQUIRED = '"sender" must be a conversation id the chat widget makes'
HEX = "0123456789abcdef" * 2


@pytest.mark.parametrize("sender", [
    "me", "s1", 42, True, "e2e-0123456789ab", "cors-" + HEX,
    sms.conversation_key(NUMBER, SECRET),  # an SMS texter's conversation
    web_ids.new_session_id(b"k"),  # a socket.io session's
    "web-" + HEX[:31], "web-" + HEX + "0", "web-" + HEX.upper(), "WEB-" + HEX, "web_" + HEX,
    "web-" + HEX + "\n", " web-" + HEX, "web-" + HEX[:30] + "g0", "xweb-" + HEX,
])
def test_only_an_unguessable_widget_id_reaches_the_bot(rest, bot, sender):
    response = rest(json={"sender": sender, "message": "hi"})
    assert response.status_code == 400
    assert WIDGET_ID_REQUIRED in response.json()["error"] and "openssl rand -hex 16" in response.json()["error"]
    assert bot.heard == []


def test_rest_cannot_touch_an_sms_conversation(texter, bot):
    """A texter's conversation id, posted to REST, is refused and nothing reaches the conversation."""
    texter("my number is 602-555-0134")
    [sms_turn] = bot.heard
    key = sms_turn.sender_id
    assert sms_turn.input_channel == "sms" and key == sms.conversation_key(NUMBER, SECRET)
    app = serve(HelplineRestInput(), "/webhooks/rest", bot)
    for text in ("actually call 480-555-0199", "/affirm"):
        response = post(app, "/webhooks/rest/webhook", json={"sender": key, "message": text})
        assert response.status_code == 400 and WIDGET_ID_REQUIRED in response.json()["error"]
    # The bot (Rasa's on_new_message: the only way to a tracker) heard the texter alone.
    assert bot.heard == [sms_turn]
    # The same bot still answers a widget id over REST: the refusal is about the id, not the channel.
    assert post(app, "/webhooks/rest/webhook", json={"sender": SENDER, "message": "hi"}).status_code == 200


def test_an_over_long_message_is_answered_kindly_without_reaching_nlu(rest, bot):
    started = time.monotonic()
    response = rest(json={"sender": SENDER, "message": "no. " * 5000})
    assert time.monotonic() - started < 2
    assert response.status_code == 200
    [reply] = response.json()
    assert reply["text"] == turn_replies.too_long_text() and PHONE in reply["text"] and "988" in reply["text"]
    assert bot.heard == []
    at_limit = rest(json={"sender": SENDER, "message": "x" * turn_replies.MAX_MESSAGE_CHARS})
    assert at_limit.json()[0]["text"].startswith("You said:")


def test_a_turn_with_no_reply_gets_the_resend_notice_with_the_facility_phone(rest, bot):
    [reply] = rest(json={"sender": SENDER, "message": "silence"}).json()
    assert reply == {"recipient_id": SENDER, "text": turn_replies.not_saved_text()}
    assert reply["text"].startswith("Sorry, I couldn't save that just now.") and PHONE in reply["text"]


def test_a_failing_turn_gets_the_notice_and_its_text_is_not_logged(rest, bot, caplog):
    caplog.set_level(logging.DEBUG)
    response = rest(json={"sender": SENDER, "message": "boom"})
    assert response.status_code == 200 and response.json()[0]["text"] == turn_replies.not_saved_text()
    assert "RuntimeError" in caplog.text
    assert "boom" not in caplog.text and "secret text" not in caplog.text


def test_nul_characters_are_dropped_before_the_bot(rest, bot):
    rest(json={"sender": SENDER, "message": "a\x00b"})
    assert bot.heard[0].text == "a b"


# --- SMS: the same notices --------------------------------------------------------------------------

@pytest.fixture
def texter(store, bot):
    channel = HelplineSmsInput(env={"TWILIO_AUTH_TOKEN": TOKEN, "HELPLINE_ID_SECRET": SECRET}, store=store)
    app = serve(channel, "/webhooks/sms", bot)

    def text(body: str) -> List[str]:
        params = fake_webhook(NUMBER, "+15005550006", body, None)
        signature = RequestValidator(TOKEN).compute_signature(LOCAL_URL, params)
        response = post(app, "/webhooks/sms/webhook", data=params, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200
        return sms.parse_twiml(response.text)

    return text


def test_an_sms_turn_with_no_reply_gets_the_resend_notice(texter):
    assert " ".join(texter("silence")) == turn_replies.not_saved_text()


def test_an_over_long_sms_is_answered_kindly_without_reaching_the_bot(texter, bot):
    assert " ".join(texter("x" * (turn_replies.MAX_MESSAGE_CHARS + 1))).startswith("That message is longer")
    assert bot.heard == []


def test_a_request_sanic_could_not_parse_gets_a_400_and_other_errors_keep_sanic_s_answer():
    from types import SimpleNamespace

    from helpline_rasa.http_guard import answer_unparseable_requests

    app = Sanic(f"guard-test-{uuid.uuid4().hex[:8]}")
    answer_unparseable_requests(app)
    handler = app.error_handler.lookup(ValueError("invalid literal for int()"), None)
    unparsed = handler(SimpleNamespace(method="NONE"), ValueError("invalid literal for int()"))
    assert unparsed.status == 400
    app.error_handler.default = lambda request, exception: "sanic's own answer"
    assert handler(SimpleNamespace(method="POST"), ValueError("a bug")) == "sanic's own answer"


def test_a_content_length_sanic_would_spin_on_is_refused_before_sanic_reads_it():
    from sanic.compat import Header
    from sanic.exceptions import InvalidUsage

    from helpline_rasa.http_guard import GuardedRequest

    app = Sanic(f"guard-test-{uuid.uuid4().hex[:8]}")

    def request(*lengths: str) -> GuardedRequest:
        headers = Header([("content-length", value) for value in lengths])
        return GuardedRequest(b"/webhooks/rest/webhook", headers, "1.1", "POST", None, app)

    for bad in (["-5"], ["nope"], ["1, 2"], ["1e3"], ["5", "6"], ["9" * 30]):
        with pytest.raises(InvalidUsage):
            request(*bad)
    assert request("42").headers["content-length"] == "42"
    assert request("0", "0") and request()


# --- socket.io: the same notices, through Rasa's own output channel ------------------------------------

class FakeSio:
    def __init__(self) -> None:
        self.emitted: List[tuple] = []

    async def emit(self, event, data, room=None) -> None:
        self.emitted.append((event, data, room))


def socketio_turn(text: Any, bot: Bot) -> List[tuple]:
    from rasa.core.channels.socketio import SocketIOOutput

    from helpline_rasa.channels.socketio import guarded

    sio = FakeSio()
    message = UserMessage.__new__(UserMessage)  # as Rasa builds it, without its text clean-up
    message.text, message.sender_id, message.output_channel = text, "room-1", SocketIOOutput(sio, "bot_uttered")
    asyncio.run(guarded(bot)(message))
    return sio.emitted


def test_socketio_answers_normally_and_notices_a_turn_with_no_reply(bot):
    assert socketio_turn("hi", bot) == [("bot_uttered", {"text": "You said: hi"}, "room-1")]
    assert socketio_turn("silence", bot) == [("bot_uttered", {"text": turn_replies.not_saved_text()}, "room-1")]
    assert socketio_turn("boom", bot) == [("bot_uttered", {"text": turn_replies.not_saved_text()}, "room-1")]


def test_socketio_answers_an_over_long_message_without_the_bot(bot):
    emitted = socketio_turn("no. " * 5000, bot)
    assert emitted == [("bot_uttered", {"text": turn_replies.too_long_text()}, "room-1")]
    assert [m.text for m in bot.heard] == []
    assert socketio_turn(None, bot) == [] and bot.heard == []


def socketio_channel(bot: Bot, secret: str = "socket-secret"):
    """Our socket.io channel with a fake sio that records rooms joined and left and what was emitted."""
    from helpline_rasa.channels.socketio import HelplineSocketIOInput

    channel = HelplineSocketIOInput.from_credentials(
        {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True})
    channel.env = {"HELPLINE_ID_SECRET": secret}
    channel.blueprint(bot)
    sio = channel.sio
    sio.rooms_log, sio.emitted = [], []

    async def enter_room(sid, room, namespace=None):
        sio.rooms_log.append(("enter", sid, room))

    async def leave_room(sid, room, namespace=None):
        sio.rooms_log.append(("leave", sid, room))

    async def emit(event, data, room=None, **kwargs):
        sio.emitted.append((event, data, room))

    sio.enter_room, sio.leave_room, sio.emit = enter_room, leave_room, emit
    handlers = sio.handlers[channel.namespace or "/"]
    return channel, sio, lambda event, *args: asyncio.run(handlers[event](*args))


def test_socketio_issues_session_ids_and_resumes_only_one_it_issued(bot):
    channel, sio, fire = socketio_channel(bot)
    fire("session_request", "sid-1", {"session_id": "abc"})
    fire("session_request", "sid-2", "garbage")
    issued = sio.emitted[0][1]
    assert issued != "abc" and web_ids.is_issued_session_id(issued, web_ids.session_key("socket-secret"))
    assert sio.rooms_log[0] == ("enter", "sid-1", issued) and sio.emitted[0] == ("session_confirm", issued, "sid-1")
    assert sio.emitted[1][0] == "session_confirm" and sio.emitted[1][1] not in (issued, "garbage")

    fire("session_request", "sid-3", {"session_id": issued})  # the same client, reconnected
    assert sio.emitted[2] == ("session_confirm", issued, "sid-3")
    forged = issued[:-1] + ("1" if issued[-1] == "0" else "0")
    other_install = web_ids.new_session_id(web_ids.session_key("another-secret"))
    for n, proposed in enumerate((forged, other_install, issued.split(".")[0], SENDER), start=4):
        fire("session_request", f"sid-{n}", {"session_id": proposed})
        assert sio.emitted[-1][1] != proposed


def test_socketio_messages_go_to_the_session_bound_to_the_socket_not_the_one_named(bot):
    channel, sio, fire = socketio_channel(bot)
    fire("session_request", "sid-a", {})
    fire("session_request", "sid-b", {})
    session_a, session_b = sio.emitted[0][1], sio.emitted[1][1]
    sio.emitted.clear()

    fire("user_uttered", "sid-b", {"message": "from b", "session_id": session_a})
    assert [m.sender_id for m in bot.heard] == [session_b]
    assert sio.emitted == [("bot_uttered", {"text": "You said: from b"}, session_b)]  # b's room, never a's

    # A socket that has not asked for a session speaks for none; after disconnect, neither does b's.
    fire("user_uttered", "sid-x", {"message": "hi", "session_id": session_a})
    fire("disconnect", "sid-b", "client disconnect")
    fire("user_uttered", "sid-b", {"message": "hi", "session_id": session_b})
    fire("user_uttered", "sid-a", {"message": 5})
    assert len(bot.heard) == 1 and "sid-b" not in channel.sessions

    # A socket asking again leaves its former session's room.
    fire("session_request", "sid-a", {})
    assert sio.rooms_log[-2:] == [("leave", "sid-a", session_a), ("enter", "sid-a", channel.sessions["sid-a"])]


def test_an_sms_while_the_database_is_away_gets_the_helpline_number_not_silence(bot):
    from sqlalchemy.exc import OperationalError

    class DownStore:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise OperationalError("select", {}, ConnectionRefusedError())
            return fail

    channel = HelplineSmsInput(env={"TWILIO_AUTH_TOKEN": TOKEN, "HELPLINE_ID_SECRET": SECRET}, store=DownStore())
    app = serve(channel, "/webhooks/sms", bot)
    params = fake_webhook(NUMBER, "+15005550006", "hi", None)
    signature = RequestValidator(TOKEN).compute_signature(LOCAL_URL, params)
    response = post(app, "/webhooks/sms/webhook", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    assert " ".join(sms.parse_twiml(response.text)) == " ".join(sms.split_message(sms.error_text(load_facility().placeholders())))
    assert PHONE in response.text and bot.heard == []

"""REST and socket.io pass on the language of each bot message, and word their own notices in the widget's.

helpline_rasa/nlg.py puts ``"language"`` on every response; the widget switches
its labels by it, so the channels must not drop it. The widget sends its own
language as ``metadata.language``; the channels read it for their notices only
(too long, not saved, too many).
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from helpline.channels import turn_replies, web_ids
from helpline_rasa.channels.collecting import LanguageCollectingOutputChannel, metadata_language
from helpline_rasa.channels.limits import ChannelLimits
from helpline_rasa.channels.rest import HelplineRestInput
from helpline_rasa.channels.socketio import HelplineSocketIOInput
from tests.channels.test_rate_limits import FakeRequest
from tests.channels.test_rest_channel import post, serve

SENDER = web_ids.new_web_id()
pytestmark = pytest.mark.filterwarnings("ignore:You have set a listener")


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)


class MarkedBot:
    """Answers as Rasa does after helpline_rasa/nlg.py: through send_response, the language on the response."""

    def __init__(self) -> None:
        self.heard: List[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.heard.append(message)
        channel, sender = message.output_channel, message.sender_id
        if message.text == "silence":
            return
        if message.text == "hola":
            # Two paragraphs become two messages; both carry the language.
            await channel.send_response(sender, {"text": "Hola.\n\n¿En qué le puedo ayudar?", "language": "es"})
            await channel.send_response(sender, {"text": "Elija una:", "language": "es", "buttons": [
                {"title": "Sí", "payload": "/affirm"}]})
        elif message.text == "unmarked":
            await channel.send_response(sender, {"text": "No language said."})
        else:
            await channel.send_response(sender, {"text": "Hello.", "language": "en"})


def rest_app(limits: Optional[ChannelLimits] = None):
    bot = MarkedBot()
    channel = HelplineRestInput()
    channel.limits = limits or ChannelLimits(per_sender=100, per_ip=100)
    app = serve(channel, "/webhooks/rest", bot)
    return bot, (lambda body: post(app, "/webhooks/rest/webhook", json=body))


# --- REST keeps the language of each message ----------------------------------------------------------------------

def test_rest_returns_the_language_of_every_message():
    _, rest = rest_app()
    assert rest({"sender": SENDER, "message": "hola"}).json() == [
        {"recipient_id": SENDER, "text": "Hola.", "language": "es"},
        {"recipient_id": SENDER, "text": "¿En qué le puedo ayudar?", "language": "es"},
        {"recipient_id": SENDER, "text": "Elija una:", "language": "es", "buttons": [{"title": "Sí", "payload": "/affirm"}]},
    ]
    assert rest({"sender": SENDER, "message": "hi"}).json() == [{"recipient_id": SENDER, "text": "Hello.", "language": "en"}]


def test_rest_adds_no_language_a_response_did_not_say():
    _, rest = rest_app()
    assert rest({"sender": SENDER, "message": "unmarked"}).json() == [{"recipient_id": SENDER, "text": "No language said."}]


def test_the_collector_ignores_a_language_that_is_not_ours():
    collector = LanguageCollectingOutputChannel()
    asyncio.run(collector.send_response("r", {"text": "x", "language": "<script>"}))
    assert collector.messages == [{"recipient_id": "r", "text": "x"}]


# --- the widget's language words REST's own notices -----------------------------------------------------------------

def test_rest_notices_are_in_the_widgets_language():
    bot, rest = rest_app()
    silent = rest({"sender": SENDER, "message": "silence", "metadata": {"language": "es"}}).json()
    assert silent == [{"recipient_id": SENDER, "text": turn_replies.not_saved_text(language="es")}]
    assert "Perdone" in silent[0]["text"]
    too_long = "x" * (turn_replies.MAX_MESSAGE_CHARS + 1)
    long_reply = rest({"sender": SENDER, "message": too_long, "metadata": {"language": "es"}}).json()
    assert long_reply[0]["text"] == turn_replies.too_long_text(language="es")
    # The metadata still reaches the bot as it was sent.
    assert bot.heard[0].metadata == {"language": "es"}


@pytest.mark.parametrize("metadata", [None, {}, {"language": "fr"}, {"language": ["es"]}, {"other": "es"}])
def test_without_a_language_of_ours_the_notices_are_english(metadata):
    _, rest = rest_app()
    body: Dict[str, Any] = {"sender": SENDER, "message": "silence"}
    if metadata is not None:
        body["metadata"] = metadata
    assert rest(body).json() == [{"recipient_id": SENDER, "text": turn_replies.not_saved_text()}]


def test_the_429_notice_is_in_the_widgets_language():
    _, rest = rest_app(ChannelLimits(per_sender=1, per_ip=100))
    assert rest({"sender": SENDER, "message": "hi", "metadata": {"language": "es"}}).status_code == 200
    refused = rest({"sender": SENDER, "message": "hi", "metadata": {"language": "es"}})
    assert refused.status_code == 429
    assert refused.json()["messages"][0]["text"] == turn_replies.too_many_text(language="es")


def test_metadata_language_takes_only_our_languages():
    assert metadata_language({"language": "es"}) == "es"
    assert metadata_language({"language": "en"}) == "en"
    for metadata in (None, "es", {"language": "ES"}, {"language": "fr"}, {"language": 1}):
        assert metadata_language(metadata) is None


# --- socket.io: the same ---------------------------------------------------------------------------------------------

def socketio_turns(limits: ChannelLimits, monkeypatch) -> tuple:
    """Rasa's socket.io channel as registered (its user-message handler), the bot faked, emits recorded."""
    bot = MarkedBot()
    channel = HelplineSocketIOInput()
    channel.rate_limits = limits
    channel.blueprint(bot)
    sio = channel.sio
    emitted: List[tuple] = []

    async def emit(event: str, data: Any = None, room: Any = None, **kwargs: Any) -> None:
        emitted.append((event, data, room))

    monkeypatch.setattr(sio, "emit", emit)
    monkeypatch.setattr(sio, "get_environ", lambda sid, namespace=None: {"sanic.request": FakeRequest("203.0.113.9")})
    handler = sio.handlers["/"][channel.user_message_evt]

    def say(text: str, metadata: Any = None) -> List[tuple]:
        emitted.clear()
        data: Dict[str, Any] = {"message": text}
        if metadata is not None:
            data["metadata"] = metadata
        asyncio.run(handler("sid-1", data))
        return list(emitted)

    return bot, say


def test_socketio_emits_the_language_of_every_message(monkeypatch):
    _, say = socketio_turns(ChannelLimits(per_sender=100, per_ip=100), monkeypatch)
    assert say("hola") == [
        ("bot_uttered", {"text": "Hola.", "language": "es"}, "sid-1"),
        ("bot_uttered", {"text": "¿En qué le puedo ayudar?", "language": "es"}, "sid-1"),
        ("bot_uttered", {"text": "Elija una:", "language": "es", "quick_replies": [
            {"content_type": "text", "title": "Sí", "payload": "/affirm"}]}, "sid-1"),
    ]
    assert say("unmarked") == [("bot_uttered", {"text": "No language said."}, "sid-1")]


def test_socketio_notices_are_in_the_clients_language(monkeypatch):
    _, say = socketio_turns(ChannelLimits(per_sender=2, per_ip=100), monkeypatch)
    assert say("silence", {"language": "es"}) == [
        ("bot_uttered", {"text": turn_replies.not_saved_text(language="es")}, "sid-1")]
    assert say("silence") == [("bot_uttered", {"text": turn_replies.not_saved_text()}, "sid-1")]
    assert say("hi", {"language": "es"}) == [
        ("bot_uttered", {"text": turn_replies.too_many_text(language="es")}, "sid-1")]

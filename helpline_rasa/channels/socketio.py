"""Rasa's socket.io channel with the REST channel's length limit and no-reply notice.

The chat widget talks REST (helpline_rasa/channels/rest.py); socket.io stays for
Rasa's own web chat clients. Rasa's channel is used as it is; only the
``on_new_message`` it is given is wrapped, so that a message over
:data:`helpline.turn_replies.MAX_MESSAGE_CHARS` is answered without reaching NLU
and the crisis lexicon, and a turn that produced no bot message (action server
unreachable) gets :func:`helpline.turn_replies.not_saved_text`. Its
``session_request`` handler is replaced too (see below): without that, no
socket.io client heard the bot at all.
"""
from __future__ import annotations

import inspect
import logging
import uuid
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from helpline import turn_replies

logger = logging.getLogger(__name__)


def guarded(on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[None]]:
    async def handle(message: UserMessage) -> None:
        channel = message.output_channel
        if not isinstance(message.text, str):
            logger.info("socketio: a message without text was ignored")
            return
        if turn_replies.is_too_long(message.text):
            logger.info("socketio: a message of %d characters was not read", len(message.text))
            await channel.send_text_message(message.sender_id, turn_replies.too_long_text())
            return
        sent = []
        send = channel._send_message

        async def counting(socket_id: Text, response: Any) -> None:
            sent.append(True)
            await send(socket_id, response)

        # SocketIOOutput funnels every kind of bot message through _send_message.
        channel._send_message = counting
        try:
            await on_new_message(message)
        except Exception as exc:
            logger.error("socketio: a turn failed: %s", type(exc).__name__)
        if not sent:
            logger.warning("socketio: a turn produced no reply (is the action server up?); sent the resend notice")
            await send(message.sender_id, {"text": turn_replies.not_saved_text()})

    return handle


class HelplineSocketIOInput(SocketIOInput):
    """Registered in credentials.yml in place of ``socketio:``, with the same settings."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(guarded(on_new_message))
        sio = self.sio

        # Replaces Rasa 3.6's handler, which calls enter_room without awaiting it:
        # with the python-socketio the lock resolves to (5.x, where it is a
        # coroutine) the client never joins its session's room and never hears
        # the bot when session_persistence is on.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not session_id or len(session_id) > 128:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                joined = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(joined):
                    await joined
            await sio.emit("session_confirm", session_id, room=sid)

        return webhook

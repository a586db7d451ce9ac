"""Rasa's socket.io channel behind the channel guard all channels share, with server-issued session ids.

The chat widget talks REST (helpline_rasa/channels/rest.py); socket.io stays for
Rasa's own web chat clients. Rasa's channel is used as it is; only the
``on_new_message`` it is given is wrapped (:func:`guarded`, the shared
:mod:`helpline.channels.turn_guard`), so that a message over
:data:`helpline.channels.turn_replies.MAX_MESSAGE_CHARS` is answered without reaching NLU
and the crisis lexicon, and a turn that produced no bot message (action server
unreachable) gets :func:`helpline.channels.turn_replies.not_saved_text`. Its
``session_request`` handler is replaced too (see below): without that, no
socket.io client heard the bot at all. Each emitted bot message keeps the
``"language"`` of its response (:mod:`helpline_rasa.channels.collecting`); a
client's ``metadata: {"language": "es"}`` words the channel's notices.

Session ids are the server's, not the client's. Rasa's channel takes whatever
``session_id`` a client names, both when it joins a session's room (and so
hears every reply of that conversation) and in each message (and so writes into
that conversation): a second client that learnt or guessed someone's id got
their replies live. Here the server issues ids (:func:`helpline.channels.web_ids.new_session_id`,
tagged with an HMAC under the install's secret), honours a proposed id only if
it carries a valid tag (a reconnecting client resuming its own session), binds
the session to the socket, and takes a message's conversation from that
binding, never from the message.
"""
from __future__ import annotations

import inspect
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from helpline.channels import sms, turn_guard, web_ids
from helpline_rasa.channels.collecting import LanguageSocketIOOutput, metadata_language
from helpline_rasa.channels.limits import ChannelLimits, guard_socketio

logger = logging.getLogger(__name__)


def guarded(on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[None]]:
    """``on_new_message`` behind the shared channel guard (:mod:`helpline.channels.turn_guard`)."""

    async def handle(message: UserMessage) -> None:
        channel = message.output_channel
        if not isinstance(message.text, str):
            logger.info("socketio: a message without text was ignored")
            return
        sent = []
        send = channel._send_message

        async def counting(socket_id: Text, response: Any) -> None:
            sent.append(True)
            await send(socket_id, response)

        # SocketIOOutput funnels every kind of bot message through _send_message.
        channel._send_message = counting
        notice = await turn_guard.guarded_turn(
            "socketio", message.text, lambda: on_new_message(message), lambda: bool(sent),
            language=metadata_language(getattr(message, "metadata", None)),
        )
        if notice is not None:
            await channel.send_text_message(message.sender_id, notice)

    return handle


def session_signing_key(env: Optional[Mapping[str, str]] = None) -> bytes:
    """The key that tags session ids, derived from the install's id secret.

    That is the secret SMS conversation keys use (``HELPLINE_ID_SECRET``, else a
    per-install file, :func:`helpline.channels.sms.id_secret`), so an install has one id
    secret, and replicas that share it (as scaling out requires) let a client
    resume its session on either. The derivation keeps the two uses apart.
    """
    return web_ids.session_key(sms.id_secret(env).value)


class HelplineSocketIOInput(SocketIOInput):
    """Registered in credentials.yml in place of ``socketio:``, with the same settings."""

    # Where the signing secret comes from; None is the process environment (tests pass their own).
    env: Optional[Mapping[str, str]] = None
    # Rate limits of this process; from the settings when the blueprint is built unless set (tests).
    rate_limits: Optional[ChannelLimits] = None

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        handle = guarded(on_new_message)
        webhook = super().blueprint(handle)
        sio = self.sio
        key = session_signing_key(self.env)
        # socket sid -> the session id this server bound to it; a socket hears and speaks for that session only.
        self.sessions: Dict[Text, Text] = {}

        async def call(result: Any) -> None:
            # enter_room / leave_room are coroutines in python-socketio 5.x, plain calls before.
            if inspect.isawaitable(result):
                await result

        # Replaces Rasa 3.6's handler, which takes any session id the client names
        # and calls enter_room without awaiting it: with the python-socketio the
        # lock resolves to (5.x, where it is a coroutine) the client never joined
        # its session's room and never heard the bot when session_persistence is on.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            proposed = data.get("session_id") if isinstance(data, dict) else None
            session_id = proposed if web_ids.is_issued_session_id(proposed, key) else web_ids.new_session_id(key)
            previous = self.sessions.get(sid)
            if self.session_persistence:
                if previous is not None and previous != session_id:
                    await call(sio.leave_room(sid, previous, namespace=self.namespace))
                await call(sio.enter_room(sid, session_id, namespace=self.namespace))
            # Bound before the confirmation, so the client's next message finds it.
            self.sessions[sid] = session_id
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        # Replaces Rasa 3.6's handler, which takes the conversation from data["session_id"].
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            text = data.get("message", "") if isinstance(data, dict) else None
            if not isinstance(text, str):  # UserMessage would fail on it (text.strip())
                logger.info("socketio: a message without text was ignored")
                return
            if self.session_persistence:
                sender_id = self.sessions.get(sid)
                if sender_id is None:
                    logger.warning("socketio: a message before session_request was ignored")
                    return
            else:
                sender_id = sid  # as in Rasa: without persistence the socket is the conversation
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            message = UserMessage(text, LanguageSocketIOOutput(sio, self.bot_message_evt), sender_id,
                                  input_channel=self.name(), metadata=metadata)
            await handle(message)

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text, reason: Any = None) -> None:
            # python-socketio leaves the socket's rooms itself; the binding is ours to drop.
            self.sessions.pop(sid, None)

        # Last, so the rate limits wrap whichever handler takes user messages
        # (per connection, session and address; helpline_rasa/channels/limits.py).
        self.rate_limits = self.rate_limits or ChannelLimits.from_settings()
        guard_socketio(self, sio, self.rate_limits)
        return webhook

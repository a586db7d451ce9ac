"""Output channels that keep the language each bot message is in.

helpline_rasa/nlg.py puts ``"language": "en"|"es"`` on every response; Rasa
hands it to the output channel with the message (unknown keys pass through
``send_response``), but Rasa's own output channels build their messages from the
keys they know and drop it. These keep it, so the chat widget can switch its
labels to the language the bot speaks and the SMS channel can remember it.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.socketio import SocketIOOutput

from helpline.language import LANGUAGES

LANGUAGE_KEY = "language"


def language_of(message: Dict[Text, Any]) -> Optional[str]:
    value = message.get(LANGUAGE_KEY)
    return value if value in LANGUAGES else None


def metadata_language(metadata: Any) -> Optional[str]:
    """The language a client put in a message's metadata (the widget's ``{"language": "es"}``), if it is one of ours."""
    return language_of(metadata) if isinstance(metadata, dict) else None


class LanguageCollectingOutputChannel(CollectingOutputChannel):
    """Rasa's collector (what REST returns), each message carrying the language of the response it came from."""

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        language = language_of(message)
        first = len(self.messages)
        # One response may become several messages (its paragraphs, an image): each gets the key.
        await super().send_response(recipient_id, message)
        if language is not None:
            for collected in self.messages[first:]:
                collected[LANGUAGE_KEY] = language


class LanguageSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output, each emitted message carrying the language of the response it came from."""

    _language: Optional[str] = None

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        # One output channel serves one incoming message, and its responses are sent
        # one after another, so the language can ride on the instance for the duration.
        self._language = language_of(message)
        try:
            await super().send_response(recipient_id, message)
        finally:
            self._language = None

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        if self._language is not None and isinstance(response, dict):
            response = {**response, LANGUAGE_KEY: self._language}
        await super()._send_message(socket_id, response)

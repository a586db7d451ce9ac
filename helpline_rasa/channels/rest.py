"""The REST channel (``POST /webhooks/rest/webhook``, what the chat widget uses), hardened.

Same URL and JSON as Rasa's own ``rest`` channel (``{"sender": .., "message": ..}``
in, a list of bot messages out), with these differences:

- a malformed request gets a 400 that says what is wrong, instead of a 500 or a
  crash deeper in Rasa: a body that is not a JSON object, a missing or
  non-string ``sender`` or ``message``, text that is not valid Unicode (and
  the whole Rasa server gets :mod:`helpline_rasa.http_guard`);
- ``sender`` must be an unguessable web id (:func:`helpline.channels.web_ids.is_web_id`,
  what the widget makes), so that REST reaches no other channel's conversation
  and nobody continues a conversation by guessing its id;
- the shared channel guard (:mod:`helpline.channels.turn_guard`): a message over
  :data:`helpline.channels.turn_replies.MAX_MESSAGE_CHARS` is answered kindly
  without going through NLU and the crisis lexicon, and a turn that produced no
  bot message at all (Rasa 3.6 logs an unreachable action server and says
  nothing) is answered with :func:`helpline.channels.turn_replies.not_saved_text`,
  so the person knows to resend;
- a sender or client address over the rate limit gets a 429 with Retry-After
  and a kind notice, without reaching NLU (:mod:`helpline_rasa.channels.limits`);
- each bot message keeps the ``"language"`` of its response
  (:mod:`helpline_rasa.channels.collecting`), which the widget follows; the
  widget's own language (``"metadata": {"language": "es"}``) words the channel's
  notices above, and nothing else.

Rasa's own channel logs the message text when a turn fails; this one logs the
error type only (message texts are PHI). No streaming (``?stream=true``): the
widget does not use it.
"""
from __future__ import annotations

from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from helpline.channels import turn_guard, web_ids
from helpline_rasa import http_guard
from helpline_rasa.channels.collecting import LanguageCollectingOutputChannel, metadata_language
from helpline_rasa.channels.limits import ChannelLimits, too_many_response


class BadRequest(ValueError):
    pass


def _valid_text(value: str, what: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") decodes from JSON but cannot be stored
        raise BadRequest(f"{what} is not valid Unicode") from None
    # PostgreSQL text cannot hold NUL; nobody types one.
    return value.replace("\x00", " ")


def parse_payload(request: Request) -> Tuple[str, str, Optional[Dict[Text, Any]]]:
    """``(sender, message, metadata)`` from the request; raises :class:`BadRequest`."""
    try:
        payload = request.json
    except Exception:  # Sanic's InvalidUsage, or a decoder error on bytes that are not UTF-8
        raise BadRequest("the body must be a JSON object") from None
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    sender, message, metadata = payload.get("sender"), payload.get("message"), payload.get("metadata")
    # The id is the conversation's only key: a guessable one, or another channel's
    # (an SMS texter's "sms-..."), would let this request continue someone else's conversation.
    if not web_ids.is_web_id(sender):
        raise BadRequest(f'"sender" must be a conversation id the chat widget makes: {web_ids.WEB_ID_SHAPE}')
    if not isinstance(message, str):
        raise BadRequest('"message" is required and must be a string')
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest('"metadata" must be a JSON object')
    return _valid_text(sender, '"sender"'), _valid_text(message, '"message"'), metadata


def channel_reply(sender: str, text: str) -> Dict[Text, Any]:
    return {"recipient_id": sender, "text": text}


class HelplineRestInput(RestInput):
    """Registered in credentials.yml in place of ``rest:``; keeps the name, so the URL is unchanged."""

    # Rate limits of this process; from the settings when the blueprint is built unless set (tests).
    limits: Optional[ChannelLimits] = None

    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def answer(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], sender: str, text: str,
        metadata: Optional[Dict[Text, Any]],
    ) -> List[Dict[Text, Any]]:
        collector = LanguageCollectingOutputChannel()
        notice = await turn_guard.guarded_turn(
            self.name(), text,
            lambda: on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)),
            lambda: bool(collector.messages),
            # A request Sanic times out cancels the turn: the person still gets the resend notice.
            catch=(CancelledError, Exception),
            language=metadata_language(metadata),
        )
        return collector.messages if notice is None else [channel_reply(sender, notice)]

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("helpline_rest_webhook", __name__)
        limits = self.limits = self.limits or ChannelLimits.from_settings()

        # A channel only gets a blueprint; its listener is how it reaches the Rasa server's app.
        @webhook.listener("before_server_start")
        async def harden_server(app: Any, _loop: Any) -> None:
            http_guard.harden(app)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text, metadata = parse_payload(request)
            except BadRequest as exc:
                return response.json({"error": str(exc)}, status=400)
            decision = limits.check(ip=limits.client_ip(request), senders=(sender,))
            if not decision.allowed:
                return too_many_response(sender, decision, metadata_language(metadata))
            return response.json(await self.answer(on_new_message, sender, text, metadata))

        return webhook

"""Texting over Twilio: Rasa input channels at ``POST /webhooks/<name>/webhook``, SMS first.

Only the HTTP side lives here: the Twilio signature check, reading the form,
handing the text to the bot (behind the guard every channel shares,
:mod:`helpline.channels.turn_guard`) and answering with TwiML. What a message
means (keywords, opt-outs, numbered choices, splitting, the texter's language)
is ``helpline.channels.sms``; the bot's messages reach it with the language
they are in (:mod:`helpline_rasa.channels.collecting`).

:class:`TwilioMessagingInput` is any channel Twilio's Messaging webhooks
reach; a channel is a small subclass that names itself and the prefix of its
conversation keys (:class:`HelplineSmsInput`). docs/channels.md has the recipe
for another one (WhatsApp).

Replies go back as TwiML in the webhook response rather than through Twilio's
REST API: no API credentials are needed (only the auth token that signs
webhooks), it works in local mode with ``helpline sms send``, and the reply is
tied to the delivery Twilio retries, so de-duplication by MessageSid can
replay it instead of answering twice.

Settings come from the environment (so credentials.yml holds no secret):
``TWILIO_AUTH_TOKEN`` (without it: local-trial mode, where only requests signed
with this install's own secret file pass, i.e. ``helpline sms send``),
``HELPLINE_PUBLIC_URL`` (the scheme and host Twilio calls, when a proxy sits in
front), ``HELPLINE_ID_SECRET`` (keys conversations; without it, a per-install
secret file). Every request must be signed: there is no switch to turn the
check off.
"""
from __future__ import annotations

import logging
from functools import cache
from typing import Any, Awaitable, Callable, ClassVar, Dict, List, Mapping, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from helpline.channels import rate_limit, sms, turn_guard, turn_replies
from helpline.settings import load_settings
from helpline_rasa.channels.collecting import LanguageCollectingOutputChannel, language_of

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"


@cache
def collector_class(channel: str) -> type[CollectingOutputChannel]:
    """A collector of the bot's answers named after ``channel``, so responses can have variations for it."""

    class Collector(LanguageCollectingOutputChannel):
        @classmethod
        def name(cls) -> Text:
            return channel

    return Collector


def signed_url(request: Request, public_base_url: Optional[str]) -> str:
    """The URL Twilio signed: its public form when we sit behind a proxy."""
    if not public_base_url:
        return request.url
    url = public_base_url.rstrip("/") + request.path
    return f"{url}?{request.query_string}" if request.query_string else url


class TwilioMessagingInput(InputChannel):
    """A channel Twilio's Messaging webhooks reach (SMS, WhatsApp, ...); subclasses set the two names below."""

    # The channel's name: its URL (/webhooks/<name>/webhook), the conversations'
    # input channel, the responses' channel variations and the logs.
    channel_name: ClassVar[str]
    # Starts every conversation key of this channel (helpline.channels.sms.conversation_key).
    key_prefix: ClassVar[str]

    @classmethod
    def name(cls) -> Text:
        return cls.channel_name

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        # Everything comes from the environment, so no secret is ever written in credentials.yml.
        return cls()

    def __init__(self, env: Optional[Mapping[str, str]] = None, store: Optional[sms.SmsStore] = None) -> None:
        settings = load_settings(env)
        token = sms.auth_token(env)
        secret = sms.id_secret(env)
        self.auth_token = token.value
        self.public_base_url = settings.public_url
        self.validator = RequestValidator(self.auth_token)
        self._store = store
        self.service = sms.SmsService(
            store=_LazyStore(self), secret=secret.value, facts=turn_replies.facility_facts,
            # Per texting number only: every texter reaches us from Twilio's few addresses.
            limiter=rate_limit.RateLimiter(settings.rate_limit_per_sender),
            channel=self.name(), key_prefix=self.key_prefix,
        )
        if token.is_local:
            logger.warning(
                "TWILIO_AUTH_TOKEN is not set: SMS is in LOCAL-TRIAL mode. The webhook accepts only requests "
                "signed with this install's secret %s (`helpline sms send`); Twilio's requests are refused. "
                "Set TWILIO_AUTH_TOKEN to take real texts.", token.path,
            )
        if secret.is_local:
            logger.warning(
                "HELPLINE_ID_SECRET is not set: SMS conversation keys use the local secret file %s. "
                "In production set HELPLINE_ID_SECRET (the same on every replica, kept outside the data directory).",
                secret.path,
            )
        if settings.sms_skip_signature_set:
            # Removed: it opened the webhook to anyone. Said loudly so nobody relies on it.
            logger.error("HELPLINE_SMS_SKIP_SIGNATURE is no longer supported and is ignored: every SMS webhook "
                         "request must be signed (`helpline sms send` signs with the local secret).")

    def store(self) -> sms.SmsStore:
        if self._store is None:
            # Opened on first use, in the worker thread, so start-up needs no database.
            from helpline.composition import app_context
            from helpline.store.sms_models import SqlSmsStore

            self._store = SqlSmsStore(app_context().sessions())
        return self._store

    def signature_ok(self, request: Request) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return False
        return self.validator.validate(signed_url(request, self.public_base_url), request.form, signature)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        name = self.name()
        webhook = Blueprint(f"helpline_{name}_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.signature_ok(request):
                logger.warning("%s webhook refused: missing or invalid %s", name, SIGNATURE_HEADER)
                return response.text("forbidden", status=403)
            form = request.form
            sender, message_sid = form.get("From"), form.get("MessageSid") or form.get("SmsSid")
            if not sender or not message_sid:
                return response.text("From and MessageSid are required", status=400)

            async def ask_bot(conversation_key: str, asked: sms.ForBot) -> List[sms.BotMessage]:
                collector = collector_class(name)()
                notice = await turn_guard.guarded_turn(
                    name, asked.text,
                    lambda: on_new_message(
                        UserMessage(asked.text, collector, conversation_key, input_channel=name, metadata={"channel": name})
                    ),
                    lambda: bool(collector.messages),
                    # A failed turn is answered by the SMS service, with its error text.
                    catch=(),
                    language=asked.language,
                )
                if notice is not None:
                    return [sms.BotMessage(text=notice)]
                return [_bot_message(m) for m in collector.messages]

            inbound = sms.Inbound(message_sid=message_sid, sender=sender, body=form.get("Body") or "")
            try:
                outcome = await self.service.handle(inbound, ask_bot)
            except Exception as exc:
                # The bot's own failures are answered inside handle(); what reaches here is
                # the SMS store (the database) being away. Twilio does not redeliver after
                # a 5xx, so the texter would hear nothing: give them the helpline number.
                logger.error("%s: could not handle a message (%s); sent the error text", name, type(exc).__name__)
                # Nothing remembered can be read: the message itself is all there is to go by.
                lang = sms.texter_language(None, inbound.body)
                outcome = sms.Outcome(sms.split_message(sms.error_text(self.service.facts(lang), lang)), "error")
            # The key's prefix tells conversations apart in logs; no number, no text.
            key = self.service.key(sender)
            logger.info("%s %s from %s..: %d message(s)", name, outcome.kind, key[:12], len(outcome.bodies))
            return response.text(sms.twiml(outcome.bodies), content_type="application/xml")

        return webhook


def _bot_message(message: Dict[Text, Any]) -> sms.BotMessage:
    text = message.get("text") or ""
    if message.get("image"):
        text = f"{text}\n{message['image']}".strip()
    return sms.BotMessage(text=text, buttons=message.get("buttons") or (), language=language_of(message))


class _LazyStore:
    """Forwards to the channel's store, opening it on first use (in a worker thread)."""

    def __init__(self, channel: TwilioMessagingInput) -> None:
        self._channel = channel

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel.store(), name)


class HelplineSmsInput(TwilioMessagingInput):
    """Texting (Twilio SMS): ``POST /webhooks/sms/webhook``, registered in credentials.yml."""

    channel_name = "sms"
    key_prefix = sms.KEY_PREFIX

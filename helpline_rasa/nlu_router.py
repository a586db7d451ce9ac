"""The NLU server: each message read by the model of its conversation's language.

One model per language (README, "One model or one per language"): the English
archive Rasa serves holds the English NLU and the dialogue, and the Spanish NLU is
``current-es.tar.gz`` beside it. Rasa asks this server to parse every message
(``nlu`` in endpoints.yml: Rasa's remote NLU, which posts the text and the sender
id to ``/model/parse``). The conversation's language is the ``language`` slot of
its tracker, read from the shared tracker store, and the message itself may
change it (:func:`helpline.language.parsing_language`, the rule the
``action_detect_language`` slot mapping then applies): "hola" opens a Spanish
conversation and is read by the Spanish model; "ok" in one stays Spanish.

    python -m helpline_rasa.nlu_router --model models/current.tar.gz --port 5006

Listens on loopback only; the token Rasa sends (the action token) is required.
"""
from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple

from aiohttp import web

from helpline import language
from helpline.security import local_secrets

MAX_TEXT_BYTES = 64 * 1024

Parse = Callable[[str], Awaitable[Dict[str, Any]]]
# sender id -> (the conversation's language, the payloads of the buttons last offered)
ConversationState = Callable[[str], Awaitable[tuple]]

logger = logging.getLogger(__name__)


class LanguageRoutedNLU:
    """Parses a message with the model of the language its conversation is in after it."""

    def __init__(self, parsers: Mapping[str, Parse], conversation: ConversationState) -> None:
        missing = [lang for lang in language.LANGUAGES if lang not in parsers]
        if missing:
            raise ValueError(f"no NLU model for {', '.join(missing)}")
        self._parsers = dict(parsers)
        self._conversation = conversation

    async def languages_for(self, text: str, sender_id: Optional[str]) -> Tuple[str, ...]:
        current, offered = None, []
        if sender_id:
            try:
                current, offered = await self._conversation(sender_id)
            except Exception as exc:  # the store briefly away: read it as a first message rather than not at all
                logger.warning("NLU server: conversation state unavailable (%s); reading the message alone",
                               type(exc).__name__)
        return language.parsing_languages(current, text, offered)

    async def parse(self, text: str, sender_id: Optional[str]) -> Dict[str, Any]:
        readings = [await self._parsers[lang](text) for lang in await self.languages_for(text, sender_id)]
        return surer_reading(readings)


# A crisis reading wins over any other, then a safety check-in: the detectors of both models
# are the same, so they differ only where a classifier's own crisis guess was put back.
_SAFETY_FIRST = ("crisis", "possible_risk")
# Set by a component when the classifier was unsure: not a reading to prefer.
_UNSURE = ("nlu_fallback", "faq_clarify")


def confidence_of(reading: Mapping[str, Any]) -> float:
    """How sure a model is of its reading: the classifier's top intent, times the FAQ answer's for an FAQ."""
    ranking = [r for r in reading.get("intent_ranking") or [] if r.get("name") not in _UNSURE]
    top = ranking[0] if ranking else reading.get("intent") or {}
    confidence = float(top.get("confidence") or 0.0)
    if top.get("name") == "faq":
        answer = ((reading.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        confidence *= float(answer.get("confidence") or 0.0)
    return confidence


def surer_reading(readings: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The reading to act on, of one message read by several models."""
    if len(readings) == 1:
        return readings[0]
    for intent in _SAFETY_FIRST:
        for reading in readings:
            if (reading.get("intent") or {}).get("name") == intent:
                return reading
    return max(readings, key=confidence_of)


def offered_payloads(events: List[Any]) -> List[str]:
    """The payloads of the buttons under the bot's last message, from Rasa's event objects."""
    # Serialised newest first and only until the bot's last message: a long tracker is not copied.
    return language.offered_payloads(event.as_dict() for event in reversed(events))


def tracker_state(endpoints_file: str, domain: Any) -> ConversationState:
    """Reads a conversation's language and last buttons from the tracker store Rasa writes.

    ``domain`` is the served model's: without it a tracker knows no slot, and every
    conversation would read as one without a language.
    """
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    store: Optional[Any] = None

    async def state(sender_id: str) -> tuple:
        nonlocal store
        if store is None:
            # Created on the first message, by when Rasa has created the store's tables.
            store = TrackerStore.create(read_endpoint_config(endpoints_file, endpoint_type="tracker_store"), domain=domain)
        tracker = await store.retrieve(sender_id)
        if tracker is None:
            return None, []
        return tracker.get_slot("language"), offered_payloads(list(tracker.events))

    return state


def load_agents(served: Path) -> Dict[str, Any]:
    """Each language's model; the English one is the served archive, which holds the dialogue's domain."""
    from rasa.core.agent import Agent

    agents: Dict[str, Any] = {}
    for lang in language.LANGUAGES:
        archive = language.model_archive(served, lang)
        if not archive.exists():
            raise SystemExit(f"{archive} is missing: `make train` trains one model per language.")
        # No endpoints: this agent only parses (with them it would ask this very server).
        agents[lang] = Agent.load(str(archive))
    return agents


def _authorised(body: Mapping[str, Any], token: str) -> bool:
    return hmac.compare_digest(str(body.get("token") or ""), token)


def build_app(router: LanguageRoutedNLU, token: str) -> web.Application:
    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def parse(request: web.Request) -> web.Response:
        if request.content_type != "application/json":  # what Rasa sends; no cross-site form post gets in
            return web.json_response({"error": "JSON only"}, status=415)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "a JSON body is required"}, status=400)
        if not isinstance(body, dict) or not _authorised(body, token):
            return web.json_response({"error": "unauthorised"}, status=401)
        text = body.get("text")
        if not isinstance(text, str):
            return web.json_response({"error": "text is required"}, status=400)
        sender = body.get("message_id")
        return web.json_response(await router.parse(text, str(sender) if sender else None))

    app = web.Application(client_max_size=MAX_TEXT_BYTES)
    app.router.add_get("/", health)
    app.router.add_post("/model/parse", parse)
    return app


def quiet_logs() -> None:
    """Warnings and errors only: Rasa logs every parsed text at debug level, and texts are what people wrote."""
    from rasa.utils.log_utils import configure_structlog

    logging.basicConfig(level=logging.WARNING)
    configure_structlog(logging.WARNING)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="the served archive (English NLU and the dialogue)")
    parser.add_argument("--endpoints", default="endpoints.yml")
    parser.add_argument("--port", type=int, default=5006)
    args = parser.parse_args(argv)
    # The action token: HELPLINE_ACTION_TOKEN, else the install's token file (as the action server).
    token = local_secrets.action_token().value
    quiet_logs()
    agents = load_agents(Path(args.model))
    router = LanguageRoutedNLU({lang: agent.parse_message for lang, agent in agents.items()},
                               tracker_state(args.endpoints, agents[language.ENGLISH].domain))
    # No access log: request bodies hold what people wrote.
    web.run_app(build_app(router, token), host="127.0.0.1", port=args.port, access_log=None, print=None,
                loop=asyncio.new_event_loop())


if __name__ == "__main__":
    main()

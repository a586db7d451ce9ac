"""Reading a message when the NLU server cannot: the served model in Rasa's own process.

Rasa asks the NLU server (``helpline_rasa/nlu_router.py``) to read every message.
When that server is down (the supervisor restarts it, but loading two models
takes seconds) or hangs, Rasa's own remote-NLU client returns an empty reading
after up to five minutes and logs the person's words. An empty reading gets no
988/911 answer, so a crisis in that window would be missed.

Here a failed or slow reading (``TIMEOUT``) is made by the English archive Rasa
already has loaded: its crisis detector was trained on both languages' crises
(README, "One model or one per language"), so a crisis still gets the 988/911
answer in either language, and a button or an English question is understood
as usual. Should even that fail, the crisis lexicon reads the text and anything
else gets the "didn't get that" menu, which gives the phone number. Nothing the
person wrote is logged.

Rasa builds its processor in ``rasa.core.agent`` and offers no setting to choose
another, so ``helpline_rasa/rasa_server.py`` puts :class:`ProcessorReadingLocally`
in its place before running Rasa's command line.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Optional

import aiohttp
from rasa.core.channels import UserMessage
from rasa.core.http_interpreter import RasaNLUHttpInterpreter
from rasa.core.processor import MessageProcessor
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.core.trackers import DialogueStateTracker

from helpline.safety.lexicon import detect_crisis
from helpline_rasa.crisis_detector import CRISIS_INTENT, crisis_entities

# A reading takes well under a second; past this the person is better served by a local reading now.
TIMEOUT = aiohttp.ClientTimeout(total=10)

LocalReading = Callable[[UserMessage], Dict[str, Any]]

logger = logging.getLogger(__name__)


class ResilientNLU:
    """Rasa's remote-NLU client (its session and endpoint), with a local reading to fall back on."""

    def __init__(self, remote: RasaNLUHttpInterpreter, local: LocalReading) -> None:
        self.remote = remote
        self.local = local

    async def parse(self, message: UserMessage) -> Dict[str, Any]:
        reading = await self._remote_reading(message)
        if reading is not None:
            return reading
        try:
            return self.local(message)
        except Exception as exc:  # the last resort needs no model
            logger.error("local NLU reading failed (%s): message read by the crisis lexicon", type(exc).__name__)
            return lexicon_reading(message.text or "")

    async def _remote_reading(self, message: UserMessage) -> Optional[Dict[str, Any]]:
        endpoint = self.remote.endpoint_config
        url = (endpoint.url or "").rstrip("/") + "/model/parse"
        params = {"token": endpoint.token, "text": message.text or "", "message_id": message.sender_id}
        try:
            async with self.remote.session.post(url, json=params, timeout=TIMEOUT) as response:
                if response.status == 200:
                    return await response.json()
                logger.warning("NLU server answered %s: message read by the model in this process", response.status)
        except Exception as exc:  # down, restarting, hung: any failure gets the same fallback
            logger.warning("NLU server unavailable (%s): message read by the model in this process",
                           type(exc).__name__)
        return None


class ProcessorReadingLocally(MessageProcessor):
    """Rasa's processor, reading a message with its own model when the NLU server cannot."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # getattr/setattr: the attribute is untyped in Rasa, and the processor only awaits ``parse`` on it.
        remote: Optional[RasaNLUHttpInterpreter] = getattr(self, "http_interpreter", None)
        if remote is not None:
            setattr(self, "http_interpreter", ResilientNLU(remote, self._read_here))  # noqa: B010

    def _read_here(self, message: UserMessage) -> Dict[str, Any]:
        # A first-message reading: no NLU component here reads the tracker.
        return self._parse_message_with_graph(message, DialogueStateTracker.from_events(message.sender_id, []))


def lexicon_reading(text: str) -> Dict[str, Any]:
    """A parse result that needs no model: a crisis by the lexicon, else ``nlu_fallback``."""
    match = detect_crisis(text)
    intent = {"name": CRISIS_INTENT if match else DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0}
    return {"text": text, "intent": intent, "intent_ranking": [intent],
            "entities": crisis_entities(match) if match else []}

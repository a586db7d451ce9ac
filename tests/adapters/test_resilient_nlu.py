"""A message is still read when the NLU server cannot read it (helpline_rasa/resilient_nlu.py).

A local aiohttp server stands in for the NLU server (answering, failing, hanging,
or not there at all); a function stands in for the model in Rasa's process. The
real stack with the NLU server killed is tests/e2e/test_faults.py.
"""
from __future__ import annotations

import asyncio
from typing import List

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.core.channels import UserMessage
from rasa.core.http_interpreter import RasaNLUHttpInterpreter
from rasa.utils.endpoints import EndpointConfig

from helpline_rasa import rasa_server, resilient_nlu
from helpline_rasa.resilient_nlu import ProcessorReadingLocally, ResilientNLU, lexicon_reading

REMOTE = {"text": "how much is it", "intent": {"name": "faq", "confidence": 0.97}, "entities": []}
LOCAL = {"text": "how much is it", "intent": {"name": "faq", "confidence": 0.5}, "entities": [], "local": True}


def nlu_server(behaviour: str) -> web.Application:
    async def parse(request: web.Request) -> web.Response:
        if behaviour == "hang":
            await asyncio.sleep(30)
        if behaviour == "fail":
            return web.json_response({"error": "model not loaded"}, status=503)
        return web.json_response(REMOTE)
    app = web.Application()
    app.router.add_post("/model/parse", parse)
    return app


def read(url: str, text: str = "how much is it", local=None) -> dict:
    async def go() -> dict:
        remote = RasaNLUHttpInterpreter(EndpointConfig(url, token="t"))
        try:
            return await ResilientNLU(remote, local or (lambda message: LOCAL)).parse(UserMessage(text, sender_id="s1"))
        finally:
            await remote.session.close()
    return asyncio.run(go())


def read_with_server(behaviour: str, **kwargs) -> dict:
    async def go() -> dict:
        server = TestServer(nlu_server(behaviour))
        await server.start_server()
        try:
            remote = RasaNLUHttpInterpreter(EndpointConfig(str(server.make_url("/")), token="t"))
            try:
                return await ResilientNLU(remote, lambda message: LOCAL).parse(UserMessage("how much is it"))
            finally:
                await remote.session.close()
        finally:
            await server.close()
    return asyncio.run(go())


def test_the_nlu_servers_reading_is_used_when_it_answers():
    assert read_with_server("answer") == REMOTE


def test_a_failing_nlu_server_is_replaced_by_the_local_reading():
    assert read_with_server("fail") == LOCAL


def test_a_hung_nlu_server_is_given_up_on(monkeypatch):
    monkeypatch.setattr(resilient_nlu, "TIMEOUT", aiohttp.ClientTimeout(total=0.5))
    assert read_with_server("hang") == LOCAL


def test_an_nlu_server_that_is_not_there_is_replaced_by_the_local_reading():
    seen: List[str] = []
    assert read("http://127.0.0.1:9", local=lambda message: seen.append(message.text) or LOCAL) == LOCAL
    assert seen == ["how much is it"]


def test_if_the_local_reading_fails_too_the_crisis_lexicon_reads_the_message():
    def broken(message):
        raise RuntimeError("graph")
    reading = read("http://127.0.0.1:9", "I am going to kill myself tonight", local=broken)
    assert reading["intent"] == {"name": "crisis", "confidence": 1.0}
    assert {e["entity"]: e["value"] for e in reading["entities"]}["crisis_category"] == "suicide_self_harm"
    assert read("http://127.0.0.1:9", "how much is it", local=broken)["intent"]["name"] == "nlu_fallback"


def test_the_lexicon_reading_has_the_shape_rasa_reads():
    reading = lexicon_reading("my brother took a bunch of pills and is not breathing")
    assert reading["intent"]["name"] == "crisis" and reading["intent_ranking"] == [reading["intent"]]
    assert {e["entity"] for e in reading["entities"]} == {"crisis_category", "crisis_severity"}
    assert lexicon_reading("")["intent"]["name"] == "nlu_fallback"


def test_no_text_is_logged_when_the_nlu_server_fails(caplog):
    caplog.set_level("DEBUG")
    read("http://127.0.0.1:9", "my secret words")
    assert "my secret words" not in caplog.text
    assert "NLU server unavailable" in caplog.text


def test_rasas_agent_builds_the_locally_reading_processor_once_installed(monkeypatch):
    import rasa.core.agent
    from rasa.core.processor import MessageProcessor

    # The name the agent builds its processor by, in the pinned Rasa.
    assert rasa.core.agent.MessageProcessor is MessageProcessor
    monkeypatch.setattr(rasa.core.agent, "MessageProcessor", MessageProcessor)
    rasa_server.install()
    assert rasa.core.agent.MessageProcessor is ProcessorReadingLocally
    # What it overrides and calls, in the pinned Rasa.
    assert callable(MessageProcessor._parse_message_with_graph)
    assert "http_interpreter" in MessageProcessor.__init__.__code__.co_varnames


@pytest.mark.parametrize("text", ["I am going to kill myself tonight"])
def test_the_processor_wraps_rasas_remote_client(text, monkeypatch):
    def fake_init(self, *args, **kwargs):
        self.http_interpreter = kwargs.get("http_interpreter")
    monkeypatch.setattr(resilient_nlu.MessageProcessor, "__init__", fake_init)

    async def go():
        remote = RasaNLUHttpInterpreter(EndpointConfig("http://127.0.0.1:9"))
        processor = ProcessorReadingLocally(http_interpreter=remote)
        processor._parse_message_with_graph = lambda message, tracker, only_output_properties=True: {
            "text": message.text, "intent": {"name": "crisis", "confidence": 0.9}, "entities": []}
        try:
            assert isinstance(processor.http_interpreter, ResilientNLU)
            return await processor.http_interpreter.parse(UserMessage(text))
        finally:
            await remote.session.close()
    assert asyncio.run(go())["intent"] == {"name": "crisis", "confidence": 0.9}

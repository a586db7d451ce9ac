"""socket.io clients over HTTP keep to their own conversations.

Rasa's channel let a client name any ``session_id``: a second client naming
another's heard that person's replies live and could write into their
conversation. Here real python-socketio clients talk to Rasa's HTTP layer built
from the argv ``helpline run`` gives ``rasa run`` (tests/adapters/rasa_http_server.py),
whose stand-in agent answers "<n>: <text>", n being how many messages that
conversation has heard, so each reply shows which conversation a message landed in.
"""
from __future__ import annotations

import asyncio
import uuid
from typing import Any, List, Optional

import pytest
import socketio

from helpline.channels import web_ids
from tests.adapters.test_cors import serve, services

REPLY_TIMEOUT_S = 30
# Long enough for a reply that should not come to have arrived (the stand-in answers in milliseconds).
QUIET_S = 1.5


@pytest.fixture(scope="module")
def rasa_url(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("socketio-sessions")
    with pytest.MonkeyPatch.context() as monkeypatch:
        argv = services(monkeypatch, tmp_path, "https://www.example.org")["rasa"].argv
    yield from serve(argv, tmp_path)


class Client:
    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient()
        self.replies: asyncio.Queue = asyncio.Queue()
        self.confirmed: asyncio.Queue = asyncio.Queue()
        self.sio.on("bot_uttered", lambda data: self.replies.put_nowait(data.get("text")))
        self.sio.on("session_confirm", lambda session_id: self.confirmed.put_nowait(session_id))

    async def __aenter__(self) -> Client:
        # Long polling: the installed aiohttp is older than python-socketio's websocket client wants.
        await self.sio.connect(self.url, socketio_path="/socket.io", transports=["polling"])
        return self

    async def __aexit__(self, *exc: Any) -> None:
        # Engine.IO's close packet, without waiting up to 30 s for the pending long poll to return.
        await self.sio.eio.disconnect(abort=True)

    async def session(self, proposed: Optional[str] = None) -> str:
        await self.sio.emit("session_request", {"session_id": proposed})
        return await asyncio.wait_for(self.confirmed.get(), REPLY_TIMEOUT_S)

    async def say(self, text: str, session_id: Optional[str]) -> str:
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id})
        return await asyncio.wait_for(self.replies.get(), REPLY_TIMEOUT_S)

    async def heard(self) -> List[str]:
        """Replies that arrived unasked (none should)."""
        await asyncio.sleep(QUIET_S)
        unasked = []
        while not self.replies.empty():
            unasked.append(self.replies.get_nowait())
        return unasked


def test_a_second_client_naming_another_s_session_neither_hears_nor_writes_into_it(rasa_url):
    async def scenario() -> None:
        async with Client(rasa_url) as alice, Client(rasa_url) as mallory:
            chosen = uuid.uuid4().hex  # what a web chat client may propose
            alice_session = await alice.session(chosen)
            assert alice_session != chosen, "the server must issue the id, not take the client's"
            assert web_ids.SESSION_ID_PATTERN.fullmatch(alice_session)
            assert await alice.say("from alice", alice_session) == "1: from alice"

            # Mallory asks for the id Alice proposed, and names Alice's real one in her message.
            mallory_session = await mallory.session(chosen)
            assert mallory_session != alice_session
            assert await mallory.say("from mallory", alice_session) == "1: from mallory"  # a conversation of her own
            assert await alice.heard() == []

            # Alice's conversation holds Alice's messages only, and Mallory hears none of its replies.
            assert await alice.say("again", alice_session) == "2: again"
            assert await mallory.heard() == []

    asyncio.run(scenario())


def test_a_client_resumes_only_a_session_this_server_issued(rasa_url):
    async def scenario() -> None:
        async with Client(rasa_url) as first:
            issued = await first.session(None)
            assert await first.say("one", issued) == "1: one"
        forged = issued[:-1] + ("1" if issued[-1] == "0" else "0")
        async with Client(rasa_url) as stranger:
            assert await stranger.session(forged) != forged
            assert await stranger.say("hello", forged) == "1: hello"
        async with Client(rasa_url) as reconnected:
            assert await reconnected.session(issued) == issued  # the same person after a reload
            assert await reconnected.say("two", None) == "2: two"
        async with Client(rasa_url) as silent:
            # No session asked for: the message belongs to no conversation and is dropped.
            await silent.sio.emit("user_uttered", {"message": "hi", "session_id": issued})
            assert await silent.heard() == []

    asyncio.run(scenario())

"""Scaled out: two Rasa replicas, each with its own action server, one PostgreSQL, one Redis.

Conversations hop between the replicas turn by turn and every reply must still
be the right one, every turn must be stored in order, and every finished intake
must store exactly one lead. A person who double-sends (two messages of one
conversation at the same moment) is served through HAProxy, which keeps a
conversation on one replica, because Rasa's Redis lock store alone does not
always order two replicas (its tickets are read and written back without a
transaction, RasaHQ/rasa#9213). Measured with this file's double_send() sent
straight to the two replicas (2026-12-02, 20 conversations x 5 rounds of two
questions at once, 220 messages a run): with the Redis lock store 1 turn lost
in 3 runs (660 messages); with no shared lock (in-memory per replica) 8 and 2
lost in 2 runs; through HAProxy 0 lost in every run, with either lock store.
"""
from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, text

from helpline.channels import web_ids
from tests.cluster import Cluster, scaled_out
from tests import services
from tests.e2e.conftest import MODEL, ROOT
from tests.e2e.conversations import (
    FAQ_TURNS,
    FaqConversation,
    IntakeConversation,
    faq_rounds,
    phone_for,
    texts,
)

pytestmark = pytest.mark.e2e

# Enough double-sends that a balancer without stickiness loses turns (see above).
DOUBLE_SEND_CONVERSATIONS = 20
DOUBLE_SEND_ROUNDS = 5


@dataclass
class Stack:
    cluster: Cluster
    tracker_url: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first (make test does).")
    redis = urlsplit(services.redis_url())
    with services.postgres_database("helpline_tracker") as tracker_url, \
            services.postgres_database("helpline_callbacks") as callbacks_url:
        cluster = scaled_out(
            MODEL, tmp_path_factory.mktemp("scale-out"),
            tracker_url=tracker_url, database_url=callbacks_url,
            redis_host=redis.hostname or "127.0.0.1", redis_port=redis.port or 6379,
            extra_env={"HELPLINE_STAFF_SMS_TO": "+16025550100"},
        )
        cluster.start()
        try:
            yield Stack(cluster, tracker_url)
        finally:
            cluster.stop()
        leftovers = cluster.bound_ports()
        assert not leftovers, f"ports still bound after SIGTERM: {leftovers}"


def new_sender() -> str:
    return web_ids.new_web_id()


def say(url: str, sender: str, message: str) -> str:
    response = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60)
    response.raise_for_status()
    return texts(response.json())


def stored_event_types(tracker_url: str, sender: str) -> List[str]:
    """The conversation's event types in the order they were stored.

    Only type names: the events' data may be encrypted, and the replies have
    already been checked one by one.
    """
    engine = create_engine(tracker_url, future=True)
    try:
        with engine.connect() as connection:
            return list(connection.execute(
                text("SELECT type_name FROM events WHERE sender_id = :sender ORDER BY id"), {"sender": sender},
            ).scalars())
    finally:
        engine.dispose()


@dataclass
class TurnDamage:
    lost: int  # messages sent whose user event is not stored
    unanswered: int  # stored user messages with no bot reply before the next one

    @property
    def any(self) -> bool:
        return bool(self.lost or self.unanswered)


def turn_damage(event_types: Sequence[str], sent: int) -> TurnDamage:
    turns: List[List[str]] = []
    for event_type in event_types:
        if event_type == "user":
            turns.append([])
        elif turns:
            turns[-1].append(event_type)
    return TurnDamage(lost=sent - len(turns), unanswered=sum("bot" not in turn for turn in turns))


def test_turn_damage_sees_lost_and_interleaved_turns():
    one_turn = ["action", "user", "action", "bot", "action"]
    assert not turn_damage(one_turn + ["user", "bot", "action"], sent=2).any
    # Two replicas each saved the tracker they loaded: the second message's user event was dropped.
    assert turn_damage(one_turn, sent=2) == TurnDamage(lost=1, unanswered=0)
    # Both user events stored before either reply: the turns were handled at the same time.
    assert turn_damage(["user", "user", "bot", "bot"], sent=2) == TurnDamage(lost=0, unanswered=1)


def callbacks_by_phone(cluster: Cluster) -> Dict[str, List[dict]]:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "helpline"), "callbacks", "list", "--json"],
        cwd=ROOT, env=cluster.env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    records: Dict[str, List[dict]] = {}
    for record in json.loads(result.stdout):
        records.setdefault(record["phone"], []).append(record)
    return records


def e164(phone: str) -> str:
    return "+1" + re.sub(r"\D", "", phone)


def test_conversations_hopping_between_replicas_lose_nothing(stack):
    replicas = stack.cluster.rasa_urls
    conversations = [FaqConversation(new_sender(), faq_rounds(len(FAQ_TURNS), start=k)) for k in range(2)]
    conversations += [IntakeConversation(new_sender(), phone_for(41 + k)) for k in range(2)]
    last_reply: Dict[str, str] = {}
    active = list(enumerate(conversations))
    while active:
        for k, conversation in list(active):
            message = conversation.next_message(last_reply.get(conversation.sender))
            if message is None:
                active.remove((k, conversation))
                continue
            # Each conversation's next message goes to the other replica than its last one.
            replica = replicas[(len(conversation.sent) + k) % len(replicas)]
            last_reply[conversation.sender] = say(replica, conversation.sender, message)

    for conversation in conversations:
        damage = turn_damage(stored_event_types(stack.tracker_url, conversation.sender), len(conversation.sent))
        assert not damage.any, f"{conversation.sender}: {damage}"

    records = callbacks_by_phone(stack.cluster)
    for intake in (c for c in conversations if isinstance(c, IntakeConversation)):
        stored = records.get(e164(intake.phone), [])
        assert len(stored) == 1, f"{len(stored)} leads stored for one finished intake"
        assert stored[0]["reference"] in intake.confirmation


@dataclass
class DoubleSendReport:
    messages: int = 0
    http_errors: int = 0
    wrong_replies: int = 0
    lost_turns: int = 0
    unanswered_turns: int = 0
    senders: List[str] = field(default_factory=list)

    @property
    def damaged(self) -> int:
        return self.http_errors + self.wrong_replies + self.lost_turns + self.unanswered_turns


async def _post(client: httpx.AsyncClient, url: str, sender: str, message: str) -> str:
    response = await client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message})
    response.raise_for_status()
    return texts(response.json())


async def _double_sends(urls: Tuple[str, str], report: DoubleSendReport, sender: str, offset: int) -> int:
    """A greeting, then rounds of two questions sent at the same moment; returns messages sent."""
    pairs = [t for t in FAQ_TURNS if t.text != "hi"]
    sent = 0
    async with httpx.AsyncClient(timeout=90) as client:
        turns = [(FAQ_TURNS[0],)] + [
            (pairs[(offset + 2 * r) % len(pairs)], pairs[(offset + 2 * r + 1) % len(pairs)])
            for r in range(DOUBLE_SEND_ROUNDS)
        ]
        asked: Counter = Counter()
        for together in turns:
            replies = await asyncio.gather(
                *(_post(client, urls[i % 2], sender, turn.text) for i, turn in enumerate(together)),
                return_exceptions=True,
            )
            sent += len(together)
            for turn, reply in zip(together, replies):
                if isinstance(reply, BaseException):
                    report.http_errors += 1
                elif turn.check(reply, asked[turn.text]):
                    report.wrong_replies += 1
                asked[turn.text] += 1
    return sent


def double_send(stack: Stack, urls: Tuple[str, str]) -> DoubleSendReport:
    report = DoubleSendReport(senders=[new_sender() for _ in range(DOUBLE_SEND_CONVERSATIONS)])

    async def all_conversations() -> List[int]:
        return await asyncio.gather(*(_double_sends(urls, report, s, k) for k, s in enumerate(report.senders)))

    for sender, sent in zip(report.senders, asyncio.run(all_conversations())):
        report.messages += sent
        damage = turn_damage(stored_event_types(stack.tracker_url, sender), sent)
        report.lost_turns += damage.lost
        report.unanswered_turns += damage.unanswered
    return report


def test_double_sends_through_haproxy_are_answered_one_after_the_other(stack):
    balancer = stack.cluster.entry_url
    assert balancer not in stack.cluster.rasa_urls, "the cluster has no balancer in front"
    report = double_send(stack, (balancer, balancer))
    assert report.messages == DOUBLE_SEND_CONVERSATIONS * (1 + 2 * DOUBLE_SEND_ROUNDS)
    assert report.damaged == 0, report

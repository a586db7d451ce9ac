#!/usr/bin/env python3
"""Load benchmark: concurrent conversations against three stacks, measured in one run.

    .venv/bin/python scripts/bench_load.py [--concurrency 20] [--messages 300]   (or: make bench-load)

Stacks, started one after the other so each has the machine to itself:
  (a) single: one Rasa server + one action server on SQLite (what `helpline run` starts);
  (b) scaled: two Rasa servers + two action servers sharing PostgreSQL (conversations
      and callbacks) and Redis (lock store), behind HAProxy (deploy/haproxy.cfg);
  (c) floor:  the bot `rasa init` creates, served by `rasa run` alone: what Rasa itself
      costs per message with a tiny model and no custom actions.

Each simulated conversation is either FAQ questions or a full intake up to the stored
lead (tests/e2e/conversations.py, the same scripts the scale-out test checks), and
every reply is checked: a wrong reply counts as an error and ends that conversation.
`--concurrency` conversations run at once until `--messages` have been sent. Each
Rasa server first gets one unmeasured message (its first reply loads lazily).
Latency is per message, from sending the request to the full reply; throughput is
messages divided by the wall time of the run.

Needs a trained model, PostgreSQL, Redis and HAProxy (scripts/ensure-services.sh).
The `rasa init` bot is trained once and kept in var/bench/rasa-init/.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional, Union
from urllib.parse import urlsplit

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpline.channels import web_ids  # noqa: E402
from tests import services  # noqa: E402
from tests.cluster import Cluster, Process, free_port, scaled_out, single_stack  # noqa: E402
from tests.e2e.conversations import (  # noqa: E402
    FAQ_TURNS,
    FaqConversation,
    FaqTurn,
    IntakeConversation,
    WrongReply,
    phone_for,
    texts,
)

Conversation = Union[FaqConversation, IntakeConversation]

INIT_DIR = ROOT / "var" / "bench" / "rasa-init"
# What a person says to the `rasa init` bot, and the response (from its own domain.yml) each must get.
INIT_TURNS = (("hello", "utter_greet"), ("I am sad", "utter_did_that_help"), ("yes", "utter_happy"))


@dataclass
class Result:
    label: str
    startup_s: float = 0.0
    latencies_ms: List[float] = field(default_factory=list)
    http_errors: int = 0
    wrong_replies: int = 0
    conversations: int = 0
    wall_s: float = 0.0
    failure: Optional[str] = None

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        # Nearest rank: the smallest value with at least `fraction` of the values at or below it.
        rank = max(1, -(-len(ordered) * fraction // 1))
        return ordered[int(rank) - 1]

    def line(self) -> str:
        if self.failure:
            return f"{self.label:<46} FAILED: {self.failure}"
        sent = len(self.latencies_ms)
        return (f"{self.label:<46} {self.startup_s:>6.0f} s {sent:>5} {self.conversations:>6} "
                f"{self.http_errors + self.wrong_replies:>4} ({self.http_errors} http, {self.wrong_replies} wrong) "
                f"{self.percentile(.5):>6.0f} {self.percentile(.95):>6.0f} {self.percentile(.99):>6.0f} "
                f"{sent / self.wall_s:>6.1f}")


HEADER = (f"{'stack':<46} {'start-up':>8} {'msgs':>5} {'convs':>6} {'errors':>28} "
          f"{'p50 ms':>6} {'p95 ms':>6} {'p99 ms':>6} {'msg/s':>6}")


def init_bot_turns() -> List[FaqTurn]:
    """The `rasa init` bot's happy path, each reply checked against its own domain."""
    domain = yaml.safe_load((INIT_DIR / "domain.yml").read_text())
    return [FaqTurn(text, (domain["responses"][utter][0]["text"],)) for text, utter in INIT_TURNS]


def helpline_conversations() -> Callable[[int], Conversation]:
    def make(number: int) -> Conversation:
        sender = web_ids.new_web_id()
        if number % 2:
            return IntakeConversation(sender, phone_for(number))
        return FaqConversation(sender, [FAQ_TURNS[0]] + [FAQ_TURNS[1 + (number // 2 + i) % (len(FAQ_TURNS) - 1)]
                                                         for i in range(3)])
    return make


async def run_load(url: str, make_conversation: Callable[[int], Conversation], concurrency: int, messages: int,
                   result: Result) -> None:
    budget = itertools.count()
    numbers = itertools.count()
    endpoint = f"{url}/webhooks/rest/webhook"

    async def worker(client: httpx.AsyncClient) -> None:
        while True:
            conversation = make_conversation(next(numbers))
            result.conversations += 1
            reply: Optional[str] = None
            while True:
                try:
                    message = conversation.next_message(reply)
                except WrongReply:
                    result.wrong_replies += 1
                    break
                if message is None:
                    break
                if next(budget) >= messages:
                    return
                started = time.perf_counter()
                try:
                    response = await client.post(endpoint, json={"sender": conversation.sender, "message": message})
                    response.raise_for_status()
                    reply = texts(response.json())
                except (httpx.HTTPError, ValueError):
                    result.http_errors += 1
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                    break
                result.latencies_ms.append((time.perf_counter() - started) * 1000)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        result.wall_s = time.perf_counter() - started


def warm_up(urls: List[str], text: str) -> None:
    for url in urls:
        httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": web_ids.new_web_id(), "message": text},
                   timeout=120).raise_for_status()


def measure(label: str, cluster: Cluster, make_conversation: Callable[[int], Conversation], warm_text: str,
            args: argparse.Namespace) -> Result:
    result = Result(label)
    started = time.monotonic()
    try:
        cluster.start()
        result.startup_s = time.monotonic() - started
        warm_up(cluster.rasa_urls, warm_text)
        asyncio.run(run_load(cluster.entry_url, make_conversation, args.concurrency, args.messages, result))
        if not result.latencies_ms:
            result.failure = "no message was answered"
    except Exception as exc:  # one stack failing must not hide the others' figures
        result.failure = f"{type(exc).__name__}: {str(exc)[:1500]}"
    finally:
        cluster.stop()
    print(result.line(), flush=True)
    return result


def ensure_init_bot() -> Path:
    models = sorted((INIT_DIR / "models").glob("*.tar.gz"))
    if models:
        return models[-1]
    INIT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"training the `rasa init` bot once into {INIT_DIR} ...", flush=True)
    rasa = str(Path(sys.executable).parent / "rasa")
    log_path = INIT_DIR.parent / "rasa-init.log"
    with open(log_path, "wb") as log:
        done = subprocess.run([rasa, "init", "--no-prompt", "--init-dir", str(INIT_DIR)], stdout=log,
                              stderr=subprocess.STDOUT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    models = sorted((INIT_DIR / "models").glob("*.tar.gz"))
    if done.returncode != 0 or not models:
        raise SystemExit(f"`rasa init` failed (exit {done.returncode}); see {log_path}")
    return models[-1]


def init_bot_stack(model: Path, data_dir: Path) -> Cluster:
    port = free_port()
    argv = [str(Path(sys.executable).parent / "rasa"), "run", "--model", str(model), "--port", str(port),
            "--endpoints", str(INIT_DIR / "endpoints.yml"), "--credentials", str(INIT_DIR / "credentials.yml")]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return Cluster([Process("rasa-init-bot", argv, port, "/", env, cwd=INIT_DIR)], data_dir / "logs", env)


def unreachable_services() -> List[str]:
    missing = []
    for url, what in ((services.POSTGRES_ADMIN_URL, "PostgreSQL"), (services.REDIS_URL, "Redis")):
        parts = urlsplit(url)
        try:
            socket.create_connection((parts.hostname, parts.port or 0), timeout=2).close()
        except OSError:
            missing.append(f"{what} at {parts.netloc}")
    return missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "current.tar.gz"))
    parser.add_argument("--concurrency", type=int, default=20, help="conversations at once (default 20)")
    parser.add_argument("--messages", type=int, default=300, help="messages per stack (default 300)")
    parser.add_argument("--stacks", default="single,scaled,floor", help="which of single,scaled,floor to measure")
    args = parser.parse_args()
    model = Path(args.model)
    stacks = set(args.stacks.split(","))
    if not model.exists():
        print(f"no model at {model}: run `make train` first", file=sys.stderr)
        return 2
    missing = unreachable_services() if "scaled" in stacks else []
    if missing:
        print(f"not reachable: {', '.join(missing)}; run scripts/ensure-services.sh", file=sys.stderr)
        return 2

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; load: {args.concurrency} concurrent "
          f"conversations, {args.messages} messages per stack; helpline conversations alternate 4 FAQ turns "
          f"and a full intake (~16 turns); the init bot's are {len(INIT_TURNS)} turns", flush=True)
    results: List[Result] = []
    init_model = ensure_init_bot() if "floor" in stacks else None
    print(HEADER, flush=True)
    work = Path(tempfile.mkdtemp(prefix="helpline-bench-load-"))
    if "single" in stacks:
        results.append(measure("(a) 1 Rasa + 1 actions, SQLite", single_stack(model, work / "single"),
                               helpline_conversations(), "hi", args))
    if "scaled" in stacks:
        redis = urlsplit(services.REDIS_URL)
        with services.postgres_database("helpline_bench_tracker") as tracker_url, \
                services.postgres_database("helpline_bench_callbacks") as callbacks_url:
            cluster = scaled_out(model, work / "scaled", tracker_url=tracker_url, database_url=callbacks_url,
                                 redis_host=redis.hostname or "127.0.0.1", redis_port=redis.port or 6379)
            results.append(measure("(b) 2 Rasa + 2 actions, PG + Redis, HAProxy", cluster,
                                   helpline_conversations(), "hi", args))
    if init_model is not None:
        turns = init_bot_turns()
        results.append(measure("(c) `rasa init` bot, rasa run alone", init_bot_stack(init_model, work / "floor"),
                               lambda n: FaqConversation(web_ids.new_web_id(), list(turns)),
                               "hello", args))
    print(f"logs: {work}")
    return 0 if all(r.failure is None and r.http_errors + r.wrong_replies == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

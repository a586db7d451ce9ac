#!/usr/bin/env python3
"""Benchmark: start-up, reply latency and shutdown of the assistant as `make run` starts it.

Starts ``helpline run`` on free ports with a throw-away data directory, then prints:

- start-up: seconds until the action server's /health answers and the REST channel
  answers "hi" with text;
- reply latency over REST for a few sequential conversations mixing FAQ questions and
  the start of the intake form (p50, p95, max, in milliseconds);
- shutdown: seconds from SIGINT to the process group (what Ctrl-C sends) until every
  process is gone and the ports are free.

    .venv/bin/python scripts/bench_startup.py [--model models/current.tar.gz] [--conversations 10]

Needs a trained model (``make train``). Figures are one run on whatever machine runs it.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from helpline.channels import web_ids
from tests.cluster import free_port, port_is_bound

ROOT = Path(__file__).resolve().parent.parent
HELPLINE = Path(sys.executable).parent / "helpline"
# The readiness probe's one conversation, however many times it asks.
PROBE_SENDER = web_ids.new_web_id()
# One conversation: three FAQ questions, then the first two intake answers.
TURNS = (
    "hi",
    "what is IOP?",
    "how many hours a week",
    "do you take medicaid",
    "can someone call me about my drinking?",
    "it's for me",
)


def answers_hi(rest_url: str, actions_port: int) -> bool:
    try:
        if httpx.get(f"http://127.0.0.1:{actions_port}/health", timeout=2).status_code != 200:
            return False
        reply = httpx.post(rest_url, json={"sender": PROBE_SENDER, "message": "hi"}, timeout=30).json()
        return any(m.get("text") for m in reply)
    except (httpx.HTTPError, ValueError):
        return False


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "current.tar.gz"))
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=300.0, help="give up starting after this many seconds")
    args = parser.parse_args()
    if not Path(args.model).exists():
        print(f"no model at {args.model}: run `make train` first", file=sys.stderr)
        return 2

    rasa_port, actions_port, web_port, nlu_port = free_port(), free_port(), free_port(), free_port()
    data_dir = tempfile.mkdtemp(prefix="helpline-bench-")
    env = {**os.environ, "HELPLINE_DATA_DIR": data_dir}
    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "DATABASE_URL", "HELPLINE_TRACKER_URL"):
        env.pop(key, None)
    rest_url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    command = [str(HELPLINE), "run", "--model", args.model, "--rasa-port", str(rasa_port),
               "--actions-port", str(actions_port), "--web-port", str(web_port), "--nlu-port", str(nlu_port)]

    started = time.monotonic()
    with open(Path(data_dir) / "bench-run.log", "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        while not answers_hi(rest_url, actions_port):
            if process.poll() is not None or time.monotonic() - started > args.timeout:
                print(f"the assistant did not start; see {data_dir}/bench-run.log", file=sys.stderr)
                return 1
            time.sleep(0.25)
        startup = time.monotonic() - started

        latencies: list[float] = []
        errors = 0
        for _ in range(args.conversations):
            sender = web_ids.new_web_id()
            for text in TURNS:
                t0 = time.monotonic()
                try:
                    response = httpx.post(rest_url, json={"sender": sender, "message": text}, timeout=60)
                    response.raise_for_status()
                    if not response.json():
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.monotonic() - t0) * 1000)
    finally:
        stop_started = time.monotonic()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
        code = process.wait(timeout=120)
        while any(port_is_bound(p) for p in (rasa_port, actions_port, web_port)):
            time.sleep(0.1)
        shutdown = time.monotonic() - stop_started

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"start-up until REST answers 'hi' and actions /health is up: {startup:.1f} s")
    print(f"reply latency over REST, {len(latencies)} messages in {args.conversations} sequential conversations: "
          f"p50 {statistics.median(latencies):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
          f"max {max(latencies):.0f} ms, errors {errors}")
    print(f"shutdown after SIGINT until all ports are free: {shutdown:.1f} s (exit status {code})")
    return 0 if errors == 0 and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

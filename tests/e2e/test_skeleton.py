"""The walking skeleton over real servers: greet, an FAQ answer, clean shutdown."""
from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from helpline.facility import load_facility

from tests.e2e.conftest import port_is_bound, start_assistant

FACILITY = load_facility()

pytestmark = pytest.mark.e2e


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def test_hi_gets_a_greeting_with_facility_facts(assistant, sender):
    reply = texts(assistant.say(sender, "hi"))
    assert FACILITY.name in reply
    assert "{" not in reply, "a placeholder was left unfilled"


def test_action_server_health(assistant):
    response = httpx.get(f"http://127.0.0.1:{assistant.actions_port}/health", timeout=10)
    assert response.status_code == 200


def test_faq_answer_states_facts_from_the_facility_file(assistant, sender):
    reply = texts(assistant.say(sender, "how many hours a week is the program?"))
    facts = FACILITY.placeholders()
    assert facts["hours_per_week_min"] in reply and facts["hours_per_week_max"] in reply


def test_ctrl_c_stops_every_process_and_frees_the_ports(tmp_path):
    running = start_assistant(tmp_path)
    assert port_is_bound(running.rasa_port) and port_is_bound(running.actions_port)
    # Ctrl-C in a terminal sends SIGINT to the whole foreground process group.
    os.killpg(running.process.pid, signal.SIGINT)
    assert running.process.wait(timeout=60) == 0
    assert not port_is_bound(running.rasa_port)
    assert not port_is_bound(running.actions_port)
    assert not processes_mentioning(f"--port {running.rasa_port}")
    assert not processes_mentioning(f"--port {running.actions_port}")


def processes_mentioning(fragment: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fragment in cmdline:
            found.append(int(proc.name))
    return found

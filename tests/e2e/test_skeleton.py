"""The walking skeleton over real servers: greet, an FAQ answer, clean shutdown."""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import port_is_bound, start_assistant, stop_assistant

pytestmark = pytest.mark.e2e


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def test_hi_gets_a_greeting_with_facility_facts(assistant, sender):
    reply = texts(assistant.say(sender, "hi"))
    assert "Pathfinders" in reply
    assert "{" not in reply, "a placeholder was left unfilled"


def test_action_server_health(assistant):
    response = httpx.get(f"http://127.0.0.1:{assistant.actions_port}/health", timeout=10)
    assert response.status_code == 200


def test_faq_answer_states_facts_from_the_facility_file(assistant, sender):
    reply = texts(assistant.say(sender, "how many hours a week is the program?"))
    assert "9" in reply and "19" in reply


def test_sigterm_stops_every_process_and_frees_the_ports(tmp_path):
    running = start_assistant(tmp_path)
    assert port_is_bound(running.rasa_port) and port_is_bound(running.actions_port)
    assert stop_assistant(running) == 0
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

"""Faults on the real running assistant: the action server killed mid-form, PostgreSQL away while a lead is submitted.

One stack of its own (`helpline run`, free ports, a temporary data directory),
with the callback database on PostgreSQL behind a TCP proxy that the test can
close and reopen.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from helpline.channels import turn_replies

from helpline.channels import web_ids
from tests.core.test_lead_spool import TcpProxy
from tests.e2e.conftest import MODEL, ROOT, START_TIMEOUT, RunningAssistant, free_port, port_is_bound, stop_assistant
from tests.e2e.test_intake_e2e import CONFIRMATION, answer_for, texts

pytestmark = pytest.mark.e2e

NOT_SAVED = turn_replies.not_saved_text()


@pytest.fixture(scope="module")
def postgres_proxy():
    from sqlalchemy.engine import make_url

    from tests import services

    with services.postgres_database("helpline_faults") as url:
        target = make_url(url)
        proxy = TcpProxy(target.port or 5432)
        proxy.open()
        yield proxy, str(target.set(port=proxy.port))
        proxy.close()
        proxy.loop.call_soon_threadsafe(proxy.loop.stop)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, postgres_proxy):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first (make test does).")
    _, database_url = postgres_proxy
    data_dir = tmp_path_factory.mktemp("helpline-faults")
    rasa_port, actions_port, web_port, nlu_port = free_port(), free_port(), free_port(), free_port()
    env = {**os.environ, "HELPLINE_DATA_DIR": str(data_dir), "HELPLINE_STAFF_SMS_TO": "+16025550100",
           "DATABASE_URL": database_url}
    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "HELPLINE_TRACKER_URL",
                "HELPLINE_CORS_ORIGINS", "HELPLINE_PUBLIC_URL", "HELPLINE_SMS_SKIP_SIGNATURE",
                "HELPLINE_ACTIONS_HOST", "HELPLINE_ACTION_TOKEN"):
        env.pop(key, None)
    log = open(data_dir / "run.log", "wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "helpline"), "run", "--model", str(MODEL), "--rasa-port", str(rasa_port),
         "--actions-port", str(actions_port), "--web-port", str(web_port), "--nlu-port", str(nlu_port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while "Helpline Intake is running" not in (data_dir / "run.log").read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"helpline run did not start:\n{(data_dir / 'run.log').read_text()[-4000:]}")
        time.sleep(1)
    running = RunningAssistant(process, rasa_port, actions_port, web_port, data_dir, env, nlu_port=nlu_port)
    yield running
    if process.poll() is None:
        assert stop_assistant(running) == 0
        assert [p for p in (rasa_port, actions_port, web_port, nlu_port) if port_is_bound(p)] == []


def run_log(stack: RunningAssistant) -> str:
    return (stack.data_dir / "run.log").read_text(errors="replace")


def child_pid(stack: RunningAssistant, name: str) -> int:
    return int((stack.data_dir / "run" / f"{name}.pid").read_text())


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def actions_pid(stack: RunningAssistant) -> int:
    return child_pid(stack, "actions")


def actions_healthy(stack: RunningAssistant) -> bool:
    return answers(f"http://127.0.0.1:{stack.actions_port}/health")


def leads(stack: RunningAssistant, conversation_id: str) -> list:
    result = stack.helpline("callbacks", "list", "--json")
    assert result.returncode == 0, result.stderr
    return [r for r in json.loads(result.stdout) if r["conversation_id"] == conversation_id]


def answer_until_consent(stack: RunningAssistant, sender: str, reply: str) -> str:
    """Answers the form's questions until it asks for consent; returns that question."""
    for _ in range(20):
        question = reply.split("\n")[-1]
        if "do you agree" in question.lower():
            return question
        reply = texts(stack.say(sender, answer_for(question)))
    raise AssertionError(f"the form never asked for consent; last reply: {reply!r}")


def test_the_action_server_killed_mid_form_is_restarted_and_the_form_resumes(stack):
    sender = web_ids.new_web_id()
    reply = texts(stack.say(sender, "can someone call me about my drinking?"))
    reply = texts(stack.say(sender, answer_for(reply.split("\n")[-1])))  # who for
    question = reply.split("\n")[-1]
    assert "first name" in question.lower(), reply

    killed = actions_pid(stack)
    os.killpg(killed, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while port_is_bound(stack.actions_port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not port_is_bound(stack.actions_port)

    started = time.monotonic()
    messages = stack.say(sender, answer_for(question))
    assert messages == [{"recipient_id": sender, "text": NOT_SAVED}]
    assert time.monotonic() - started < 15  # refused at once, not a hang

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (actions_pid(stack) != killed and actions_healthy(stack)):
        time.sleep(0.5)
    restarted_after = time.monotonic() - started
    assert actions_pid(stack) != killed and actions_healthy(stack), run_log(stack)[-3000:]
    assert "actions exited unexpectedly" in run_log(stack) and "actions restarted" in run_log(stack)
    print(f"\naction server back {restarted_after:.1f}s after the kill was noticed")

    reply = texts(stack.say(sender, answer_for(question)))  # the same answer again
    assert "what phone number" in reply.lower(), reply  # the question after the first name
    consent = answer_until_consent(stack, sender, reply)
    confirmation = texts(stack.say(sender, answer_for(consent)))
    assert CONFIRMATION.search(confirmation), confirmation
    [lead] = leads(stack, sender)
    assert lead["reference"] in confirmation and lead["first_name"] == "Sam"


def test_postgres_away_during_the_submitting_turn_loses_no_lead(stack, postgres_proxy):
    proxy, _ = postgres_proxy
    sender = web_ids.new_web_id()
    consent = answer_until_consent(stack, sender, texts(stack.say(sender, "please have someone call me")))

    proxy.close()
    try:
        started = time.monotonic()
        confirmation = texts(stack.say(sender, answer_for(consent)))
        took = time.monotonic() - started
    finally:
        time.sleep(2)  # the database stays away a little longer than the turn
        proxy.open()
    print(f"\nsubmitting turn with the database down took {took:.1f}s")
    found = CONFIRMATION.search(confirmation)
    assert found and "ending 0134" in confirmation, confirmation
    reference = found.group(1)
    spooled = list((stack.data_dir / "spool").glob("*.lead"))
    assert len(spooled) == 1
    assert b"0134" not in spooled[0].read_bytes() and b"Sam" not in spooled[0].read_bytes()

    # helpline run's periodic job (every minute) moves it into the queue and alerts staff.
    deadline = time.monotonic() + 80
    found = []
    while time.monotonic() < deadline and not found:
        time.sleep(2)
        found = leads(stack, sender)
    assert [lead["reference"] for lead in found] == [reference], run_log(stack)[-3000:]
    assert list((stack.data_dir / "spool").glob("*.lead")) == []
    assert "spooled leads: imported 1" in run_log(stack)
    outbox = json.loads(stack.helpline("outbox", "list", "--json").stdout)
    assert [m["body"] for m in outbox if reference in m["body"]], "staff were not alerted"
    # Exactly once, even if the import runs again.
    assert stack.helpline("callbacks", "import-spool").returncode == 0
    assert len(leads(stack, sender)) == 1


def test_with_the_nlu_server_killed_a_crisis_still_gets_988_and_a_question_its_answer(stack):
    killed = child_pid(stack, "nlu")
    os.killpg(killed, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while port_is_bound(stack.nlu_port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not port_is_bound(stack.nlu_port)

    # Spanish, and not in the English-only lexicon: read by the served model in Rasa's process.
    crisis = texts(stack.say(web_ids.new_web_id(), "me voy a matar esta noche"))
    assert "988" in crisis and "911" in crisis, crisis
    answer = texts(stack.say(web_ids.new_web_id(), "how much does the program cost?"))
    assert "Cost depends on your insurance" in answer, answer
    rasa_log = (stack.data_dir / "logs" / "rasa.log").read_text(errors="replace")
    read_locally = rasa_log.count("NLU server unavailable")
    assert read_locally >= 2
    assert "me voy a matar" not in rasa_log and "program cost" not in rasa_log

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (child_pid(stack, "nlu") != killed and answers(f"http://127.0.0.1:{stack.nlu_port}/")):
        time.sleep(0.5)
    assert child_pid(stack, "nlu") != killed and answers(f"http://127.0.0.1:{stack.nlu_port}/"), run_log(stack)[-3000:]
    # Back to the NLU server: a Spanish question is read by it again.
    reply = texts(stack.say(web_ids.new_web_id(), "cuanto cuesta el programa?"))
    assert "seguro" in reply.lower(), reply
    assert (stack.data_dir / "logs" / "rasa.log").read_text(errors="replace").count("NLU server unavailable") == read_locally

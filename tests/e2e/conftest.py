"""Start the real assistant (`helpline run`: action server, Rasa server, web process) once per session."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import playwright.sync_api as playwright_api  # a dev dependency: missing means a broken install, not a skip
import pytest

from helpline.channels import web_ids
from tests.cluster import free_port, port_is_bound  # noqa: F401 (the e2e tests import them from here)

ROOT = Path(__file__).resolve().parents[2]
# HELPLINE_E2E_MODEL points the tests at another archive (a copy that a retrain cannot swap mid-run),
# with its Spanish NLU copied beside it under the same name plus -es (helpline.language.model_archive).
MODEL = Path(os.environ.get("HELPLINE_E2E_MODEL") or ROOT / "models" / "current.tar.gz")
START_TIMEOUT = 240


@dataclass
class RunningAssistant:
    process: subprocess.Popen
    rasa_port: int
    actions_port: int
    web_port: int
    data_dir: Path
    env: dict
    # A second site allowed to embed the widget (HELPLINE_CORS_ORIGINS), served by the browser test.
    partner_port: int = 0
    nlu_port: int = 0

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def partner_origins(self) -> list[str]:
        """What HELPLINE_CORS_ORIGINS lists: the partner site by both of its names."""
        return [f"http://localhost:{self.partner_port}", f"http://127.0.0.1:{self.partner_port}"]

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"

    def say(self, sender: str, text: str) -> list[dict]:
        response = httpx.post(self.rest_url, json={"sender": sender, "message": text}, timeout=60)
        response.raise_for_status()
        return response.json()

    @property
    def action_token(self) -> str:
        """The token `helpline run` gave Rasa and the action server (the install's file in data_dir)."""
        from helpline.security import local_secrets

        return local_secrets.action_token(self.env).value

    def helpline(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(Path(sys.executable).parent / "helpline"), *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60,
        )


def start_assistant(tmp_path: Path) -> RunningAssistant:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first (make test does).")
    rasa_port, actions_port, web_port, partner_port, nlu_port = free_port(), free_port(), free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "HELPLINE_DATA_DIR": str(tmp_path),
        "HELPLINE_STAFF_SMS_TO": "+16025550100",
    }
    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "DATABASE_URL", "HELPLINE_TRACKER_URL",
                "HELPLINE_CORS_ORIGINS", "HELPLINE_PUBLIC_URL", "HELPLINE_SMS_SKIP_SIGNATURE", "HELPLINE_RASA_PUBLIC_URL",
                "HELPLINE_WEB_PUBLIC_URL", "HELPLINE_ACTIONS_HOST", "HELPLINE_ACTION_TOKEN"):
        env.pop(key, None)
    # Every e2e message comes from 127.0.0.1, far over the per-address limit (helpline.channels.rate_limit): off here.
    env["HELPLINE_RATE_LIMIT_PER_SENDER"] = env["HELPLINE_RATE_LIMIT_PER_IP"] = "0"
    # Two entries, so that an origin dropped for another (Rasa keeps only the last repeated --cors) shows.
    env["HELPLINE_CORS_ORIGINS"] = f"http://localhost:{partner_port}, http://127.0.0.1:{partner_port}/"
    log = open(tmp_path / "run.log", "wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "helpline"), "run", "--model", str(MODEL),
         "--rasa-port", str(rasa_port), "--actions-port", str(actions_port), "--web-port", str(web_port),
         "--nlu-port", str(nlu_port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        # Its own process group, as in a terminal: Ctrl-C reaches the whole group.
        start_new_session=True,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"helpline run exited early:\n{(tmp_path / 'run.log').read_text()[-4000:]}")
        if "Helpline Intake is running" in (tmp_path / "run.log").read_text(errors="replace"):
            return RunningAssistant(process, rasa_port, actions_port, web_port, tmp_path, env, partner_port, nlu_port)
        time.sleep(1)
    process.kill()
    pytest.fail(f"helpline run did not start in {START_TIMEOUT}s:\n{(tmp_path / 'run.log').read_text()[-4000:]}")


def stop_assistant(assistant: RunningAssistant) -> int:
    assistant.process.send_signal(signal.SIGTERM)
    return assistant.process.wait(timeout=60)


@pytest.fixture(scope="session")
def assistant(tmp_path_factory):
    running = start_assistant(tmp_path_factory.mktemp("helpline-e2e"))
    yield running
    if running.process.poll() is None:
        # SIGTERM (what systemd or docker send) must leave nothing behind; the
        # Ctrl-C case is tests/e2e/test_skeleton.py.
        assert stop_assistant(running) == 0
        leftovers = [port for port in (running.rasa_port, running.actions_port, running.web_port, running.nlu_port)
                     if port_is_bound(port)]
        if leftovers:
            pytest.fail(f"ports still bound after SIGTERM: {leftovers}")


@pytest.fixture
def sender() -> str:
    # The only shape REST accepts (what the widget makes).
    return web_ids.new_web_id()


@pytest.fixture
def new_sender():
    """For a test that needs several conversations."""
    return web_ids.new_web_id


# --- the browser tests' Chromium (tests/e2e/test_browser.py, test_widget_spanish_e2e.py) ----------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()

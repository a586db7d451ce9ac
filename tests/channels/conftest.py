"""Fixtures for the SMS and web channels: a throw-away database, a fake bot."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, List, Sequence

import httpx
import pytest

from helpline.channels.sms import BotMessage, ForBot
from helpline.store import db
from helpline.store.sms_models import SqlSmsStore

# Variables that would change how the channel checks signatures or keys conversations.
CHANNEL_ENV = (
    "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "TWILIO_FROM_NUMBER", "HELPLINE_PUBLIC_URL",
    "HELPLINE_ID_SECRET", "HELPLINE_SMS_SKIP_SIGNATURE", "DATABASE_URL", "HELPLINE_DATA_DIR",
    "HELPLINE_CORS_ORIGINS", "HELPLINE_RASA_PUBLIC_URL", "HELPLINE_WEB_PUBLIC_URL",
    "HELPLINE_RATE_LIMIT_PER_SENDER", "HELPLINE_RATE_LIMIT_PER_IP", "HELPLINE_TRUSTED_PROXY_HOPS",
    "HELPLINE_CONSOLE_PROXY_HOPS",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in CHANNEL_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path))
    yield tmp_path
    db.dispose_all()


@pytest.fixture
def db_url(tmp_path: Path, migrated_database: Callable[[str], str]) -> str:
    """A migrated database of this test's own (a copy of the session's template)."""
    return migrated_database(f"sqlite:///{tmp_path / 'helpline.db'}")


@pytest.fixture
def store(db_url: str) -> SqlSmsStore:
    return SqlSmsStore(db.session_factory(db_url))


class FakeBot:
    """Stands in for Rasa: records what it was asked and answers from a script."""

    def __init__(self, answer: Callable[[str], Sequence[BotMessage]] | None = None) -> None:
        self.heard: List[tuple[str, str]] = []
        self.asked: List[ForBot] = []
        self.answer = answer or (lambda text: [BotMessage(f"You said: {text}")])

    async def __call__(self, conversation_key: str, asked: ForBot) -> Sequence[BotMessage]:
        self.heard.append((conversation_key, asked.text))
        self.asked.append(asked)
        return self.answer(asked.text)

    @property
    def texts(self) -> List[str]:
        return [text for _, text in self.heard]


@pytest.fixture
def bot() -> FakeBot:
    return FakeBot()


@pytest.fixture
def web_process(db_url, tmp_path) -> Iterator[str]:
    """The real web process (``python -m helpline.web.app``) on ``db_url``, for the browser tests; its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Same data directory as this test, so the same encryption key file.
    env = {k: v for k, v in os.environ.items() if k != "HELPLINE_CONSOLE_URL"}
    env.update({"HELPLINE_DATA_DIR": str(tmp_path), "DATABASE_URL": db_url})
    process = subprocess.Popen([sys.executable, "-m", "helpline.web.app", "--host", "127.0.0.1", "--port", str(port)],
                               env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "the web process did not start"
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)

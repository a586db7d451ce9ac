"""Shared fixtures for the plain-Python core: a throw-away database per test."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest
from sqlalchemy.orm import sessionmaker

from helpline.settings import Settings
from helpline.store import db

# Variables that would point a test at a real database, Twilio account or staff phones.
ISOLATED_ENV = (
    "DATABASE_URL",
    "HELPLINE_DATA_DIR",
    "HELPLINE_STAFF_SMS_TO",
    "HELPLINE_CONSOLE_URL",
    "HELPLINE_NOTIFY_MAX_ATTEMPTS",
    "HELPLINE_TWILIO_TIMEOUT",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
)


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'helpline-test.db'}"
    yield url
    db.dispose_all()


@pytest.fixture
def session_factory(db_url: str, migrated_database: Callable[[str], str]) -> sessionmaker:
    """Sessions on a copy of the migrated template (tests of the migrations use ``db_url`` alone)."""
    return db.session_factory(migrated_database(db_url))


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Environment of a fresh machine whose data directory is ``tmp_path``."""
    for name in ISOLATED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path))
    yield tmp_path
    db.dispose_all()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """No Twilio, no staff numbers: alerts go to the outbox addressed to on-call."""
    return Settings(data_dir=tmp_path, console_base_url="https://console.example.org")

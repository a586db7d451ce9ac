"""Fixtures every test folder can use: real PostgreSQL and Redis (see tests/services.py), the trained model."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests import services


@pytest.fixture(autouse=True)
def restore_umask() -> Iterator[None]:
    """The CLI and the servers set umask 077 for their process (helpline.store.file_modes);
    in-process tests would otherwise leave it set for every later test."""
    import os

    saved = os.umask(0o022)
    os.umask(saved)
    yield
    os.umask(saved)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of an empty PostgreSQL database of this test's own, dropped afterwards."""
    with services.postgres_database() as url:
        yield url


@pytest.fixture
def redis_url() -> str:
    return services.redis_url()


MODEL = Path(__file__).resolve().parents[1] / "models" / "current.tar.gz"


@pytest.fixture(scope="session")
def parse():
    """The trained model's NLU parse, as the Rasa server runs it (tests marked ``model``)."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first (make test does).")
    import asyncio

    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    loop = asyncio.new_event_loop()
    yield lambda text: loop.run_until_complete(agent.parse_message(text))
    loop.close()

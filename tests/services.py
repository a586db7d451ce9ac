"""Real PostgreSQL and Redis for the tests that need them.

The machines here run both on their standard ports, and `.ci/run` installs and
starts them where they are missing. When one still cannot be reached, its
tests are skipped with a loud reason, unless HELPLINE_REQUIRE_SERVICES=1 (set
by CI), which turns the skip into a failure: CI must never pass by running less.
"""
from __future__ import annotations

import contextlib
import os
import socket
import uuid
from typing import Iterator
from urllib.parse import urlsplit

import pytest

# Where the services are; override to point the tests elsewhere.
POSTGRES_ADMIN_URL = os.environ.get("HELPLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("HELPLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=2):
            return True
    except OSError:
        return False


def require(url: str, what: str) -> None:
    """Skip (loudly) or fail when the service at ``url`` is not reachable."""
    if _reachable(url):
        return
    message = (
        f"{what} is not reachable at {urlsplit(url).netloc}: the tests that need it did NOT run. "
        "Start it (scripts/ensure-services.sh) to run them."
    )
    if os.environ.get("HELPLINE_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def postgres_database(prefix: str = "helpline_test") -> Iterator[str]:
    """A throw-away PostgreSQL database; yields its URL and drops it afterwards."""
    require(POSTGRES_ADMIN_URL, "PostgreSQL")
    from sqlalchemy import create_engine, text

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def redis_url() -> str:
    """The Redis URL for tests; skips or fails as :func:`require` says when it is down."""
    require(REDIS_URL, "Redis")
    return REDIS_URL

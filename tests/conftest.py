"""Fixtures every test folder can use: real PostgreSQL and Redis (see tests/services.py)."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests import services


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of an empty PostgreSQL database of this test's own, dropped afterwards."""
    with services.postgres_database() as url:
        yield url


@pytest.fixture
def redis_url() -> str:
    return services.redis_url()

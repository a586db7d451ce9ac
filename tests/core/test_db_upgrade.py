"""``db.upgrade`` on a database already at head reads the version table and stops there.

Every CLI command and entry point calls it, so the common case must not run
Alembic's upgrade machinery; every other case still must.
"""
from __future__ import annotations

from typing import Callable

import pytest
from alembic import command
from alembic.util import CommandError
from sqlalchemy import text

from helpline.store import db


@pytest.fixture
def alembic_upgrades(monkeypatch: pytest.MonkeyPatch) -> list:
    """The revisions Alembic's upgrade command was asked for (it still runs)."""
    calls: list = []
    real = command.upgrade

    def counting(config, revision, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(revision)
        return real(config, revision, *args, **kwargs)

    monkeypatch.setattr(command, "upgrade", counting)
    return calls


def stamp(url: str, revision: str) -> None:
    with db.engine_for(url).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_a_database_at_head_is_answered_without_alembic(db_url: str, migrated_database: Callable[[str], str],
                                                        alembic_upgrades: list) -> None:
    migrated_database(db_url)
    assert db.upgrade(db_url) == db.head_revision()
    assert alembic_upgrades == []
    db.ensure_schema(db_url)  # remembered for this process, like a real upgrade
    assert alembic_upgrades == []


def test_a_fresh_database_is_migrated(db_url: str, alembic_upgrades: list) -> None:
    assert db.upgrade(db_url) == db.head_revision()
    assert alembic_upgrades == ["head"]
    assert "callback_requests" in db.table_names(db_url)


def test_a_database_behind_head_is_migrated(db_url: str, alembic_upgrades: list) -> None:
    db.upgrade(db_url, "0008")
    assert db.upgrade(db_url) == db.head_revision() != "0008"
    assert alembic_upgrades == ["0008", "head"]


def test_a_database_from_newer_code_still_fails_as_alembic_says(db_url: str, migrated_database: Callable[[str], str],
                                                                alembic_upgrades: list) -> None:
    migrated_database(db_url)
    stamp(db_url, "9999")  # a revision this checkout does not have
    with pytest.raises(CommandError, match="9999"):
        db.upgrade(db_url)
    assert alembic_upgrades == ["head"]


def test_a_named_revision_always_goes_through_alembic(db_url: str, migrated_database: Callable[[str], str],
                                                      alembic_upgrades: list) -> None:
    migrated_database(db_url)
    head = db.head_revision()
    assert db.upgrade(db_url, head) == head
    assert alembic_upgrades == [head]

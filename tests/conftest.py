"""Fixtures every test folder can use: a migrated SQLite database, real PostgreSQL and Redis
(see tests/services.py), the trained model."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Callable, Iterator

import pytest
from sqlalchemy.engine import make_url

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


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database brought to head by the real migrations, once per session.

    Migrating a fresh database costs over a second, and hundreds of tests want
    one; they get copies of this file (``migrated_database``) instead. Tests
    about the migrations themselves upgrade their own empty database.
    """
    from helpline.store import db

    folder = tmp_path_factory.mktemp("migrated-template")
    path = folder / "helpline.db"
    with pytest.MonkeyPatch.context() as env:
        # Revision 0004 loads the encryption key: give it this folder's own key file,
        # never the developer's data directory or a test's variables.
        for name in ("DATABASE_URL", "HELPLINE_ENCRYPTION_KEYS"):
            env.delenv(name, raising=False)
        env.setenv("HELPLINE_DATA_DIR", str(folder))
        db.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def migrated_database(migrated_template: Path) -> Callable[[str], str]:
    """``migrated_database(url)`` makes the SQLite file at ``url`` a copy of the migrated template; returns ``url``."""

    def copy(url: str) -> str:
        target = Path(make_url(url).database or "")
        if not target.name or target.exists():
            raise ValueError(f"{url} must name a new SQLite file")
        target.parent.mkdir(parents=True, exist_ok=True)
        # SQLite's backup API, not a file copy: the template's engine may still
        # hold pages in its write-ahead log.
        with closing(sqlite3.connect(migrated_template)) as source, closing(sqlite3.connect(target)) as fresh:
            source.backup(fresh)
        return url

    return copy


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
    """The trained models' NLU parse, as the Rasa server runs it (tests marked ``model``).

    ``parse(text)`` reads a first message; ``parse(text, "es")`` one in a Spanish conversation.
    """
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first (make test does).")
    from helpline import language
    from scripts.model_parser import pipeline_parser

    spanish = language.model_archive(MODEL, language.SPANISH)
    if not spanish.exists():
        pytest.fail(f"{spanish} is missing: `make train` trains one model per language.")

    yield pipeline_parser(MODEL)

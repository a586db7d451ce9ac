"""Database access: one cached engine per URL, sessions, and schema migrations.

The URL comes from :func:`helpline.settings.load_settings` (``DATABASE_URL``, or
SQLite at ``$HELPLINE_DATA_DIR/helpline.db``). Both the action server and the
``helpline`` CLI open the same database, so on SQLite we use WAL (readers do not
block the writer), a busy timeout (a writer waits instead of failing), and
``BEGIN IMMEDIATE`` transactions: a transaction that reads and then writes
takes the write lock up front, so it cannot fail half-way with "database is
locked" when another process wrote in between. At a helpline's volume the
resulting serialisation of writers costs nothing noticeable.
"""
from __future__ import annotations

import functools
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from helpline.settings import load_settings

if TYPE_CHECKING:  # Alembic is imported only when a migration runs
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000
VERSION_TABLE = "alembic_version"  # Alembic's default name; migrations/env.py does not change it

_lock = threading.RLock()
_engines: Dict[str, Engine] = {}
_factories: Dict[str, sessionmaker] = {}
_upgraded: set = set()


def database_url(url: Optional[str] = None) -> str:
    """``url`` if given, else the configured one; ``postgres://`` is accepted as ``postgresql://``."""
    url = url or load_settings().effective_database_url
    if url.startswith("postgres://"):
        # Heroku-style URLs; SQLAlchemy 1.4 only knows the long name.
        url = "postgresql://" + url[len("postgres://"):]
    return url


def _is_memory_sqlite(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:  # a DB-API connection: untyped
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (pysqlite
        # would otherwise skip BEGIN before DDL and autocommit it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not _is_memory_sqlite(str(engine.url)):
                cursor.execute("PRAGMA journal_mode = WAL")
                # With WAL, NORMAL is durable against application crashes and much faster.
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def engine_for(url: Optional[str] = None) -> Engine:
    """The process-wide engine for ``url`` (created on first use)."""
    url = database_url(url)
    with _lock:
        engine = _engines.get(url)
        if engine is not None:
            return engine
        parsed = make_url(url)
        # hide_parameters: SQLAlchemy errors otherwise quote row values (PHI) into logs and tracebacks.
        kwargs: dict = {"future": True, "pool_pre_ping": True, "hide_parameters": True}
        if parsed.get_backend_name() == "sqlite":
            kwargs.pop("pool_pre_ping")
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            if _is_memory_sqlite(url):
                # One shared connection, or every session would see its own empty database.
                kwargs["poolclass"] = StaticPool
            else:
                Path(parsed.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            # A host that drops packets would otherwise hang a caller's turn for minutes;
            # the handoff retries and then keeps the lead locally instead.
            kwargs["connect_args"] = {"connect_timeout": 5}
        engine = create_engine(url, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            _configure_sqlite(engine)
        _engines[url] = engine
        return engine


def session_factory(url: Optional[str] = None) -> sessionmaker:
    """A cached ``sessionmaker`` for ``url``; use ``with factory() as session, session.begin():``.

    Objects stay readable after their session closes (``expire_on_commit=False``),
    so functions can return records to callers that have no session.
    """
    url = database_url(url)
    with _lock:
        factory = _factories.get(url)
        if factory is None:
            factory = sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)
            _factories[url] = factory
        return factory


def _alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _stored_revisions(url: str) -> Tuple[str, ...]:
    """The rows of Alembic's version table; none when the table does not exist yet (a fresh database)."""
    engine = engine_for(url)
    if not inspect(engine).has_table(VERSION_TABLE):
        return ()
    with engine.connect() as connection:
        return tuple(row[0] for row in connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")))


def upgrade(url: Optional[str] = None, revision: str = "head") -> Optional[str]:
    """Migrate the database at ``url`` to ``revision``; returns the revision it is at afterwards."""
    url = database_url(url)
    # Every CLI command and entry point calls this; a database already at head
    # (nearly always) is answered by one version-table read instead of running
    # Alembic's upgrade machinery, which re-reads every migration script.
    if revision == "head":
        stored = _stored_revisions(url)
        if stored and stored == (head_revision(),):
            with _lock:
                _upgraded.add(url)
            return stored[0]
    from alembic import command

    engine = engine_for(url)
    config = _alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    with _lock:
        _upgraded.add(url)
    return current_revision(url)


def ensure_schema(url: Optional[str] = None) -> None:
    """Run :func:`upgrade` once per process and URL; cheap to call before every use."""
    url = database_url(url)
    if url in _upgraded:
        return
    upgrade(url)


def current_revision(url: Optional[str] = None) -> Optional[str]:
    from alembic.runtime.migration import MigrationContext

    with engine_for(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def head_revision() -> Optional[str]:
    """The newest migration's revision; cached, as the scripts do not change while a process runs."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()


def table_names(url: Optional[str] = None) -> list:
    return sorted(inspect(engine_for(url)).get_table_names())


def display_url(url: Optional[str] = None) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(database_url(url)).render_as_string(hide_password=True)


def dispose_all() -> None:
    """Close every cached engine (tests, and before a process forks)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _factories.clear()
        _upgraded.clear()

"""Alembic environment for the Helpline Intake database.

``helpline.store.db.upgrade`` passes an open connection in ``config.attributes``;
the ``alembic`` command line (``alembic -c helpline/store/migrations/alembic.ini ...``)
does not, and then we connect to the URL the application itself would use.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from helpline.store import (
    db,
    sms_models,  # noqa: F401  (registers the SMS tables on the metadata)
    staff_models,  # noqa: F401  (registers the staff and audit tables)
)
from helpline.store.models import metadata

config = context.config
target_metadata = metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=db.database_url(config.get_main_option("sqlalchemy.url") or None),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = db.engine_for(config.get_main_option("sqlalchemy.url") or None)
    with engine.begin() as connection:
        _configure_and_run(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

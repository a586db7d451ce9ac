"""The SMS tables: created by revision 0002, grown by 0011 (a texter's language), matching the models, removable again."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import helpline.store.sms_models  # noqa: F401  (registers the SMS tables on the shared metadata)
from helpline.store import db
from helpline.store.models import metadata

SMS_TABLES = {"sms_opt_outs", "sms_choices", "sms_message_sids"}


def downgrade(url: str, revision: str) -> None:
    config = db._alembic_config(url)
    with db.engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def columns(url: str, table: str) -> set:
    return {column["name"] for column in sa.inspect(db.engine_for(url)).get_columns(table)}


def test_revision_0002_creates_the_sms_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert db.upgrade(url, "0002") == "0002"
    assert set(db.table_names(url)) >= SMS_TABLES
    assert "language" not in columns(url, "sms_choices")


def test_the_sms_tables_at_head_are_as_the_models_describe_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    db.upgrade(url)
    with db.engine_for(url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    sms_diff = [d for d in diff if any(t in repr(d) for t in SMS_TABLES)]
    assert sms_diff == []


def test_revision_0011_adds_the_texters_language_and_removes_it_keeping_the_menus(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    db.upgrade(url, "0010")
    with db.engine_for(url).begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO sms_choices (number_key, choices, updated_at) VALUES ('sms-a', '[]', '2026-12-01 00:00:00')"))
    assert db.upgrade(url, "0011") == "0011"
    assert "language" in columns(url, "sms_choices")
    with db.engine_for(url).connect() as connection:
        # A texter from before the revision has no language yet: answered in English until the bot says otherwise.
        assert connection.execute(sa.text("SELECT language FROM sms_choices")).all() == [(None,)]
    downgrade(url, "0010")
    assert "language" not in columns(url, "sms_choices")
    with db.engine_for(url).connect() as connection:
        assert connection.execute(sa.text("SELECT number_key FROM sms_choices")).all() == [("sms-a",)]


def test_revision_0002_downgrades_to_0001(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    db.upgrade(url, "0002")
    downgrade(url, "0001")
    assert not SMS_TABLES & set(db.table_names(url))
    assert "callback_requests" in db.table_names(url)

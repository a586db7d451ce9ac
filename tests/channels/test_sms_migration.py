"""The SMS tables: created by revision 0002, matching the models, removable again."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import helpline.store.sms_models  # noqa: F401  (registers the SMS tables on the shared metadata)
from helpline.store import db
from helpline.store.models import metadata

SMS_TABLES = {"sms_opt_outs", "sms_choices", "sms_message_sids"}


def test_revision_0002_creates_the_sms_tables_as_the_models_describe_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert db.upgrade(url, "0002") == "0002"
    assert set(db.table_names(url)) >= SMS_TABLES
    with db.engine_for(url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    sms_diff = [d for d in diff if any(t in repr(d) for t in SMS_TABLES)]
    assert sms_diff == []


def test_revision_0002_downgrades_to_0001(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    db.upgrade(url, "0002")
    config = db._alembic_config(url)
    with db.engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert not SMS_TABLES & set(db.table_names(url))
    assert "callback_requests" in db.table_names(url)

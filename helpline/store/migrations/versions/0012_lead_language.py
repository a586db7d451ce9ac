"""The caller's language on every lead and crisis follow-up, so staff call back in it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

- ``callback_requests.language`` and ``crisis_flags.language``: the conversation's
  language when the record was stored or last updated ("en", "es"). A plain
  string, not PHI: the staff SMS says "Call back in Spanish." from it. Null for
  every record stored before this revision (unknown: staff see no language).
  The fixed vocabulary is checked in code (``helpline.queues.caller_language.stored_language``),
  not by a CHECK constraint, which SQLite could only add by rebuilding the tables.

Written out in full rather than from ``helpline.store.models``, so that this
revision keeps creating exactly this schema after the models change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite needs no table rebuild for nullable columns.
    op.add_column("callback_requests", sa.Column("language", sa.String(length=8), nullable=True))
    op.add_column("crisis_flags", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMNs too (SQLite 3.35+): a batch rebuild of callback_requests would
    # drop it under outbox_messages' foreign key and unlink the outbox rows (see 0009).
    op.drop_column("crisis_flags", "language")
    op.drop_column("callback_requests", "language")

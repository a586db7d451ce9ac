"""Crisis follow-ups remember every category seen in the conversation.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10

- ``crisis_flags.categories``: JSON list of the specific categories named by the
  conversation's crisis messages while the flag was open, in order of first
  appearance (``helpline.queues.crisis_flags``). Nullable and not back-filled: a flag
  made before this revision has NULL, which the code reads as its one
  ``category`` (none if that is ``unspecified``).

Written out in full rather than from ``helpline.store.models``, so that this
revision keeps creating exactly this schema after the models change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column needs no table rebuild on SQLite.
    op.add_column("crisis_flags", sa.Column("categories", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Batch mode: SQLite before 3.35 cannot drop a column in place.
    with op.batch_alter_table("crisis_flags") as batch:
        batch.drop_column("categories")

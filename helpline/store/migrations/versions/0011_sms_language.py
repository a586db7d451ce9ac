"""A texter's language, remembered with their SMS menu state.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

- ``sms_choices.language``: the language of the bot's last reply to the texter
  ("en", "es"), so that what the SMS layer writes itself (keyword replies, menus,
  notices) is in the language the conversation is in. Null until the bot has
  answered once, and for every texter before this revision (they are answered in
  English until the bot's next reply says otherwise). Purged with the row.

Written out in full rather than from ``helpline.store.sms_models``, so that this
revision keeps creating exactly this schema after the models change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite needs no table rebuild for a nullable column.
    op.add_column("sms_choices", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN too (SQLite 3.35+), as in revision 0010.
    op.drop_column("sms_choices", "language")

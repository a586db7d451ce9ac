"""A lead is stored after the contact questions and updated by the screening answers.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

- ``callback_requests.answer_words``: the person's own words behind each parsed
  answer (``{slot: text}``), encrypted like the answers, so staff can judge a
  misparse. Empty for leads stored before this revision.
- ``callback_requests.alert_round``: bumped when an update makes a lead urgent
  (a screening answer after the lead was stored), so staff are alerted again
  and an alert still in flight for the first round does not overwrite the new
  round's delivery state (as ``crisis_flags.alert_round``, revision 0007).

Written out in full rather than from ``helpline.store.models``, so that this
revision keeps creating exactly this schema after the models change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite needs no table rebuild for these (no constraint changes).
    op.add_column("callback_requests", sa.Column("answer_words", sa.Text(), nullable=True))
    op.add_column("callback_requests", sa.Column("alert_round", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    # Plain DROP COLUMNs too (SQLite 3.35+ has them): a batch rebuild of the table would
    # drop it under outbox_messages' foreign key and unlink the outbox rows (see 0009).
    op.drop_column("callback_requests", "alert_round")
    op.drop_column("callback_requests", "answer_words")

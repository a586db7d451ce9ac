"""A cap on crisis pages: the pages sent, and two more states of a crisis alert.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09

- ``crisis_pages``: one row per crisis page (a follow-up's alert round, or a
  summary of held ones), counted across processes to cap pages per window
  (``helpline.safety.crisis_pages``).
- ``crisis_flags.notification_status`` may also be ``held`` (over the cap,
  waiting for the summary page) and ``batched`` (reported by a summary page).

Written out in full rather than from ``helpline.store.models``, so that this
revision keeps creating exactly this schema after the models change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CHECK = "ck_crisis_flags_notification_status"
OLD_STATUSES = "notification_status IN ('pending', 'sent', 'failed', 'outbox')"
NEW_STATUSES = "notification_status IN ('pending', 'sent', 'failed', 'outbox', 'held', 'batched')"


def _replace_check(condition: str) -> None:
    # On SQLite batch mode rebuilds crisis_flags (no table refers to it, so no
    # foreign key is disturbed); on PostgreSQL these are two ALTER TABLEs.
    with op.batch_alter_table("crisis_flags") as batch:
        batch.drop_constraint(op.f(CHECK), type_="check")
        batch.create_check_constraint(op.f(CHECK), sa.text(condition))


def upgrade() -> None:
    _replace_check(NEW_STATUSES)
    op.create_table(
        "crisis_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=True),
        sa.Column("alert_round", sa.Integer(), nullable=True),
        sa.Column("covered", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('single', 'summary')", name=op.f("ck_crisis_pages_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_pages")),
        sa.UniqueConstraint("flag_id", "alert_round", name=op.f("uq_crisis_pages_flag_id_alert_round")),
    )
    op.create_index(op.f("ix_crisis_pages_sent_at"), "crisis_pages", ["sent_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_crisis_pages_sent_at"), table_name="crisis_pages")
    op.drop_table("crisis_pages")
    # The older code knows neither state: a held alert becomes pending again (its
    # retry job pages it), a batched one counts as sent (staff were told).
    op.execute("UPDATE crisis_flags SET notification_status = 'pending' WHERE notification_status = 'held'")
    op.execute("UPDATE crisis_flags SET notification_status = 'sent' WHERE notification_status = 'batched'")
    _replace_check(OLD_STATUSES)

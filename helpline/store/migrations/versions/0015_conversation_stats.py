"""Reports: conversations in numbers, rolled up from the tracker store.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

- ``conversation_stats``: one row per conversation (a Rasa session), counts and codes
  only (``helpline.reports.rollup`` derives them from the tracker's events). The
  sender's keyed hash is kept only while the session can still get events.
- ``faq_topic_days``: FAQ answers per topic per local day.
- ``report_rollup_state``: how far the rollup has read the tracker (one row, made here).
- Index ``local_day, channel, language``: every conversation figure reads a range of days.

Written out in full rather than from ``helpline.store.models``, so that this
revision keeps creating exactly this schema after the models change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_key", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("user_messages", sa.Integer(), nullable=False),
        sa.Column("faq_answers", sa.Integer(), nullable=False),
        sa.Column("clarifications", sa.Integer(), nullable=False),
        sa.Column("fallbacks", sa.Integer(), nullable=False),
        sa.Column("intake_started", sa.Boolean(), nullable=False),
        sa.Column("intake_steps", sa.Integer(), nullable=False),
        sa.Column("lead_stored", sa.Boolean(), nullable=False),
        sa.Column("crisis_flagged", sa.Boolean(), nullable=False),
        sa.Column("active_form", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_stats")),
        sa.UniqueConstraint("sender_key", name=op.f("uq_conversation_stats_sender_key")),
    )
    op.create_index("ix_conversation_stats_local_day_channel_language", "conversation_stats",
                    ["local_day", "channel", "language"])
    op.create_table(
        "faq_topic_days",
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=48), nullable=False),
        sa.Column("asks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("local_day", "topic", name=op.f("pk_faq_topic_days")),
    )
    state = op.create_table(
        "report_rollup_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("last_event_timestamp", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_report_rollup_state")),
    )
    # The rollup locks this row while it reads and writes, so two processes never count an event twice.
    op.bulk_insert(state, [{"name": "conversations", "last_event_id": 0}])


def downgrade() -> None:
    op.drop_table("report_rollup_state")
    op.drop_table("faq_topic_days")
    op.drop_index("ix_conversation_stats_local_day_channel_language", table_name="conversation_stats")
    op.drop_table("conversation_stats")

"""Crisis follow-ups: conversations with crisis language, for staff to follow up.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03

Written out in full rather than from ``helpline.store.models.CrisisFlag``, so that
this revision keeps creating exactly this schema after the model changes.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crisis_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("open_key", sa.String(length=128), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("source_channel", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("notification_status", sa.String(length=16), nullable=False),
        sa.Column("notification_attempts", sa.Integer(), nullable=False),
        sa.Column("last_notification_error", sa.String(length=200), nullable=True),
        sa.Column("notified_recipients", sa.JSON(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alert_round", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('new', 'claimed', 'closed')", name=op.f("ck_crisis_flags_status")),
        sa.CheckConstraint(
            "category IN ('suicide_self_harm', 'overdose', 'medical_emergency', 'violence_abuse', 'unspecified')",
            name=op.f("ck_crisis_flags_category"),
        ),
        sa.CheckConstraint("severity IN ('immediate', 'urgent')", name=op.f("ck_crisis_flags_severity")),
        sa.CheckConstraint(
            "notification_status IN ('pending', 'sent', 'failed', 'outbox')",
            name=op.f("ck_crisis_flags_notification_status"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('reached', 'referred', 'no_answer', 'no_contact_info', 'not_a_crisis', 'other')",
            name=op.f("ck_crisis_flags_outcome"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_flags")),
        sa.UniqueConstraint("reference", name=op.f("uq_crisis_flags_reference")),
        sa.UniqueConstraint("open_key", name=op.f("uq_crisis_flags_open_key")),
    )
    op.create_index(op.f("ix_crisis_flags_conversation_id"), "crisis_flags", ["conversation_id"])
    op.create_index("ix_crisis_flags_status_created_at", "crisis_flags", ["status", "created_at"])
    op.create_index("ix_crisis_flags_notification_status", "crisis_flags", ["notification_status"])


def downgrade() -> None:
    op.drop_index("ix_crisis_flags_notification_status", table_name="crisis_flags")
    op.drop_index("ix_crisis_flags_status_created_at", table_name="crisis_flags")
    op.drop_index(op.f("ix_crisis_flags_conversation_id"), table_name="crisis_flags")
    op.drop_table("crisis_flags")

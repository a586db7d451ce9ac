"""Callback requests and the SMS outbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written out in full rather than from the models, so that this revision keeps
creating exactly this schema after the models change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("level_of_care", sa.String(length=16), nullable=False),
        sa.Column("screening_reasons", sa.JSON(), nullable=False),
        sa.Column("phone_e164", sa.String(length=20), nullable=False),
        sa.Column("first_name", sa.String(length=64), nullable=True),
        sa.Column("who_for", sa.String(length=16), nullable=True),
        sa.Column("caller_relation", sa.String(length=16), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("best_time", sa.String(length=16), nullable=True),
        sa.Column("permit_call", sa.Boolean(), nullable=False),
        sa.Column("permit_voicemail", sa.Boolean(), nullable=False),
        sa.Column("permit_text", sa.Boolean(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notification_status", sa.String(length=16), nullable=False),
        sa.Column("notification_attempts", sa.Integer(), nullable=False),
        sa.Column("last_notification_error", sa.String(length=200), nullable=True),
        sa.Column("notified_recipients", sa.JSON(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("source_channel", sa.String(length=32), nullable=True),
        sa.CheckConstraint("status IN ('new', 'claimed', 'closed')", name=op.f("ck_callback_requests_status")),
        sa.CheckConstraint("urgency IN ('routine', 'soon', 'urgent')", name=op.f("ck_callback_requests_urgency")),
        sa.CheckConstraint(
            "level_of_care IN ('outpatient', 'iop_fit', 'higher_level')", name=op.f("ck_callback_requests_level_of_care")
        ),
        sa.CheckConstraint(
            "notification_status IN ('pending', 'sent', 'failed', 'outbox')",
            name=op.f("ck_callback_requests_notification_status"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('reached', 'no_answer', 'wrong_number', 'declined', 'referred', 'enrolled', 'other')",
            name=op.f("ck_callback_requests_outcome"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_callback_requests_reference")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_callback_requests_idempotency_key")),
    )
    op.create_index(op.f("ix_callback_requests_conversation_id"), "callback_requests", ["conversation_id"])
    op.create_index("ix_callback_requests_status_created_at", "callback_requests", ["status", "created_at"])
    op.create_index("ix_callback_requests_notification_status", "callback_requests", ["notification_status"])

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("to", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callback_requests.id"],
            name=op.f("fk_outbox_messages_callback_id_callback_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_index(op.f("ix_outbox_messages_callback_id"), "outbox_messages", ["callback_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_messages_callback_id"), table_name="outbox_messages")
    op.drop_table("outbox_messages")
    op.drop_index("ix_callback_requests_notification_status", table_name="callback_requests")
    op.drop_index("ix_callback_requests_status_created_at", table_name="callback_requests")
    op.drop_index(op.f("ix_callback_requests_conversation_id"), table_name="callback_requests")
    op.drop_table("callback_requests")

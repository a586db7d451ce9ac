"""SMS channel: opt-outs, remembered numbered choices, handled MessageSids.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02

Written out in full rather than from ``helpline.store.sms_models``, so that this
revision keeps creating exactly this schema after the models change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_opt_outs",
        sa.Column("number_key", sa.String(length=80), nullable=False),
        sa.Column("masked_number", sa.String(length=32), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opt_out_keyword", sa.String(length=16), nullable=False),
        sa.Column("opted_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opt_in_keyword", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("number_key", name=op.f("pk_sms_opt_outs")),
    )
    op.create_table(
        "sms_choices",
        sa.Column("number_key", sa.String(length=80), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number_key", name=op.f("pk_sms_choices")),
    )
    op.create_table(
        "sms_message_sids",
        sa.Column("message_sid", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_sid", name=op.f("pk_sms_message_sids")),
    )
    op.create_index(op.f("ix_sms_message_sids_received_at"), "sms_message_sids", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sms_message_sids_received_at"), table_name="sms_message_sids")
    op.drop_table("sms_message_sids")
    op.drop_table("sms_choices")
    op.drop_table("sms_opt_outs")

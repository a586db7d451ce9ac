"""The signed outbound webhook's deliveries (an outbox of lead events).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

- ``webhook_deliveries``: one row per lead event owed to the facility's webhook
  receiver (``helpline.integrations.webhook``), added in the same transaction as
  the change to the lead. ``lead_id`` is a plain integer (no foreign key: a purge
  of the lead needs no cascade, and the delivery then ends ``gone``). No PHI: the
  payload is built from the lead when it is sent; ``last_error`` is an HTTP status
  or an exception class.
- Indexes: ``status, next_attempt_at`` (what the every-minute job sends) and
  ``lead_id, status`` (coalescing a lead's pending updates, sending them in order).

Written out in full rather than from ``helpline.store.models``, so that this
revision keeps creating exactly this schema after the models change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.CheckConstraint("event IN ('lead.created', 'lead.updated')", name=op.f("ck_webhook_deliveries_event")),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'dead', 'gone')",
                           name=op.f("ck_webhook_deliveries_status")),
    )
    op.create_index("ix_webhook_deliveries_status_next_attempt_at", "webhook_deliveries",
                    ["status", "next_attempt_at"])
    op.create_index("ix_webhook_deliveries_lead_id_status", "webhook_deliveries", ["lead_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_lead_id_status", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_status_next_attempt_at", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")

"""Working a lead: notes, call attempts, assignment, reopening, escalation; indexes for reports.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

- ``lead_notes``: staff notes on a lead or crisis follow-up (the text is encrypted: staff
  write what the caller said). One table for both queues: ``record_type`` is
  ``callback`` or ``crisis`` and ``record_id`` the row's id (no foreign key, so one
  table serves both; the retention purge deletes a record's notes with it).
- ``call_attempts``: each call staff make, with its outcome. "no_answer" and
  "left_voicemail" keep the record open; the facility file sets how many attempts
  close it.
- ``callback_requests`` and ``crisis_flags`` gain ``call_attempts`` (a count, for the
  queue's column and the close-after-N rule), ``first_attempt_at``, ``reopened_at``,
  and ``escalation_level`` / ``escalated_at`` (how many times the every-minute job
  re-alerted an unclaimed record past its target, and when last).
- Indexes the reports read by (``created_at``; ``urgency, created_at``).

Written out in full rather than from ``helpline.store.models``, so that this
revision keeps creating exactly this schema after the models change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_RECORD_TYPES = "record_type IN ('callback', 'crisis')"
_ATTEMPT_OUTCOMES = "outcome IN ('reached', 'no_answer', 'left_voicemail', 'wrong_number', 'busy', 'other')"


def _work_columns(table: str) -> None:
    op.add_column(table, sa.Column("call_attempts", sa.Integer(), nullable=False, server_default="0"))
    op.add_column(table, sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(table, sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(table, sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="0"))
    op.add_column(table, sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))


def upgrade() -> None:
    op.create_table(
        "lead_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.CheckConstraint(_RECORD_TYPES, name=op.f("ck_lead_notes_record_type")),
    )
    op.create_index("ix_lead_notes_record", "lead_notes", ["record_type", "record_id"])
    op.create_table(
        "call_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.CheckConstraint(_RECORD_TYPES, name=op.f("ck_call_attempts_record_type")),
        sa.CheckConstraint(_ATTEMPT_OUTCOMES, name=op.f("ck_call_attempts_outcome")),
    )
    op.create_index("ix_call_attempts_record", "call_attempts", ["record_type", "record_id"])
    op.create_index("ix_call_attempts_at", "call_attempts", ["at"])
    _work_columns("callback_requests")
    _work_columns("crisis_flags")
    op.create_index("ix_callback_requests_created_at", "callback_requests", ["created_at"])
    op.create_index("ix_callback_requests_urgency_created_at", "callback_requests", ["urgency", "created_at"])
    op.create_index("ix_crisis_flags_created_at", "crisis_flags", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_crisis_flags_created_at", table_name="crisis_flags")
    op.drop_index("ix_callback_requests_urgency_created_at", table_name="callback_requests")
    op.drop_index("ix_callback_requests_created_at", table_name="callback_requests")
    # Plain DROP COLUMNs (SQLite 3.35+), as in 0012.
    for table in ("crisis_flags", "callback_requests"):
        for column in ("escalated_at", "escalation_level", "reopened_at", "first_attempt_at", "call_attempts"):
            op.drop_column(table, column)
    op.drop_index("ix_call_attempts_at", table_name="call_attempts")
    op.drop_index("ix_call_attempts_record", table_name="call_attempts")
    op.drop_table("call_attempts")
    op.drop_index("ix_lead_notes_record", table_name="lead_notes")
    op.drop_table("lead_notes")

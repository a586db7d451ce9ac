"""Staff roles, idle session timeout, and a sign-in throttle that counts atomically.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

- ``staff_accounts.role``: ``staff`` (the queues) or ``admin`` (also the audit
  trail). Every existing account becomes ``staff``. Least privilege wins over
  continuity here: the finding this fixes is that every account could read the
  whole audit trail, so promoting every existing account to ``admin`` would
  carry that exposure over unchanged, and nobody can tell from the database
  which of them was "the operator". What an existing account loses is the
  console's audit page only; its queues are untouched, the CLI (``helpline
  audit list``) still works on the server, and the operator promotes whoever
  should read the trail with ``helpline staff role NAME admin``. The upgrade
  logs a warning saying so when there are accounts.
- ``staff_sessions.last_seen_at``: filled with ``created_at`` for sessions
  that exist, so a session older than the idle timeout ends at the upgrade.
- ``login_throttle``: per-name, per-address and global counters, one row
  each, locked while an attempt is counted.

Written out in full rather than from ``helpline.store.staff_models``, so that this
revision keeps creating exactly this schema after the models change.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger("helpline.migrations")


def upgrade() -> None:
    # A plain ADD COLUMN on SQLite too: no table rebuild, so staff_sessions
    # (ON DELETE CASCADE) keeps its rows.
    op.add_column("staff_accounts",
                  sa.Column("role", sa.String(length=16), nullable=False, server_default="staff"))
    accounts = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM staff_accounts")).scalar()
    if accounts:
        log.warning("%d existing staff account(s) now have the role 'staff' (no audit trail in the console); "
                    "promote administrators with: helpline staff role NAME admin", accounts)

    op.add_column("staff_sessions", sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE staff_sessions SET last_seen_at = created_at")
    # SQLite cannot make a column NOT NULL in place: batch mode rebuilds
    # staff_sessions, which nothing references.
    with op.batch_alter_table("staff_sessions") as batch:
        batch.alter_column("last_seen_at", existing_type=sa.DateTime(timezone=True), nullable=False)

    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_index(op.f("ix_login_throttle_last_attempt_at"), "login_throttle", ["last_attempt_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_login_throttle_last_attempt_at"), table_name="login_throttle")
    op.drop_table("login_throttle")
    with op.batch_alter_table("staff_sessions") as batch:
        batch.drop_column("last_seen_at")
    # Dropping a column rebuilds staff_accounts on SQLite; with foreign keys on,
    # that would cascade-delete every session, so end them explicitly first.
    op.execute("DELETE FROM staff_sessions")
    with op.batch_alter_table("staff_accounts") as batch:
        batch.drop_column("role")

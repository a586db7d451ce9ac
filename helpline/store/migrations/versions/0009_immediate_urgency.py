"""Callback requests may be ``immediate``, above ``urgent``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-11

- ``callback_requests.urgency`` may also be ``immediate``: a positive answer to
  the suicide-risk screen in the intake, or a callback asked for on the crisis
  path (``helpline.intake.screening`` R0, R0b). The queue sorts it first.

Without this revision the CHECK constraint refuses such a lead, and the handoff
would keep it in the local spool, where it would wait for ever.

Written out in full rather than from ``helpline.store.models``, so that this
revision keeps creating exactly this schema after the models change.
"""
from __future__ import annotations

from typing import List, Tuple

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CHECK = "ck_callback_requests_urgency"
OLD_URGENCIES = "urgency IN ('routine', 'soon', 'urgent')"
NEW_URGENCIES = "urgency IN ('routine', 'soon', 'urgent', 'immediate')"


def _outbox_links() -> List[Tuple[int, int]]:
    rows = op.get_bind().execute(sa.text("SELECT id, callback_id FROM outbox_messages WHERE callback_id IS NOT NULL"))
    return [tuple(row) for row in rows]


def _replace_check(condition: str) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # SQLite rebuilds callback_requests (batch mode) and drops the old table; with
    # foreign keys on (helpline.store.db turns them on, and PRAGMA cannot change inside
    # this transaction) that drop sets every outbox_messages.callback_id to NULL,
    # so the links are put back afterwards, as in revision 0004. On PostgreSQL
    # these are two ALTER TABLEs.
    links = [] if postgres else _outbox_links()
    with op.batch_alter_table("callback_requests") as batch:
        batch.drop_constraint(op.f(CHECK), type_="check")
        batch.create_check_constraint(op.f(CHECK), sa.text(condition))
    for outbox_id, callback_id in links:
        op.get_bind().execute(
            sa.text("UPDATE outbox_messages SET callback_id = :c WHERE id = :o"), {"c": callback_id, "o": outbox_id}
        )


def upgrade() -> None:
    _replace_check(NEW_URGENCIES)


def downgrade() -> None:
    # The older code knows no "immediate": such leads stay at the top as "urgent".
    op.execute("UPDATE callback_requests SET urgency = 'urgent' WHERE urgency = 'immediate'")
    _replace_check(OLD_URGENCIES)

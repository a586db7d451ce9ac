"""Encrypt the PHI columns of callback requests.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Fernet tokens are ~4/3 of the plaintext plus ~100 characters, so the short
string columns become Text, and the JSON columns become Text holding a token
of their JSON text. Existing rows are sealed in place with the first key of
``HELPLINE_ENCRYPTION_KEYS`` (or the local key file), as the application would.
A value that is already a token is left alone, so a rerun seals nothing twice.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Tuple

import sqlalchemy as sa
from alembic import op

from helpline.security import crypto

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Column -> its type before this revision (consent_text was already Text).
PLAIN_TYPES: Dict[str, sa.types.TypeEngine] = {
    "phone_e164": sa.String(length=20),
    "first_name": sa.String(length=64),
    "who_for": sa.String(length=16),
    "caller_relation": sa.String(length=16),
    "screening_reasons": sa.JSON(),
    "answers": sa.JSON(),
}
NULLABLE = {"phone_e164": False, "first_name": True, "who_for": True, "caller_relation": True,
            "screening_reasons": False, "answers": False}
SEALED_COLUMNS = tuple(PLAIN_TYPES) + ("consent_text",)
JSON_COLUMNS = ("screening_reasons", "answers")


def _rewrite_rows(transform: Callable[[str, str], str]) -> None:
    """Apply ``transform(column, stored_text)`` to every non-null sealed value."""
    table = sa.table("callback_requests", sa.column("id", sa.Integer),
                     *(sa.column(name, sa.Text) for name in SEALED_COLUMNS))
    connection = op.get_bind()
    rows = connection.execute(sa.select(table)).mappings().all()
    for row in rows:
        changes = {}
        for name in SEALED_COLUMNS:
            value = row[name]
            if value is not None:
                new_value = transform(name, value)
                if new_value != value:
                    changes[name] = new_value
        if changes:
            connection.execute(table.update().where(table.c.id == row["id"]).values(**changes))


def _outbox_links() -> List[Tuple[int, int]]:
    rows = op.get_bind().execute(sa.text("SELECT id, callback_id FROM outbox_messages WHERE callback_id IS NOT NULL"))
    return [tuple(row) for row in rows]


def _restore_outbox_links(links: List[Tuple[int, int]]) -> None:
    for outbox_id, callback_id in links:
        op.get_bind().execute(
            sa.text("UPDATE outbox_messages SET callback_id = :c WHERE id = :o"), {"c": callback_id, "o": outbox_id}
        )


def _change_types(to_text: bool) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # SQLite rebuilds the table (batch mode), dropping the old one; with foreign
    # keys on (helpline.store.db turns them on, and PRAGMA cannot change inside this
    # transaction) that drop sets every outbox_messages.callback_id to NULL,
    # so the links are put back afterwards.
    links = [] if postgres else _outbox_links()
    with op.batch_alter_table("callback_requests") as batch:
        for name, old_type in PLAIN_TYPES.items():
            if to_text:
                new_type, existing, cast = sa.Text(), old_type, "text"
            else:
                new_type, existing = old_type, sa.Text()
                cast = "json" if isinstance(old_type, sa.JSON) else f"varchar({old_type.length})"
            dialect_options: Dict[str, Any] = {"postgresql_using": f"{name}::{cast}"} if postgres else {}
            batch.alter_column(
                name,
                existing_type=existing,
                type_=new_type,
                existing_nullable=NULLABLE[name],
                **dialect_options,
            )
    _restore_outbox_links(links)


def upgrade() -> None:
    _change_types(to_text=True)
    box = crypto.fernet()
    _rewrite_rows(lambda _name, value: value if crypto.is_token(value) else crypto.encrypt(value, box))


def _unseal(name: str, value: str) -> str:
    plain = crypto.decrypt(value) if crypto.is_token(value) else value
    if name in JSON_COLUMNS:
        json.loads(plain)  # fail here, not halfway through the type change
    return plain


def downgrade() -> None:
    _rewrite_rows(_unseal)
    _change_types(to_text=False)

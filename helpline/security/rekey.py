"""Seal stored data again with the first key: after a key rotation, or for plaintext rows.

After a new key is put first in ``HELPLINE_ENCRYPTION_KEYS``, new writes use it
but old tokens still need the old key; this rewrites every encrypted value
with the new key, after which the old key can be removed. Values that are not
tokens yet (tracker events written before encryption was switched on) are
sealed too. Rows are rewritten in batches, each in its own transaction, so it
can run beside the live assistant and be rerun after an interruption.
"""
from __future__ import annotations

from typing import Iterable, List, Tuple

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from helpline.security import crypto
from helpline.store import retention
from helpline.store.models import CallbackRequest, EncryptedJSON, EncryptedText

BATCH = 200
CALLBACK_COLUMNS = tuple(
    c.name for c in CallbackRequest.__table__.columns if isinstance(c.type, (EncryptedText, EncryptedJSON))
)


def _reseal_table(connection_source: sa.engine.Engine, table: sa.Table, columns: Iterable[str]) -> int:
    """Reseal ``columns`` of ``table`` (raw text, bypassing the ORM types); returns rows rewritten."""
    box = crypto.fernet()
    columns = list(columns)
    done, last_id = 0, None
    while True:
        with connection_source.begin() as connection:
            query = sa.select(table.c.id, *(table.c[c] for c in columns)).order_by(table.c.id).limit(BATCH)
            if last_id is not None:
                query = query.where(table.c.id > last_id)
            rows: List[Tuple] = connection.execute(query).all()
            for row in rows:
                changes = {c: crypto.reseal(v, box) for c, v in zip(columns, row[1:], strict=True) if v is not None}
                if changes:
                    connection.execute(table.update().where(table.c.id == row[0]).values(**changes))
                    done += 1
        if len(rows) < BATCH:
            return done
        last_id = rows[-1][0]


def reencrypt_callbacks(session_factory: sessionmaker) -> int:
    table = sa.table("callback_requests", sa.column("id", sa.Integer), *(sa.column(c, sa.Text) for c in CALLBACK_COLUMNS))
    return _reseal_table(session_factory.kw["bind"], table, CALLBACK_COLUMNS)


def reencrypt_tracker(tracker_url: str) -> int:
    engine = retention.tracker_engine(tracker_url)
    if engine is None:
        return 0
    try:
        table = sa.table("events", sa.column("id", sa.Integer), sa.column("data", sa.Text))
        return _reseal_table(engine, table, ["data"])
    finally:
        engine.dispose()

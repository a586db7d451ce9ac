"""Rasa's SQL tracker store with every event's JSON encrypted at rest.

Rasa keeps each event (message texts, slot values such as a phone number or a
substance) as JSON in ``events.data``. This store is ``SQLTrackerStore`` with
one change: the ``data`` column has a type that seals the JSON on write and
opens it on read (:mod:`helpline.security.crypto`), so Rasa's own ``save``,
``_retrieve``, session handling and queries run unchanged on SQLite and
PostgreSQL. The other columns (sender id, event type, intent and action names,
timestamp) stay plain: Rasa filters and orders on them and they hold no text
the person typed.

Rows written before this store was switched on hold plain JSON; they are read
as they are (a Fernet token never starts with ``{``), so conversations in
flight carry on, and ``helpline keys reencrypt`` seals them (``helpline purge``
removes them in time anyway).

endpoints.yml::

    tracker_store:
      type: helpline_rasa.tracker_store.EncryptedSQLTrackerStore
      dialect: ${HELPLINE_TRACKER_DIALECT}
      url: ${HELPLINE_TRACKER_URL}
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, _create_sequence
from sqlalchemy.orm import declarative_base

from helpline.security import crypto
from helpline.store import file_modes

# The callback store's column type: sealed on write, legacy plaintext read as it is.
from helpline.store.models import EncryptedText

EVENTS_TABLE = "events"

class EncryptedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose ``events.data`` is encrypted; same table, same schema."""

    # Our own declarative base: Rasa's class keeps its plain mapping of the table.
    Base: Any = declarative_base()  # Any: SQLAlchemy 1.4 is untyped, and mypy takes only an Any variable as a base

    class SQLEvent(Base):
        __tablename__ = EVENTS_TABLE

        id = sa.Column(sa.Integer, _create_sequence(EVENTS_TABLE), primary_key=True)
        sender_id = sa.Column(sa.String(255), nullable=False, index=True)
        type_name = sa.Column(sa.String(255), nullable=False)
        timestamp = sa.Column(sa.Float)
        intent_name = sa.Column(sa.String(255))
        action_name = sa.Column(sa.String(255))
        data = sa.Column(EncryptedText)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The first code of ours in a Rasa server: one started without `helpline run`
        # (whose umask it would inherit) still creates tracker.db and its -wal/-shm
        # owner-only (helpline.store.file_modes).
        file_modes.private_umask()
        # A bad key configuration stops the server at start-up, not at the first message.
        crypto.fernet()
        super().__init__(*args, **kwargs)

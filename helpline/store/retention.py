"""Retention: delete conversations and finished staff work older than a cut-off.

What goes, for ``older_than_days = N``:

- conversations (every tracker event of a sender) whose newest event is older
  than N days; a conversation with any newer event is kept whole;
- callback requests and crisis follow-ups that were *closed* more than N days
  ago; open ones (``new``, ``claimed``) are never touched, however old;
- the notes and call attempts of those records, with them;
- outbox messages (local staff SMS) created more than N days ago;
- webhook deliveries (ids and states, no PHI) created more than N days ago that
  are no longer pending;
- the SMS menu state of texters (``sms_choices``: the buttons last offered)
  not updated for N days;
- log files in ``$HELPLINE_DATA_DIR/logs`` last written more than N days ago
  (:mod:`helpline.ops.logfiles`).

Then each SQLite database (callbacks, tracker) is compacted with ``VACUUM``
and its write-ahead log truncated: SQLite otherwise keeps deleted rows in
free pages of the file (and in the ``-wal`` file) until they happen to be
reused. PostgreSQL is left to its autovacuum (a ``VACUUM FULL`` would lock the
live tables); what it keeps of deleted rows there is ciphertext for every field
that holds PHI.

The SMS opt-out list is a compliance record and stays; remembered MessageSids
expire on their own (``helpline.store.sms_models.MESSAGE_SID_RETENTION``). Counts
only, never content: the result is printed and may be logged. Running it
twice deletes nothing the second time.
"""
from __future__ import annotations

import logging
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from helpline.ops import logfiles
from helpline.store.models import (
    CallAttempt,
    CallbackRequest,
    CrisisFlag,
    LeadNote,
    OutboxMessage,
    WebhookDelivery,
    utcnow,
)
from helpline.store.sms_models import SmsChoices

log = logging.getLogger(__name__)

MIN_DAYS = 1
# Rasa's tracker table, as the helpline reads it (here, the transcripts and the report rollup);
# ``data`` is the event's JSON, sealed by helpline_rasa.tracker_store.
EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("action_name", sa.String),
    sa.column("data", sa.Text),
)


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    dry_run: bool
    conversations: int
    tracker_events: int
    callbacks: int
    crisis_flags: int
    outbox_messages: int
    sms_choices: int = 0
    notes: int = 0
    call_attempts: int = 0
    webhook_deliveries: int = 0
    log_files: int = 0
    # SQLite databases compacted afterwards ("callbacks", "tracker"); not a count.
    compacted: Tuple[str, ...] = ()

    def counts(self) -> Dict[str, int]:
        return {k: v for k, v in asdict(self).items() if isinstance(v, int) and not isinstance(v, bool)}


def cutoff_for(older_than_days: int, now: Optional[datetime] = None) -> datetime:
    if not isinstance(older_than_days, int) or older_than_days < MIN_DAYS:
        raise ValueError(f"older_than_days must be a whole number of days, at least {MIN_DAYS}")
    return (now or utcnow()) - timedelta(days=older_than_days)


def _stale_senders(cutoff: datetime) -> sa.sql.Select:
    return (
        select(EVENTS.c.sender_id)
        .group_by(EVENTS.c.sender_id)
        .having(func.max(EVENTS.c.timestamp) < cutoff.timestamp())
    )


def tracker_engine(tracker_url: str) -> Optional[sa.engine.Engine]:
    """An engine on the tracker database, or None if it does not exist yet (no file is created)."""
    url = make_url(tracker_url)
    kwargs: Dict[str, Any] = {"future": True}
    if url.get_backend_name() == "sqlite":
        if not url.database or not Path(url.database).exists():
            return None
        # Rasa may be writing: wait for its lock rather than fail.
        kwargs["connect_args"] = {"timeout": 15}
    engine = sa.create_engine(url, **kwargs)
    if not sa.inspect(engine).has_table("events"):
        engine.dispose()
        return None
    return engine


def purge_tracker(tracker_url: str, cutoff: datetime, *, dry_run: bool = False) -> Tuple[int, int]:
    """``(conversations, events)`` removed from the Rasa tracker store; (0, 0) if it has none yet."""
    engine = tracker_engine(tracker_url)
    if engine is None:
        return 0, 0
    try:
        stale = _stale_senders(cutoff).subquery()
        with engine.begin() as connection:
            conversations = connection.scalar(select(func.count()).select_from(stale)) or 0
            in_stale = EVENTS.c.sender_id.in_(select(stale.c.sender_id))
            if dry_run:
                events = connection.scalar(select(func.count()).select_from(EVENTS).where(in_stale)) or 0
            else:
                events = connection.execute(delete(EVENTS).where(in_stale)).rowcount or 0
        return conversations, events
    finally:
        engine.dispose()


def _purge_rows(session: Session, model: type, condition: Any, dry_run: bool) -> int:
    if dry_run:
        return session.scalar(select(func.count()).select_from(model).where(condition)) or 0
    return session.execute(delete(model).where(condition).execution_options(synchronize_session=False)).rowcount or 0


def purge_records(session_factory: sessionmaker, cutoff: datetime, *, dry_run: bool = False) -> Dict[str, int]:
    # closed_at is set whenever status becomes closed; an unclosed row never matches.
    closed_callbacks = (CallbackRequest.status == "closed") & (CallbackRequest.closed_at < cutoff)
    closed_flags = (CrisisFlag.status == "closed") & (CrisisFlag.closed_at < cutoff)
    def of_purged(model: Any) -> Any:
        # Notes and attempts name their record by type and id (no foreign key): they go with it.
        return ((model.record_type == "callback") & model.record_id.in_(select(CallbackRequest.id).where(closed_callbacks))
                | (model.record_type == "crisis") & model.record_id.in_(select(CrisisFlag.id).where(closed_flags)))

    finished_deliveries = (WebhookDelivery.status != "pending") & (WebhookDelivery.created_at < cutoff)
    with session_factory() as session, session.begin():
        return {
            # Before the records they belong to, which the conditions select them by.
            "notes": _purge_rows(session, LeadNote, of_purged(LeadNote), dry_run),
            "call_attempts": _purge_rows(session, CallAttempt, of_purged(CallAttempt), dry_run),
            "webhook_deliveries": _purge_rows(session, WebhookDelivery, finished_deliveries, dry_run),
            # Outbox first: its rows point at callbacks (the link would be nulled anyway).
            "outbox_messages": _purge_rows(session, OutboxMessage, OutboxMessage.created_at < cutoff, dry_run),
            "callbacks": _purge_rows(session, CallbackRequest, closed_callbacks, dry_run),
            "crisis_flags": _purge_rows(session, CrisisFlag, closed_flags, dry_run),
            "sms_choices": _purge_rows(session, SmsChoices, SmsChoices.updated_at < cutoff, dry_run),
        }


def vacuum_sqlite(url: str) -> bool:
    """``VACUUM`` an SQLite database file and empty its write-ahead log; False if ``url`` is not one.

    Own connection in autocommit mode: VACUUM cannot run inside a transaction.
    It waits up to 15 s for a writer (Rasa, the action server) to finish.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return False
    path = Path(parsed.database)
    if not path.exists():
        return False
    connection = sqlite3.connect(path, timeout=15, isolation_level=None)
    try:
        connection.execute("VACUUM")
        # The -wal file holds the old pages too until a checkpoint empties it.
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    if busy:
        log.warning("retention purge: %s is compacted, but a reader kept its -wal file from being emptied", path.name)
    return True


def _try_vacuum(name: str, url: str) -> bool:
    """:func:`vacuum_sqlite`, with a failure (e.g. locked past the timeout) logged: the rows are gone either way."""
    try:
        return vacuum_sqlite(url)
    except (sqlite3.Error, OSError) as exc:
        log.warning("retention purge: could not compact the %s database: %s", name, type(exc).__name__)
        return False


def purge(
    session_factory: sessionmaker,
    tracker_url: str,
    older_than_days: int,
    *,
    dry_run: bool = False,
    now: Optional[datetime] = None,
    log_dir: Optional[Path] = None,
) -> PurgeResult:
    """``log_dir``: where ``helpline run`` writes its logs (``$HELPLINE_DATA_DIR/logs``); None leaves logs alone."""
    cutoff = cutoff_for(older_than_days, now)
    records = purge_records(session_factory, cutoff, dry_run=dry_run)
    conversations, events = purge_tracker(tracker_url, cutoff, dry_run=dry_run)
    log_files = logfiles.purge(log_dir, cutoff, dry_run=dry_run) if log_dir is not None else 0
    compacted: Tuple[str, ...] = ()
    if not dry_run:
        bind = getattr(session_factory, "kw", {}).get("bind")
        databases = (("callbacks", str(bind.url) if bind is not None else ""), ("tracker", tracker_url))
        compacted = tuple(name for name, url in databases if url and _try_vacuum(name, url))
    result = PurgeResult(cutoff=cutoff, dry_run=dry_run, conversations=conversations, tracker_events=events,
                         log_files=log_files, compacted=compacted, **records)
    log.info("retention purge (dry_run=%s, cutoff=%s): %s", dry_run, cutoff.isoformat(timespec="seconds"), result.counts())
    return result

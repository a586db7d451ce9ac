"""Retention: delete conversations and finished staff work older than a cut-off.

What goes, for ``older_than_days = N``:

- conversations (every tracker event of a sender) whose newest event is older
  than N days; a conversation with any newer event is kept whole;
- callback requests and crisis follow-ups that were *closed* more than N days
  ago; open ones (``new``, ``claimed``) are never touched, however old;
- outbox messages (local staff SMS) created more than N days ago.

The SMS opt-out list is a compliance record and stays. Counts only, never
content: the result is printed and may be logged. Running it twice deletes
nothing the second time.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from helpline.models import CallbackRequest, CrisisFlag, OutboxMessage, utcnow

log = logging.getLogger(__name__)

MIN_DAYS = 1
EVENTS = sa.table("events", sa.column("sender_id", sa.String), sa.column("timestamp", sa.Float))


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    dry_run: bool
    conversations: int
    tracker_events: int
    callbacks: int
    crisis_flags: int
    outbox_messages: int

    def counts(self) -> Dict[str, int]:
        return {k: v for k, v in asdict(self).items() if isinstance(v, int) and not isinstance(v, bool)}


def cutoff_for(older_than_days: int, now: Optional[datetime] = None) -> datetime:
    if not isinstance(older_than_days, int) or older_than_days < MIN_DAYS:
        raise ValueError(f"older_than_days must be a whole number of days, at least {MIN_DAYS}")
    return (now or utcnow()) - timedelta(days=older_than_days)


def _stale_senders(cutoff: datetime):  # type: ignore[no-untyped-def]
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


def _purge_rows(session, model, condition, dry_run: bool) -> int:  # type: ignore[no-untyped-def]
    if dry_run:
        return session.scalar(select(func.count()).select_from(model).where(condition)) or 0
    return session.execute(delete(model).where(condition).execution_options(synchronize_session=False)).rowcount or 0


def purge_records(session_factory: sessionmaker, cutoff: datetime, *, dry_run: bool = False) -> Dict[str, int]:
    # closed_at is set whenever status becomes closed; an unclosed row never matches.
    closed_callbacks = (CallbackRequest.status == "closed") & (CallbackRequest.closed_at < cutoff)
    closed_flags = (CrisisFlag.status == "closed") & (CrisisFlag.closed_at < cutoff)
    with session_factory() as session, session.begin():
        return {
            # Outbox first: its rows point at callbacks (the link would be nulled anyway).
            "outbox_messages": _purge_rows(session, OutboxMessage, OutboxMessage.created_at < cutoff, dry_run),
            "callbacks": _purge_rows(session, CallbackRequest, closed_callbacks, dry_run),
            "crisis_flags": _purge_rows(session, CrisisFlag, closed_flags, dry_run),
        }


def purge(
    session_factory: sessionmaker,
    tracker_url: str,
    older_than_days: int,
    *,
    dry_run: bool = False,
    now: Optional[datetime] = None,
) -> PurgeResult:
    cutoff = cutoff_for(older_than_days, now)
    records = purge_records(session_factory, cutoff, dry_run=dry_run)
    conversations, events = purge_tracker(tracker_url, cutoff, dry_run=dry_run)
    result = PurgeResult(cutoff=cutoff, dry_run=dry_run, conversations=conversations, tracker_events=events, **records)
    log.info("retention purge (dry_run=%s, cutoff=%s): %s", dry_run, cutoff.isoformat(timespec="seconds"), result.counts())
    return result

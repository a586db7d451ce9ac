"""The incremental rollup: tracker events after a watermark -> ``conversation_stats`` and ``faq_topic_days``.

Reading and decrypting every event of a month on each page view would take
minutes at a helpline's volume, so the every-minute job of ``helpline run``
(:mod:`helpline.ops.minutely`) reads only the events stored since its last run
(``events.id`` above the watermark in ``report_rollup_state``), derives each
conversation's figures (:mod:`helpline.reports.facts`) and updates one row per
conversation. The page then reads those rows, never the tracker.

A conversation is a Rasa session: ``session_started`` (or ``restart``) starts a
new row for the same sender; a session in which the person never wrote is not
a conversation and its row is dropped. Rows are found again by ``sender_key``,
an HMAC of the sender id (SMS sender ids are derived from phone numbers, so a
plain hash could be reversed by hashing every number), under a key derived from
the install's id secret (``HELPLINE_ID_SECRET`` or its local file). The key is
cleared when the sender starts a new session, and a day after the session's
last event (Rasa starts a new session after 4 idle hours anyway): from then on
the row identifies nobody, and it is kept whatever the retention purge removes.

Correctness under concurrency and failure:

- The watermark row is locked (``SELECT ... FOR UPDATE``; on SQLite the
  transaction's write lock) for the whole batch, and the batch's rows and the new
  watermark commit together: two processes never count an event twice, and a
  failed run leaves nothing half-counted.
- PostgreSQL hands out ids before commit, so a turn saved slowly may appear
  below ids already read. Events are therefore read only once they are
  :data:`SETTLE_SECONDS` old (by their timestamp): figures are a minute or two behind.
- SQLite reuses the ids of deleted rows once the newest ones are gone (a purge of
  every conversation); a tracker whose largest id fell below the watermark
  restarts after the last event already read, found by its timestamp.

Logs say how many events and conversations, never an id or a value.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from helpline.reports.facts import NEEDS_DATA, SESSION_STARTS, Conversation, when
from helpline.security import crypto
from helpline.store import retention
from helpline.store.models import ConversationStats, FaqTopicDay, ReportRollupState, utcnow

EVENTS = retention.EVENTS

log = logging.getLogger(__name__)

STATE_NAME = "conversations"
BATCH_SIZE = 5000
# Per run: the every-minute job has other work; a large backlog is read over several minutes.
TIME_BUDGET_SECONDS = 20.0
SETTLE_SECONDS = 90.0
# How long a finished session's row keeps its sender key (see the module docstring).
KEY_LIFETIME = timedelta(days=1)
_KEY_LABEL = b"helpline report conversation keys v1"
_IN_CHUNK = 500



@dataclass(frozen=True)
class RollupResult:
    events: int = 0
    conversations: int = 0  # rows written (new or updated)
    unreadable: int = 0  # events whose JSON could not be decrypted or parsed (counted by type only)
    watermark: int = 0
    caught_up: bool = True
    forgotten: int = 0  # rows whose sender key was cleared
    dropped: int = 0  # sessions without a message, removed


def report_key(secret: Optional[str] = None) -> bytes:
    """The HMAC key of ``sender_key``: derived from the install's id secret, apart from its other uses."""
    if secret is None:
        from helpline.channels import sms

        secret = sms.id_secret().value
    return hmac.new(secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()


def sender_key(sender_id: str, key: bytes) -> str:
    return hmac.new(key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass
class _Open:
    """A conversation being rolled up: its row (None until written) and its figures."""

    row: Any
    conversation: Conversation


@dataclass
class _Batch:
    session: Session
    zone: str
    key: bytes
    box: Any
    open: Dict[str, _Open] = field(default_factory=dict)
    topics: Counter = field(default_factory=Counter)
    written: int = 0
    unreadable: int = 0
    keys: Dict[str, str] = field(default_factory=dict)

    def key_of(self, sender_id: str) -> str:
        found = self.keys.get(sender_id)
        if found is None:
            found = self.keys[sender_id] = sender_key(sender_id, self.key)
        return found

    def load(self, sender_ids: Iterable[str]) -> None:
        keys = sorted({self.key_of(s) for s in sender_ids})
        for start in range(0, len(keys), _IN_CHUNK):
            chunk = keys[start:start + _IN_CHUNK]
            for row in self.session.execute(select(ConversationStats).where(ConversationStats.sender_key.in_(chunk))
                                            ).scalars():
                self.open[row.sender_key] = _Open(row, Conversation.from_row(row))

    def write(self, key: str, entry: _Open, *, keep_key: bool) -> None:
        """Store ``entry``'s figures on its row, with or without the sender key."""
        conversation = entry.conversation
        # Topics count on the conversation's day; they come after its first message, which fixes that day.
        for topic, count in conversation.topics.items():
            self.topics[(conversation.local_day, topic)] += count
        conversation.topics.clear()
        if entry.row is None:
            entry.row = ConversationStats(**conversation.values())
            self.session.add(entry.row)
        else:
            for name, value in conversation.values().items():
                setattr(entry.row, name, value)
        entry.row.sender_key = key if keep_key else None
        self.written += 1


def _event_json(value: Optional[str], box: Any) -> Optional[Mapping[str, Any]]:
    if value is None:
        return None
    try:
        event = json.loads(crypto.decrypt(value, box) if crypto.is_token(value) else value)
    except (crypto.DecryptionError, ValueError):
        return None
    return event if isinstance(event, dict) else None


def _apply(batch: _Batch, rows: List[Any], now: datetime) -> None:
    batch.load(row.sender_id for row in rows)
    for row in rows:
        key = batch.key_of(row.sender_id)
        current = batch.open.get(key)
        if row.type_name in SESSION_STARTS:
            # A new session of the same sender is a new conversation; one without a message yet goes on as it is.
            if current is not None and current.conversation.user_messages > 0:
                batch.write(key, current, keep_key=False)
                batch.session.flush()  # the key is free before a new row of this sender takes it
                del batch.open[key]
            continue
        at = when(row.timestamp)
        event = None
        if row.type_name in NEEDS_DATA:
            event = _event_json(row.data, batch.box)
            if event is None:
                batch.unreadable += 1
        if current is None:
            current = batch.open[key] = _Open(None, Conversation.starting(at or now, batch.zone, row.sender_id))
        current.conversation.apply(row.type_name, event, at, batch.zone, row.action_name, row.sender_id)
    for key, entry in batch.open.items():
        batch.write(key, entry, keep_key=True)
    _add_topics(batch.session, batch.topics)


def _add_topics(session: Session, topics: Mapping[Tuple[date, str], int]) -> None:
    for (day, topic), count in sorted(topics.items()):
        found = session.get(FaqTopicDay, (day, topic))
        if found is None:
            session.add(FaqTopicDay(local_day=day, topic=topic, asks=count))
        else:
            found.asks += count


def _locked_state(session: Session) -> Any:
    state = session.execute(
        select(ReportRollupState).where(ReportRollupState.name == STATE_NAME).with_for_update()
    ).scalar_one_or_none()
    if state is None:  # revision 0015 makes it; only a hand-emptied table lacks it
        state = ReportRollupState(name=STATE_NAME, last_event_id=0)
        session.add(state)
        session.flush()
    return state


def _read(tracker: Any, after: int, limit: int) -> List[Any]:
    columns = (EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.action_name,
               EVENTS.c.data)
    return list(tracker.execute(select(*columns).where(EVENTS.c.id > after).order_by(EVENTS.c.id).limit(limit)).all())


def _restart_point(tracker: Any, state: Any) -> Optional[int]:
    """Where to read from when the tracker's ids fell below the watermark (SQLite reused them); else None."""
    largest = tracker.scalar(select(func.max(EVENTS.c.id)))
    if largest is None or largest >= state.last_event_id:
        return None
    if state.last_event_timestamp is None:
        return 0
    read_before = tracker.scalar(select(func.max(EVENTS.c.id)).where(EVENTS.c.timestamp <= state.last_event_timestamp))
    return int(read_before or 0)


def _settled(rows: List[Any], now: datetime, settle_seconds: float) -> List[Any]:
    """The rows up to the first one too recent to be sure no lower id is still to be committed."""
    newest = now.timestamp() - settle_seconds
    for position, row in enumerate(rows):
        if row.timestamp is not None and row.timestamp > newest:
            return rows[:position]
    return rows


def _forget(session_factory: sessionmaker, before: datetime) -> Tuple[int, int]:
    """Clear the sender keys of sessions idle since ``before``; drop those the person never wrote in."""
    stats = ConversationStats
    idle = stats.sender_key.isnot(None) & (stats.last_event_at < before)
    with session_factory() as session, session.begin():
        dropped = session.execute(
            delete(stats).where(idle & (stats.user_messages == 0)).execution_options(synchronize_session=False)
        ).rowcount or 0
        forgotten = session.execute(
            update(stats).where(idle).values(sender_key=None, active_form=None)
            .execution_options(synchronize_session=False)
        ).rowcount or 0
    return forgotten, dropped


def roll_up(
    session_factory: sessionmaker,
    tracker_url: str,
    zone: str,
    *,
    now: Optional[datetime] = None,
    secret: Optional[str] = None,
    batch_size: int = BATCH_SIZE,
    time_budget: float = TIME_BUDGET_SECONDS,
    settle_seconds: float = SETTLE_SECONDS,
) -> RollupResult:
    """Read the tracker's new events into the report tables; ``zone`` is the facility's time zone."""
    engine = retention.tracker_engine(tracker_url)
    if engine is None:  # Rasa has stored no conversation yet
        return RollupResult()
    now = now or utcnow()
    key = report_key(secret)
    box = crypto.fernet()
    deadline = time.monotonic() + time_budget
    events = written = unreadable = 0
    caught_up = True
    watermark = 0
    read_up_to: Optional[float] = None
    try:
        while True:
            with session_factory() as session, session.begin():
                state = _locked_state(session)
                with engine.connect() as tracker:
                    rows = _read(tracker, state.last_event_id, batch_size)
                    restart = None if rows else _restart_point(tracker, state)
                if restart is not None:
                    log.warning("report rollup: the tracker's event ids went back (a purge on SQLite); "
                                "reading on from the last event already counted")
                    state.last_event_id = restart
                    continue
                ready = _settled(rows, now, settle_seconds)
                if ready:
                    batch = _Batch(session, zone, key, box)
                    _apply(batch, ready, now)
                    state.last_event_id = ready[-1].id
                    state.last_event_timestamp = ready[-1].timestamp
                    events += len(ready)
                    written += batch.written
                    unreadable += batch.unreadable
                state.updated_at = now
                watermark = state.last_event_id
                read_up_to = state.last_event_timestamp
            caught_up = len(ready) < batch_size
            if caught_up or time.monotonic() > deadline:
                break
    finally:
        engine.dispose()
    # Everything up to here has been read: the clock (less the settling time) once caught up, else the
    # last event read, so that a rollup still catching up never forgets a session with events to come.
    read_to = now - timedelta(seconds=settle_seconds) if caught_up else when(read_up_to)
    forgotten, dropped = _forget(session_factory, read_to - KEY_LIFETIME) if read_to is not None else (0, 0)
    result = RollupResult(events, written, unreadable, watermark, caught_up, forgotten, dropped)
    if events or forgotten or dropped:
        log.info("report rollup: %d events, %d conversations written, %d unreadable, %d keys cleared, "
                 "%d empty sessions dropped%s", events, written, unreadable, forgotten, dropped,
                 "" if caught_up else " (more to read)")
    return result


def last_run(session_factory: sessionmaker) -> Optional[datetime]:
    """When the rollup last ran (the conversation figures are as of then); None if it never has."""
    with session_factory() as session:
        return session.scalar(select(ReportRollupState.updated_at).where(ReportRollupState.name == STATE_NAME))


def run_job(context: Any) -> RollupResult:
    """The every-minute job (:mod:`helpline.ops.minutely`): ``context`` is a :class:`helpline.composition.AppContext`."""
    return roll_up(context.sessions(), context.settings.effective_tracker_url, context.facility().timezone)

"""`helpline purge --older-than DAYS`: what goes, what always stays, and what it prints."""
from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpline.channels.sms import Choice
from helpline.cli import main
from helpline.queues import callbacks, crisis_flags
from helpline.security import crypto
from helpline.store import db, retention
from helpline.store.models import CallbackRequest, CrisisFlag, OutboxMessage
from helpline.store.sms_models import SmsChoices, SqlSmsStore

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=5)

# Rasa's events table as SQLTrackerStore creates it (the real store: tests/adapters/test_tracker_store.py).
EVENTS_DDL = """CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"""


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    monkeypatch.setenv(crypto.KEYS_ENV, crypto.generate_key())
    crypto.reset_cache()
    yield
    crypto.reset_cache()


def lead(sessions, key: str, status: str = "new", closed_at=None) -> int:
    record, _ = callbacks.store_callback(
        sessions, idempotency_key=key, phone="602-555-0134", urgency="soon", level_of_care="iop_fit", consent=True,
        first_name="Marisol", answers={"substances": ["alcohol"]},
    )
    with sessions() as session, session.begin():
        row = session.get(CallbackRequest, record.id)
        row.created_at = OLD
        row.status = status
        row.closed_at = closed_at
        if status == "closed":
            row.outcome = "reached"
    return record.id


def flag(sessions, conversation: str, status: str = "new", closed_at=None) -> int:
    record, _ = crisis_flags.flag_crisis(
        sessions, conversation_id=conversation, category="overdose", severity="immediate", now=OLD,
    )
    with sessions() as session, session.begin():
        row = session.get(CrisisFlag, record.id)
        row.status = status
        row.closed_at = closed_at
        if status == "closed":
            row.open_key = None
            row.outcome = "reached"
    return record.id


def outbox(sessions, created_at, callback_id=None) -> None:
    with sessions() as session, session.begin():
        session.add(OutboxMessage(to="+16025550100", body="New lead", kind="staff_alert", created_at=created_at,
                                  callback_id=callback_id))


def menu(sessions, number_key: str, updated_at, title: str = "Yes, call me") -> None:
    """A texter's remembered SMS buttons (sms_choices), last updated at ``updated_at``."""
    SqlSmsStore(sessions).set_choices(number_key, [Choice(title, "/affirm"), Choice("No", "/deny")])
    with sessions() as session, session.begin():
        session.execute(sa.update(SmsChoices).where(SmsChoices.number_key == number_key).values(updated_at=updated_at))


def tracker_db(url: str, conversations: dict) -> None:
    """``{sender: [event ages as datetimes]}`` into a Rasa-shaped events table."""
    engine = sa.create_engine(url, future=True)
    with engine.begin() as connection:
        ddl = EVENTS_DDL if url.startswith("sqlite") else EVENTS_DDL.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY")
        connection.execute(sa.text(ddl))
        for sender, times in conversations.items():
            for moment in times:
                connection.execute(
                    sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, :d)"),
                    {"s": sender, "t": moment.timestamp(), "d": crypto.encrypt('{"text": "I drink"}')},
                )
    engine.dispose()


def remaining(url: str) -> dict:
    engine = sa.create_engine(url, future=True)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id")).all()
    engine.dispose()
    return dict(rows)


@pytest.fixture
def populated(tmp_path: Path, session_factory):
    ids = {
        "lead_closed_old": lead(session_factory, "a", "closed", OLD),
        "lead_closed_recent": lead(session_factory, "b", "closed", RECENT),
        "lead_new_old": lead(session_factory, "c", "new"),
        "lead_claimed_old": lead(session_factory, "d", "claimed"),
        "flag_closed_old": flag(session_factory, "conv-1", "closed", OLD),
        "flag_closed_recent": flag(session_factory, "conv-2", "closed", RECENT),
        "flag_new_old": flag(session_factory, "conv-3", "new"),
        "flag_claimed_old": flag(session_factory, "conv-4", "claimed"),
    }
    outbox(session_factory, OLD, callback_id=ids["lead_new_old"])
    outbox(session_factory, RECENT, callback_id=ids["lead_closed_old"])
    menu(session_factory, "sms-old", OLD)
    menu(session_factory, "sms-recent", RECENT)
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    tracker_db(tracker_url, {
        "stale": [OLD - timedelta(days=3), OLD],
        "old_but_active": [OLD, RECENT],  # newest event is recent: kept whole
        "fresh": [RECENT],
    })
    return ids, tracker_url


def test_purge_removes_only_finished_and_old_data(session_factory, populated):
    ids, tracker_url = populated
    result = retention.purge(session_factory, tracker_url, 30, now=NOW)
    assert result.counts() == {"conversations": 1, "tracker_events": 2, "callbacks": 1, "crisis_flags": 1,
                               "outbox_messages": 1, "sms_choices": 1, "notes": 0, "call_attempts": 0,
                               "webhook_deliveries": 0, "log_files": 0}
    with session_factory() as session:
        leads = set(session.scalars(sa.select(CallbackRequest.id)))
        flags = set(session.scalars(sa.select(CrisisFlag.id)))
        kept_outbox = session.scalars(sa.select(OutboxMessage)).all()
    assert leads == {ids["lead_closed_recent"], ids["lead_new_old"], ids["lead_claimed_old"]}
    assert flags == {ids["flag_closed_recent"], ids["flag_new_old"], ids["flag_claimed_old"]}
    assert len(kept_outbox) == 1 and kept_outbox[0].callback_id is None  # its lead went; the link is cleared
    assert remaining(tracker_url) == {"old_but_active": 2, "fresh": 1}
    with session_factory() as session:
        assert list(session.scalars(sa.select(SmsChoices.number_key))) == ["sms-recent"]


def test_purge_is_idempotent(session_factory, populated):
    _, tracker_url = populated
    retention.purge(session_factory, tracker_url, 30, now=NOW)
    again = retention.purge(session_factory, tracker_url, 30, now=NOW)
    assert set(again.counts().values()) == {0}


def test_dry_run_counts_and_deletes_nothing(session_factory, populated):
    _, tracker_url = populated
    dry = retention.purge(session_factory, tracker_url, 30, dry_run=True, now=NOW)
    real = retention.purge(session_factory, tracker_url, 30, now=NOW)
    assert dry.counts() == real.counts() and sum(dry.counts().values()) == 7
    assert dry.compacted == () and real.compacted == ("callbacks", "tracker")


def test_open_leads_and_flags_stay_however_old(session_factory, populated):
    ids, tracker_url = populated
    retention.purge(session_factory, tracker_url, 1, now=NOW + timedelta(days=3650))
    with session_factory() as session:
        statuses = sorted(session.scalars(sa.select(CallbackRequest.status)))
        flag_statuses = sorted(session.scalars(sa.select(CrisisFlag.status)))
    assert statuses == ["claimed", "new"] and flag_statuses == ["claimed", "new"]
    assert remaining(tracker_url) == {}


def sqlite_bytes(path: Path) -> bytes:
    """The database file with its -wal and -shm: everything SQLite keeps on disk."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


def free_pages(path: Path) -> int:
    """Pages of deleted rows still in the file. (Builds with SECURE_DELETE, like Debian's, zero
    their content; others leave it readable, which is what the marker checks catch.)"""
    raw = sqlite3.connect(path)
    try:
        return raw.execute("PRAGMA freelist_count").fetchone()[0]
    finally:
        raw.close()


def test_deleted_rows_do_not_stay_in_the_sqlite_files(session_factory, db_url, tmp_path):
    # The SMS buttons are stored in clear: a marker there is findable in the file's bytes.
    marker = "Marker-3f9a-deleted-menu"
    for number in range(200):  # enough rows to fill whole pages, which then go to the freelist
        menu(session_factory, f"sms-{number}", OLD, title=f"{marker} {number:03d} " + "x" * 200)
    database = Path(db_url.removeprefix("sqlite:///"))
    assert marker.encode() in sqlite_bytes(database)

    result = retention.purge(session_factory, f"sqlite:///{tmp_path / 'none.db'}", 30, now=NOW)

    assert result.sms_choices == 200 and result.compacted == ("callbacks",)
    assert marker.encode() not in sqlite_bytes(database)
    assert free_pages(database) == 0


def test_deleted_conversations_do_not_stay_in_the_tracker_file(session_factory, tmp_path):
    tracker = tmp_path / "tracker.db"
    # Sender ids are stored in clear (the event data is encrypted).
    tracker_db(f"sqlite:///{tracker}", {f"Marker-7c1e-sender-{n:03d}" + "y" * 200: [OLD] for n in range(100)})
    assert b"Marker-7c1e-sender" in sqlite_bytes(tracker)
    result = retention.purge(session_factory, f"sqlite:///{tracker}", 30, now=NOW)
    assert result.conversations == 100 and "tracker" in result.compacted
    assert b"Marker-7c1e-sender" not in sqlite_bytes(tracker)
    assert free_pages(tracker) == 0


@pytest.mark.parametrize("days", [0, -1, 1.5, "30"])
def test_fewer_than_one_whole_day_is_refused(session_factory, tmp_path, days):
    with pytest.raises(ValueError):
        retention.purge(session_factory, f"sqlite:///{tmp_path / 'tracker.db'}", days, now=NOW)


def test_missing_tracker_database_is_zero_and_not_created(session_factory, tmp_path):
    result = retention.purge(session_factory, f"sqlite:///{tmp_path / 'none.db'}", 30, now=NOW)
    assert result.conversations == result.tracker_events == 0
    assert not (tmp_path / "none.db").exists()


def test_purge_on_a_postgres_tracker(session_factory, postgres_url):
    tracker_db(postgres_url, {"stale": [OLD], "fresh": [RECENT]})
    assert retention.purge_tracker(postgres_url, NOW - timedelta(days=30)) == (1, 1)
    assert remaining(postgres_url) == {"fresh": 1}


# The command ---------------------------------------------------------------------------------

@pytest.fixture
def cli_env(isolated_env, monkeypatch):
    monkeypatch.delenv("HELPLINE_TRACKER_URL", raising=False)  # never purge a real tracker store
    db.upgrade(f"sqlite:///{isolated_env / 'helpline.db'}")
    return isolated_env


def test_cli_refuses_zero_days(cli_env, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["purge", "--older-than", "0"])
    assert exit_.value.code == 2 and "at least 1" in capsys.readouterr().err


def test_cli_prints_counts_and_no_phi(cli_env, capsys):
    sessions = db.session_factory(f"sqlite:///{cli_env / 'helpline.db'}")
    lead(sessions, "a", "closed", datetime.now(timezone.utc) - timedelta(days=40))
    tracker_db(f"sqlite:///{cli_env / 'tracker.db'}", {"stale": [datetime.now(timezone.utc) - timedelta(days=40)]})
    assert main(["purge", "--older-than", "30", "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert (dry["dry_run"], dry["callbacks"], dry["conversations"]) == (True, 1, 1)
    assert main(["purge", "--older-than", "30"]) == 0
    out = capsys.readouterr().out
    assert "closed callbacks:    1" in out and "conversations:       1 (1 tracker events)" in out
    for phi in ("Marisol", "0134", "alcohol", "stale"):
        assert phi not in out
    assert main(["purge", "--older-than", "30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["callbacks"] == 0


def test_cli_purges_old_log_files_and_sms_menus(cli_env, capsys):
    logs = cli_env / "logs"
    logs.mkdir()
    long_ago = (datetime.now(timezone.utc) - timedelta(days=40)).timestamp()
    for name in ("rasa.log.20250101T000000Z", "actions.log"):
        (logs / name).write_text("old line\n")
        os.utime(logs / name, (long_ago, long_ago))
    (logs / "web.log").write_text("fresh line\n")
    sessions = db.session_factory(f"sqlite:///{cli_env / 'helpline.db'}")
    menu(sessions, "sms-old", datetime.now(timezone.utc) - timedelta(days=40))

    assert main(["purge", "--older-than", "30"]) == 0
    out = capsys.readouterr().out
    assert "log files:           2" in out and "SMS menu states:     1" in out
    assert "Compacted (SQLite VACUUM): callbacks" in out
    assert sorted(p.name for p in logs.iterdir()) == ["actions.log", "web.log"]
    assert (logs / "actions.log").read_text() == "" and (logs / "web.log").read_text() == "fresh line\n"
    from helpline.security import audit

    detail = audit.list_events(sessions, action="purged")[0].detail
    assert "log_files=2" in detail and "sms_choices=1" in detail


def test_cli_purge_is_in_the_audit_trail(cli_env, capsys):
    from helpline.security import audit

    assert main(["purge", "--older-than", "30"]) == 0
    events = audit.list_events(db.session_factory(f"sqlite:///{cli_env / 'helpline.db'}"), action="purged")
    assert len(events) == 1 and "older_than_days=30" in events[0].detail and "callbacks=0" in events[0].detail
    # a dry run changes nothing, so it is not recorded
    assert main(["purge", "--older-than", "30", "--dry-run"]) == 0
    assert len(audit.list_events(db.session_factory(f"sqlite:///{cli_env / 'helpline.db'}"), action="purged")) == 1


def test_a_purged_records_notes_and_call_attempts_go_with_it(session_factory, populated):
    from helpline.store.models import CallAttempt, LeadNote

    ids, tracker_url = populated
    with session_factory() as session, session.begin():
        for key in ("lead_closed_old", "lead_closed_recent"):
            session.add(LeadNote(record_type="callback", record_id=ids[key], author="ana", body="called twice"))
            session.add(CallAttempt(record_type="callback", record_id=ids[key], by="ana", outcome="no_answer"))
        for key in ("flag_closed_old", "flag_closed_recent"):
            session.add(LeadNote(record_type="crisis", record_id=ids[key], author="ana", body="no answer"))
    result = retention.purge(session_factory, tracker_url, 30, now=NOW)
    assert (result.notes, result.call_attempts) == (2, 1)
    with session_factory() as session:
        notes = {(n.record_type, n.record_id) for n in session.scalars(sa.select(LeadNote))}
        attempts = {a.record_id for a in session.scalars(sa.select(CallAttempt))}
    assert notes == {("callback", ids["lead_closed_recent"]), ("crisis", ids["flag_closed_recent"])}
    assert attempts == {ids["lead_closed_recent"]}

"""The callback queue on a real (temporary) SQLite database, migrated by Alembic."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpline.queues import callbacks
from helpline.queues.callbacks import CallbackNotFound, InvalidTransition, store_callback
from helpline.store import db
from helpline.store.models import CallbackRequest, metadata

ROOT = Path(__file__).resolve().parents[2]


def store(session_factory, key="conv-1:callback", **overrides):
    fields = dict(
        idempotency_key=key,
        phone="(602) 555-0134",
        urgency="soon",
        level_of_care="iop_fit",
        screening_reasons=["recent_opioid_use"],
        consent=True,
        consent_text="Yes, you can call me.",
        answers={"substances": ["opioids"], "last_use": "today", "withdrawal_signs": []},
        first_name="Maria",
        who_for="self",
        best_time="morning",
        permissions={"call": True, "voicemail": False, "text": True},
        conversation_id="conv-1",
        source_channel="socketio",
    )
    fields.update(overrides)
    return store_callback(session_factory, **fields)


def count(session_factory) -> int:
    with session_factory() as session:
        return session.execute(select(func.count()).select_from(CallbackRequest)).scalar_one()


# -- storing ----------------------------------------------------------------------

def test_store_creates_a_normalised_record(session_factory):
    record, created = store(session_factory)
    assert created
    assert re.fullmatch(r"L-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{5}", record.reference)
    assert record.phone_e164 == "+16025550134"
    assert (record.status, record.notification_status, record.notification_attempts) == ("new", "pending", 0)
    assert (record.permit_call, record.permit_voicemail, record.permit_text) == (True, False, True)
    assert record.consent is True and record.consent_at is not None

    again = callbacks.LEADS.get(session_factory, record.id)
    assert again.answers == {"substances": ["opioids"], "last_use": "today", "withdrawal_signs": []}
    assert again.created_at.tzinfo is not None and again.created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - again.created_at) < timedelta(minutes=1)


def test_a_retry_with_the_same_key_returns_the_first_record(session_factory):
    first, created = store(session_factory)
    second, created_again = store(session_factory, first_name="Changed", phone="480-555-0199")
    assert created and not created_again
    assert second.id == first.id and second.reference == first.reference
    assert second.first_name == "Maria"
    assert count(session_factory) == 1


def test_a_different_key_is_a_different_request(session_factory):
    store(session_factory, key="a")
    store(session_factory, key="b")
    assert count(session_factory) == 2


def test_losing_the_insert_race_returns_the_winner(session_factory, monkeypatch):
    """Another process stored the same key between our check and our insert."""
    winner, _ = store(session_factory)
    real_by_key = callbacks._by_key
    calls = []

    def stale_first_read(session, key):
        calls.append(key)
        return None if len(calls) == 1 else real_by_key(session, key)

    monkeypatch.setattr(callbacks, "_by_key", stale_first_read)
    record, created = store(session_factory)
    assert not created and record.id == winner.id
    assert len(calls) == 2  # the IntegrityError path re-selected
    assert count(session_factory) == 1


def test_a_reference_collision_draws_a_new_reference(session_factory, monkeypatch):
    first, _ = store(session_factory, key="first")
    drawn = iter([first.reference, "L-22222"])
    monkeypatch.setattr(callbacks, "new_reference", lambda: next(drawn))
    second, created = store(session_factory, key="second")
    assert created and second.reference == "L-22222"
    assert count(session_factory) == 2


def test_concurrent_retries_store_one_row(session_factory):
    results, errors = [], []

    def worker():
        try:
            results.append(store(session_factory, key="same-key"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(created for _, created in results) == 1
    assert len({record.id for record, _ in results}) == 1
    assert count(session_factory) == 1


@pytest.mark.parametrize("overrides, message", [
    ({"consent": False}, "consent"),
    ({"consent": "yes"}, "consent"),  # only the boolean True counts
    ({"phone": "555-0134"}, "phone"),
    ({"phone": ""}, "phone"),
    ({"urgency": "whenever"}, "urgency"),
    ({"level_of_care": "spa"}, "level_of_care"),
    ({"best_time": "after my shift at the clinic"}, "best_time"),
    ({"idempotency_key": ""}, "idempotency_key"),
    ({"idempotency_key": "k" * 129}, "idempotency_key"),
    ({"answers": {"when": datetime(2025, 1, 1)}}, "JSON"),
])
def test_invalid_requests_are_refused_and_nothing_is_stored(session_factory, overrides, message):
    with pytest.raises(ValueError, match=message):
        store(session_factory, **overrides)
    assert count(session_factory) == 0


def test_unanswered_permissions_default_to_call_only(session_factory):
    record, _ = store(session_factory, permissions={"call": None, "voicemail": None})
    assert (record.permit_call, record.permit_voicemail, record.permit_text) == (True, False, False)
    record, _ = store(session_factory, key="k2", permissions={"call": False, "text": True})
    assert (record.permit_call, record.permit_voicemail, record.permit_text) == (False, False, True)


# -- reading ----------------------------------------------------------------------

def test_list_orders_the_queue_and_filters_by_status(session_factory):
    routine, _ = store(session_factory, key="r", urgency="routine")
    urgent, _ = store(session_factory, key="u", urgency="urgent")
    soon, _ = store(session_factory, key="s", urgency="soon")
    closed, _ = store(session_factory, key="c", urgency="urgent")
    callbacks.LEADS.close(session_factory, closed.id, "reached")

    assert [r.id for r in callbacks.LEADS.list(session_factory)] == [urgent.id, soon.id, routine.id, closed.id]
    assert [r.id for r in callbacks.LEADS.list(session_factory, status="closed")] == [closed.id]
    assert [r.id for r in callbacks.LEADS.list(session_factory, status="new", limit=1)] == [urgent.id]
    with pytest.raises(ValueError):
        callbacks.LEADS.list(session_factory, status="lost")


def test_get_by_id_or_reference(session_factory):
    record, _ = store(session_factory)
    assert callbacks.LEADS.get(session_factory, record.id).id == record.id
    assert callbacks.LEADS.get(session_factory, str(record.id)).id == record.id
    assert callbacks.LEADS.get(session_factory, record.reference.lower()).id == record.id
    with pytest.raises(CallbackNotFound):
        callbacks.LEADS.get(session_factory, 999)
    with pytest.raises(CallbackNotFound):
        callbacks.LEADS.get(session_factory, "L-ZZZZZ")


# -- claiming and closing ---------------------------------------------------------------

def test_claim_then_close(session_factory):
    record, _ = store(session_factory)
    claimed = callbacks.LEADS.claim(session_factory, record.id, " Sam ")
    assert (claimed.status, claimed.claimed_by) == ("claimed", "Sam")
    assert claimed.claimed_at is not None and claimed.updated_at >= record.updated_at
    closed = callbacks.LEADS.close(session_factory, record.id, "enrolled")
    assert (closed.status, closed.outcome) == ("closed", "enrolled")
    assert closed.closed_at is not None
    assert callbacks.LEADS.get(session_factory, record.id).status == "closed"


def test_only_new_requests_can_be_claimed(session_factory):
    record, _ = store(session_factory)
    callbacks.LEADS.claim(session_factory, record.id, "Sam")
    with pytest.raises(InvalidTransition, match="claimed by Sam"):
        callbacks.LEADS.claim(session_factory, record.id, "Jo")
    assert callbacks.LEADS.get(session_factory, record.id).claimed_by == "Sam"
    callbacks.LEADS.close(session_factory, record.id, "no_answer")
    with pytest.raises(InvalidTransition, match="closed"):
        callbacks.LEADS.claim(session_factory, record.id, "Jo")


def test_two_staff_claiming_at_once_one_wins(session_factory):
    record, _ = store(session_factory)
    outcomes = []

    def worker(name):
        try:
            callbacks.LEADS.claim(session_factory, record.id, name)
            outcomes.append(("won", name))
        except InvalidTransition:
            outcomes.append(("lost", name))

    threads = [threading.Thread(target=worker, args=(f"staff{i}",)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [name for result, name in outcomes if result == "won"]
    assert len(winners) == 1
    assert callbacks.LEADS.get(session_factory, record.id).claimed_by == winners[0]


def test_a_new_request_can_be_closed_directly_but_not_twice(session_factory):
    record, _ = store(session_factory)
    assert callbacks.LEADS.close(session_factory, record.reference, "wrong_number").status == "closed"
    with pytest.raises(InvalidTransition):
        callbacks.LEADS.close(session_factory, record.id, "reached")


@pytest.mark.parametrize("outcome", ["reached", "no_answer", "wrong_number", "declined", "referred", "enrolled", "other"])
def test_every_documented_outcome_closes(session_factory, outcome):
    record, _ = store(session_factory)
    assert callbacks.LEADS.close(session_factory, record.id, outcome).outcome == outcome


def test_bad_transitions_input(session_factory):
    record, _ = store(session_factory)
    with pytest.raises(ValueError):
        callbacks.LEADS.close(session_factory, record.id, "vanished")
    with pytest.raises(ValueError):
        callbacks.LEADS.claim(session_factory, record.id, "  ")
    with pytest.raises(CallbackNotFound):
        callbacks.LEADS.claim(session_factory, 12345, "Sam")
    assert callbacks.LEADS.get(session_factory, record.id).status == "new"


# -- JSON view -------------------------------------------------------------------------

def test_to_dict_is_json_ready(session_factory):
    import json

    record, _ = store(session_factory)
    data = callbacks.LEADS.to_dict(callbacks.LEADS.get(session_factory, record.id))
    json.dumps(data)  # must not raise
    assert data["id"] == record.id and data["reference"] == record.reference
    assert data["phone"] == "+16025550134"
    assert (data["status"], data["urgency"], data["level_of_care"]) == ("new", "soon", "iop_fit")
    assert data["notification_status"] == "pending"
    assert data["answers"]["substances"] == ["opioids"]
    assert data["permissions"] == {"call": True, "voicemail": False, "text": True}
    created = datetime.fromisoformat(data["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert data["created_at"].endswith("+00:00")


def test_repr_carries_no_personal_details(session_factory):
    record, _ = store(session_factory)
    assert "Maria" not in repr(record) and "0134" not in repr(record)


# -- database plumbing -------------------------------------------------------------------

def test_migrations_match_the_models(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import helpline.store.sms_models  # noqa: F401  (the SMS tables share this metadata)

    head = db.head_revision()
    assert db.upgrade(db_url) == head
    assert db.upgrade(db_url) == head  # repeatable
    assert set(db.table_names(db_url)) == {"alembic_version", *metadata.tables}
    with db.engine_for(db_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert diff == []


def test_migration_downgrades_cleanly(db_url):
    from alembic import command

    db.upgrade(db_url)
    config = db._alembic_config(db_url)
    with db.engine_for(db_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert db.table_names(db_url) == ["alembic_version"]


def test_sqlite_is_set_up_for_two_processes(db_url):
    with db.engine_for(db_url).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_engines_and_factories_are_cached_per_url(db_url, tmp_path):
    assert db.engine_for(db_url) is db.engine_for(db_url)
    assert db.session_factory(db_url) is db.session_factory(db_url)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert db.engine_for(other) is not db.engine_for(db_url)


def test_database_url_comes_from_settings(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    assert db.database_url() == f"sqlite:///{tmp_path / 'data' / 'helpline.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgres://helpline:s3cret@db.example.org/helpline")
    assert db.database_url() == "postgresql://helpline:s3cret@db.example.org/helpline"
    assert "s3cret" not in db.display_url()


def test_the_sqlite_directory_is_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'h.db'}"
    try:
        db.upgrade(url)
        assert (tmp_path / "nested" / "dir" / "h.db").exists()
    finally:
        db.dispose_all()


def test_in_memory_sqlite_works_for_quick_experiments():
    try:
        db.upgrade("sqlite://")
        record, created = store(db.session_factory("sqlite://"))
        assert created and callbacks.LEADS.get(db.session_factory("sqlite://"), record.id)
    finally:
        db.dispose_all()


def test_core_modules_do_not_import_rasa():
    modules = [
        "helpline.phone", "helpline.intake.parsers", "helpline.intake.screening", "helpline.store.db", "helpline.store.models",
        "helpline.queues.callbacks", "helpline.notify.staff_sms", "helpline.intake.office_hours", "helpline.cli.callbacks",
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('rasa', 'rasa_sdk'))\n"
        "print(','.join(bad)); sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


WORKER = """
import sys
from helpline.queues import callbacks
from helpline.store import db
url, tag = sys.argv[1], sys.argv[2]
db.upgrade(url)  # every process migrates the fresh database at the same time
factory = db.session_factory(url)
for i in range(15):
    callbacks.store_callback(
        factory, idempotency_key=f"{tag}-{i % 10}", phone="602-555-0134",
        urgency="routine", level_of_care="iop_fit", consent=True,
    )
    callbacks.LEADS.list(factory)
"""


def test_several_processes_share_one_fresh_sqlite_database(db_url):
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, db_url, tag], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for tag in ("actions", "cli", "cron")
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    factory = db.session_factory(db_url)
    assert count(factory) == 30  # 10 distinct keys per process, retries deduplicated
    assert db.current_revision(db_url) == db.head_revision()

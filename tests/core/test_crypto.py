"""Encryption at rest: keys, rotation, the local key file, sealed callback columns, revision 0004."""
from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from helpline.queues import callbacks
from helpline.security import crypto
from helpline.settings import PROJECT_ROOT
from helpline.store import db

PHONE = "+16025550134"
NAME = "Marisol"
SUBSTANCE = "fentanyl"


@pytest.fixture(autouse=True)
def fresh_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Each test starts with its own data directory, no key in the environment and no cached key."""
    for name in (crypto.KEYS_ENV, "DATABASE_URL", "HELPLINE_TRACKER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path))
    crypto.reset_cache()
    yield
    crypto.reset_cache()


def store(session_factory, key: str = "k1"):
    record, _ = callbacks.store_callback(
        session_factory, idempotency_key=key, phone="(602) 555-0134", urgency="urgent", level_of_care="iop_fit",
        consent=True, consent_text=f"yes, call {NAME} about the {SUBSTANCE}", first_name=NAME, who_for="loved_one",
        caller_relation="parent", screening_reasons=["recent_opioid_use"],
        answers={"substances": [SUBSTANCE], "first_name": NAME}, conversation_id="conv-1",
    )
    return record


def raw_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("*.db*")))


def phi_found(blob: bytes) -> list:
    needles = [PHONE, "6025550134", "555-0134", NAME, SUBSTANCE, "recent_opioid_use", "loved_one"]
    return [n for n in needles if n.encode() in blob]


# Keys ---------------------------------------------------------------------------------------

def test_round_trip_and_each_token_differs():
    a, b = crypto.encrypt("602-555-0134"), crypto.encrypt("602-555-0134")
    assert a != b and crypto.is_token(a) and "0134" not in a
    assert crypto.decrypt(a) == crypto.decrypt(b) == "602-555-0134"


def test_rotation_first_key_encrypts_every_key_decrypts(monkeypatch):
    old, new = crypto.generate_key(), crypto.generate_key()
    monkeypatch.setenv(crypto.KEYS_ENV, old)
    sealed_with_old = crypto.encrypt("alcohol")
    monkeypatch.setenv(crypto.KEYS_ENV, f"{new}, {old}")
    assert crypto.decrypt(sealed_with_old) == "alcohol"
    sealed_with_new = crypto.encrypt("alcohol")
    rotated = crypto.reseal(sealed_with_old)
    monkeypatch.setenv(crypto.KEYS_ENV, new)  # the old key retired
    assert crypto.decrypt(sealed_with_new) == "alcohol"
    assert crypto.decrypt(rotated) == "alcohol"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed_with_old)


def test_wrong_key_gives_a_clear_error_without_the_value(monkeypatch):
    monkeypatch.setenv(crypto.KEYS_ENV, crypto.generate_key())
    token = crypto.encrypt("heroin")
    monkeypatch.setenv(crypto.KEYS_ENV, crypto.generate_key())
    with pytest.raises(crypto.DecryptionError) as error:
        crypto.decrypt(token)
    assert crypto.KEYS_ENV in str(error.value) and "heroin" not in str(error.value)


def test_malformed_key_names_its_position_not_its_value(monkeypatch):
    good = crypto.generate_key()
    monkeypatch.setenv(crypto.KEYS_ENV, f"{good},not-a-key-at-all")
    with pytest.raises(crypto.KeyConfigError) as error:
        crypto.encrypt("x")
    assert "#2 of 2" in str(error.value) and "not-a-key-at-all" not in str(error.value) and good not in str(error.value)


def test_is_token_tells_tokens_from_plaintext():
    assert crypto.is_token(crypto.encrypt("{}"))
    for plain in ('{"event": "user"}', PHONE, "", None, 5):
        assert not crypto.is_token(plain)


# Local key file -----------------------------------------------------------------------------

def test_without_env_a_private_key_file_is_created_once_and_warned_about_once(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="helpline.security.crypto"):
        token = crypto.encrypt("x")
        crypto.encrypt("y")
    path = tmp_path / "encryption.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    warnings = [r for r in caplog.records if crypto.KEYS_ENV in r.getMessage()]
    assert len(warnings) == 1
    crypto.reset_cache()  # a new process reads the same file
    assert crypto.decrypt(token) == "x"
    assert not list(tmp_path.glob(".encryption.key.*"))  # no temporary files left behind


def test_env_keys_win_over_the_key_file(tmp_path, monkeypatch):
    key = crypto.generate_key()
    monkeypatch.setenv(crypto.KEYS_ENV, key)
    token = crypto.encrypt("x")
    assert not (tmp_path / "encryption.key").exists()
    assert crypto.fernet(env={crypto.KEYS_ENV: key}).decrypt(token.encode()) == b"x"


def test_processes_racing_to_create_the_key_file_end_with_one_key(tmp_path):
    script = (
        "import sys, time; from pathlib import Path; from helpline.security import crypto\n"
        "start = float(sys.argv[2])\n"
        "while time.time() < start: pass\n"
        "print(crypto.configured_keys(env={}, data_dir=Path(sys.argv[1]))[0])\n"
    )
    import time

    start = str(time.time() + 2.0)
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), start], cwd=PROJECT_ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for _ in range(8)
    ]
    keys = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert keys == {(tmp_path / "encryption.key").read_text().strip()}


def test_without_hard_links_the_key_file_is_created_in_place(tmp_path, monkeypatch):
    def no_links(*_args):
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    token = crypto.encrypt("x")
    path = tmp_path / "encryption.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not list(tmp_path.glob(".encryption.key.*"))
    crypto.reset_cache()
    assert crypto.decrypt(token) == "x"


def test_an_empty_key_file_is_an_error_not_a_new_key(tmp_path):
    (tmp_path / "encryption.key").write_text("")
    with pytest.raises(crypto.KeyConfigError, match="empty"):
        crypto.encrypt("x")


# Sealed callback columns --------------------------------------------------------------------

def test_store_callback_keeps_no_phi_in_the_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    db.upgrade(url)
    sessions = db.session_factory(url)
    record = store(sessions)
    db.dispose_all()  # checkpoint nothing on purpose: the -wal file is read too
    assert phi_found(raw_bytes(tmp_path)) == []
    # and callers read the values unchanged
    shown = callbacks.LEADS.to_dict(callbacks.LEADS.get(db.session_factory(url), record.reference))
    assert (shown["phone"], shown["first_name"], shown["answers"]["substances"]) == (PHONE, NAME, [SUBSTANCE])
    assert shown["screening_reasons"] == ["recent_opioid_use"] and shown["caller_relation"] == "parent"
    db.dispose_all()


def test_store_callback_keeps_no_phi_in_the_postgres_row(postgres_url):
    db.upgrade(postgres_url)
    record = store(db.session_factory(postgres_url))
    with db.engine_for(postgres_url).connect() as connection:
        row = connection.execute(sa.text("SELECT * FROM callback_requests")).mappings().one()
    assert phi_found(json.dumps({k: str(v) for k, v in row.items()}).encode()) == []
    assert callbacks.LEADS.get(db.session_factory(postgres_url), record.id).phone_e164 == PHONE
    db.dispose_all()


def test_reading_with_the_wrong_key_is_one_clear_cli_line(tmp_path, monkeypatch, capsys):
    from helpline.cli import main

    monkeypatch.setenv(crypto.KEYS_ENV, crypto.generate_key())
    db.upgrade(f"sqlite:///{tmp_path / 'helpline.db'}")
    store(db.session_factory(f"sqlite:///{tmp_path / 'helpline.db'}"))
    db.dispose_all()
    monkeypatch.setenv(crypto.KEYS_ENV, crypto.generate_key())
    assert main(["callbacks", "list"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and crypto.KEYS_ENV in err and len(err.splitlines()) == 1
    assert phi_found(err.encode()) == []
    db.dispose_all()


def test_a_bad_key_on_save_does_not_put_the_row_in_the_error(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    db.upgrade(url)
    monkeypatch.setenv(crypto.KEYS_ENV, "bad-key")
    with pytest.raises(crypto.KeyConfigError) as error:
        store(db.session_factory(url))
    assert phi_found(str(error.value).encode()) == []
    db.dispose_all()


def test_reencrypt_moves_every_value_to_the_new_key(tmp_path, monkeypatch):
    from helpline.security import rekey

    old, new = crypto.generate_key(), crypto.generate_key()
    monkeypatch.setenv(crypto.KEYS_ENV, old)
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    db.upgrade(url)
    record = store(db.session_factory(url))
    monkeypatch.setenv(crypto.KEYS_ENV, f"{new},{old}")
    assert rekey.reencrypt_callbacks(db.session_factory(url)) == 1
    monkeypatch.setenv(crypto.KEYS_ENV, new)
    again = callbacks.LEADS.get(db.session_factory(url), record.id)
    assert (again.phone_e164, again.answers["substances"], again.consent_text) == (PHONE, [SUBSTANCE], record.consent_text)
    db.dispose_all()


# Revision 0004 ------------------------------------------------------------------------------

PLAIN_ROW = """
INSERT INTO callback_requests (id, reference, idempotency_key, created_at, updated_at, status, urgency, level_of_care,
    screening_reasons, phone_e164, first_name, who_for, caller_relation, answers, permit_call, permit_voicemail,
    permit_text, consent, consent_text, notification_status, notification_attempts, notified_recipients)
VALUES (1, 'L-AAAAA', 'k-old', '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00', 'new', 'urgent', 'iop_fit',
    '["recent_opioid_use"]', '+16025550134', 'Marisol', 'loved_one', 'parent', '{"substances": ["fentanyl"]}',
    true, false, false, true, 'yes, Marisol, fentanyl', 'outbox', 1, '[]')
"""
OUTBOX_ROW = """INSERT INTO outbox_messages (created_at, "to", body, callback_id, kind)
VALUES ('2026-01-01 00:00:00+00', '+16025550100', 'New lead L-AAAAA', 1, 'staff_alert')"""


def _upgrade_plain_0003_database(url: str) -> None:
    db.upgrade(url, "0003")
    with db.engine_for(url).begin() as connection:
        connection.execute(sa.text(PLAIN_ROW))
        connection.execute(sa.text(OUTBOX_ROW))
    assert db.upgrade(url) == db.head_revision()


def _check_sealed_and_readable(url: str) -> None:
    with db.engine_for(url).connect() as connection:
        row = connection.execute(sa.text("SELECT * FROM callback_requests")).mappings().one()
        outbox_link = connection.execute(sa.text("SELECT callback_id FROM outbox_messages")).scalar_one()
    for column in ("phone_e164", "first_name", "who_for", "caller_relation", "answers", "screening_reasons", "consent_text"):
        assert crypto.is_token(str(row[column])), column
    assert phi_found(json.dumps({k: str(v) for k, v in row.items()}).encode()) == []
    assert outbox_link == 1  # the table was not rebuilt under the outbox's foreign key
    record = callbacks.LEADS.to_dict(callbacks.LEADS.get(db.session_factory(url), "L-AAAAA"))
    assert (record["phone"], record["first_name"], record["answers"], record["screening_reasons"]) == (
        PHONE, NAME, {"substances": [SUBSTANCE]}, ["recent_opioid_use"])
    assert record["consent_text"] == "yes, Marisol, fentanyl"


def _downgrade_and_upgrade_again(url: str) -> None:
    config = db._alembic_config(url)
    with db.engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    with db.engine_for(url).connect() as connection:
        assert connection.execute(sa.text("SELECT phone_e164 FROM callback_requests")).scalar_one() == PHONE
    db.upgrade(url)
    _check_sealed_and_readable(url)


def test_revision_0004_seals_existing_rows_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    _upgrade_plain_0003_database(url)
    _check_sealed_and_readable(url)
    _downgrade_and_upgrade_again(url)
    db.dispose_all()


def test_revision_0004_seals_existing_rows_on_postgres(postgres_url):
    _upgrade_plain_0003_database(postgres_url)
    _check_sealed_and_readable(postgres_url)
    with db.engine_for(postgres_url).connect() as connection:
        types = dict(connection.execute(sa.text(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'callback_requests'"
        )).all())
    assert types["phone_e164"] == types["answers"] == types["first_name"] == "text"
    _downgrade_and_upgrade_again(postgres_url)
    db.dispose_all()

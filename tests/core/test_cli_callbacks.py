"""``helpline callbacks|outbox|db`` through the real entry point, on a fresh data directory."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from helpline.cli import main
from helpline.queues import callbacks
from helpline.settings import load_settings
from helpline.store import db
from helpline.store.models import CallbackRequest


@pytest.fixture
def factory(isolated_env, migrated_database):
    url = load_settings().effective_database_url
    migrated_database(url)  # a copy of the session's migrated template
    return db.session_factory(url)


def add(factory, key, urgency="soon", phone="602-555-0134", name="Maria", **extra):
    record, _ = callbacks.store_callback(
        factory,
        idempotency_key=key,
        phone=phone,
        urgency=urgency,
        level_of_care="iop_fit",
        consent=True,
        first_name=name,
        best_time="morning",
        answers={"substances": ["alcohol"], "last_use": "today"},
        **extra,
    )
    return record


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_db_upgrade_on_a_fresh_machine(isolated_env, capsys):
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0
    assert f"revision {db.head_revision()}." in out and str(isolated_env) in out
    assert (isolated_env / "helpline.db").exists()


def test_list_works_before_any_setup(isolated_env, capsys):
    code, out, _ = run(capsys, "callbacks", "list")
    assert code == 0 and "No callback requests" in out
    code, out, _ = run(capsys, "callbacks", "list", "--json")
    assert code == 0 and json.loads(out) == []


def test_list_json(factory, capsys):
    first = add(factory, "a", urgency="routine")
    second = add(factory, "b", urgency="urgent", phone="(480) 555-0199", name="Lee")
    code, out, _ = run(capsys, "callbacks", "list", "--json")
    assert code == 0
    items = json.loads(out)
    assert [item["id"] for item in items] == [second.id, first.id]  # urgent first
    for key in ("id", "phone", "status", "urgency", "created_at", "notification_status", "answers"):
        assert key in items[0]
    assert items[0]["phone"] == "+14805550199"
    assert items[0]["answers"] == {"substances": ["alcohol"], "last_use": "today"}
    assert items[0]["created_at"].endswith("+00:00")


def test_list_table_and_status_filter(factory, capsys):
    record = add(factory, "a")
    other = add(factory, "b", phone="480-555-0199")
    callbacks.LEADS.claim(factory, other.id, "Sam")
    code, out, _ = run(capsys, "callbacks", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:4] == ["ID", "REF", "STATUS", "URGENCY"]
    assert len(lines) == 3 and record.reference in out and "+16025550134" in out and "Sam" in out

    code, out, _ = run(capsys, "callbacks", "list", "--status", "claimed", "--json")
    assert [item["id"] for item in json.loads(out)] == [other.id]
    code, out, _ = run(capsys, "callbacks", "list", "--status", "closed")
    assert code == 0 and "No closed callback requests" in out


def test_list_rejects_an_unknown_status(factory, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["callbacks", "list", "--status", "lost"])
    assert exit_info.value.code == 2


def test_show_by_id_and_reference(factory, capsys):
    record = add(factory, "a")
    code, out, _ = run(capsys, "callbacks", "show", str(record.id), "--json")
    assert code == 0 and json.loads(out)["reference"] == record.reference
    code, out, _ = run(capsys, "callbacks", "show", record.reference)
    assert code == 0
    assert "Callback:" in out and record.reference in out and "+16025550134" in out
    assert "substances: alcohol" in out


def test_show_unknown_id_fails_clearly(factory, capsys):
    code, out, err = run(capsys, "callbacks", "show", "999")
    assert code == 1 and out == ""
    assert err.strip() == "error: no callback request 999"


def test_claim_and_close(factory, capsys):
    record = add(factory, "a")
    code, out, _ = run(capsys, "callbacks", "claim", str(record.id), "--by", "Sam")
    assert code == 0 and "claimed by Sam" in out
    code, _, err = run(capsys, "callbacks", "claim", str(record.id), "--by", "Jo")
    assert code == 1 and "it is claimed by Sam" in err
    code, out, _ = run(capsys, "callbacks", "close", record.reference, "--outcome", "enrolled")
    assert code == 0 and "closed: enrolled" in out
    code, _, err = run(capsys, "callbacks", "close", str(record.id), "--outcome", "reached")
    assert code == 1 and "it is closed" in err
    assert callbacks.LEADS.get(factory, record.id).outcome == "enrolled"


def test_claim_needs_a_name_and_close_a_known_outcome(factory, capsys):
    record = add(factory, "a")
    with pytest.raises(SystemExit) as exit_info:
        main(["callbacks", "claim", str(record.id)])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["callbacks", "close", str(record.id), "--outcome", "vanished"])
    assert exit_info.value.code == 2
    code, _, err = run(capsys, "callbacks", "claim", "404", "--by", "Sam")
    assert code == 1 and "no callback request 404" in err


def test_retry_notifications_then_outbox_list(factory, capsys):
    record = add(factory, "a")
    with factory() as session, session.begin():
        session.execute(
            update(CallbackRequest).where(CallbackRequest.id == record.id)
            .values(created_at=record.created_at - timedelta(minutes=10))
        )
    code, out, _ = run(capsys, "callbacks", "retry-notifications")
    assert code == 0 and "Retried 1 staff alert(s). outbox: 1." in out
    code, out, _ = run(capsys, "callbacks", "retry-notifications")
    assert code == 0 and "No staff alerts waiting" in out

    code, out, _ = run(capsys, "outbox", "list", "--json")
    [message] = json.loads(out)
    assert code == 0 and message["to"] == "on-call" and message["callback_id"] == record.id
    assert record.reference in message["body"] and "Maria" not in message["body"]
    code, out, _ = run(capsys, "outbox", "list")
    assert code == 0 and "on-call" in out and record.reference in out


def test_retry_notifications_fails_when_alerts_still_fail(factory, capsys, monkeypatch):
    add(factory, "a")
    monkeypatch.setenv("HELPLINE_STAFF_SMS_TO", "+16025550101")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+16025550100")
    monkeypatch.setenv("HELPLINE_NOTIFY_MAX_ATTEMPTS", "1")

    import requests

    def refuse(*_args, **_kwargs):
        raise requests.exceptions.ConnectionError("no network in tests")

    monkeypatch.setattr(requests.Session, "send", refuse)
    code, out, _ = run(capsys, "callbacks", "retry-notifications", "--min-age", "0")
    assert code == 1 and "failed: 1" in out
    code, out, _ = run(capsys, "callbacks", "list", "--json")
    assert json.loads(out)[0]["notification_status"] == "failed"


def test_empty_outbox(isolated_env, capsys):
    code, out, _ = run(capsys, "outbox", "list")
    assert code == 0 and "empty" in out


def test_a_group_without_action_prints_help(isolated_env, capsys):
    code, out, _ = run(capsys, "callbacks")
    assert code == 2 and "retry-notifications" in out


def test_database_url_setting_is_honoured(isolated_env, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and "elsewhere.db" in out
    assert (tmp_path / "elsewhere.db").exists() and not (tmp_path / "helpline.db").exists()


def test_an_unreachable_database_is_one_line_not_a_traceback(isolated_env, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://helpline:s3cret@127.0.0.1:1/helpline")
    code, _, err = run(capsys, "callbacks", "list")
    assert code == 1
    assert err.startswith("error: database postgresql://helpline:***@127.0.0.1:1/helpline")
    assert "s3cret" not in err and len(err.strip().splitlines()) == 1

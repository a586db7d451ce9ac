"""``helpline export --format fhir`` through the real entry point, on a fresh data directory."""
from __future__ import annotations

import json
import logging
import stat
from datetime import timedelta

import pytest
import yaml
from fhir.resources.bundle import Bundle

from helpline.cli import main
from helpline.queues import callbacks
from helpline.security import audit
from helpline.settings import PROJECT_ROOT, load_settings
from helpline.store import db
from helpline.store.models import utcnow

PHI = ("Maria", "Lee", "602", "5550134", "5550199", "alcohol", "opioids")


@pytest.fixture
def factory(isolated_env, migrated_database):
    url = load_settings().effective_database_url
    migrated_database(url)
    return db.session_factory(url)


def facility_file(tmp_path, enabled):
    data = yaml.safe_load((PROJECT_ROOT / "facility.yml").read_text(encoding="utf-8"))
    data["integrations"]["fhir_export"]["enabled"] = enabled
    path = tmp_path / f"facility-{enabled}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def enabled(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPLINE_FACILITY_FILE", str(facility_file(tmp_path, True)))


@pytest.fixture
def disabled(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPLINE_FACILITY_FILE", str(facility_file(tmp_path, False)))


def add(factory, key, phone="602-555-0134", name="Maria", **extra):
    record, _ = callbacks.store_callback(
        factory, idempotency_key=key, phone=phone, urgency="soon", level_of_care="iop_fit", consent=True,
        first_name=name, best_time="morning", screening_reasons=["recent_use"],
        answers={"substances": ["alcohol", "opioids"], "last_use": "today"}, **extra,
    )
    return record


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def exported(factory):
    return audit.list_events(factory, action="exported")


def read_lines(path):
    return [json.loads(line) for line in path.read_text(encoding="ascii").splitlines()]


def test_refused_while_the_facility_has_not_enabled_it(factory, disabled, tmp_path, capsys):
    add(factory, "a")
    out_file = tmp_path / "leads.ndjson"
    code, out, err = run(capsys, "export", "--format", "fhir", "--out", str(out_file))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "FHIR export is off" in err and "integrations.fhir_export.enabled" in err
    assert not out_file.exists() and exported(factory) == []


def test_the_shipped_facility_file_keeps_it_off(factory, capsys, monkeypatch):
    monkeypatch.delenv("HELPLINE_FACILITY_FILE", raising=False)
    code, _, err = run(capsys, "export", "--format", "fhir")
    assert code == 1 and "FHIR export is off" in err


def test_exports_each_lead_with_an_audit_row(factory, enabled, tmp_path, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    records = [add(factory, "a"), add(factory, "b", phone="480-555-0199", name="Lee"), add(factory, "c")]
    out_file = tmp_path / "leads.ndjson"
    code, out, err = run(capsys, "export", "--format", "fhir", "--out", str(out_file), "--by", "Dana")
    assert code == 0 and out == ""
    assert err == f"Exported 3 callback requests as FHIR R4 NDJSON to {out_file}.\n"
    bundles = read_lines(out_file)
    assert [b["identifier"]["value"] for b in bundles] == [r.reference for r in records]  # oldest first
    for bundle in bundles:
        Bundle.parse_obj(bundle)
    events = exported(factory)
    assert sorted(e.reference for e in events) == sorted(r.reference for r in records)
    assert {(e.actor, e.record_type, e.detail, e.source) for e in events} == {("Dana", "callback", "format=fhir", "cli")}
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".leads")] == []  # no temporary file left
    # Nothing about the people on the terminal or in the logs.
    for text in PHI:
        assert text not in err and text not in caplog.text


def test_an_existing_file_is_replaced_owner_only(factory, enabled, tmp_path, capsys):
    add(factory, "a")
    out_file = tmp_path / "leads.ndjson"
    out_file.write_text("old\n")
    out_file.chmod(0o644)
    code, _, _ = run(capsys, "export", "--format", "fhir", "--out", str(out_file))
    assert code == 0 and len(read_lines(out_file)) == 1
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600


def test_standard_output_by_default(factory, enabled, capsys):
    record = add(factory, "a")
    code, out, err = run(capsys, "export", "--format", "fhir")
    assert code == 0 and len(out.splitlines()) == 1
    assert json.loads(out)["identifier"]["value"] == record.reference
    assert "to standard output" in err and "Maria" not in err


def test_since_filters_by_creation(factory, enabled, tmp_path, capsys):
    add(factory, "old", created_at=utcnow() - timedelta(days=10))
    new = add(factory, "new", created_at=utcnow() - timedelta(days=2))
    out_file = tmp_path / "week.ndjson"
    code, _, _ = run(capsys, "export", "--format", "fhir", "--since", "7d", "--out", str(out_file))
    assert code == 0
    assert [b["identifier"]["value"] for b in read_lines(out_file)] == [new.reference]
    assert [e.reference for e in exported(factory)] == [new.reference]

    day = (utcnow() - timedelta(days=11)).date().isoformat()
    code, _, _ = run(capsys, "export", "--format", "fhir", "--since", day, "--out", str(out_file))
    assert code == 0 and len(read_lines(out_file)) == 2


def test_status_and_lead_filters(factory, enabled, tmp_path, capsys):
    first, second, third = add(factory, "a"), add(factory, "b"), add(factory, "c")
    callbacks.LEADS.close(factory, second.id, "enrolled")
    out_file = tmp_path / "x.ndjson"
    code, _, _ = run(capsys, "export", "--format", "fhir", "--status", "closed", "--out", str(out_file))
    assert code == 0
    [bundle] = read_lines(out_file)
    assert bundle["identifier"]["value"] == second.reference
    assert bundle["entry"][1]["resource"]["status"] == "completed"

    code, _, _ = run(capsys, "export", "--format", "fhir", "--lead", third.reference.lower(), str(first.id),
                     "--out", str(out_file))
    assert code == 0
    assert [b["identifier"]["value"] for b in read_lines(out_file)] == [first.reference, third.reference]


def test_nothing_to_export_still_writes_the_file(factory, enabled, tmp_path, capsys):
    out_file = tmp_path / "none.ndjson"
    out_file.write_text("yesterday's leads\n")
    code, _, err = run(capsys, "export", "--format", "fhir", "--since", "1h", "--out", str(out_file))
    assert code == 0 and "Exported 0 callback requests" in err
    assert out_file.read_text() == ""  # a job that ships the file never ships stale leads


def test_an_unknown_lead_exports_nothing(factory, enabled, tmp_path, capsys):
    add(factory, "a")
    out_file = tmp_path / "x.ndjson"
    code, out, err = run(capsys, "export", "--format", "fhir", "--lead", "L-ZZZZZ", "--out", str(out_file))
    assert code == 1 and out == "" and err == "error: no callback request L-ZZZZZ\n"
    assert not out_file.exists() and exported(factory) == []


def test_a_failing_audit_write_means_nothing_is_written(factory, enabled, tmp_path, capsys, monkeypatch):
    add(factory, "a")

    def broken(*args, **kwargs):
        raise audit.AuditError("the audit trail cannot be written")

    monkeypatch.setattr(audit, "record_each", broken)
    out_file = tmp_path / "x.ndjson"
    code, out, err = run(capsys, "export", "--format", "fhir", "--out", str(out_file))
    assert code == 1 and err == "error: the audit trail cannot be written\n"
    assert not out_file.exists() and list(tmp_path.glob(".x.ndjson*")) == []
    code, out, err = run(capsys, "export", "--format", "fhir")
    assert code == 1 and out == ""


@pytest.mark.parametrize("argv, message", [
    (("--since", "last week"), "since must be like"),
    (("--out", "/dev/null"), "not a regular file"),
    (("--out", "/no/such/folder/x.ndjson"), "no such folder"),
])
def test_bad_arguments_are_one_line(factory, enabled, capsys, argv, message):
    add(factory, "a")
    code, out, err = run(capsys, "export", "--format", "fhir", *argv)
    assert code == 1 and out == "" and err.startswith("error: ") and message in err and err.count("\n") == 1
    assert exported(factory) == []


def test_format_is_required(enabled, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["export"])
    assert exit_.value.code == 2

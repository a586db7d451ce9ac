"""``helpline callbacks|crises note|attempt|assign|reopen`` and the notes and calls on ``show``, through the real CLI."""
from __future__ import annotations

import io
import json

import pytest

from helpline.cli import main
from helpline.queues import lead_work
from helpline.queues.callbacks import LEADS
from helpline.queues.crisis_flags import CRISES, flag_crisis
from helpline.security import audit, staff_accounts
from tests.core.test_cli_callbacks import add, factory, run  # noqa: F401  (factory is a fixture)

QUEUES = [("callbacks", LEADS), ("crises", CRISES)]


@pytest.fixture
def record_of(factory):  # noqa: F811
    """A new record of the given queue: a lead, or a crisis follow-up."""

    def make(queue):
        if queue is LEADS:
            return add(factory, "lead")
        flag, _ = flag_crisis(factory, conversation_id="conv-1", category="overdose", severity="urgent")
        return flag

    return make


def events(factory, action):  # noqa: F811
    return audit.list_events(factory, action=action)


def history(factory, queue, record):  # noqa: F811
    return lead_work.history(factory, queue, record.id)


@pytest.mark.parametrize("group, queue", QUEUES)
def test_note_adds_it_and_audits_it_from_the_cli(factory, record_of, capsys, group, queue):  # noqa: F811
    record = record_of(queue)
    code, out, err = run(capsys, group, "note", record.reference, "Mom answered, call after 5", "--by", "Ana")
    assert (code, err) == (0, "")
    assert out.strip() == f"{queue.label} {record.id} ({record.reference}): note added."
    [note] = history(factory, queue, record)["notes"]
    assert (note.author, note.body) == ("Ana", "Mom answered, call after 5")
    [event] = events(factory, "noted")
    assert (event.actor, event.source, event.reference, event.record_type) == (
        "Ana", "cli", record.reference, queue.record_type)
    assert "Mom" not in (event.detail or "")


def test_note_from_standard_input_and_the_default_actor(factory, capsys, monkeypatch):  # noqa: F811
    record = add(factory, "a")
    monkeypatch.setenv("HELPLINE_STAFF_NAME", "Jo")
    monkeypatch.setattr("sys.stdin", io.StringIO("left with the front desk\n"))
    code, _, _ = run(capsys, "callbacks", "note", str(record.id), "-")
    assert code == 0
    [note] = history(factory, LEADS, record)["notes"]
    assert (note.author, note.body) == ("Jo", "left with the front desk")
    assert events(factory, "noted")[0].actor == "Jo"


def test_an_empty_note_is_refused_in_one_line(factory, capsys):  # noqa: F811
    record = add(factory, "a")
    code, out, err = run(capsys, "callbacks", "note", str(record.id), "   ", "--by", "Ana")
    assert (code, out) == (1, "") and err == "error: write the note first\n"
    assert history(factory, LEADS, record)["notes"] == [] and events(factory, "noted") == []


@pytest.mark.parametrize("group, queue", QUEUES)
def test_attempt_logs_the_call_claims_a_new_record_and_audits_it(factory, record_of, capsys, group, queue):  # noqa: F811
    record = record_of(queue)
    code, out, _ = run(capsys, group, "attempt", str(record.id), "--outcome", "no_answer", "--by", "Sam")
    assert code == 0
    assert out.strip() == f"{queue.label} {record.id} ({record.reference}): call logged (no_answer); claimed by Sam."
    changed = queue.get(factory, record.id)
    assert (changed.status, changed.claimed_by, changed.call_attempts) == ("claimed", "Sam", 1)
    [attempt] = history(factory, queue, record)["attempts"]
    assert (attempt.by, attempt.outcome) == ("Sam", "no_answer")
    [event] = events(factory, "call_attempt")
    assert (event.actor, event.source, event.reference) == ("Sam", "cli", record.reference)
    assert event.detail == "outcome=no_answer attempt=1"


def test_attempts_close_the_lead_at_the_facility_limit(factory, capsys):  # noqa: F811
    record = add(factory, "a")  # facility.yml: admissions.max_call_attempts 3
    for _ in range(2):
        assert run(capsys, "callbacks", "attempt", record.reference, "--outcome", "busy", "--by", "Sam")[0] == 0
    code, out, _ = run(capsys, "callbacks", "attempt", record.reference, "--outcome", "left_voicemail", "--by", "Sam")
    assert code == 0 and out.strip().endswith("call logged (left_voicemail); closed: no_answer.")
    assert LEADS.get(factory, record.id).status == "closed"
    code, _, err = run(capsys, "callbacks", "attempt", record.reference, "--outcome", "reached", "--by", "Sam")
    assert code == 1 and err.count("\n") == 1 and "it is closed" in err
    assert len(history(factory, LEADS, record)["attempts"]) == 3


def test_an_unknown_outcome_is_refused_and_changes_nothing(factory, capsys):  # noqa: F811
    record = add(factory, "a")
    with pytest.raises(SystemExit) as exit_info:
        main(["callbacks", "attempt", str(record.id), "--outcome", "hung_up", "--by", "Sam"])
    assert exit_info.value.code == 2
    [error_line] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("helpline")]
    assert "invalid choice: 'hung_up'" in error_line
    assert LEADS.get(factory, record.id).status == "new"
    assert history(factory, LEADS, record)["attempts"] == [] and events(factory, "call_attempt") == []


@pytest.mark.parametrize("group, queue", QUEUES)
def test_assign_gives_the_record_to_an_active_account(factory, record_of, capsys, group, queue):  # noqa: F811
    staff_accounts.add_account(factory, "sam.r", "a long enough password 1")
    record = record_of(queue)
    code, out, _ = run(capsys, group, "assign", record.reference, "--to", "Sam.R", "--by", "Lead")
    assert code == 0 and out.strip() == f"{queue.label} {record.id} ({record.reference}) assigned to sam.r."
    changed = queue.get(factory, record.id)
    assert (changed.status, changed.claimed_by) == ("claimed", "sam.r")
    [event] = events(factory, "assigned")
    assert (event.actor, event.source, event.reference, event.detail) == ("Lead", "cli", record.reference, "to=sam.r")


def test_assign_refuses_unknown_and_disabled_staff(factory, capsys):  # noqa: F811
    staff_accounts.add_account(factory, "gone", "a long enough password 1")
    staff_accounts.set_disabled(factory, "gone", True)
    record = add(factory, "a")
    for name in ("nobody", "gone"):
        code, out, err = run(capsys, "callbacks", "assign", str(record.id), "--to", name, "--by", "Lead")
        assert (code, out) == (1, "") and err == f"error: {name} is not an active staff account\n"
    changed = LEADS.get(factory, record.id)
    assert (changed.status, changed.claimed_by) == ("new", None) and events(factory, "assigned") == []


@pytest.mark.parametrize("group, queue", QUEUES)
def test_reopen_puts_a_closed_record_back_as_new(factory, record_of, capsys, group, queue):  # noqa: F811
    record = record_of(queue)
    assert run(capsys, group, "close", str(record.id), "--outcome", queue.outcomes[0], "--by", "Sam")[0] == 0
    code, out, _ = run(capsys, group, "reopen", record.reference, "--by", "Sam")
    assert code == 0 and "reopened: it is back in the queue as new." in out
    changed = queue.get(factory, record.id)
    assert (changed.status, changed.outcome, changed.claimed_by) == ("new", None, None)
    [event] = events(factory, "reopened")
    assert (event.actor, event.source, event.detail) == ("Sam", "cli", f"was={queue.outcomes[0]}")


def test_reopening_an_open_record_is_refused_and_changes_nothing(factory, capsys):  # noqa: F811
    record = add(factory, "a")
    run(capsys, "callbacks", "claim", str(record.id), "--by", "Sam")
    code, out, err = run(capsys, "callbacks", "reopen", str(record.id), "--by", "Jo")
    assert (code, out) == (1, "")
    assert err == f"error: cannot reopen callback request {record.id} ({record.reference}): it is claimed by Sam\n"
    changed = LEADS.get(factory, record.id)
    assert (changed.status, changed.claimed_by) == ("claimed", "Sam") and events(factory, "reopened") == []


def test_unknown_records_fail_in_one_line(factory, capsys):  # noqa: F811
    for argv in (("note", "404", "hi"), ("attempt", "404", "--outcome", "busy"), ("assign", "404", "--to", "x"),
                 ("reopen", "404")):
        code, _, err = run(capsys, "crises", *argv, "--by", "Sam")
        assert code == 1 and err.startswith("error: ") and err.count("\n") == 1, argv


@pytest.mark.parametrize("group, queue", QUEUES)
def test_show_prints_notes_and_calls_oldest_first(factory, record_of, capsys, group, queue):  # noqa: F811
    record = record_of(queue)
    code, out, _ = run(capsys, group, "show", str(record.id))
    assert code == 0 and "Notes: none" in out and "Calls: none" in out
    run(capsys, group, "note", str(record.id), "first note\nsecond line", "--by", "Ana")
    run(capsys, group, "attempt", str(record.id), "--outcome", "no_answer", "--by", "Sam")
    run(capsys, group, "note", str(record.id), "then a second note", "--by", "Jo")

    code, out, _ = run(capsys, group, "show", str(record.id))
    assert code == 0
    found = history(factory, queue, record)
    first, second = (f"{n.at.strftime('%Y-%m-%d %H:%MZ')}  " for n in found["notes"])
    call = f"{found['attempts'][0].at.strftime('%Y-%m-%d %H:%MZ')}  Sam: no_answer"
    lines = out.splitlines()
    notes_at, calls_at = lines.index("Notes (times in UTC):"), lines.index("Calls (times in UTC):")
    assert lines[notes_at + 1] == f"  {first}Ana: first note"
    assert lines[notes_at + 2].strip() == "second line"  # indented under its note, not a row of its own
    assert lines[notes_at + 3] == f"  {second}Jo: then a second note"
    assert lines[calls_at + 1] == f"  {call}"
    # Reading them is part of the audited view: one "viewed" per show, nothing more.
    assert len(events(factory, "viewed")) == 2

    code, out, _ = run(capsys, group, "show", record.reference, "--json")
    shown = json.loads(out)
    assert [(n["author"], n["body"]) for n in shown["notes"]] == [
        ("Ana", "first note\nsecond line"), ("Jo", "then a second note")]
    assert [(c["by"], c["outcome"]) for c in shown["calls"]] == [("Sam", "no_answer")]
    assert shown["calls"][0]["at"].endswith("+00:00")

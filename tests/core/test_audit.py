"""The audit trail: recording and listing events, claim/close atomic with their event, and the CLI hooks."""
from __future__ import annotations

import getpass
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from helpline.cli import main
from helpline.queues import callbacks, crisis_flags
from helpline.queues.callbacks import InvalidTransition
from helpline.security import audit
from helpline.settings import load_settings
from helpline.store import db
from helpline.store.models import utcnow
from helpline.store.staff_models import AuditEvent

PHONE = "602-555-0134"
NAME = "Maria"


def add_lead(factory, key="a"):
    record, _ = callbacks.store_callback(
        factory, idempotency_key=key, phone=PHONE, urgency="soon", level_of_care="iop_fit", consent=True,
        first_name=NAME, best_time="morning", answers={"substances": ["alcohol"]},
    )
    return record


def all_rows(factory):
    with factory() as session:
        return list(session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars())


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- record and list ------------------------------------------------------------------------------

def test_record_and_list_with_filters(session_factory):
    audit.record(session_factory, actor="sam", action="viewed", record_type="callback", reference="L-ABCDE",
                 source="console")
    audit.record(session_factory, actor="jo", action="listed", record_type="crisis", detail="count=2", source="cli")
    audit.record(session_factory, actor="sam", action="claimed", record_type="callback", reference="L-ABCDE",
                 source="api")
    events = audit.list_events(session_factory)
    assert [e.action for e in events] == ["claimed", "listed", "viewed"]  # newest first
    assert events[0].at.tzinfo is not None and events[0].at <= utcnow()
    assert [e.action for e in audit.list_events(session_factory, actor="sam")] == ["claimed", "viewed"]
    assert [e.actor for e in audit.list_events(session_factory, action="listed")] == ["jo"]
    assert len(audit.list_events(session_factory, reference="l-abcde")) == 2
    assert len(audit.list_events(session_factory, record_type="crisis")) == 1
    assert audit.list_events(session_factory, since=utcnow() + timedelta(seconds=5)) == []
    assert len(audit.list_events(session_factory, limit=1)) == 1
    assert events[1].to_dict() == {
        "id": events[1].id, "at": events[1].at.isoformat(timespec="seconds"), "actor": "jo", "action": "listed",
        "record_type": "crisis", "reference": None, "detail": "count=2", "source": "cli",
    }


@pytest.mark.parametrize("bad", [
    {"action": "peeked"},
    {"source": "email"},
    {"actor": "  "},
    {"record_type": "patient"},
    {"reference": "Maria 602-555-0134"},  # free text is never a reference
])
def test_record_refuses_what_it_does_not_know(session_factory, bad):
    fields = {"actor": "sam", "action": "viewed", "record_type": "callback", "reference": "L-ABCDE", "source": "cli",
              **bad}
    with pytest.raises(ValueError):
        audit.record(session_factory, **fields)
    assert all_rows(session_factory) == []


def test_detail_is_cut_short(session_factory):
    event = audit.record(session_factory, actor="sam", action="listed", detail="x" * 500, source="cli")
    assert len(event.detail) == 200


def test_parse_since():
    now = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
    assert audit.parse_since("24h", now) == now - timedelta(hours=24)
    assert audit.parse_since("7d", now) == now - timedelta(days=7)
    assert audit.parse_since("30m", now) == now - timedelta(minutes=30)
    assert audit.parse_since("2026-12-01") == datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert audit.parse_since("2026-12-01T08:00:00Z") == datetime(2026, 12, 1, 8, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        audit.parse_since("last tuesday")


@pytest.mark.parametrize("value", [
    "99999999999d",  # overflows timedelta
    "9" * 40 + "m",
    "9999-12-31T23:59:59-01:00",  # overflows datetime when moved to UTC
    "0001-01-01T00:00:00+01:00",
    "1969-12-31",  # before anything this trail can hold
])
def test_parse_since_refuses_what_is_out_of_range_with_a_clear_message(value):
    with pytest.raises(ValueError, match="since is out of range"):
        audit.parse_since(value, datetime(2026, 12, 2, tzinfo=timezone.utc))
    assert audit.parse_since("1970-01-01") == audit.EARLIEST_SINCE


def test_cli_actor_prefers_by_then_env_then_os_user():
    assert audit.cli_actor("Sam", env={"HELPLINE_STAFF_NAME": "jo"}) == "Sam"
    assert audit.cli_actor(None, env={"HELPLINE_STAFF_NAME": "jo"}) == "jo"
    assert audit.cli_actor(None, env={}) == getpass.getuser()


# -- claim/close and their event in one transaction -------------------------------------------------

def test_claim_and_close_write_their_event(session_factory):
    lead = add_lead(session_factory)
    claimed = audit.transition(callbacks.LEADS.claim, session_factory, lead.id, "sam", actor="sam", action="claimed",
                               record_type="callback", source="console")
    assert claimed.status == "claimed" and claimed.claimed_by == "sam"
    audit.transition(callbacks.LEADS.close, session_factory, lead.reference, "enrolled", actor="sam", action="closed",
                     record_type="callback", source="console", detail="outcome=enrolled")
    rows = all_rows(session_factory)
    assert [(r.action, r.reference, r.actor, r.source, r.detail) for r in rows] == [
        ("claimed", lead.reference, "sam", "console", None),
        ("closed", lead.reference, "sam", "console", "outcome=enrolled"),
    ]


def test_a_refused_claim_writes_no_event(session_factory):
    lead = add_lead(session_factory)
    callbacks.LEADS.claim(session_factory, lead.id, "jo")
    with pytest.raises(InvalidTransition):
        audit.transition(callbacks.LEADS.claim, session_factory, lead.id, "sam", actor="sam", action="claimed",
                         record_type="callback", source="cli")
    assert all_rows(session_factory) == []


def test_when_the_event_cannot_be_written_the_claim_is_rolled_back(session_factory, monkeypatch):
    lead = add_lead(session_factory)
    real_event = audit._event

    def failing(**fields):
        if fields.get("reference"):  # the write inside the transaction, not the up-front validation
            raise RuntimeError("audit table unavailable")
        return real_event(**fields)

    monkeypatch.setattr(audit, "_event", failing)
    with pytest.raises(RuntimeError, match="audit table unavailable"):
        audit.transition(callbacks.LEADS.claim, session_factory, lead.id, "sam", actor="sam", action="claimed",
                         record_type="callback", source="cli")
    assert callbacks.LEADS.get(session_factory, lead.id).status == "new"
    assert all_rows(session_factory) == []


def test_crisis_claim_is_audited_with_the_crisis_reference(session_factory):
    flag, _ = crisis_flags.flag_crisis(session_factory, conversation_id="conv-1", category="overdose",
                                       severity="immediate")
    audit.transition(crisis_flags.CRISES.claim, session_factory, flag.id, "sam", actor="sam", action="claimed",
                     record_type="crisis", source="api")
    [row] = all_rows(session_factory)
    assert (row.record_type, row.reference) == ("crisis", flag.reference)


# -- the CLI records every list, show, claim and close ------------------------------------------------

@pytest.fixture
def factory(isolated_env, migrated_database, monkeypatch):
    monkeypatch.delenv("HELPLINE_STAFF_NAME", raising=False)
    url = load_settings().effective_database_url
    migrated_database(url)  # a copy of the session's migrated template
    return db.session_factory(url)


def test_cli_queue_commands_are_audited_without_phi(factory, capsys, monkeypatch):
    lead = add_lead(factory)
    flag, _ = crisis_flags.flag_crisis(factory, conversation_id="+16025550134", category="suicide_self_harm",
                                       severity="immediate")
    os_user = getpass.getuser()

    assert run(capsys, "callbacks", "list")[0] == 0
    assert run(capsys, "callbacks", "list", "--status", "new", "--json")[0] == 0
    assert run(capsys, "callbacks", "show", lead.reference)[0] == 0
    monkeypatch.setenv("HELPLINE_STAFF_NAME", "desk.pat")
    assert run(capsys, "callbacks", "claim", str(lead.id), "--by", "Sam")[0] == 0
    assert run(capsys, "callbacks", "close", str(lead.id), "--outcome", "enrolled")[0] == 0
    assert run(capsys, "crises", "list", "--json")[0] == 0
    assert run(capsys, "crises", "show", str(flag.id))[0] == 0
    assert run(capsys, "crises", "claim", flag.reference, "--by", "jo")[0] == 0
    assert run(capsys, "crises", "close", str(flag.id), "--outcome", "reached", "--by", "jo")[0] == 0
    # A refused change is not an action: no event.
    assert run(capsys, "crises", "claim", str(flag.id), "--by", "jo")[0] == 1

    got = [(r.actor, r.action, r.record_type, r.reference, r.detail, r.source) for r in all_rows(factory)]
    assert got == [
        (os_user, "listed", "callback", None, "count=1", "cli"),
        (os_user, "listed", "callback", None, "count=1 status=new", "cli"),
        (os_user, "viewed", "callback", lead.reference, None, "cli"),
        ("Sam", "claimed", "callback", lead.reference, None, "cli"),
        ("desk.pat", "closed", "callback", lead.reference, "outcome=enrolled", "cli"),
        ("desk.pat", "listed", "crisis", None, "count=1", "cli"),
        ("desk.pat", "viewed", "crisis", flag.reference, None, "cli"),
        ("jo", "claimed", "crisis", flag.reference, None, "cli"),
        ("jo", "closed", "crisis", flag.reference, "outcome=reached", "cli"),
    ]
    for row in got:
        text = " ".join(str(v) for v in row)
        assert "0134" not in text and NAME not in text and "alcohol" not in text and "suicide" not in text


def test_a_show_that_finds_nothing_is_not_audited(factory, capsys):
    code, _, err = run(capsys, "callbacks", "show", "999")
    assert code == 1 and "no callback request 999" in err
    assert all_rows(factory) == []


def test_nothing_is_shown_when_the_view_cannot_be_audited(factory, capsys, monkeypatch):
    add_lead(factory)

    def broken(*_args, **_kwargs):
        raise audit.AuditError("audit table unavailable")

    monkeypatch.setattr(audit, "record", broken)
    code, out, err = run(capsys, "callbacks", "list", "--json")
    assert code == 1 and out == "" and "audit table unavailable" in err


def test_audit_list_command(factory, capsys, monkeypatch):
    lead = add_lead(factory)
    run(capsys, "callbacks", "claim", lead.reference, "--by", "sam")
    run(capsys, "callbacks", "show", lead.reference)
    monkeypatch.setenv("HELPLINE_STAFF_NAME", "auditor")
    code, out, _ = run(capsys, "audit", "list", "--actor", "sam", "--json")
    assert code == 0
    [event] = json.loads(out)
    assert (event["action"], event["reference"], event["source"]) == ("claimed", lead.reference, "cli")

    code, out, _ = run(capsys, "audit", "list", "--since", "1h")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:4] == ["ID", "AT", "(UTC)", "ACTOR"]
    assert "claimed" in out and "viewed" in out and "auditor" in out  # the earlier read of the trail, too
    code, out, _ = run(capsys, "audit", "list", "--since", "2099-01-01")
    assert code == 0 and "No audit events match" in out
    code, _, err = run(capsys, "audit", "list", "--since", "yesterday-ish")
    assert code == 1 and "since must be like" in err
    code, _, err = run(capsys, "audit", "list", "--since", "99999999999d")
    assert code == 1 and err.strip() == "error: since is out of range: give a moment from 1970-01-01 on"
    # Reading the trail is itself recorded.
    assert [e.actor for e in audit.list_events(factory, record_type="audit")] == ["auditor"] * 3


# -- PostgreSQL ---------------------------------------------------------------------------------------

def test_on_postgresql_two_staff_claiming_at_once_leave_one_claim_and_one_event(postgres_url):
    """The event rides in the claim's transaction on PostgreSQL too; the loser writes nothing."""
    from concurrent.futures import ThreadPoolExecutor

    from helpline.security import staff_accounts

    db.upgrade(postgres_url)
    factory = db.session_factory(postgres_url)
    lead = add_lead(factory)

    def claim(name):
        try:
            audit.transition(callbacks.LEADS.claim, factory, lead.id, name, actor=name, action="claimed",
                             record_type="callback", source="api")
            return name
        except InvalidTransition:
            return None

    with ThreadPoolExecutor(max_workers=4) as pool:
        winners = [w for w in pool.map(claim, ["sam", "jo", "kim", "lee"]) if w]
    assert len(winners) == 1
    assert [(r.actor, r.action, r.reference) for r in all_rows(factory)] == [(winners[0], "claimed", lead.reference)]
    assert callbacks.LEADS.get(factory, lead.id).claimed_by == winners[0]

    account = staff_accounts.add_account(factory, "sam", "correct horse battery staple")
    token, _ = staff_accounts.create_session(factory, account, kind="api")
    assert staff_accounts.resolve_session(factory, token).name == "sam"
    db.dispose_all()

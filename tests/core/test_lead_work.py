"""Working a lead: notes, call attempts (no answer keeps it open), assign, reopen; each audited with its change."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from helpline.admissions import AdmissionsRules
from helpline.queues import lead_work
from helpline.queues.callbacks import LEADS, InvalidTransition
from helpline.queues.crisis_flags import CRISES, flag_crisis
from helpline.security import audit
from helpline.store.models import CallAttempt
from tests.core.test_callbacks import store

RULES = AdmissionsRules(max_call_attempts=3)


def events(session_factory, action):
    return [e for e in audit.list_events(session_factory, action=action)]


def test_a_note_is_stored_encrypted_and_audited_without_its_words(session_factory):
    lead, _ = store(session_factory)
    lead_work.add_note(session_factory, LEADS, lead.reference, "Mom answered, Maria at work until 5",
                       author="ana", source="console")
    notes = lead_work.history(session_factory, LEADS, lead.id)["notes"]
    assert [(n.author, n.body) for n in notes] == [("ana", "Mom answered, Maria at work until 5")]
    with session_factory() as session:
        raw = session.execute(text("SELECT body FROM lead_notes")).scalar_one()
    assert "Maria" not in raw  # sealed at rest
    (event,) = events(session_factory, "noted")
    assert (event.actor, event.reference, event.detail) == ("ana", lead.reference, "chars=35")


def test_an_empty_or_huge_note_is_refused_and_nothing_is_written(session_factory):
    lead, _ = store(session_factory)
    for body in ("   ", "x" * (lead_work.MAX_NOTE_CHARS + 1)):
        with pytest.raises(ValueError):
            lead_work.add_note(session_factory, LEADS, lead.id, body, author="ana", source="console")
    assert lead_work.history(session_factory, LEADS, lead.id)["notes"] == []
    assert events(session_factory, "noted") == []


def test_no_answer_keeps_the_lead_open_until_the_facility_limit_then_closes_it(session_factory):
    lead, _ = store(session_factory)
    first = lead_work.log_attempt(session_factory, LEADS, lead.id, "no_answer", by="ana", rules=RULES,
                                  source="console")
    # Calling a new lead claims it: someone is on it.
    assert (first.status, first.claimed_by, first.call_attempts) == ("claimed", "ana", 1)
    assert first.first_attempt_at is not None
    second = lead_work.log_attempt(session_factory, LEADS, lead.id, "left_voicemail", by="ana", rules=RULES,
                                   source="console")
    assert (second.status, second.call_attempts, second.first_attempt_at) == ("claimed", 2, first.first_attempt_at)
    third = lead_work.log_attempt(session_factory, LEADS, lead.id, "busy", by="ana", rules=RULES, source="console")
    assert (third.status, third.outcome, third.call_attempts) == ("closed", "no_answer", 3)
    details = [e.detail for e in reversed(events(session_factory, "call_attempt"))]
    assert details == ["outcome=no_answer attempt=1", "outcome=left_voicemail attempt=2",
                       "outcome=busy attempt=3 closed=no_answer"]
    with pytest.raises(InvalidTransition):
        lead_work.log_attempt(session_factory, LEADS, lead.id, "no_answer", by="ana", rules=RULES, source="console")


def test_reached_keeps_it_open_and_wrong_number_closes(session_factory):
    lead, _ = store(session_factory)
    reached = lead_work.log_attempt(session_factory, LEADS, lead.id, "reached", by="ana", rules=RULES,
                                    source="console")
    assert (reached.status, reached.call_attempts) == ("claimed", 0)  # reached is not an unanswered call
    other, _ = store(session_factory, key="conv-2:callback", conversation_id="conv-2")
    wrong = lead_work.log_attempt(session_factory, LEADS, other.id, "wrong_number", by="ana", rules=RULES,
                                  source="console")
    assert (wrong.status, wrong.outcome) == ("closed", "wrong_number")


def test_a_crisis_follow_up_closes_as_no_contact_info_on_a_wrong_number(session_factory):
    flag, _ = flag_crisis(session_factory, conversation_id="conv-9", category="overdose", severity="urgent")
    closed = lead_work.log_attempt(session_factory, CRISES, flag.id, "wrong_number", by="ana", rules=RULES,
                                   source="console")
    assert (closed.status, closed.outcome) == ("closed", "no_contact_info")
    (attempt,) = lead_work.history(session_factory, CRISES, flag.id)["attempts"]
    assert attempt.outcome == "wrong_number"


def test_an_unknown_outcome_is_refused(session_factory):
    lead, _ = store(session_factory)
    with pytest.raises(ValueError):
        lead_work.log_attempt(session_factory, LEADS, lead.id, "hung_up", by="ana", rules=RULES, source="console")


def test_assign_and_reassign_keep_the_first_claim_time_and_audit_who_from_whom(session_factory):
    lead, _ = store(session_factory)
    first = lead_work.assign(session_factory, LEADS, lead.id, "ben", by="ana", known_staff=["ana", "ben"],
                             source="console")
    assert (first.status, first.claimed_by) == ("claimed", "ben")
    again = lead_work.assign(session_factory, LEADS, lead.id, "ana", by="ben", known_staff=["ana", "ben"],
                             source="console")
    assert (again.claimed_by, again.claimed_at) == ("ana", first.claimed_at)
    details = [e.detail for e in reversed(events(session_factory, "assigned"))]
    assert details == ["to=ben", "to=ana from=ben"]
    with pytest.raises(ValueError, match="not an active staff account"):
        lead_work.assign(session_factory, LEADS, lead.id, "mallory", by="ana", known_staff=["ana", "ben"],
                         source="console")


def test_reopen_puts_a_closed_lead_back_as_new_with_its_clock_and_count_restarted(session_factory):
    lead, _ = store(session_factory)
    for _ in range(3):
        lead_work.log_attempt(session_factory, LEADS, lead.id, "no_answer", by="ana", rules=RULES, source="console")
    reopened = lead_work.reopen(session_factory, LEADS, lead.id, by="ben", source="console")
    assert (reopened.status, reopened.outcome, reopened.claimed_by, reopened.call_attempts) == ("new", None, None, 0)
    assert reopened.reopened_at is not None
    (event,) = events(session_factory, "reopened")
    assert (event.actor, event.detail) == ("ben", "was=no_answer")
    # The attempts before stay in its history.
    assert len(lead_work.history(session_factory, LEADS, lead.id)["attempts"]) == 3
    with pytest.raises(InvalidTransition):
        lead_work.reopen(session_factory, LEADS, lead.id, by="ben", source="console")


def test_a_failing_audit_write_rolls_the_change_back(session_factory, monkeypatch):
    lead, _ = store(session_factory)

    def broken(*args, **kwargs):
        raise audit.AuditError("disk full")

    monkeypatch.setattr(audit, "add", broken)
    with pytest.raises(audit.AuditError):
        lead_work.log_attempt(session_factory, LEADS, lead.id, "no_answer", by="ana", rules=RULES, source="console")
    assert LEADS.get(session_factory, lead.id).call_attempts == 0
    with session_factory() as session:
        assert session.execute(select(CallAttempt)).first() is None


def test_two_attempts_logged_at_once_both_count(session_factory):
    lead, _ = store(session_factory)
    rules = AdmissionsRules(max_call_attempts=5)
    errors = []

    def call() -> None:
        try:
            lead_work.log_attempt(session_factory, LEADS, lead.id, "no_answer", by="ana", rules=rules,
                                  source="console")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert LEADS.get(session_factory, lead.id).call_attempts == 2

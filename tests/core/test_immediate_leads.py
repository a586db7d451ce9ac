"""Immediate leads: a positive suicide-risk screen or a callback from the crisis path.

Revision 0009 lets the database keep them, the queue sorts them first, the staff
SMS says so without any health detail, and a lead already stored in the
conversation is marked immediate instead of being stored twice.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command

from helpline.intake import handoff
from helpline.intake.screening import URGENCIES
from helpline.notify.alerts import URGENCY_TEXT, compose_staff_sms
from helpline.queues import callbacks
from helpline.settings import load_settings
from helpline.store import db

WHEN = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)
LEAD = {
    "who_for": "self", "first_name": "Samantha", "substances": ["alcohol"], "last_use": "today",
    "withdrawal_signs": [], "suicide_wish": "yes", "suicide_thoughts": None, "prior_treatment": None,
    "callback_phone": "+16025550134", "consent": True,
}


def store(session_factory, key: str, urgency: str, **overrides):
    fields = dict(idempotency_key=key, phone="(602) 555-0134", urgency=urgency, level_of_care="iop_fit", consent=True,
                  screening_reasons=["default"], conversation_id="conv-1")
    fields.update(overrides)
    return callbacks.store_callback(session_factory, **fields)[0]


def submit(slots=None, turn="1", **kwargs) -> handoff.Handoff:
    return handoff.submit(dict(slots or LEAD), conversation_id="conv-immediate", turn_marker=turn, channel="rest",
                          consent_text="yes", now=WHEN, **kwargs)


def queue() -> list:
    return callbacks.LEADS.list(db.session_factory(load_settings().effective_database_url))


# -- schema ----------------------------------------------------------------------------------

def test_an_immediate_lead_is_stored_and_sorted_first(session_factory):
    store(session_factory, "a", "urgent")
    store(session_factory, "b", "immediate")
    store(session_factory, "c", "routine")
    assert [r.urgency for r in callbacks.LEADS.list(session_factory)] == ["immediate", "urgent", "routine"]


def _downgrade(db_url: str, revision: str) -> None:
    config = db._alembic_config(db_url)
    with db.engine_for(db_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_revision_0009_keeps_outbox_links_and_downgrades_immediate_to_urgent(db_url):
    # The row is stored at head (the models have later columns), then taken back to 0008.
    assert db.upgrade(db_url) == db.head_revision()
    sessions = db.session_factory(db_url)
    before = store(sessions, "old", "urgent")
    _downgrade(db_url, "0008")
    with db.engine_for(db_url).begin() as connection:
        connection.execute(sa.text(
            'INSERT INTO outbox_messages (created_at, "to", body, callback_id, kind) '
            "VALUES ('2026-01-01 00:00:00+00', '+16025550100', 'New lead', :id, 'staff_alert')"
        ), {"id": before.id})
    # Before 0009 the CHECK constraint refuses it.
    with pytest.raises(sa.exc.IntegrityError), db.engine_for(db_url).begin() as connection:
        connection.execute(sa.text("UPDATE callback_requests SET urgency = 'immediate'"))
    assert db.upgrade(db_url) == db.head_revision()
    immediate = store(sessions, "new", "immediate")
    with db.engine_for(db_url).connect() as connection:
        assert connection.execute(sa.text("SELECT callback_id FROM outbox_messages")).scalar_one() == before.id

    _downgrade(db_url, "0008")
    with db.engine_for(db_url).connect() as connection:
        rows = dict(connection.execute(sa.text("SELECT id, urgency FROM callback_requests")).all())
        assert connection.execute(sa.text("SELECT callback_id FROM outbox_messages")).scalar_one() == before.id
    assert rows == {before.id: "urgent", immediate.id: "urgent"}
    assert db.upgrade(db_url) == db.head_revision()


# -- staff SMS -------------------------------------------------------------------------------

def test_every_urgency_has_its_sms_word_and_immediate_is_not_understated(session_factory):
    assert set(URGENCY_TEXT) == set(URGENCIES)
    record = store(session_factory, "sms", "immediate", screening_reasons=["suicide_screen_positive"],
                   answers={"suicide_wish": "yes"}, first_name="Samantha", best_time="asap")
    body = compose_staff_sms(record, "https://console.example.org")
    assert "Urgency: IMMEDIATE" in body
    lowered = body.lower()
    assert [w for w in ("suicid", "screen", "crisis", "samantha", "0134", "988") if w in lowered] == []


# -- the handoff -----------------------------------------------------------------------------

def test_a_positive_screen_stores_an_immediate_lead_with_the_answers(isolated_env):
    lead = submit()
    assert lead.created and lead.screening.urgency == "immediate"
    [record] = queue()
    assert record.urgency == "immediate"
    assert record.screening_reasons == ["suicide_screen_positive", "recent_use"]
    assert record.answers["suicide_wish"] == "yes"
    assert "suicide_thoughts" not in record.answers  # not asked after the yes


@pytest.mark.parametrize("key", ["suicide_wish", "suicide_thoughts", "loved_one_suicide_risk"])
@pytest.mark.parametrize("answer", ["no", "declined", "unclear"])
def test_every_screen_answer_is_kept_in_the_lead(isolated_env, key, answer):
    submit({**LEAD, "suicide_wish": None, key: answer})
    [record] = queue()
    assert record.answers[key] == answer  # "declined" is kept as such, never as "no"
    assert record.urgency != "immediate"


def test_a_crisis_follow_up_is_immediate_and_keeps_what_the_interrupted_intake_had(isolated_env):
    partial = {"who_for": "self", "first_name": "Samantha", "substances": ["opioids"], "callback_phone": "+16025550134",
               "consent": True}
    lead = submit(partial, crisis_follow_up=True)
    [record] = queue()
    assert (record.reference, record.urgency) == (lead.reference, "immediate")
    assert record.screening_reasons == ["crisis_follow_up"]
    assert record.answers == {"who_for": "self", "first_name": "Samantha", "substances": ["opioids"]}


def test_escalating_an_open_lead_makes_it_immediate_once_and_stores_nothing_new(isolated_env):
    lead = submit({**LEAD, "suicide_wish": "no", "substances": ["cannabis"], "last_use": "this week"})
    assert queue()[0].urgency == "routine"
    assert handoff.escalate_for_crisis(lead.reference) == handoff.ESCALATED
    assert handoff.escalate_for_crisis(lead.reference) == handoff.ESCALATED
    [record] = queue()
    assert record.urgency == "immediate"
    assert record.screening_reasons == ["default", "crisis_follow_up"]


def test_escalation_never_lowers_and_a_closed_lead_asks_for_a_new_one(session_factory):
    record = store(session_factory, "k", "urgent")
    assert callbacks.raise_urgency(session_factory, record.reference, "soon", "x").urgency == "urgent"
    callbacks.LEADS.close(session_factory, record.id, "reached")
    with pytest.raises(callbacks.InvalidTransition):
        callbacks.raise_urgency(session_factory, record.reference, "immediate", "crisis_follow_up")


def test_escalation_outcomes_for_closed_missing_and_unreachable_leads(isolated_env, monkeypatch):
    lead = submit()
    callbacks.LEADS.close(db.session_factory(load_settings().effective_database_url), lead.reference, "reached")
    assert handoff.escalate_for_crisis(lead.reference) == handoff.CLOSED
    assert handoff.escalate_for_crisis("L-ZZZZZ") == handoff.UNKNOWN  # e.g. still in the spool
    not_a_dir = isolated_env / "plain-file"
    not_a_dir.write_text("")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{not_a_dir / 'helpline.db'}")
    assert handoff.escalate_for_crisis(lead.reference) == handoff.UNKNOWN  # never raises

"""A lead stored after the contact questions, then updated by each screening answer."""
from __future__ import annotations

import pytest

from helpline.intake import handoff
from helpline.notify import alerts
from helpline.queues import callbacks
from helpline.queues.callbacks import CallbackNotFound, InvalidTransition, update_answers
from tests.core.test_callbacks import store

CONTACT_ONLY = dict(urgency="routine", screening_reasons=["default"], answers={"who_for": "self", "best_time": "morning"})


def update(session_factory, reference, **overrides):
    fields = dict(answers={}, answer_words={}, urgency="routine", level_of_care="iop_fit", screening_reasons=["default"])
    fields.update(overrides)
    return update_answers(session_factory, reference, **fields)


def test_answers_and_words_are_merged_over_what_is_stored(session_factory):
    record, _ = store(session_factory, answer_words={"who_for": "its for me"}, **CONTACT_ONLY)
    result = update(session_factory, record.reference, answers={"substances": ["alcohol"]},
                    answer_words={"substances": "mostly beer"})
    assert result.record.answers == {"who_for": "self", "best_time": "morning", "substances": ["alcohol"]}
    assert result.record.answer_words == {"who_for": "its for me", "substances": "mostly beer"}
    assert not result.realert


def test_urgency_is_never_lowered_and_reasons_are_kept(session_factory):
    record, _ = store(session_factory, urgency="urgent", screening_reasons=["crisis_follow_up"])
    result = update(session_factory, record.reference, urgency="soon", screening_reasons=["recent_use"])
    assert result.record.urgency == "urgent"
    assert result.record.screening_reasons == ["crisis_follow_up", "recent_use"]
    assert not result.realert


@pytest.mark.parametrize("urgency, realert", [("soon", False), ("urgent", True), ("immediate", True)])
def test_becoming_urgent_starts_a_new_alert_round(session_factory, urgency, realert):
    record, _ = store(session_factory, **CONTACT_ONLY)
    with session_factory() as session, session.begin():
        stored = session.get(type(record), record.id)
        stored.notification_status, stored.notified_recipients = "sent", ["+16025550100"]
    result = update(session_factory, record.reference, urgency=urgency)
    assert result.realert is realert
    assert result.record.alert_round == (2 if realert else 1)
    assert result.record.notification_status == ("pending" if realert else "sent")
    assert result.record.notified_recipients == ([] if realert else ["+16025550100"])


def test_the_update_alert_says_it_is_an_update_and_carries_no_phi(session_factory):
    record, _ = store(session_factory, **CONTACT_ONLY)
    result = update(session_factory, record.reference, urgency="urgent", answers={"substances": ["alcohol"]})
    body = alerts.compose_staff_sms(result.record, "https://console.example")
    assert "(update)" in body and "URGENT" in body and record.reference in body
    for phi in ("Maria", "0134", "alcohol"):
        assert phi not in body
    assert "(update)" not in alerts.compose_staff_sms(record, "https://console.example")


def test_a_closed_or_unknown_lead_is_not_updated(session_factory):
    record, _ = store(session_factory)
    callbacks.LEADS.close(session_factory, record.id, "reached")
    with pytest.raises(InvalidTransition):
        update(session_factory, record.reference)
    with pytest.raises(CallbackNotFound):
        update(session_factory, "L-NOPE1")


def test_the_handoff_update_never_raises(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(callbacks, "update_answers", boom)
    result = handoff.update("L-ABCDE", {"substances": "alcohol"})
    assert result.stored is False and result.screening.urgency in ("routine", "soon")


@pytest.mark.parametrize("given, effective", [
    ({"call": None, "voicemail": None, "text": True}, {"call": True, "voicemail": False, "text": True}),
    ({"call": False, "voicemail": False, "text": True}, {"call": False, "voicemail": False, "text": True}),
    ({"voicemail": True}, {"call": True, "voicemail": True, "text": False}),
])
def test_the_answers_hold_the_same_permissions_as_the_leads_columns(given, effective):
    assert handoff.clean_answers({"contact_permissions": given})["contact_permissions"] == effective


def test_the_columns_staff_call_by_follow_the_screening_answers(session_factory):
    # Relation and voicemail/text given in the screening: the lead's columns say the same.
    record, _ = store(session_factory, who_for="loved_one", permissions={}, **CONTACT_ONLY)
    result = update(session_factory, record.reference, answers={
        "caller_relation": "parent", "contact_permissions": {"call": True, "voicemail": True, "text": False},
    })
    stored = callbacks.LEADS.to_dict(result.record)
    assert stored["caller_relation"] == "parent"
    assert stored["permissions"] == {"call": True, "voicemail": True, "text": False}


def test_a_phone_number_corrected_during_the_screening_replaces_the_stored_one(session_factory):
    record, _ = store(session_factory, **CONTACT_ONLY)
    callbacks.update_phone(session_factory, record.reference, "sorry wrong number, it's 602-555-0202")
    assert callbacks.LEADS.to_dict(callbacks.LEADS.get(session_factory, record.id))["phone"] == "+16025550202"
    with pytest.raises(ValueError):
        callbacks.update_phone(session_factory, record.reference, "12345")
    callbacks.LEADS.close(session_factory, record.id, "reached")
    with pytest.raises(InvalidTransition):
        callbacks.update_phone(session_factory, record.reference, "602-555-0203")

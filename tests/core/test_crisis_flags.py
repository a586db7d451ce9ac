"""Crisis follow-ups: one open flag per conversation, staff paged once (again on escalation), privacy.

Twilio is faked at the HTTP level as in ``test_notify.py``: a ``requests``
transport adapter on the real ``TwilioHttpClient`` session, so the real
``twilio.rest.Client`` builds and sends every request.
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import replace
from datetime import timedelta
from typing import List
from urllib.parse import parse_qs

import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from sqlalchemy import select, update
from twilio.http.http_client import TwilioHttpClient

from helpline.cli import main
from helpline.notify.alerts import compose_crisis_sms
from helpline.notify.sender import TwilioNotifier
from helpline.notify.staff_sms import notify_crisis, notify_staff, retry_pending
from helpline.queues import callbacks, crisis_flags
from helpline.queues.crisis_flags import CrisisFlagNotFound, InvalidCrisisTransition, flag_crisis
from helpline.safety import crisis_handoff
from helpline.safety import lexicon as safety
from helpline.settings import load_settings
from helpline.store import db
from helpline.store.models import (
    CRISIS_CATEGORIES,
    CRISIS_SEVERITIES,
    CrisisFlag,
    OutboxMessage,
    metadata,
    utcnow,
)

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token"
FROM = "+16025550100"
STAFF_A = "+16025550101"
STAFF_B = "+16025550102"
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
# Some channels use the texter's number as the conversation id: it must never reach staff SMS.
PHONE_CONVERSATION = "+16025550134"


# -- fake Twilio (HTTP level) ----------------------------------------------------------------

def created_reply(to: str = STAFF_A, sid: str = "SM" + "2" * 32):
    return 201, {
        "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": "...", "date_created": "Mon, 09 Jun 2025 15:00:00 +0000",
        "date_sent": None, "date_updated": "Mon, 09 Jun 2025 15:00:00 +0000", "direction": "outbound-api", "error_code": None,
        "error_message": None, "from": FROM, "messaging_service_sid": None, "num_media": "0", "num_segments": "1",
        "price": None, "price_unit": "USD", "sid": sid, "status": "queued", "subresource_uris": {}, "to": to,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }


def error_reply(status: int, code: int):
    return status, {"code": code, "message": "error", "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


class FakeTwilio(HTTPAdapter):
    """Answers each HTTPS request with the next scripted reply (the last one repeats)."""

    def __init__(self, *replies) -> None:
        super().__init__()
        self.replies = list(replies)
        self.requests: List[requests.PreparedRequest] = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        status, payload = reply
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(payload).encode()
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        return response

    def forms(self) -> List[dict]:
        return [{k: v[0] for k, v in parse_qs(r.body).items()} for r in self.requests]


def twilio_notifier(fake: FakeTwilio) -> TwilioNotifier:
    http = TwilioHttpClient(timeout=7)
    http.session.mount("https://", fake)
    return TwilioNotifier(ACCOUNT_SID, AUTH_TOKEN, FROM, http_client=http)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class Exploding:
    success_status = "sent"

    def send(self, to, body, *, callback_id=None):
        raise RuntimeError("boom")


@pytest.fixture
def twilio_settings(settings):
    return replace(
        settings, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN, twilio_from_number=FROM,
        staff_sms_to=(STAFF_A,),
    )


def flag(session_factory, conversation="conv-1", category="suicide_self_harm", severity="urgent", **kwargs):
    return flag_crisis(session_factory, conversation_id=conversation, category=category, severity=severity, **kwargs)


def reload(session_factory, record) -> CrisisFlag:
    return crisis_flags.CRISES.get(session_factory, record.id)


def outbox(session_factory) -> List[OutboxMessage]:
    with session_factory() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def age(session_factory, record, seconds):
    with session_factory() as session, session.begin():
        session.execute(
            update(CrisisFlag)
            .where(CrisisFlag.id == record.id)
            .values(created_at=utcnow() - timedelta(seconds=seconds), last_seen_at=utcnow() - timedelta(seconds=seconds))
        )


# -- schema ----------------------------------------------------------------------------------

def test_migrations_have_a_single_head_and_build_a_fresh_database(db_url):
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(db._alembic_config(db_url)).get_heads()
    assert len(heads) == 1, f"alembic has several heads {heads}: chain the newest revision after the other"
    assert db.upgrade(db_url) == heads[0] == db.head_revision()
    assert {"callback_requests", "outbox_messages", "crisis_flags"} <= set(db.table_names(db_url))


def test_crisis_revision_matches_the_model_and_downgrades(db_url):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db.upgrade(db_url)
    with db.engine_for(db_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert [d for d in diff if "crisis_flags" in repr(d)] == []

    config = db._alembic_config(db_url)
    with db.engine_for(db_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    assert "crisis_flags" not in db.table_names(db_url)
    assert "callback_requests" in db.table_names(db_url)
    assert db.upgrade(db_url) == db.head_revision()


def test_every_detector_category_and_severity_can_be_stored():
    assert set(safety.CATEGORIES) <= set(CRISIS_CATEGORIES)
    assert tuple(safety.SEVERITIES) == CRISIS_SEVERITIES


# -- flag_crisis ----------------------------------------------------------------------------

def test_a_first_crisis_message_opens_a_flag(session_factory):
    result = flag(session_factory, channel="socketio")
    record, created = result
    assert created and result.needs_alert and not result.escalated
    assert re.fullmatch(r"C-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{5}", record.reference)
    stored = reload(session_factory, record)
    assert (stored.status, stored.severity, stored.category, stored.source_channel) == ("new", "urgent", "suicide_self_harm", "socketio")
    assert (stored.occurrences, stored.notification_status, stored.notification_attempts) == (1, "pending", 0)
    assert stored.conversation_id == stored.open_key == "conv-1"
    assert stored.created_at.tzinfo is not None and stored.last_seen_at == stored.created_at
    assert crisis_flags.CRISES.get(session_factory, record.reference.lower()).id == record.id


def test_more_crisis_messages_in_the_conversation_update_the_open_flag(session_factory):
    start = utcnow() - timedelta(minutes=5)
    first, _ = flag(session_factory, now=start)
    again = flag(session_factory, category="overdose", severity="urgent", now=start + timedelta(minutes=2))
    third = flag(session_factory, severity="urgent", now=start + timedelta(minutes=3))
    assert [again.created, third.created, again.needs_alert, third.needs_alert] == [False, False, False, False]
    assert again.flag.id == third.flag.id == first.id
    stored = reload(session_factory, first)
    assert stored.occurrences == 3
    assert stored.last_seen_at == start + timedelta(minutes=3)
    assert stored.created_at == start
    assert stored.category == "suicide_self_harm"  # same severity: the first category stays
    with session_factory() as session:
        assert len(list(session.execute(select(CrisisFlag)).scalars())) == 1


def test_other_conversations_get_their_own_flag(session_factory):
    a, _ = flag(session_factory, conversation="a")
    b, created = flag(session_factory, conversation="b")
    assert created and a.id != b.id and a.reference != b.reference


def test_severity_rising_to_immediate_escalates_and_re_alerts(session_factory):
    first, _ = flag(session_factory, category="violence_abuse", severity="urgent")
    with session_factory() as session, session.begin():  # as if the first alert went out
        session.execute(update(CrisisFlag).values(notification_status="sent", notified_recipients=[STAFF_A], notification_attempts=1))
    raised = flag(session_factory, category="overdose", severity="immediate")
    assert (raised.created, raised.escalated, raised.needs_alert) == (False, True, True)
    stored = reload(session_factory, first)
    assert (stored.severity, stored.category, stored.alert_round, stored.occurrences) == ("immediate", "overdose", 2, 2)
    assert (stored.notification_status, stored.notified_recipients, stored.notification_attempts) == ("pending", [], 1)

    lower = flag(session_factory, category="suicide_self_harm", severity="urgent")
    assert (lower.escalated, lower.needs_alert) == (False, False)
    stored = reload(session_factory, first)
    assert (stored.severity, stored.category, stored.alert_round) == ("immediate", "overdose", 2)  # never goes down


def test_an_immediate_flag_repeated_is_not_re_alerted(session_factory):
    flag(session_factory, severity="immediate")
    assert not flag(session_factory, severity="immediate").needs_alert


def test_a_failed_alert_is_retried_on_the_next_crisis_message(session_factory):
    record, _ = flag(session_factory)
    with session_factory() as session, session.begin():
        session.execute(update(CrisisFlag).values(notification_status="failed"))
    again = flag(session_factory)
    assert (again.retry_alert, again.needs_alert) == (True, True)
    crisis_flags.CRISES.claim(session_factory, record.id, "Sam")
    assert not flag(session_factory).needs_alert  # someone is on it


def test_a_closed_flag_frees_the_conversation(session_factory):
    first, _ = flag(session_factory)
    crisis_flags.CRISES.close(session_factory, first.reference, "reached")
    closed = reload(session_factory, first)
    assert (closed.status, closed.outcome, closed.open_key) == ("closed", "reached", None)
    second, created = flag(session_factory)
    assert created and second.id != first.id and second.reference != first.reference
    assert reload(session_factory, first).occurrences == 1


def test_a_claimed_flag_still_collects_messages(session_factory):
    first, _ = flag(session_factory)
    crisis_flags.CRISES.claim(session_factory, first.id, "Sam")
    again, created = flag(session_factory)
    assert not created and again.id == first.id and reload(session_factory, first).occurrences == 2


# -- categories from later messages --------------------------------------------------------

def test_a_later_specific_category_fills_in_unspecified_without_an_alert(session_factory, caplog):
    caplog.set_level("DEBUG", logger="helpline")
    first, _ = flag(session_factory, category="unspecified")
    assert crisis_flags.CRISES.to_dict(reload(session_factory, first))["categories"] == []
    again = flag(session_factory, category="overdose")
    assert (again.created, again.escalated, again.needs_alert) == (False, False, False)
    stored = reload(session_factory, first)
    assert (stored.category, stored.categories, stored.severity, stored.alert_round) == (
        "overdose", ["overdose"], "urgent", 1)
    assert crisis_flags.CRISES.to_dict(stored)["categories"] == ["overdose"]
    assert f"crisis follow-up {first.reference} seen again (2 times), category filled in" in caplog.text
    assert "overdose" not in caplog.text and "conv-1" not in caplog.text


def test_a_later_different_category_is_kept_beside_the_first(session_factory, caplog):
    caplog.set_level("DEBUG", logger="helpline")
    first, _ = flag(session_factory, category="overdose")
    for category in ("suicide_self_harm", "overdose", "unspecified", "suicide_self_harm", "violence_abuse"):
        assert not flag(session_factory, category=category).needs_alert
    stored = reload(session_factory, first)
    assert stored.category == "overdose"  # the first specific one: what staff may already be acting on
    assert crisis_flags.CRISES.to_dict(stored)["categories"] == ["overdose", "suicide_self_harm", "violence_abuse"]
    assert caplog.text.count("another category noted") == 2
    assert "suicide" not in caplog.text and "violence" not in caplog.text


def test_an_escalation_without_a_category_keeps_the_known_one(session_factory):
    first, _ = flag(session_factory, category="overdose", severity="urgent")
    raised = flag(session_factory, category="unspecified", severity="immediate")
    assert raised.escalated and raised.needs_alert
    stored = reload(session_factory, first)
    assert (stored.severity, stored.category, stored.categories) == ("immediate", "overdose", ["overdose"])


def test_an_escalation_with_a_new_category_leads_with_it_and_keeps_the_first(session_factory):
    first, _ = flag(session_factory, category="violence_abuse", severity="urgent")
    flag(session_factory, category="overdose", severity="immediate")
    stored = reload(session_factory, first)
    assert stored.category == "overdose" and crisis_flags.categories_of(stored) == ["violence_abuse", "overdose"]


def test_flags_from_before_the_categories_column_read_their_one_category(session_factory):
    first, _ = flag(session_factory, category="overdose")
    second, _ = flag(session_factory, conversation="conv-2", category="unspecified")
    with session_factory() as session, session.begin():  # as revision 0008 leaves older rows
        session.execute(update(CrisisFlag).values(categories=None))
    assert crisis_flags.CRISES.to_dict(reload(session_factory, first))["categories"] == ["overdose"]
    assert crisis_flags.CRISES.to_dict(reload(session_factory, second))["categories"] == []
    flag(session_factory, category="suicide_self_harm")
    flag(session_factory, conversation="conv-2", category="medical_emergency")
    assert reload(session_factory, first).categories == ["overdose", "suicide_self_harm"]
    assert (reload(session_factory, second).category, reload(session_factory, second).categories) == (
        "medical_emergency", ["medical_emergency"])


def test_category_updates_never_page_again_only_escalations_do(handoff_settings, db_url):
    for category in ("unspecified", "overdose", "suicide_self_harm"):
        thread = crisis_handoff.flag_and_alert("web-9", category, "urgent", "socketio", handoff_settings)
        if category == "unspecified":
            thread.join(timeout=30)
        else:
            assert thread is None
    sessions = db.session_factory(db_url)
    [stored] = crisis_flags.CRISES.list(sessions)
    assert (stored.category, stored.categories, stored.occurrences) == ("overdose", ["overdose", "suicide_self_harm"], 3)
    bodies = [m.body for m in outbox(sessions)]
    assert bodies == [compose_crisis_sms(stored, handoff_settings.console_base_url)]
    assert "overdose" not in bodies[0] and "suicide" not in bodies[0]
    assert retry_pending(sessions, handoff_settings, min_age_seconds=0) == []  # nothing left to send either

    thread = crisis_handoff.flag_and_alert("web-9", "unspecified", "immediate", "socketio", handoff_settings)
    thread.join(timeout=30)
    bodies = [m.body for m in outbox(sessions)]
    assert len(bodies) == 2 and "(update)" in bodies[1]
    assert crisis_flags.CRISES.get(sessions, stored.id).category == "overdose"


def test_crises_show_names_every_category(factory, capsys):
    first, _ = flag(factory, category="overdose")
    flag(factory, category="suicide_self_harm")
    code, out, _ = run(capsys, "crises", "show", first.reference)
    assert code == 0 and "Category:         overdose (also: suicide_self_harm)" in out
    code, out, _ = run(capsys, "crises", "show", first.reference, "--json")
    assert json.loads(out)["categories"] == ["overdose", "suicide_self_harm"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"conversation_id": "  "},
        {"category": "sadness"},
        {"severity": "low"},
    ],
)
def test_invalid_input_is_refused(session_factory, kwargs):
    values = {"conversation_id": "c", "category": "overdose", "severity": "urgent", **kwargs}
    with pytest.raises(ValueError):
        flag_crisis(session_factory, **values)


def test_losing_the_insert_race_updates_the_winner(session_factory, monkeypatch):
    winner, _ = flag(session_factory)
    real = crisis_flags._open_flag
    calls = []

    def stale_then_real(session, key):
        calls.append(key)
        # The first look misses the winner, as if it committed just after we looked.
        return None if len(calls) == 1 else real(session, key)

    monkeypatch.setattr(crisis_flags, "_open_flag", stale_then_real)
    result = flag(session_factory, severity="immediate")
    assert len(calls) == 2  # the unique open_key refused the insert; the second pass updated
    assert (result.created, result.flag.id, result.escalated) == (False, winner.id, True)
    with session_factory() as session:
        assert len(list(session.execute(select(CrisisFlag)).scalars())) == 1


def test_concurrent_flagging_of_one_conversation_makes_one_flag(session_factory):
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    results, errors = [], []

    def worker(i):
        try:
            barrier.wait(timeout=10)
            results.append(flag(session_factory, conversation="raced", severity="immediate" if i == 5 else "urgent"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sum(r.created for r in results) == 1
    assert len({r.flag.id for r in results}) == 1
    stored = reload(session_factory, results[0].flag)
    assert stored.occurrences == threads_count and stored.severity == "immediate"


# -- the alert -------------------------------------------------------------------------------

def test_crisis_sms_is_reference_urgent_and_link_only(session_factory):
    record, _ = flag(session_factory, conversation=PHONE_CONVERSATION, category="suicide_self_harm", severity="immediate", channel="sms")
    body = compose_crisis_sms(record, "https://console.example.org/")
    assert body == f"URGENT helpline crisis follow-up {record.reference}. Open: https://console.example.org/crises/{record.id}"
    assert body.isascii() and len(body) <= 160
    lowered = body.lower()
    forbidden = ["suicide", "self", "harm", "overdose", "medical", "violence", "abuse", "immediate", "sms",
                 "6025550134", "555", "0134", "conv"]
    assert [word for word in forbidden if word in lowered] == []
    for category in CRISIS_CATEGORIES:
        record.category = category
        assert category not in compose_crisis_sms(record, "https://c.example.org")


def test_crisis_alert_goes_through_twilio(session_factory, twilio_settings):
    record, _ = flag(session_factory, conversation=PHONE_CONVERSATION, category="overdose", severity="immediate")
    fake = FakeTwilio(created_reply())
    result = notify_crisis(session_factory, record.id, twilio_settings, twilio_notifier(fake), sleep=Sleeps())
    assert (result.status, result.kind, result.record_id, result.callback_id) == ("sent", "crisis", record.id, None)
    [request] = fake.requests
    assert request.method == "POST" and request.url == MESSAGES_URL
    [form] = fake.forms()
    assert form == {"To": STAFF_A, "From": FROM, "Body": compose_crisis_sms(record, twilio_settings.console_base_url)}
    assert form["Body"].startswith("URGENT") and "overdose" not in form["Body"] and "6025550134" not in form["Body"]
    stored = reload(session_factory, record)
    assert (stored.notification_status, stored.notification_attempts, stored.notified_recipients) == ("sent", 1, [STAFF_A])
    assert stored.notified_at is not None
    again = notify_crisis(session_factory, record.id, twilio_settings, twilio_notifier(fake), sleep=Sleeps())
    assert again.skipped and len(fake.requests) == 1


def test_crisis_alert_is_retried_with_backoff_and_recorded(session_factory, twilio_settings):
    record, _ = flag(session_factory)
    fake = FakeTwilio(error_reply(503, 20503), requests.exceptions.ReadTimeout("slow"), created_reply())
    sleeps = Sleeps()
    result = notify_crisis(session_factory, record.id, twilio_settings, twilio_notifier(fake), sleep=sleeps)
    assert (result.status, result.attempts, sleeps) == ("sent", 3, [0.5, 1.0])
    assert reload(session_factory, record).notification_attempts == 3


def test_crisis_alert_failure_is_recorded(session_factory, twilio_settings):
    record, _ = flag(session_factory)
    fake = FakeTwilio(error_reply(500, 20500))
    result = notify_crisis(session_factory, record.id, twilio_settings, twilio_notifier(fake), max_attempts=2, sleep=Sleeps())
    assert (result.status, result.error) == ("failed", "twilio http 500 code 20500")
    stored = reload(session_factory, record)
    assert (stored.notification_status, stored.last_notification_error) == ("failed", "twilio http 500 code 20500")


def test_without_twilio_crisis_alerts_go_to_the_outbox(session_factory, settings):
    record, _ = flag(session_factory, conversation=PHONE_CONVERSATION)
    settings = replace(settings, staff_sms_to=(STAFF_A, STAFF_B))
    result = notify_crisis(session_factory, record.id, settings)
    assert result.status == "outbox"
    messages = outbox(session_factory)
    assert [(m.to, m.kind, m.callback_id) for m in messages] == [(STAFF_A, "crisis_alert", None), (STAFF_B, "crisis_alert", None)]
    assert messages[0].body == compose_crisis_sms(record, settings.console_base_url)
    assert reload(session_factory, record).notification_status == "outbox"


def test_without_staff_numbers_the_crisis_outbox_is_addressed_to_on_call(session_factory, settings):
    record, _ = flag(session_factory)
    assert notify_crisis(session_factory, record.id, settings).status == "outbox"
    assert [(m.to, m.kind) for m in outbox(session_factory)] == [("on-call", "crisis_alert")]


def test_an_unknown_flag_is_reported(session_factory, settings):
    assert notify_crisis(session_factory, 4242, settings, Exploding()).error == "crisis follow-up not found"


def test_an_alert_overtaken_by_an_escalation_does_not_record_over_it(session_factory, settings):
    record, _ = flag(session_factory, severity="urgent")

    class EscalatesWhileSending:
        success_status = "sent"
        bodies: List[str] = []

        def send(self, to, body, *, callback_id=None):
            self.bodies.append(body)
            if len(self.bodies) == 1:  # the caller escalates while the first alert is on its way
                assert flag(session_factory, severity="immediate").escalated
            return "SM1"

    notifier = EscalatesWhileSending()
    first = notify_crisis(session_factory, record.id, replace(settings, staff_sms_to=(STAFF_A,)), notifier, sleep=Sleeps())
    stored = reload(session_factory, record)
    assert stored.notification_status == "pending" and stored.notified_recipients == [] and stored.alert_round == 2
    assert first.status == "pending" and stored.notification_attempts == 1

    second = notify_crisis(session_factory, record.id, replace(settings, staff_sms_to=(STAFF_A,)), notifier, sleep=Sleeps())
    assert second.status == "sent"
    assert "(update)" not in notifier.bodies[0] and "(update)" in notifier.bodies[1]
    assert reload(session_factory, record).notified_recipients == [STAFF_A]


# -- retry_pending ---------------------------------------------------------------------------

def test_retry_pending_picks_unsent_crisis_alerts_first(session_factory, twilio_settings):
    lead, _ = callbacks.store_callback(
        session_factory, idempotency_key="lead", phone="602-555-0177", urgency="routine", level_of_care="iop_fit", consent=True,
    )
    failed, _ = flag(session_factory, conversation="failed")
    young, _ = flag(session_factory, conversation="young")
    claimed, _ = flag(session_factory, conversation="claimed")
    sent, _ = flag(session_factory, conversation="sent")
    with session_factory() as session, session.begin():
        session.execute(update(callbacks.CallbackRequest).values(created_at=utcnow() - timedelta(seconds=600)))
    for record in (failed, claimed, sent):
        age(session_factory, record, 600)
    notify_crisis(session_factory, failed.id, twilio_settings, Exploding(), max_attempts=1, sleep=Sleeps())
    crisis_flags.CRISES.claim(session_factory, claimed.id, "Sam")
    notify_crisis(session_factory, sent.id, twilio_settings, twilio_notifier(FakeTwilio(created_reply())), sleep=Sleeps())
    assert reload(session_factory, failed).notification_status == "failed"

    fake = FakeTwilio(created_reply())
    results = retry_pending(session_factory, twilio_settings, twilio_notifier(fake), min_age_seconds=60, sleep=Sleeps())
    assert [(r.kind, r.record_id, r.status) for r in results] == [("crisis", failed.id, "sent"), ("callback", lead.id, "sent")]
    assert [r.label for r in results] == [f"crisis follow-up {failed.id}", f"callback {lead.id}"]
    assert fake.forms()[0]["Body"].startswith(f"URGENT helpline crisis follow-up {failed.reference}")
    assert reload(session_factory, failed).notification_status == "sent"
    assert reload(session_factory, young).notification_status == "pending"
    assert retry_pending(session_factory, twilio_settings, twilio_notifier(fake), min_age_seconds=60, sleep=Sleeps()) == []


def test_retry_pending_waits_after_an_escalation(session_factory, settings):
    record, _ = flag(session_factory)
    age(session_factory, record, 600)
    flag(session_factory, severity="immediate")  # a fresh round: its own sender is probably still busy
    assert retry_pending(session_factory, settings, min_age_seconds=60) == []
    assert [r.record_id for r in retry_pending(session_factory, settings, min_age_seconds=0)] == [record.id]


def test_callback_alerts_are_unchanged_by_crisis_flags(session_factory, settings):
    flag(session_factory)
    lead, _ = callbacks.store_callback(
        session_factory, idempotency_key="k", phone="602-555-0177", urgency="urgent", level_of_care="iop_fit", consent=True,
    )
    result = notify_staff(session_factory, lead.id, settings)
    assert (result.kind, result.callback_id, result.status) == ("callback", lead.id, "outbox")
    assert [(m.kind, m.callback_id) for m in outbox(session_factory)] == [("staff_alert", lead.id)]


# -- flag_and_alert --------------------------------------------------------------------------

@pytest.fixture
def handoff_settings(settings, db_url):
    return replace(settings, database_url=db_url, staff_sms_to=(STAFF_A,))


def test_flag_and_alert_flags_and_alerts_once(handoff_settings, db_url):
    thread = crisis_handoff.flag_and_alert("web-77", "overdose", "urgent", "socketio", handoff_settings)
    assert isinstance(thread, threading.Thread)
    thread.join(timeout=30)
    sessions = db.session_factory(db_url)
    [stored] = crisis_flags.CRISES.list(sessions)
    assert (stored.conversation_id, stored.category, stored.severity, stored.source_channel) == ("web-77", "overdose", "urgent", "socketio")
    assert stored.notification_status == "outbox"
    assert [m.body for m in outbox(sessions)] == [compose_crisis_sms(stored, handoff_settings.console_base_url)]

    assert crisis_handoff.flag_and_alert("web-77", "overdose", "urgent", "socketio", handoff_settings) is None
    assert len(outbox(sessions)) == 1

    thread = crisis_handoff.flag_and_alert("web-77", "suicide_self_harm", "immediate", "socketio", handoff_settings)
    assert thread is not None
    thread.join(timeout=30)
    bodies = [m.body for m in outbox(sessions)]
    assert len(bodies) == 2 and "(update)" in bodies[1] and stored.reference in bodies[1]
    stored = crisis_flags.CRISES.get(sessions, stored.id)
    assert (stored.occurrences, stored.severity, stored.notification_status) == (3, "immediate", "outbox")


def test_flag_and_alert_stores_unknown_values_conservatively(handoff_settings, db_url):
    thread = crisis_handoff.flag_and_alert("c-1", "not-a-category", None, None, handoff_settings)
    thread.join(timeout=30)
    [stored] = crisis_flags.CRISES.list(db.session_factory(db_url))
    assert (stored.category, stored.severity) == ("unspecified", "immediate")


def test_flag_and_alert_never_raises(handoff_settings, caplog):
    caplog.set_level("DEBUG", logger="helpline")
    assert crisis_handoff.flag_and_alert("", "overdose", "urgent", None, handoff_settings) is None
    broken = replace(handoff_settings, database_url="nosuchdriver://x/y")
    assert crisis_handoff.flag_and_alert("c-2", "overdose", "urgent", None, broken) is None
    assert "ValueError" in caplog.text
    assert "c-2" not in caplog.text and "overdose" not in caplog.text


def test_logs_name_flags_by_reference_only(handoff_settings, db_url, caplog):
    caplog.set_level("DEBUG", logger="helpline")
    conversation = "conv-" + PHONE_CONVERSATION
    for severity in ("urgent", "urgent", "immediate"):
        thread = crisis_handoff.flag_and_alert(conversation, "suicide_self_harm", severity, "sms", handoff_settings)
        if thread:
            thread.join(timeout=30)
    [stored] = crisis_flags.CRISES.list(db.session_factory(db_url))
    text = caplog.text
    assert stored.reference in text
    for secret in ("suicide", "6025550134", STAFF_A, conversation):
        assert secret not in text
    assert stored.reference in repr(stored) and "suicide" not in repr(stored)


# -- CLI -------------------------------------------------------------------------------------

@pytest.fixture
def factory(isolated_env, migrated_database):
    url = load_settings().effective_database_url
    migrated_database(url)  # a copy of the session's migrated template
    return db.session_factory(url)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_crises_list_before_any_setup(isolated_env, capsys):
    code, out, _ = run(capsys, "crises", "list")
    assert code == 0 and "No crisis follow-ups" in out
    code, out, _ = run(capsys, "crises", "list", "--json")
    assert code == 0 and json.loads(out) == []


def test_crises_list_table_json_and_filter(factory, capsys):
    urgent, _ = flag(factory, conversation="a", severity="urgent", channel="sms")
    immediate, _ = flag(factory, conversation="b", category="overdose", severity="immediate")
    code, out, _ = run(capsys, "crises", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:5] == ["ID", "REF", "STATUS", "SEVERITY", "CATEGORY"]
    assert len(lines) == 3 and immediate.reference in lines[1] and urgent.reference in lines[2]  # immediate first

    code, out, _ = run(capsys, "crises", "list", "--json")
    items = json.loads(out)
    assert [i["id"] for i in items] == [immediate.id, urgent.id]
    assert items[1]["category"] == "suicide_self_harm" and items[1]["source_channel"] == "sms"
    assert items[1]["conversation_id"] == "a" and items[1]["created_at"].endswith("+00:00")

    crisis_flags.CRISES.claim(factory, urgent.id, "Sam")
    code, out, _ = run(capsys, "crises", "list", "--status", "claimed", "--json")
    assert [i["reference"] for i in json.loads(out)] == [urgent.reference]
    code, out, _ = run(capsys, "crises", "list", "--status", "closed")
    assert code == 0 and "No closed crisis follow-ups" in out


def test_crises_claim_and_close(factory, capsys):
    record, _ = flag(factory)
    code, out, _ = run(capsys, "crises", "claim", record.reference.lower(), "--by", "Sam")
    assert code == 0 and f"{record.reference}) claimed by Sam" in out
    code, _, err = run(capsys, "crises", "claim", str(record.id), "--by", "Alex")
    assert code == 1 and "claimed by Sam" in err
    code, out, _ = run(capsys, "crises", "show", str(record.id))
    assert code == 0 and "claimed by Sam" in out and "suicide_self_harm" in out
    code, out, _ = run(capsys, "crises", "close", str(record.id), "--outcome", "referred")
    assert code == 0 and "closed: referred" in out
    stored = crisis_flags.CRISES.get(factory, record.id)
    assert (stored.status, stored.outcome, stored.claimed_by) == ("closed", "referred", "Sam")
    code, _, err = run(capsys, "crises", "close", str(record.id), "--outcome", "other")
    assert code == 1 and "it is closed" in err


def test_crises_errors(factory, capsys):
    code, _, err = run(capsys, "crises", "claim", "C-ZZZZZ", "--by", "Sam")
    assert code == 1 and "no crisis follow-up C-ZZZZZ" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["crises", "close", "1", "--outcome", "enrolled"])
    assert exit_info.value.code == 2
    with pytest.raises(CrisisFlagNotFound):
        crisis_flags.CRISES.get(factory, 99)
    record, _ = flag(factory)
    crisis_flags.CRISES.close(factory, record.id, "not_a_crisis")
    with pytest.raises(InvalidCrisisTransition):
        crisis_flags.CRISES.claim(factory, record.id, "Sam")


def test_callbacks_list_points_to_open_crisis_follow_ups(factory, capsys):
    code, out, _ = run(capsys, "callbacks", "list")
    assert code == 0 and "crisis" not in out

    first, _ = flag(factory, conversation="a")
    code, out, _ = run(capsys, "callbacks", "list")
    assert out.splitlines()[0] == "1 open crisis follow-up: helpline crises list"
    assert "No callback requests" in out

    second, _ = flag(factory, conversation="b")
    crisis_flags.CRISES.claim(factory, second.id, "Sam")  # claimed is still open
    callbacks.store_callback(factory, idempotency_key="k", phone="602-555-0177", urgency="soon", level_of_care="iop_fit", consent=True)
    code, out, _ = run(capsys, "callbacks", "list")
    lines = out.splitlines()
    assert lines[0] == "2 open crisis follow-ups: helpline crises list"
    assert lines[1].split()[:2] == ["ID", "REF"] and len(lines) == 3

    code, out, _ = run(capsys, "callbacks", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 1  # JSON stays parseable

    crisis_flags.CRISES.close(factory, first.id, "reached")
    crisis_flags.CRISES.close(factory, second.id, "reached")
    code, out, _ = run(capsys, "callbacks", "list")
    assert "crisis" not in out


def test_retry_notifications_command_sends_crisis_alerts(factory, capsys):
    record, _ = flag(factory)
    age(factory, record, 600)
    code, out, _ = run(capsys, "callbacks", "retry-notifications")
    assert code == 0 and "Retried 1 staff alert(s). outbox: 1." in out
    assert [m.kind for m in outbox(factory)] == ["crisis_alert"]

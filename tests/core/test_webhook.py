"""The signed outbound webhook against a real local HTTP receiver that checks every signature.

The receiver (http.server on a free port, in a thread) verifies each request with
``webhook.verify`` and answers 500 as often as a test asks before answering 200.
The schedule is driven by a test clock (``now=``); the signature's timestamp is
the real clock, which the receiver checks against its own.
"""
from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from helpline.admissions import AdmissionsRules, WebhookConfig
from helpline.cli import main
from helpline.composition import AppContext
from helpline.integrations import webhook
from helpline.queues import callbacks
from helpline.security import audit
from helpline.settings import PROJECT_ROOT, Settings, load_settings
from helpline.store import db
from helpline.store.models import CallbackRequest, WebhookDelivery, utcnow

SECRET = "whsec-test-5f1c0e9a"


# -- a real receiver ----------------------------------------------------------------------------

@dataclass
class Received:
    delivery: str
    event: str
    body: Dict[str, Any]
    signed: bool


@dataclass
class Receiver:
    url: str
    fail_first: int = 0  # answer 500 to this many requests, then 200
    keys: Any = SECRET
    seen: List[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            signed = webhook.verify(state.keys, self.headers.get("Helpline-Signature"), raw)
            with lock:
                state.seen.append(Received(self.headers.get("Helpline-Delivery", ""),
                                           self.headers.get("Helpline-Event", ""), json.loads(raw), signed))
                failing = len(state.seen) <= state.fail_first
            status = 401 if not signed else 500 if failing else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/helpline"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def rules_for(url: str, max_attempts: int = 5, enabled: bool = True) -> AdmissionsRules:
    return AdmissionsRules(webhook=WebhookConfig(enabled=enabled, url=url, max_attempts=max_attempts))


def write_facility(tmp_path: Path, enabled: bool, url: str = "https://crm.example.org/hooks/helpline") -> Path:
    data = yaml.safe_load((PROJECT_ROOT / "facility.yml").read_text(encoding="utf-8"))
    data.setdefault("integrations", {})["webhook"] = {"enabled": enabled, "url": url, "max_attempts": 5}
    path = tmp_path / "facility-webhook.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def factory(isolated_env, migrated_database, monkeypatch):
    """The configured database (the CLI's too), with the webhook turned on in the facility file."""
    monkeypatch.setenv("HELPLINE_FACILITY_FILE", str(write_facility(isolated_env, enabled=True)))
    url = load_settings().effective_database_url
    migrated_database(url)
    return db.session_factory(url)


def add_lead(factory, key: str = "conv-1:callback", **extra: Any) -> CallbackRequest:
    record, created = callbacks.store_callback(
        factory, idempotency_key=key, phone="(602) 555-0134", urgency="soon", level_of_care="iop_fit",
        consent=True, first_name="Maria", best_time="morning", answers={"substances": ["alcohol"]}, **extra,
    )
    assert created
    return record


def deliveries(factory) -> List[WebhookDelivery]:
    with factory() as session:
        return list(session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars())


def deliver(factory, receiver: Receiver, now: datetime, max_attempts: int = 5, **kwargs: Any):
    return webhook.deliver_due(factory, rules=rules_for(receiver.url, max_attempts), secret=SECRET, now=now,
                               **kwargs)


# -- signing ---------------------------------------------------------------------------------------

def test_verify_accepts_the_signature_and_refuses_a_wrong_key_a_changed_body_or_a_stale_time():
    body = b'{"id":1,"event":"lead.created"}'
    t = 1_800_000_000
    header = webhook.sign(SECRET, body, t)
    assert header.startswith(f"t={t},v1=") and len(header.split("v1=")[1]) == 64
    assert webhook.verify(SECRET, header, body, now=t + 10)
    assert not webhook.verify("another-key", header, body, now=t)
    assert not webhook.verify(SECRET, header, body + b" ", now=t)
    assert not webhook.verify(SECRET, header, body, now=t + 301)  # stale: replayed later
    assert not webhook.verify(SECRET, header, body, now=t - 301)  # from the future
    assert webhook.verify(SECRET, header, body, now=t + 3600, tolerance_seconds=7200)
    forged_time = header.replace(f"t={t}", f"t={t + 100}")  # a fresh t on an old signature
    assert not webhook.verify(SECRET, forged_time, body, now=t + 100)
    for broken in ("", "v1=abc", f"t={t}", f"t=soon,v1={'0' * 64}", f"t={t},t={t},v1=x", "t=1,v1=" + "é" * 64,
                   f"t={t},v1={'0' * 64}", header + ",v1=" + "x" * 3000):
        assert not webhook.verify(SECRET, broken, body, now=t), broken


def test_rotation_signs_with_every_key_so_a_receiver_with_either_verifies():
    body = "{}"
    header = webhook.sign("new-key,old-key", body, 1_800_000_000)
    assert header.count("v1=") == 2
    for key in ("new-key", "old-key"):
        assert webhook.verify(key, header, body, now=1_800_000_000)
    assert not webhook.verify("retired-key", header, body, now=1_800_000_000)
    with pytest.raises(ValueError):
        webhook.sign("", body, 1)


# -- enqueueing ------------------------------------------------------------------------------------

def test_storing_a_lead_queues_lead_created_and_later_updates_ride_on_it(factory):
    lead = add_lead(factory)
    callbacks.update_answers(factory, lead.reference, answers={"last_use": "today"}, answer_words={},
                             urgency="urgent", level_of_care="iop_fit", screening_reasons=["recent_use"])
    callbacks.raise_urgency(factory, lead.id, "immediate", "crisis_follow_up")
    callbacks.update_phone(factory, lead.reference, "480-555-0199")
    (only,) = deliveries(factory)
    assert (only.lead_id, only.event, only.status, only.attempts) == (lead.id, "lead.created", "pending", 0)


def test_the_delivery_commits_with_the_lead_or_not_at_all(factory, monkeypatch):
    # Directly: a lead and its delivery added in one transaction that rolls back leave nothing.
    with factory() as session, session.begin():
        session.add(CallbackRequest(
            reference="L-ZZZZZ", idempotency_key="k", status="new", urgency="soon", level_of_care="iop_fit",
            phone_e164="+16025550134", consent=True, created_at=utcnow(), updated_at=utcnow(),
            consent_at=utcnow(), notification_status="pending", notification_attempts=0,
        ))
        lead = session.execute(select(CallbackRequest)).scalar_one()
        assert webhook.enqueue(session, lead, webhook.LEAD_CREATED) is not None
        session.flush()
        assert session.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one() == 1
        session.rollback()
    assert deliveries(factory) == []

    # Through store_callback: its first commit fails after the delivery row was written (a lost race);
    # the rolled-back attempt leaves no delivery, the stored lead has exactly one.
    real_enqueue = webhook.enqueue
    calls = []

    def enqueue_then_lose_the_race(session, lead, event, **kwargs):
        added = real_enqueue(session, lead, event, **kwargs)
        calls.append(event)
        if len(calls) == 1:
            session.flush()
            raise IntegrityError("INSERT", {}, Exception("unique"))
        return added

    monkeypatch.setattr(webhook, "enqueue", enqueue_then_lose_the_race)
    lead = add_lead(factory)
    assert calls == ["lead.created", "lead.created"]
    assert [(d.lead_id, d.event) for d in deliveries(factory)] == [(lead.id, "lead.created")]


def test_a_disabled_webhook_queues_nothing_and_sends_nothing(factory, receiver, monkeypatch, isolated_env):
    monkeypatch.setenv("HELPLINE_FACILITY_FILE", str(write_facility(isolated_env, enabled=False)))
    lead = add_lead(factory)
    callbacks.raise_urgency(factory, lead.id, "urgent", "why")
    assert deliveries(factory) == []
    # Rows left from when it was on are not sent while it is off.
    with factory() as session, session.begin():
        webhook.enqueue(session, lead, webhook.LEAD_UPDATED, rules=rules_for(receiver.url))
    summary = webhook.deliver_due(factory, rules=rules_for(receiver.url, enabled=False), secret=SECRET)
    assert summary.attempted == 0 and receiver.seen == []


def test_enabled_without_a_key_sends_nothing_and_says_so_on_stderr(factory, receiver, capsys, isolated_env):
    lead = add_lead(factory)
    summary = webhook.deliver_due(factory, rules=rules_for(receiver.url), secret=None)
    assert summary.attempted == 0 and "HELPLINE_WEBHOOK_SECRET" in (summary.refused or "")
    assert webhook.deliver_due(factory, rules=rules_for(receiver.url), secret=" , ").refused  # blanks are no key
    assert receiver.seen == []
    (waiting,) = deliveries(factory)
    assert (waiting.lead_id, waiting.status, waiting.attempts) == (lead.id, "pending", 0)

    context = AppContext(Settings(data_dir=isolated_env, database_url=load_settings().effective_database_url,
                                  facility_file=load_settings().facility_file))
    webhook.run_job(context)
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "HELPLINE_WEBHOOK_SECRET is not set" in err and "(1 waiting)" in err
    assert "whsec" not in repr(load_settings({"HELPLINE_WEBHOOK_SECRET": SECRET}))  # never in a repr


# -- delivering ------------------------------------------------------------------------------------

def test_a_500_is_retried_after_its_backoff_and_delivered_with_the_same_id_and_a_valid_signature(factory, receiver):
    receiver.fail_first = 2
    lead = add_lead(factory)
    t0 = utcnow()

    first = deliver(factory, receiver, t0)
    assert (first.retrying, first.delivered) == (1, 0) and len(receiver.seen) == 1
    (row,) = deliveries(factory)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "http_500")
    wait = row.next_attempt_at - t0
    assert timedelta(minutes=1) <= wait <= timedelta(minutes=1.1)  # 1 minute, + at most 10 % jitter

    assert deliver(factory, receiver, t0 + timedelta(seconds=30)).attempted == 0
    assert deliver(factory, receiver, row.next_attempt_at - timedelta(seconds=1)).attempted == 0
    assert len(receiver.seen) == 1  # nothing before next_attempt_at

    t1 = row.next_attempt_at
    assert deliver(factory, receiver, t1).retrying == 1
    (row,) = deliveries(factory)
    assert row.attempts == 2
    assert timedelta(minutes=2) <= row.next_attempt_at - t1 <= timedelta(minutes=2.2)  # doubled

    t2 = row.next_attempt_at
    assert deliver(factory, receiver, t2).delivered == 1
    (row,) = deliveries(factory)
    assert (row.status, row.attempts, row.delivered_at, row.next_attempt_at, row.last_error) == (
        "delivered", 3, t2, None, None)
    assert deliver(factory, receiver, t2 + timedelta(hours=2)).attempted == 0

    assert len(receiver.seen) == 3
    assert all(seen.signed for seen in receiver.seen)
    assert {seen.delivery for seen in receiver.seen} == {str(row.id)}
    assert {seen.body["id"] for seen in receiver.seen} == {row.id}
    assert {seen.event for seen in receiver.seen} == {"lead.created"}
    sent = receiver.seen[-1].body
    assert sent["event"] == "lead.created" and sent["occurred_at"].endswith("+00:00")
    assert (sent["lead"]["reference"], sent["lead"]["phone"], sent["lead"]["first_name"]) == (
        lead.reference, "+16025550134", "Maria")

    (event,) = audit.list_events(factory, action="webhook_sent")
    assert (event.actor, event.source, event.record_type, event.reference) == ("system", "job", "callback",
                                                                              lead.reference)
    assert event.detail == f"delivery={row.id} event=lead.created status=200"


def test_the_payload_is_the_lead_as_it_is_when_sent(factory, receiver):
    lead = add_lead(factory)
    callbacks.raise_urgency(factory, lead.id, "urgent", "withdrawal")
    deliver(factory, receiver, utcnow())
    (seen,) = receiver.seen
    assert seen.event == "lead.created" and seen.body["lead"]["urgency"] == "urgent"


def test_after_max_attempts_a_delivery_is_dead_then_retry_queues_it_again(factory, receiver, capsys, monkeypatch):
    receiver.fail_first = 1000
    lead = add_lead(factory)
    now = utcnow()
    for attempt in range(1, 4):
        summary = deliver(factory, receiver, now, max_attempts=3)
        (row,) = deliveries(factory)
        assert row.attempts == attempt
        now = row.next_attempt_at or now
    assert (summary.dead, row.status, row.next_attempt_at, row.last_error) == (1, "dead", None, "http_500")
    assert deliver(factory, receiver, now + timedelta(days=1), max_attempts=3).attempted == 0
    assert len(receiver.seen) == 3 and all(seen.signed for seen in receiver.seen)
    (dead,) = audit.list_events(factory, action="webhook_dead")
    assert (dead.reference, dead.detail) == (lead.reference, f"delivery={row.id} attempts=3 error=http_500")

    # The operator lists it and queues it again; the receiver is back.
    monkeypatch.setenv("HELPLINE_STAFF_NAME", "sam.r")
    assert main(["webhooks", "list", "--status", "dead"]) == 0
    listing = capsys.readouterr().out
    assert lead.reference in listing and "http_500" in listing and "Maria" not in listing and "555" not in listing
    assert main(["webhooks", "retry", str(row.id)]) == 0
    assert "Queued again: 1 delivery" in capsys.readouterr().out
    assert main(["webhooks", "retry", str(row.id)]) == 1  # pending now: only dead ones are retried
    assert "only dead deliveries" in capsys.readouterr().err
    (retried,) = audit.list_events(factory, action="webhook_retried")
    assert (retried.actor, retried.source, retried.reference, retried.detail) == (
        "sam.r", "cli", lead.reference, f"delivery={row.id}")

    receiver.fail_first = 0
    receiver.seen.clear()
    assert deliver(factory, receiver, utcnow(), max_attempts=3).delivered == 1
    (row,) = deliveries(factory)
    assert (row.status, row.attempts) == ("delivered", 1)
    assert [seen.delivery for seen in receiver.seen] == [str(row.id)]


def test_the_every_minute_job_sends_with_the_configured_key(factory, receiver, capsys, isolated_env, monkeypatch):
    from helpline.ops import minutely

    monkeypatch.setenv("HELPLINE_FACILITY_FILE", str(write_facility(isolated_env, enabled=True, url=receiver.url)))
    monkeypatch.setenv("HELPLINE_WEBHOOK_SECRET", f"{SECRET},an-older-key")
    lead = add_lead(factory)
    minutely.run_every_minute()
    out, err = capsys.readouterr()
    assert "[helpline] webhook deliveries: delivered=1 retrying=0 dead=0 gone=0" in out
    assert "webhook" not in err and SECRET not in out + err
    (seen,) = receiver.seen
    assert seen.signed and seen.body["lead"]["reference"] == lead.reference


def test_a_network_error_is_retried_and_recorded_by_its_class_only(factory):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    add_lead(factory)
    summary = webhook.deliver_due(factory, rules=rules_for(f"http://127.0.0.1:{closed}/x"), secret=SECRET)
    (row,) = deliveries(factory)
    assert (summary.retrying, row.status, row.attempts, row.last_error) == (1, "pending", 1, "ConnectError")


def test_a_run_stops_after_three_failures_in_a_row_and_the_rest_keep_their_attempts(factory, receiver):
    receiver.fail_first = 1000
    for n in range(5):
        add_lead(factory, key=f"conv-{n}:callback")
    summary = deliver(factory, receiver, utcnow())
    assert summary.retrying == 3 and len(receiver.seen) == 3
    assert sorted(d.attempts for d in deliveries(factory)) == [0, 0, 1, 1, 1]


def test_an_update_after_a_failed_try_is_sent_after_the_created_one(factory, receiver):
    receiver.fail_first = 1
    lead = add_lead(factory)
    t0 = utcnow()
    deliver(factory, receiver, t0)  # "created" fails once: it may have been on the wire, so it absorbs no update
    callbacks.raise_urgency(factory, lead.id, "urgent", "withdrawal")
    callbacks.update_phone(factory, lead.reference, "480-555-0199")  # rides on the new "updated" row
    created, updated = deliveries(factory)
    assert (created.event, updated.event, updated.attempts) == ("lead.created", "lead.updated", 0)
    # "updated" is due, "created" is not yet: nothing of this lead goes out of order.
    assert deliver(factory, receiver, t0 + timedelta(seconds=10)).attempted == 0
    later = created.next_attempt_at
    assert deliver(factory, receiver, later).delivered == 1
    assert deliver(factory, receiver, later).delivered == 1
    assert [seen.event for seen in receiver.seen] == ["lead.created", "lead.created", "lead.updated"]
    assert receiver.seen[-1].body["lead"]["phone"] == "+14805550199"
    assert [d.status for d in deliveries(factory)] == ["delivered", "delivered"]


def test_a_delivery_whose_lead_was_purged_is_dropped_as_gone(factory, receiver):
    lead = add_lead(factory)
    with factory() as session, session.begin():
        session.execute(delete(CallbackRequest).where(CallbackRequest.id == lead.id))
    summary = deliver(factory, receiver, utcnow())
    (row,) = deliveries(factory)
    assert (summary.gone, row.status, receiver.seen) == (1, "gone", [])
    assert audit.list_events(factory, action="webhook_sent") == []


def test_a_claimed_delivery_cannot_be_claimed_by_a_second_runner(factory):
    add_lead(factory)
    (row,) = deliveries(factory)
    now = utcnow()
    assert webhook._claim(factory, row.id, now) is not None
    assert webhook._claim(factory, row.id, now) is None
    # A runner that died mid-send leaves it to be taken again after the lease.
    assert webhook._claim(factory, row.id, now + webhook.LEASE) is not None


def test_two_runners_on_postgresql_send_each_delivery_once(postgres_url, receiver, monkeypatch, isolated_env):
    monkeypatch.setenv("HELPLINE_FACILITY_FILE", str(write_facility(isolated_env, enabled=True)))
    db.upgrade(postgres_url)
    factory = db.session_factory(postgres_url)
    for n in range(12):
        add_lead(factory, key=f"conv-{n}:callback")
    now = utcnow()
    summaries = []
    barrier = threading.Barrier(2)

    def runner() -> None:
        barrier.wait()
        summaries.append(deliver(factory, receiver, now))

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(s.delivered for s in summaries) == 12
    ids = [seen.delivery for seen in receiver.seen]
    assert len(ids) == 12 and len(set(ids)) == 12 and all(seen.signed for seen in receiver.seen)
    assert {d.status for d in deliveries(factory)} == {"delivered"}
    assert len(audit.list_events(factory, action="webhook_sent")) == 12

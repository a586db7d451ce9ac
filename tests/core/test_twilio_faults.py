"""Staff alerts when Twilio's API fails: a real local HTTP server stands in for api.twilio.com.

The production path is used end to end: ``handoff.submit`` stores the lead,
``TwilioNotifier`` (the real twilio 8.2 client, pointed at the stand-in with
``TWILIO_API_BASE_URL``) sends, ``retry_pending`` picks up what failed. The
stand-in answers 500, or hangs past ``HELPLINE_TWILIO_TIMEOUT``, before it
answers 201 like Twilio's Message resource.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List
from urllib.parse import parse_qs

import pytest

from helpline.intake import handoff
from helpline.notify import sender
from helpline.notify import staff_sms as notify
from helpline.queues import callbacks
from helpline.settings import load_settings
from helpline.store import db

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
FROM = "+16025550100"
STAFF = "+16025550101"
TIMEOUT = 0.5
# What the caller told the bot; none of it may reach Twilio or a log line.
CALLER = {
    "who_for": "self", "first_name": "Samantha", "substances": ["alcohol", "benzodiazepines"], "last_use": "today",
    "withdrawal_signs": ["shaking"], "prior_treatment": [], "insurance": "Aetna", "state": "AZ",
    "callback_phone": "+16025550134", "best_time": "evening",
    "contact_permissions": {"call": True, "voicemail": True, "text": False}, "consent": True,
}
PHI = ("Samantha", "0134", "alcohol", "benzodiazepines", "Aetna", "shaking")


class FakeTwilioServer(ThreadingHTTPServer):
    """Answers POST .../Messages.json with the next scripted step; the last step repeats.

    Steps: an HTTP status (500, 503, 201), or ``"hang"`` (wait past the client's timeout, then 201).
    """

    daemon_threads = True

    def __init__(self, *steps) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.steps: List = list(steps)
        self.received: List[dict] = []  # {"path", "form", "raw"} per request
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_step(self):
        with self.lock:
            return self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]

    def script(self, *steps) -> None:
        with self.lock:
            self.steps = list(steps)


class _Handler(BaseHTTPRequestHandler):
    server: FakeTwilioServer

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        self.server.received.append({"path": self.path, "form": form, "raw": raw + str(dict(self.headers))})
        step = self.server.next_step()
        if step == "hang":
            time.sleep(TIMEOUT * 4)
            step = 201
        if step == 201:
            sid = f"SM{len(self.server.received):032d}"
            body = {
                "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": form.get("Body"), "from": form.get("From"),
                "to": form.get("To"), "sid": sid, "status": "queued", "direction": "outbound-api", "num_segments": "1",
                "num_media": "0", "error_code": None, "error_message": None, "price": None, "price_unit": "USD",
                "date_created": "Wed, 02 Dec 2026 02:00:00 +0000", "date_updated": "Wed, 02 Dec 2026 02:00:00 +0000",
                "date_sent": None, "messaging_service_sid": None, "subresource_uris": {},
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            }
        else:
            body = {"code": 20500, "message": "Internal Server Error", "status": step,
                    "more_info": "https://www.twilio.com/docs/errors/20500"}
        payload = json.dumps(body).encode()
        try:
            self.send_response(int(step))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the "hang" step)


@pytest.fixture
def twilio() -> Iterator[FakeTwilioServer]:
    server = FakeTwilioServer(201)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def twilio_env(isolated_env, monkeypatch, twilio):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "test-auth-token")
    monkeypatch.setenv("TWILIO_FROM_NUMBER", FROM)
    monkeypatch.setenv("TWILIO_API_BASE_URL", twilio.url)
    monkeypatch.setenv("HELPLINE_STAFF_SMS_TO", STAFF)
    monkeypatch.setenv("HELPLINE_TWILIO_TIMEOUT", str(TIMEOUT))
    monkeypatch.setenv("HELPLINE_NOTIFY_MAX_ATTEMPTS", "3")
    return isolated_env


def store_lead() -> handoff.Handoff:
    return handoff.submit(CALLER, conversation_id="conv-twilio-faults", turn_marker="1", channel="rest",
                          consent_text="utter_ask_consent answered: yes")


def record(callback_id: int):
    return callbacks.LEADS.get(db.session_factory(load_settings().effective_database_url), callback_id)


def alert(lead: handoff.Handoff, sleeps: List[float]) -> notify.NotifyResult:
    """The production alert path, with the backoff sleeps recorded (and shortened)."""
    settings = load_settings()
    return notify.notify_staff(
        db.session_factory(settings.effective_database_url), lead.callback_id, settings,
        base_delay=0.05, sleep=lambda s: (sleeps.append(s), time.sleep(s)),
    )


def assert_no_phi(twilio: FakeTwilioServer, caplog) -> None:
    assert twilio.received, "the stand-in for Twilio got no request"
    for request in twilio.received:
        assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        assert set(request["form"]) == {"To", "From", "Body"}
        assert request["form"]["To"] == STAFF and request["form"]["From"] == FROM
        for secret in PHI:
            assert secret not in request["raw"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged, "nothing was logged: the log check would prove nothing"
    for secret in PHI:
        assert secret not in logged


def test_500s_are_retried_with_backoff_until_twilio_recovers(twilio_env, twilio, caplog):
    caplog.set_level(logging.DEBUG)
    lead = store_lead()
    twilio.script(500, 503, 201)
    sleeps: List[float] = []
    result = alert(lead, sleeps)
    assert result.status == "sent" and result.attempts == 3
    assert sleeps == [0.05, 0.1]  # exponential backoff between rounds
    stored = record(lead.callback_id)
    assert (stored.status, stored.notification_status, stored.notified_recipients) == ("new", "sent", [STAFF])
    assert len(twilio.received) == 3
    assert lead.reference in twilio.received[-1]["form"]["Body"]
    assert_no_phi(twilio, caplog)


def test_a_hung_request_is_cut_at_the_timeout_and_retried(twilio_env, twilio, caplog):
    caplog.set_level(logging.DEBUG)
    lead = store_lead()
    twilio.script("hang", 201)
    started = time.monotonic()
    result = alert(lead, [])
    elapsed = time.monotonic() - started
    assert result.status == "sent" and result.attempts == 2
    # One timeout plus one short backoff, not the stand-in's full hang.
    assert TIMEOUT <= elapsed < TIMEOUT * 3, elapsed
    assert record(lead.callback_id).notification_status == "sent"
    assert_no_phi(twilio, caplog)


def test_an_outage_leaves_the_lead_stored_and_failed_then_retry_pending_sends_it(twilio_env, twilio, caplog):
    caplog.set_level(logging.DEBUG)
    lead = store_lead()
    twilio.script(500)
    result = alert(lead, [])
    assert result.status == "failed" and result.attempts == 3
    stored = record(lead.callback_id)
    assert (stored.status, stored.notification_status) == ("new", "failed")
    assert stored.last_notification_error == "twilio http 500 code 20500"
    assert stored.phone_e164 == "+16025550134"  # the lead itself is intact

    twilio.script("hang")  # still down, now by hanging: retry_pending must not store it as sent
    settings = load_settings()
    sessions = db.session_factory(settings.effective_database_url)
    assert [r.status for r in notify.retry_pending(sessions, settings, min_age_seconds=0, max_attempts=1)] == ["failed"]

    twilio.script(201)
    results = notify.retry_pending(sessions, settings, min_age_seconds=0, max_attempts=1)
    assert [(r.record_id, r.status) for r in results] == [(lead.callback_id, "sent")]
    assert record(lead.callback_id).notification_status == "sent"
    assert notify.retry_pending(sessions, settings, min_age_seconds=0) == []  # nothing sent twice
    assert len(twilio.received) == 5
    assert_no_phi(twilio, caplog)


def test_the_background_alert_of_a_real_handoff_reaches_the_stand_in(twilio_env, twilio, caplog):
    caplog.set_level(logging.DEBUG)
    twilio.script(500, 201)
    lead = store_lead()
    handoff.alert_staff_in_background(lead.callback_id).join(timeout=30)
    assert record(lead.callback_id).notification_status == "sent"
    assert len(twilio.received) == 2
    assert_no_phi(twilio, caplog)


def test_without_the_base_url_setting_twilio_is_called_at_its_own_host(isolated_env, monkeypatch):
    from twilio.http.http_client import TwilioHttpClient

    assert type(sender._twilio_http_client(TIMEOUT)) is TwilioHttpClient
    sent = {}
    monkeypatch.setattr(TwilioHttpClient, "request", lambda self, method, url, *a, **k: sent.setdefault("url", url))
    rebased = sender._twilio_http_client(TIMEOUT, "http://127.0.0.1:9/prefix")
    rebased.request("POST", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?x=1")
    assert sent["url"] == "http://127.0.0.1:9/prefix/2010-04-01/Accounts/AC1/Messages.json?x=1"

"""Staff alerts: stored first, sent after, retried, and free of personal details.

Twilio is faked at the HTTP level: a ``requests`` transport adapter mounted on
the real ``TwilioHttpClient`` session answers like api.twilio.com, so the real
``twilio.rest.Client`` builds, sends and parses every request.
"""
from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import timedelta
from typing import List, Union
from urllib.parse import parse_qs

import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from sqlalchemy import select, update
from twilio.http.http_client import TwilioHttpClient

from helpline.notify.alerts import compose_staff_sms
from helpline.notify.sender import OutboxNotifier, TwilioNotifier
from helpline.notify.staff_sms import notify_staff, retry_pending
from helpline.queues import callbacks
from helpline.store.models import CallbackRequest, OutboxMessage

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token"
FROM = "+16025550100"
STAFF_A = "+16025550101"
STAFF_B = "+16025550102"
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def created(to: str = STAFF_A, sid: str = "SM" + "1" * 32):
    """A 201 response body shaped like Twilio's Message resource."""
    return 201, {
        "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": "...", "date_created": "Mon, 09 Jun 2025 15:00:00 +0000",
        "date_sent": None, "date_updated": "Mon, 09 Jun 2025 15:00:00 +0000", "direction": "outbound-api", "error_code": None,
        "error_message": None, "from": FROM, "messaging_service_sid": None, "num_media": "0", "num_segments": "1",
        "price": None, "price_unit": "USD", "sid": sid, "status": "queued", "subresource_uris": {}, "to": to,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }


def error(status: int, code: int, message: str = "error"):
    return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


Reply = Union[tuple, Exception]


class FakeTwilio(HTTPAdapter):
    """Answers each HTTPS request with the next scripted reply (the last one repeats)."""

    def __init__(self, *replies: Reply) -> None:
        super().__init__()
        self.replies: List[Reply] = list(replies)
        self.requests: List[requests.PreparedRequest] = []
        self.timeouts: list = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # noqa: D401
        self.requests.append(request)
        self.timeouts.append(timeout)
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


@pytest.fixture
def twilio_settings(settings):
    return replace(
        settings, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN, twilio_from_number=FROM,
        staff_sms_to=(STAFF_A,),
    )


@pytest.fixture
def lead(session_factory):
    record, _ = callbacks.store_callback(
        session_factory,
        idempotency_key="conv-9:callback",
        phone="(602) 555-0134",
        urgency="urgent",
        level_of_care="higher_level",
        screening_reasons=["danger_withdrawal_signs"],
        consent=True,
        consent_text="yes",
        answers={"substances": ["alcohol", "benzodiazepines"], "withdrawal_signs": ["seizures"], "insurance": "Aetna"},
        first_name="Maria",
        who_for="loved_one",
        caller_relation="parent",
        best_time="evening",
    )
    return record


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def reload(session_factory, record) -> CallbackRequest:
    return callbacks.LEADS.get(session_factory, record.id)


# -- the message ------------------------------------------------------------------------

def test_staff_sms_has_reference_urgency_window_and_link(lead):
    body = compose_staff_sms(lead, "https://console.example.org/")
    assert lead.reference in body
    assert "URGENT" in body
    assert "evening" in body
    assert f"https://console.example.org/callbacks/{lead.id}" in body
    assert body.isascii()  # GSM-friendly: one SMS segment, no UCS-2 surprise
    assert len(body) <= 160


def test_staff_sms_has_no_personal_or_health_details(lead):
    body = compose_staff_sms(lead, "https://console.example.org").lower()
    forbidden = [
        "maria", "+16025550134", "6025550134", "602", "555-0134", "0134",
        "alcohol", "benzo", "seizure", "withdrawal", "aetna", "higher_level", "higher level", "detox",
        "danger", "parent", "loved",
    ]
    assert [word for word in forbidden if word in body] == []


def test_unexpected_best_time_text_never_reaches_the_sms(lead):
    lead.best_time = "after my methadone dose"  # as if the column were written around store_callback
    body = compose_staff_sms(lead, "https://c.example.org")
    assert "methadone" not in body and "Best time: not given" in body


# -- Twilio, faked at the HTTP level ---------------------------------------------------------

def test_sends_through_twilio_and_records_it(session_factory, twilio_settings, lead):
    fake = FakeTwilio(created())
    result = notify_staff(session_factory, lead.id, twilio_settings, twilio_notifier(fake), sleep=Sleeps())
    assert (result.status, result.attempts, result.delivered_to, result.error) == ("sent", 1, [STAFF_A], None)

    [request] = fake.requests
    assert request.method == "POST" and request.url == MESSAGES_URL
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert fake.forms() == [{"To": STAFF_A, "From": FROM, "Body": compose_staff_sms(lead, twilio_settings.console_base_url)}]
    assert fake.timeouts == [7]

    stored = reload(session_factory, lead)
    assert (stored.notification_status, stored.notification_attempts, stored.last_notification_error) == ("sent", 1, None)
    assert stored.notified_recipients == [STAFF_A] and stored.notified_at is not None


def test_every_staff_number_gets_the_alert(session_factory, twilio_settings, lead):
    settings = replace(twilio_settings, staff_sms_to=(STAFF_A, "(602) 555-0102", "not a number", STAFF_A))
    fake = FakeTwilio(created())
    result = notify_staff(session_factory, lead.id, settings, twilio_notifier(fake), sleep=Sleeps())
    assert result.status == "sent"
    assert [form["To"] for form in fake.forms()] == [STAFF_A, STAFF_B]


def test_a_server_error_is_retried_with_backoff(session_factory, twilio_settings, lead):
    fake = FakeTwilio(error(500, 20500), error(503, 20503), created())
    sleeps = Sleeps()
    result = notify_staff(session_factory, lead.id, twilio_settings, twilio_notifier(fake), sleep=sleeps)
    assert (result.status, result.attempts) == ("sent", 3)
    assert sleeps == [0.5, 1.0]
    assert len(fake.requests) == 3
    assert reload(session_factory, lead).notification_attempts == 3


def test_a_timeout_is_retried(session_factory, twilio_settings, lead):
    fake = FakeTwilio(requests.exceptions.ReadTimeout("read timed out"), created())
    result = notify_staff(session_factory, lead.id, twilio_settings, twilio_notifier(fake), sleep=Sleeps())
    assert (result.status, result.attempts) == ("sent", 2)


def test_persistent_failure_is_recorded_without_raising(session_factory, twilio_settings, lead):
    fake = FakeTwilio(error(500, 20500, f"cannot send to {STAFF_A}"))
    sleeps = Sleeps()
    result = notify_staff(session_factory, lead.id, twilio_settings, twilio_notifier(fake), base_delay=0.25, sleep=sleeps)
    assert (result.status, result.attempts) == ("failed", 4)
    assert sleeps == [0.25, 0.5, 1.0]
    assert len(fake.requests) == 4
    stored = reload(session_factory, lead)
    assert stored.notification_status == "failed" and stored.notification_attempts == 4
    assert stored.last_notification_error == "twilio http 500 code 20500"
    assert "555" not in stored.last_notification_error  # Twilio's message text is never stored


def test_max_attempts_comes_from_settings(session_factory, twilio_settings, lead):
    fake = FakeTwilio(requests.exceptions.ConnectionError("refused"))
    settings = replace(twilio_settings, notify_max_attempts=2)
    result = notify_staff(session_factory, lead.id, settings, twilio_notifier(fake), sleep=Sleeps())
    assert (result.status, result.attempts, len(fake.requests)) == ("failed", 2, 2)
    assert result.error == "twilio network error: ConnectionError"


def test_a_rejected_number_is_not_retried(session_factory, twilio_settings, lead):
    fake = FakeTwilio(error(400, 21211, "The 'To' number is not a valid phone number."))
    sleeps = Sleeps()
    result = notify_staff(session_factory, lead.id, twilio_settings, twilio_notifier(fake), sleep=sleeps)
    assert (result.status, result.attempts, len(fake.requests), sleeps) == ("failed", 1, 1, [])
    assert result.error == "twilio http 400 code 21211"


def test_retry_sends_only_to_staff_not_yet_reached(session_factory, twilio_settings, lead):
    settings = replace(twilio_settings, staff_sms_to=(STAFF_A, STAFF_B))
    first = FakeTwilio(created(STAFF_A), error(500, 20500))  # A succeeds, B keeps failing
    result = notify_staff(session_factory, lead.id, settings, twilio_notifier(first), max_attempts=2, sleep=Sleeps())
    assert result.status == "failed" and result.delivered_to == [STAFF_A]
    assert [f["To"] for f in first.forms()] == [STAFF_A, STAFF_B, STAFF_B]

    second = FakeTwilio(created(STAFF_B))
    results = retry_pending(session_factory, settings, twilio_notifier(second), min_age_seconds=0, sleep=Sleeps())
    assert [r.status for r in results] == ["sent"]
    assert [f["To"] for f in second.forms()] == [STAFF_B]
    stored = reload(session_factory, lead)
    assert stored.notified_recipients == [STAFF_A, STAFF_B]
    assert stored.notification_attempts == 3


def test_an_already_notified_lead_is_not_sent_twice(session_factory, twilio_settings, lead):
    fake = FakeTwilio(created())
    notify_staff(session_factory, lead.id, twilio_settings, twilio_notifier(fake), sleep=Sleeps())
    again = notify_staff(session_factory, lead.id, twilio_settings, twilio_notifier(fake), sleep=Sleeps())
    assert again.skipped and again.status == "sent"
    assert len(fake.requests) == 1


def test_default_notifier_is_twilio_with_the_configured_timeout(monkeypatch, session_factory, twilio_settings, lead):
    fake = FakeTwilio(created())
    real_init = TwilioHttpClient.__init__

    def patched_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.session.mount("https://", fake)

    monkeypatch.setattr(TwilioHttpClient, "__init__", patched_init)
    settings = replace(twilio_settings, twilio_timeout_seconds=3.5)
    result = notify_staff(session_factory, lead.id, settings, sleep=Sleeps())
    assert result.status == "sent"
    assert fake.timeouts == [3.5]


# -- without Twilio: the outbox ----------------------------------------------------------------

def outbox(session_factory):
    with session_factory() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def test_without_twilio_alerts_go_to_the_outbox(session_factory, settings, lead):
    settings = replace(settings, staff_sms_to=(STAFF_A, STAFF_B))
    result = notify_staff(session_factory, lead.id, settings)
    assert result.status == "outbox"
    messages = outbox(session_factory)
    assert [(m.to, m.callback_id, m.kind) for m in messages] == [(STAFF_A, lead.id, "staff_alert"), (STAFF_B, lead.id, "staff_alert")]
    assert messages[0].body == compose_staff_sms(lead, settings.console_base_url)
    assert reload(session_factory, lead).notification_status == "outbox"


def test_without_staff_numbers_the_outbox_is_addressed_to_on_call(session_factory, twilio_settings, lead, monkeypatch):
    def no_http(*_args, **_kwargs):
        raise AssertionError("no HTTP request may be made")

    monkeypatch.setattr(requests.Session, "send", no_http)
    settings = replace(twilio_settings, staff_sms_to=())
    result = notify_staff(session_factory, lead.id, settings)
    assert result.status == "outbox"
    assert [m.to for m in outbox(session_factory)] == ["on-call"]


def test_outbox_notifier_returns_an_id(session_factory, lead):
    assert OutboxNotifier(session_factory).send("on-call", "hello", callback_id=lead.id).startswith("outbox-")


# -- never raises ----------------------------------------------------------------------------

class Exploding:
    success_status = "sent"

    def send(self, to, body, *, callback_id=None):
        raise RuntimeError(f"boom for {to}")


def test_a_broken_notifier_is_reported_not_raised(session_factory, twilio_settings, lead):
    result = notify_staff(session_factory, lead.id, twilio_settings, Exploding(), max_attempts=2, sleep=Sleeps())
    assert (result.status, result.error) == ("failed", "RuntimeError")
    assert reload(session_factory, lead).notification_status == "failed"


def test_a_broken_database_is_reported_not_raised(twilio_settings):
    def broken_factory():
        raise OSError("disk gone")

    result = notify_staff(broken_factory, 1, twilio_settings, Exploding())
    assert (result.status, result.error) == ("failed", "OSError")


def test_an_unknown_callback_is_reported(session_factory, twilio_settings):
    assert notify_staff(session_factory, 4242, twilio_settings, Exploding()).error == "callback not found"


# -- retry_pending ------------------------------------------------------------------------------

def age(session_factory, record, seconds):
    with session_factory() as session, session.begin():
        session.execute(
            update(CallbackRequest)
            .where(CallbackRequest.id == record.id)
            .values(created_at=record.created_at - timedelta(seconds=seconds))
        )


def test_retry_pending_picks_old_unsent_new_leads_only(session_factory, settings, lead):
    young, _ = callbacks.store_callback(
        session_factory, idempotency_key="young", phone="602-555-0177", urgency="routine", level_of_care="iop_fit", consent=True,
    )
    claimed, _ = callbacks.store_callback(
        session_factory, idempotency_key="claimed", phone="602-555-0178", urgency="routine", level_of_care="iop_fit", consent=True,
    )
    sent, _ = callbacks.store_callback(
        session_factory, idempotency_key="sent", phone="602-555-0179", urgency="routine", level_of_care="iop_fit", consent=True,
    )
    for record in (lead, claimed, sent):
        age(session_factory, record, 600)
    callbacks.LEADS.claim(session_factory, claimed.id, "Sam")
    notify_staff(session_factory, sent.id, settings)
    assert len(outbox(session_factory)) == 1

    results = retry_pending(session_factory, settings, min_age_seconds=60)
    assert [r.callback_id for r in results] == [lead.id]
    assert reload(session_factory, lead).notification_status == "outbox"
    assert retry_pending(session_factory, settings, min_age_seconds=60) == []


def test_retry_pending_gives_up_after_max_total_attempts(session_factory, twilio_settings, lead):
    age(session_factory, lead, 600)
    notify_staff(session_factory, lead.id, twilio_settings, Exploding(), max_attempts=3, sleep=Sleeps())
    assert retry_pending(session_factory, twilio_settings, Exploding(), max_total_attempts=3, sleep=Sleeps()) == []
    assert len(retry_pending(session_factory, twilio_settings, Exploding(), max_total_attempts=4, sleep=Sleeps())) == 1


def test_notify_module_never_logs_personal_details(session_factory, twilio_settings, lead, caplog):
    caplog.set_level("DEBUG", logger="helpline")
    notify_staff(session_factory, lead.id, twilio_settings, Exploding(), max_attempts=2, sleep=Sleeps())
    notify_staff(session_factory, lead.id, replace(twilio_settings, staff_sms_to=()), sleep=Sleeps())
    text = caplog.text
    assert lead.reference in text
    for secret in ("Maria", "6025550134", "alcohol", "seizure", STAFF_A):
        assert secret not in text

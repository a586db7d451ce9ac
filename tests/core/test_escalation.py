"""Escalation of unclaimed work (helpline.queues.escalation), driven by a test clock.

The sample facility (facility.yml) is in America/Phoenix (UTC-7 all year) and
returns calls Monday to Friday 08:00-16:00; its targets are the defaults
(crisis and immediate 5 min, urgent 15, soon 120, routine 240; soon and routine
count office hours only).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import List
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from helpline.admissions import AdmissionsRules, parse_rules
from helpline.composition import AppContext
from helpline.facility import load_facility
from helpline.notify.sender import NotifyError
from helpline.ops import minutely
from helpline.queues import callbacks, escalation
from helpline.queues.crisis_flags import CRISES, flag_crisis
from helpline.queues.escalation import claim_due_at, escalate_due, minutes_overdue
from helpline.security import audit
from helpline.settings import load_settings
from helpline.store.models import CallbackRequest, CrisisFlag, OutboxMessage

PHOENIX = ZoneInfo("America/Phoenix")
STAFF_A = "+16025550101"
STAFF_B = "+16025550102"
DIRECTOR = "+16025550199"
# A Tuesday, 10:00 in Phoenix: the office is open.
T0 = datetime(2026, 3, 10, 17, 0, tzinfo=timezone.utc)

FACILITY = load_facility()
RULES = parse_rules(FACILITY.raw)
WITH_DIRECTOR = replace(RULES, escalation_contacts=(DIRECTOR,), escalate_after_realerts=1)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PHOENIX).astimezone(timezone.utc)


def store_lead(session_factory, *, urgency="urgent", created_at=T0, key="conv-1:callback") -> CallbackRequest:
    record, _ = callbacks.store_callback(
        session_factory,
        idempotency_key=key,
        phone="(602) 555-0134",
        urgency=urgency,
        level_of_care="higher_level",
        screening_reasons=["danger_withdrawal_signs"],
        consent=True,
        consent_text="yes, call me",
        answers={"substances": ["alcohol", "benzodiazepines"], "withdrawal_signs": ["seizures"], "insurance": "Aetna"},
        first_name="Maria",
        who_for="loved_one",
        caller_relation="parent",
        best_time="evening",
        created_at=created_at,
    )
    return record


@pytest.fixture
def staff_settings(settings):
    """Staff numbers but no Twilio: every SMS lands in the outbox, addressed to its number."""
    return replace(settings, staff_sms_to=(STAFF_A,))


def outbox(session_factory) -> List[OutboxMessage]:
    with session_factory() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def run(session_factory, settings, now, rules=RULES, **kwargs):
    return escalate_due(session_factory, settings, rules=rules, facility=FACILITY, now=now, **kwargs)


def reload(session_factory, model, record_id):
    with session_factory() as session:
        return session.get(model, record_id)


def escalation_events(session_factory):
    return audit.list_events(session_factory, action="escalated")


class Flaky:
    """A notifier whose first ``failures`` sends fail for a reason that may pass."""

    success_status = "sent"

    def __init__(self, failures: int = 0, *, retryable: bool = True, failing: tuple = ()) -> None:
        self.failures = failures
        self.retryable = retryable
        self.failing = failing  # numbers that always fail
        self.sent: List[tuple] = []

    def send(self, to, body, *, callback_id=None):
        if self.failures > 0 or to in self.failing:
            self.failures -= 1
            raise NotifyError("twilio http 503 code 20003", retryable=self.retryable)
        self.sent.append((to, body))
        return f"SM{len(self.sent)}"


# -- the clock the console reads --------------------------------------------------------------

def test_an_urgent_lead_is_due_at_its_target_and_overdue_only_after_it(session_factory):
    lead = store_lead(session_factory)
    assert claim_due_at(lead, rules=RULES, facility=FACILITY) == T0 + timedelta(minutes=15)
    assert minutes_overdue(lead, T0 + timedelta(minutes=14), rules=RULES, facility=FACILITY) == 0
    assert minutes_overdue(lead, T0 + timedelta(minutes=15), rules=RULES, facility=FACILITY) == 0
    assert minutes_overdue(lead, T0 + timedelta(minutes=15, seconds=10), rules=RULES, facility=FACILITY) == 1
    assert minutes_overdue(lead, T0 + timedelta(minutes=45), rules=RULES, facility=FACILITY) == 30


def test_the_json_view_gives_the_same_answers_as_the_record(session_factory):
    lead = store_lead(session_factory)
    flag = flag_crisis(session_factory, conversation_id="conv-2", category="overdose", severity="urgent", now=T0).flag
    for queue, record in ((callbacks.LEADS, lead), (CRISES, flag)):
        view = queue.to_dict(record)
        assert claim_due_at(view, rules=RULES, facility=FACILITY) == claim_due_at(record, rules=RULES, facility=FACILITY)
        later = T0 + timedelta(minutes=40)
        assert minutes_overdue(view, later, rules=RULES, facility=FACILITY) == \
            minutes_overdue(record, later, rules=RULES, facility=FACILITY) > 0


def test_a_claimed_or_closed_record_is_never_due(session_factory):
    lead = store_lead(session_factory)
    claimed = callbacks.LEADS.claim(session_factory, lead.id, "dana")
    assert claim_due_at(claimed, rules=RULES, facility=FACILITY) is None
    assert minutes_overdue(claimed, T0 + timedelta(days=1), rules=RULES, facility=FACILITY) == 0


def test_a_routine_lead_left_at_2am_is_due_four_office_hours_after_opening(session_factory):
    lead = store_lead(session_factory, urgency="routine", created_at=local(2026, 3, 10, 2, 0))
    assert claim_due_at(lead, rules=RULES, facility=FACILITY) == local(2026, 3, 10, 12, 0)
    assert minutes_overdue(lead, local(2026, 3, 10, 7, 59), rules=RULES, facility=FACILITY) == 0
    assert minutes_overdue(lead, local(2026, 3, 10, 12, 0), rules=RULES, facility=FACILITY) == 0
    assert minutes_overdue(lead, local(2026, 3, 10, 12, 1), rules=RULES, facility=FACILITY) == 1


def test_an_office_hours_clock_stops_over_the_weekend(session_factory):
    # Friday 15:00: one open hour left that day, three more on Monday morning.
    lead = store_lead(session_factory, urgency="routine", created_at=local(2026, 3, 13, 15, 0))
    assert claim_due_at(lead, rules=RULES, facility=FACILITY) == local(2026, 3, 16, 11, 0)
    # Minutes overdue are plain minutes since the due time.
    assert minutes_overdue(lead, local(2026, 3, 16, 12, 0), rules=RULES, facility=FACILITY) == 60


def test_an_urgent_lead_counts_plain_minutes_at_night(session_factory):
    lead = store_lead(session_factory, created_at=local(2026, 3, 10, 2, 0))
    assert claim_due_at(lead, rules=RULES, facility=FACILITY) == local(2026, 3, 10, 2, 15)


def test_a_crisis_follow_up_uses_the_crisis_target(session_factory):
    rules = replace(RULES, claim_targets={**RULES.claim_targets, "crisis": 7, "urgent": 30})
    flag = flag_crisis(session_factory, conversation_id="conv-2", category="overdose", severity="urgent", now=T0).flag
    assert claim_due_at(flag, rules=rules, facility=FACILITY) == T0 + timedelta(minutes=7)


def test_a_reopened_record_counts_from_when_it_was_reopened(session_factory):
    lead = store_lead(session_factory, created_at=T0 - timedelta(days=3))
    reopened = T0
    with session_factory() as session, session.begin():
        session.execute(update(CallbackRequest).where(CallbackRequest.id == lead.id)
                        .values(status="new", reopened_at=reopened))
    lead = reload(session_factory, CallbackRequest, lead.id)
    assert claim_due_at(lead, rules=RULES, facility=FACILITY) == reopened + timedelta(minutes=15)
    assert minutes_overdue(lead, reopened + timedelta(minutes=14), rules=RULES, facility=FACILITY) == 0


# -- the job: re-alert, escalate ------------------------------------------------------------------

def test_an_unclaimed_urgent_lead_is_realerted_past_its_target_without_phi(session_factory, staff_settings):
    lead = store_lead(session_factory)
    assert run(session_factory, staff_settings, T0 + timedelta(minutes=14)) == []
    assert run(session_factory, staff_settings, T0 + timedelta(minutes=15)) == []
    assert outbox(session_factory) == []

    [result] = run(session_factory, staff_settings, T0 + timedelta(minutes=16))
    assert (result.record_type, result.reference, result.level, result.minutes, result.status) == \
        ("callback", lead.reference, 1, 16, "outbox")
    [message] = outbox(session_factory)
    assert (message.to, message.kind, message.callback_id) == (STAFF_A, "escalation", lead.id)
    assert message.body == (
        f"Still unclaimed after 16 min: URGENT helpline lead {lead.reference}. "
        f"Open: https://console.example.org/callbacks/{lead.id}"
    )
    for private in ("Maria", "555", "0134", "alcohol", "benzo", "seizure", "Aetna", "parent", "loved", "evening", "withdrawal"):
        assert private.lower() not in message.body.lower()
    stored = reload(session_factory, CallbackRequest, lead.id)
    assert (stored.escalation_level, stored.escalated_at) == (1, T0 + timedelta(minutes=16))
    # A re-alert is no change to the lead itself (exports and webhooks follow updated_at).
    assert stored.updated_at == lead.updated_at


def test_the_same_level_is_not_sent_again_by_a_second_run(session_factory, staff_settings):
    store_lead(session_factory)
    assert len(run(session_factory, staff_settings, T0 + timedelta(minutes=16))) == 1
    assert run(session_factory, staff_settings, T0 + timedelta(minutes=16)) == []
    assert run(session_factory, staff_settings, T0 + timedelta(minutes=29)) == []
    assert len(outbox(session_factory)) == 1


def test_the_next_step_escalates_to_the_contact_and_only_once(session_factory, staff_settings):
    lead = store_lead(session_factory)
    run(session_factory, staff_settings, T0 + timedelta(minutes=16), rules=WITH_DIRECTOR)
    [result] = run(session_factory, staff_settings, T0 + timedelta(minutes=31), rules=WITH_DIRECTOR)
    assert (result.level, result.escalated, sorted(result.delivered_to)) == (2, True, sorted([STAFF_A, DIRECTOR]))
    assert run(session_factory, staff_settings, T0 + timedelta(minutes=32), rules=WITH_DIRECTOR) == []

    messages = outbox(session_factory)
    assert [(m.to, m.body.split(":")[0]) for m in messages] == [
        (STAFF_A, "Still unclaimed after 16 min"),
        (STAFF_A, "Still unclaimed after 31 min"),
        (DIRECTOR, "Escalation"),
    ]
    assert messages[-1].body == (
        f"Escalation: URGENT helpline lead {lead.reference} unclaimed after 31 min. "
        f"Open: https://console.example.org/callbacks/{lead.id}"
    )


def test_the_first_realert_escalates_when_after_realerts_is_0(session_factory, staff_settings):
    store_lead(session_factory)
    [result] = run(session_factory, staff_settings, T0 + timedelta(minutes=16),
                   rules=replace(WITH_DIRECTOR, escalate_after_realerts=0))
    assert result.escalated
    assert {m.to for m in outbox(session_factory)} == {STAFF_A, DIRECTOR}


def test_without_a_contact_the_staff_numbers_get_the_escalation(session_factory, staff_settings):
    store_lead(session_factory)
    run(session_factory, staff_settings, T0 + timedelta(minutes=16))
    run(session_factory, staff_settings, T0 + timedelta(minutes=31))
    assert [(m.to, m.body.split(" ")[0]) for m in outbox(session_factory)] == [(STAFF_A, "Still"), (STAFF_A, "Escalation:")]


def test_the_environment_contact_overrides_the_facility_file(session_factory, staff_settings):
    store_lead(session_factory)
    settings = replace(staff_settings, escalation_sms_to=("(602) 555-0177", "not a number"))
    run(session_factory, settings, T0 + timedelta(minutes=16), rules=WITH_DIRECTOR)
    run(session_factory, settings, T0 + timedelta(minutes=31), rules=WITH_DIRECTOR)
    assert [m.to for m in outbox(session_factory)] == [STAFF_A, STAFF_A, "+16025550177"]


def test_a_contact_who_is_also_staff_gets_one_message(session_factory, staff_settings):
    store_lead(session_factory)
    rules = replace(RULES, escalation_contacts=(STAFF_A,), escalate_after_realerts=0)
    run(session_factory, staff_settings, T0 + timedelta(minutes=16), rules=rules)
    assert [(m.to, m.body.split(" ")[0]) for m in outbox(session_factory)] == [(STAFF_A, "Escalation:")]


def test_without_staff_numbers_the_realert_waits_in_the_outbox_for_on_call(session_factory, settings):
    store_lead(session_factory)
    run(session_factory, settings, T0 + timedelta(minutes=16))
    assert [m.to for m in outbox(session_factory)] == ["on-call"]


def test_a_claimed_lead_is_never_realerted(session_factory, staff_settings):
    lead = store_lead(session_factory)
    callbacks.LEADS.claim(session_factory, lead.id, "dana")
    for minutes in (16, 31, 60, 600):
        assert run(session_factory, staff_settings, T0 + timedelta(minutes=minutes)) == []
    assert outbox(session_factory) == []
    assert escalation_events(session_factory) == []


def test_a_lead_claimed_after_a_realert_is_not_realerted_again(session_factory, staff_settings):
    lead = store_lead(session_factory)
    run(session_factory, staff_settings, T0 + timedelta(minutes=16))
    callbacks.LEADS.claim(session_factory, lead.id, "dana")
    assert run(session_factory, staff_settings, T0 + timedelta(minutes=31)) == []
    assert len(outbox(session_factory)) == 1


def test_a_crisis_follow_up_is_realerted_on_the_crisis_target_without_its_category(session_factory, staff_settings):
    rules = replace(RULES, claim_targets={**RULES.claim_targets, "crisis": 5, "urgent": 60})
    flag = flag_crisis(session_factory, conversation_id="conv-2", category="overdose", severity="urgent", now=T0).flag
    assert run(session_factory, staff_settings, T0 + timedelta(minutes=4), rules=rules) == []
    [result] = run(session_factory, staff_settings, T0 + timedelta(minutes=6), rules=rules)
    assert (result.record_type, result.reference, result.level) == ("crisis", flag.reference, 1)
    [message] = outbox(session_factory)
    assert message.callback_id is None
    assert message.body == (
        f"Still unclaimed after 6 min: URGENT helpline crisis follow-up {flag.reference}. "
        f"Open: https://console.example.org/crises/{flag.id}"
    )
    assert "overdose" not in message.body.lower()
    assert reload(session_factory, CrisisFlag, flag.id).escalation_level == 1
    assert escalation_events(session_factory)[0].record_type == "crisis"


def test_crisis_realerts_stay_under_the_page_cap(session_factory, staff_settings):
    for n in range(3):
        flag_crisis(session_factory, conversation_id=f"conv-{n}", category="unspecified", severity="urgent", now=T0)
    settings = replace(staff_settings, crisis_page_cap=2)
    assert len(run(session_factory, settings, T0 + timedelta(minutes=6))) == 2
    # The third waits for room in the cap's window (re-alerts are not pages the window counts).
    assert [r.level for r in run(session_factory, settings, T0 + timedelta(minutes=7))] == [1]


def test_a_crisis_follow_up_held_by_the_page_cap_is_not_realerted_on_its_own(session_factory, staff_settings):
    flag = flag_crisis(session_factory, conversation_id="conv-2", category="overdose", severity="urgent", now=T0).flag
    with session_factory() as session, session.begin():
        session.execute(update(CrisisFlag).where(CrisisFlag.id == flag.id).values(notification_status="held"))
    assert run(session_factory, staff_settings, T0 + timedelta(minutes=30)) == []


def test_a_routine_lead_left_at_2am_is_realerted_at_the_right_time_after_opening(session_factory, staff_settings):
    store_lead(session_factory, urgency="routine", created_at=local(2026, 3, 10, 2, 0))
    assert run(session_factory, staff_settings, local(2026, 3, 10, 7, 59)) == []
    assert run(session_factory, staff_settings, local(2026, 3, 10, 11, 59)) == []
    [result] = run(session_factory, staff_settings, local(2026, 3, 10, 12, 1))
    assert (result.level, result.minutes) == (1, 601)  # the SMS says how long it really waited
    # Level 2 is four more office hours on: 16:00 closes the day after 4 hours, so 16:00 itself.
    assert run(session_factory, staff_settings, local(2026, 3, 10, 15, 59)) == []
    assert [r.level for r in run(session_factory, staff_settings, local(2026, 3, 10, 16, 1))] == [2]
    # Overnight nothing more: level 3 waits for Wednesday 12:00.
    assert run(session_factory, staff_settings, local(2026, 3, 11, 11, 59)) == []
    assert [r.level for r in run(session_factory, staff_settings, local(2026, 3, 11, 12, 1))] == [3]


def test_a_reopened_lead_is_realerted_from_when_it_was_reopened(session_factory, staff_settings):
    lead = store_lead(session_factory, created_at=T0 - timedelta(days=10))  # older than the look-back window
    with session_factory() as session, session.begin():
        session.execute(update(CallbackRequest).where(CallbackRequest.id == lead.id)
                        .values(status="new", reopened_at=T0, escalation_level=0, escalated_at=None))
    assert run(session_factory, staff_settings, T0 + timedelta(minutes=14)) == []
    [result] = run(session_factory, staff_settings, T0 + timedelta(minutes=16))
    assert (result.level, result.minutes) == (1, 16)


def test_levels_stop_at_the_cap_and_old_records_are_left_alone(session_factory, staff_settings):
    store_lead(session_factory)
    store_lead(session_factory, key="old", created_at=T0 - escalation.LOOKBACK - timedelta(minutes=1))
    levels = []
    for minute in range(16, 16 + 10):  # hours late: still one level per run
        levels += [r.level for r in run(session_factory, staff_settings, T0 + timedelta(hours=5, minutes=minute))]
    assert levels == list(range(1, escalation.MAX_LEVEL + 1))


def test_each_level_is_audited_without_phi(session_factory, staff_settings):
    lead = store_lead(session_factory)
    run(session_factory, staff_settings, T0 + timedelta(minutes=16))
    run(session_factory, staff_settings, T0 + timedelta(minutes=31))
    events = sorted(escalation_events(session_factory), key=lambda e: e.id)
    assert [(e.actor, e.action, e.record_type, e.reference, e.detail, e.source) for e in events] == [
        ("system", "escalated", "callback", lead.reference, "level=1 minutes=16", "job"),
        ("system", "escalated", "callback", lead.reference, "level=2 minutes=31", "job"),
    ]


# -- sending fails --------------------------------------------------------------------------------

def test_a_failed_send_is_retried_next_run_and_never_sent_twice(session_factory, staff_settings):
    lead = store_lead(session_factory)
    notifier = Flaky(failures=1)
    [failed] = run(session_factory, staff_settings, T0 + timedelta(minutes=16), notifier=notifier)
    assert (failed.status, failed.level, failed.error) == ("retry", 1, "twilio http 503 code 20003")
    stored = reload(session_factory, CallbackRequest, lead.id)
    assert (stored.escalation_level, stored.escalated_at) == (1, None)

    [retried] = run(session_factory, staff_settings, T0 + timedelta(minutes=17), notifier=notifier)
    assert (retried.status, retried.level, retried.resent, retried.minutes) == ("sent", 1, True, 17)
    assert [to for to, _ in notifier.sent] == [STAFF_A]
    assert run(session_factory, staff_settings, T0 + timedelta(minutes=18), notifier=notifier) == []
    assert len(notifier.sent) == 1
    # The level was audited once, when it was taken.
    assert len(escalation_events(session_factory)) == 1


def test_a_level_someone_got_is_not_sent_again(session_factory, staff_settings):
    store_lead(session_factory)
    settings = replace(staff_settings, staff_sms_to=(STAFF_A, STAFF_B))
    notifier = Flaky(failing=(STAFF_B,))
    [result] = run(session_factory, settings, T0 + timedelta(minutes=16), notifier=notifier)
    assert (result.status, result.delivered_to) == ("partial", [STAFF_A])
    assert run(session_factory, settings, T0 + timedelta(minutes=17), notifier=notifier) == []
    assert notifier.sent == [(STAFF_A, notifier.sent[0][1])]


def test_a_send_no_number_can_take_is_not_retried(session_factory, staff_settings):
    store_lead(session_factory)
    notifier = Flaky(failures=5, retryable=False)
    [result] = run(session_factory, staff_settings, T0 + timedelta(minutes=16), notifier=notifier)
    assert result.status == "failed"
    assert run(session_factory, staff_settings, T0 + timedelta(minutes=17), notifier=notifier) == []
    assert notifier.failures == 4  # one attempt only


def test_a_runner_that_read_the_record_before_another_took_the_level_sends_nothing(session_factory, staff_settings):
    store_lead(session_factory)
    now = T0 + timedelta(minutes=16)
    [stale] = escalation._candidates(session_factory, escalation.CALLBACK, now)
    assert len(run(session_factory, staff_settings, now)) == 1
    assert escalation._escalate_one(session_factory, staff_settings, escalation.CALLBACK, stale, now,
                                    rules=RULES, facility=FACILITY, notifier=None) is None
    assert len(outbox(session_factory)) == 1
    assert len(escalation_events(session_factory)) == 1


# -- wiring ----------------------------------------------------------------------------------------

def test_the_every_minute_job_escalates_with_the_context_database_and_facility(session_factory, db_url, staff_settings,
                                                                                capsys):
    assert "escalation" in dict(minutely.JOBS)
    lead = store_lead(session_factory)
    context = AppContext(replace(staff_settings, database_url=db_url))
    minutely._escalation(context, T0 + timedelta(minutes=16))
    assert [m.to for m in outbox(session_factory)] == [STAFF_A]
    assert f"[helpline] escalation for callback {lead.reference} level 1: outbox" in capsys.readouterr().out


def test_the_escalation_numbers_come_from_the_environment():
    settings = load_settings({"HELPLINE_ESCALATION_SMS_TO": " +16025550199, ,+16025550198 "})
    assert settings.escalation_sms_to == ("+16025550199", "+16025550198")
    assert load_settings({}).escalation_sms_to == ()
    assert escalation.escalation_contacts(load_settings({}), AdmissionsRules(escalation_contacts=(DIRECTOR,))) == [DIRECTOR]

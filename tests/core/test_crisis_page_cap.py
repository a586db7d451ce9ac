"""The cap on crisis pages: N pages per window counted in the database, the rest in ONE summary page."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from typing import List

import pytest
from sqlalchemy import select

from helpline.notify.sender import NotifyError
from helpline.notify.staff_sms import notify_crisis, retry_pending, send_crisis_summary
from helpline.ops import runner
from helpline.queues import crisis_flags
from helpline.queues.crisis_flags import flag_crisis
from helpline.safety import crisis_pages
from helpline.store import db
from helpline.store.models import CrisisFlag, CrisisPage, OutboxMessage, metadata, utcnow
from tests.services import postgres_database

CAP = 3


@pytest.fixture
def capped(settings):
    """Outbox alerts to one staff number, at most CAP crisis pages per 10 minutes."""
    return replace(settings, staff_sms_to=("+16025550101",), crisis_page_cap=CAP, crisis_page_window_minutes=10.0)


def open_and_alert(session_factory, settings, conversation: str, severity: str = "urgent"):
    flagged = flag_crisis(session_factory, conversation_id=conversation, category="overdose", severity=severity)
    return flagged.flag, notify_crisis(session_factory, flagged.flag.id, settings)


def outbox(session_factory, kind: str) -> List[OutboxMessage]:
    with session_factory() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        return list(session.execute(query).scalars())


def statuses(session_factory) -> List[str]:
    with session_factory() as session:
        return list(session.execute(select(CrisisFlag.notification_status).order_by(CrisisFlag.id)).scalars())


def let_the_window_pass(session_factory, minutes: float = 11) -> None:
    """Move every counted page back in time, as if the window had passed."""
    with session_factory() as session, session.begin():
        for page in session.execute(select(CrisisPage)).scalars():
            page.sent_at = page.sent_at - timedelta(minutes=minutes)


def test_n_plus_k_flags_give_n_pages_then_one_summary(session_factory, capped):
    results = [open_and_alert(session_factory, capped, f"conv-{n}")[1] for n in range(CAP + 4)]
    assert [r.status for r in results] == ["outbox"] * CAP + ["held"] * 4
    assert len(outbox(session_factory, "crisis_alert")) == CAP
    # Every follow-up is stored and in the staff queue, paged or not.
    assert len(crisis_flags.CRISES.list(session_factory, "new")) == CAP + 4
    assert statuses(session_factory) == ["outbox"] * CAP + ["held"] * 4

    # The window is still full: the job sends nothing yet.
    assert retry_pending(session_factory, capped, min_age_seconds=0) == []
    assert outbox(session_factory, "crisis_summary") == []

    let_the_window_pass(session_factory)
    [summary] = retry_pending(session_factory, capped, min_age_seconds=0)
    assert (summary.kind, summary.status, summary.covered) == ("crisis_summary", "outbox", 4)
    assert summary.label == "crisis summary (4 follow-ups)"
    [page] = outbox(session_factory, "crisis_summary")
    assert page.body == (
        "URGENT helpline: 4 more crisis follow-ups waiting (too many at once to page one by one). "
        "Open: https://console.example.org/crises"
    )
    assert statuses(session_factory) == ["outbox"] * CAP + ["batched"] * 4
    # Reported once: the next runs send nothing more.
    assert retry_pending(session_factory, capped, min_age_seconds=0) == []
    assert len(outbox(session_factory, "crisis_summary")) == 1
    assert len(outbox(session_factory, "crisis_alert")) == CAP


def test_the_summary_names_no_follow_up_and_no_conversation(session_factory, capped):
    held = [open_and_alert(session_factory, capped, f"+1602555013{n}")[0] for n in range(CAP + 2)][CAP:]
    let_the_window_pass(session_factory)
    retry_pending(session_factory, capped, min_age_seconds=0)
    [page] = outbox(session_factory, "crisis_summary")
    for flag in held:
        assert flag.reference not in page.body and flag.conversation_id not in page.body
    assert "overdose" not in page.body.lower()


def test_the_summary_page_counts_against_the_cap(session_factory, capped):
    for n in range(CAP + 1):
        open_and_alert(session_factory, capped, f"conv-{n}")
    let_the_window_pass(session_factory)
    assert retry_pending(session_factory, capped, min_age_seconds=0)[0].kind == "crisis_summary"
    # CAP - 1 more fit in this window, then the summary page's slot is missing.
    results = [open_and_alert(session_factory, capped, f"later-{n}")[1].status for n in range(CAP)]
    assert results == ["outbox"] * (CAP - 1) + ["held"]


def test_a_retry_of_the_same_alert_round_is_the_same_page(session_factory, capped):
    one = replace(capped, crisis_page_cap=1)
    flag, _ = open_and_alert(session_factory, one, "conv-1")
    # The window is full, yet the same round may go out again, and is not counted twice.
    assert crisis_pages.take_page(session_factory, flag.id, 1, one)
    assert not crisis_pages.take_page(session_factory, flag.id, 2, one)  # a new round is a new page
    with session_factory() as session:
        pages = session.execute(select(CrisisPage)).scalars().all()
    assert [(p.kind, p.flag_id, p.alert_round) for p in pages] == [("single", flag.id, 1)]


def test_a_failed_page_is_retried_without_counting_again(session_factory, capped):
    class Failing:
        success_status = "sent"

        def send(self, to, body, *, callback_id=None):
            raise NotifyError("twilio http 503 code 20003", retryable=True)

    flagged = flag_crisis(session_factory, conversation_id="conv-1", category="overdose", severity="urgent")
    assert notify_crisis(session_factory, flagged.flag.id, capped, Failing(), max_attempts=1).status == "failed"
    for n in range(CAP - 1):
        open_and_alert(session_factory, capped, f"other-{n}")
    # The failed round already holds its page: the retry is sent although the window is full.
    assert notify_crisis(session_factory, flagged.flag.id, capped).status == "outbox"
    assert crisis_pages.pages_in_window(session_factory, capped) == CAP


def test_an_escalated_held_follow_up_is_paged_when_there_is_room(session_factory, capped):
    for n in range(CAP):
        open_and_alert(session_factory, capped, f"conv-{n}")
    held, result = open_and_alert(session_factory, capped, "rising")
    assert result.status == "held"
    let_the_window_pass(session_factory)
    # The person's next message is more severe: a new alert round, decided on its own.
    flagged = flag_crisis(session_factory, conversation_id="rising", category="overdose", severity="immediate")
    assert flagged.escalated and flagged.needs_alert
    assert notify_crisis(session_factory, held.id, capped).status == "outbox"
    # Nothing left held, so no summary is due.
    assert retry_pending(session_factory, capped, min_age_seconds=0) == []


def test_follow_ups_taken_by_staff_meanwhile_are_left_out_of_the_summary(session_factory, capped):
    flags = [open_and_alert(session_factory, capped, f"conv-{n}")[0] for n in range(CAP + 3)]
    crisis_flags.CRISES.claim(session_factory, flags[CAP].id, "sam")
    crisis_flags.CRISES.close(session_factory, flags[CAP + 1].id, "reached")
    let_the_window_pass(session_factory)
    [summary] = retry_pending(session_factory, capped, min_age_seconds=0)
    assert summary.covered == 1
    assert "1 more crisis follow-up waiting" in outbox(session_factory, "crisis_summary")[0].body


def test_a_summary_that_could_not_be_sent_is_sent_on_a_later_run(session_factory, capped):
    class Down:
        success_status = "sent"

        def send(self, to, body, *, callback_id=None):
            raise NotifyError("twilio network error: ConnectionError", retryable=True)

    class Up:
        success_status = "sent"

        def __init__(self):
            self.bodies = []

        def send(self, to, body, *, callback_id=None):
            self.bodies.append(body)
            return "SM1"

    for n in range(CAP + 2):
        open_and_alert(session_factory, capped, f"conv-{n}")
    let_the_window_pass(session_factory)
    failed = send_crisis_summary(session_factory, capped, Down())
    assert failed.status == "failed" and failed.error
    assert statuses(session_factory)[CAP:] == ["held", "held"]
    up = Up()
    sent = send_crisis_summary(session_factory, capped, up)
    assert sent.status == "sent" and up.bodies and "2 more crisis follow-ups" in up.bodies[0]
    assert statuses(session_factory)[CAP:] == ["batched", "batched"]


def test_a_summary_claimed_by_a_process_that_died_is_sent_later(session_factory, capped):
    for n in range(CAP + 2):
        open_and_alert(session_factory, capped, f"conv-{n}")
    let_the_window_pass(session_factory)
    # Claimed, then the process died before sending it: nothing was sent.
    assert crisis_pages.claim_summary(session_factory, capped).count == 2
    assert retry_pending(session_factory, capped, min_age_seconds=0) == []  # a fresh claim may still be sending
    assert outbox(session_factory, "crisis_summary") == []
    later = utcnow() + crisis_pages.STALE_CLAIM + timedelta(seconds=1)
    summary = send_crisis_summary(session_factory, capped, now=later)
    assert (summary.status, summary.covered) == ("outbox", 2)
    assert statuses(session_factory)[CAP:] == ["batched", "batched"]
    assert send_crisis_summary(session_factory, capped, now=later + crisis_pages.STALE_CLAIM * 2) is None


def test_the_every_minute_job_of_helpline_run_sends_the_summary(isolated_env, monkeypatch, capsys):
    monkeypatch.setenv("HELPLINE_CRISIS_PAGE_CAP", "2")
    monkeypatch.setenv("HELPLINE_STAFF_SMS_TO", "+16025550101")
    settings = runner.load_settings()
    db.upgrade(settings.effective_database_url)
    sessions = db.session_factory(settings.effective_database_url)
    for n in range(5):
        open_and_alert(sessions, settings, f"conv-{n}")
    let_the_window_pass(sessions)
    runner.retry_staff_alerts()
    assert "staff alert for crisis summary (3 follow-ups): outbox" in capsys.readouterr().out
    assert len(outbox(sessions, "crisis_summary")) == 1 and len(outbox(sessions, "crisis_alert")) == 2


def test_the_cap_holds_when_processes_page_at_once(session_factory, capped):
    assert_cap_holds_under_concurrency(session_factory, capped)


def test_the_cap_holds_on_postgresql(capped):
    with postgres_database() as url:
        try:
            db.upgrade(url)
            sessions = db.session_factory(url)
            assert_cap_holds_under_concurrency(sessions, capped)
            for n in range(2):
                open_and_alert(sessions, capped, f"more-{n}")
            let_the_window_pass(sessions)
            results = retry_pending(sessions, capped, min_age_seconds=0)
            # The summary first, then the CAP follow-ups whose page was counted but not yet sent.
            assert [r.kind for r in results] == ["crisis_summary"] + ["crisis"] * CAP
            assert results[0].covered == 12 - CAP + 2
            assert all(r.status == "outbox" for r in results)
        finally:
            db.dispose_all()


def assert_cap_holds_under_concurrency(session_factory, settings) -> None:
    flags = [flag_crisis(session_factory, conversation_id=f"c-{n}", category="overdose", severity="urgent").flag
             for n in range(12)]
    start = threading.Barrier(len(flags))
    outcomes: List[bool] = []

    def page(flag_id: int) -> None:
        start.wait()
        outcomes.append(crisis_pages.take_page(session_factory, flag_id, 1, settings))

    threads = [threading.Thread(target=page, args=(f.id,)) for f in flags]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False] * (12 - CAP) + [True] * CAP
    assert statuses(session_factory).count("held") == 12 - CAP


# -- schema ------------------------------------------------------------------------------------

def test_revision_0007_matches_the_model_and_downgrades(db_url, session_factory, capped):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine_for(db_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert [d for d in diff if "crisis" in repr(d)] == []

    for n in range(CAP + 2):
        open_and_alert(session_factory, capped, f"conv-{n}")
    let_the_window_pass(session_factory)
    flags = crisis_flags.CRISES.list(session_factory)
    send_crisis_summary(session_factory, capped)
    open_and_alert(session_factory, capped, "held-at-downgrade")
    for n in range(CAP):
        open_and_alert(session_factory, capped, f"fill-{n}")
    assert set(statuses(session_factory)) == {"outbox", "batched", "held"}

    config = db._alembic_config(db_url)
    with db.engine_for(db_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    assert "crisis_pages" not in db.table_names(db_url)
    with db.engine_for(db_url).connect() as connection:
        rows = connection.exec_driver_sql("SELECT notification_status FROM crisis_flags").scalars().all()
    # The older code's retry job pages held ones; batched ones count as sent.
    assert set(rows) <= {"outbox", "sent", "pending"} and "pending" in rows and "sent" in rows
    assert len(rows) == len(flags) + 1 + CAP
    assert db.upgrade(db_url) == db.head_revision()

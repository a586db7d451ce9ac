"""The analytics dashboard's figures (helpline.reports): the rollup from real-shaped tracker events, the
figures checked by count against a seeded database (SQLite and PostgreSQL), the CSV, and no PHI anywhere.

Tracker events have the shapes Rasa 3.6 stores (tests/tracker_events.py writes them sealed as the
encrypted tracker store does): bot events name their response in ``metadata.utter_action``, forms
show as ``active_loop`` and ``requested_slot`` events, FAQ answers as ``faq_topics_answered``.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from helpline.intake.questions import SLOTS
from helpline.reports import export, facts, rollup
from helpline.reports.queries import DateRange, Durations, build_report, percentile
from helpline.security import crypto
from helpline.store import db
from helpline.store.models import (
    CallAttempt,
    CallbackRequest,
    ConversationStats,
    CrisisFlag,
    FaqTopicDay,
    ReportRollupState,
)
from tests import services
from tests import tracker_events as te

ZONE = "America/Phoenix"  # UTC-7 all year
SECRET = "report-test-secret"
D1 = date(2026, 12, 1)
T0 = datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc).timestamp()  # 10:00 in Phoenix on D1
WEB = "web-" + "a" * 32
SMS = "sms-" + "b" * 64
IDLE = "web-" + "c" * 32
PHI = ("Marisol", "+16025550134", "602 555 0134", "quiero morir", "L-7Q2K9", "L-8R3M4", "ask-me-anything", WEB, SMS,
       IDLE, "Maria")


@pytest.fixture(autouse=True)
def keys(isolated_env, monkeypatch):
    monkeypatch.setenv(crypto.KEYS_ENV, crypto.generate_key())
    crypto.reset_cache()
    yield isolated_env
    crypto.reset_cache()


@pytest.fixture
def tracker_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


# -- real-shaped events ------------------------------------------------------------------------------

def user(text: str, at: float, intent: str = "inform", channel: str = "rest", **parse: Any) -> Dict[str, Any]:
    event = te.user(text, at, intent)
    event["input_channel"] = channel
    event["parse_data"].update(parse)
    return event


def bot(response: str, at: float, text: str = "Some reply.") -> Dict[str, Any]:
    event = te.bot(text, at)
    event["metadata"] = {"utter_action": response}
    return event


def new_session(at: float) -> List[Dict[str, Any]]:
    return [te.action("action_session_start", at), {"event": "session_started", "timestamp": at},
            te.action("action_listen", at)]


def loop(name: Optional[str], at: float) -> Dict[str, Any]:
    return {"event": "active_loop", "timestamp": at, "name": name}


def asks(slot: str, at: float) -> Dict[str, Any]:
    return te.slot("requested_slot", slot, at)


def answer(text: str, slot: str, value: Any, next_slot: Optional[str], at: float) -> List[Dict[str, Any]]:
    return [user(text, at), te.slot(slot, value, at), asks(next_slot, at) if next_slot else loop(None, at)]


SELECTOR = {"faq": {"response": {"intent_response_key": "faq/cost", "confidence": 0.93},
                    "ranking": [{"intent_response_key": "faq/cost", "confidence": 0.93}]}}


def web_conversation_part_one(at: float) -> List[Dict[str, Any]]:
    return [
        *new_session(at),
        user("hello", at + 10, "greet"), te.slot("language", "en", at + 10), bot("utter_greet", at + 10),
        user("how much does it cost", at + 20, "faq", response_selector=SELECTOR),
        te.action("action_answer_faq", at + 20), bot("utter_faq/cost", at + 20),
        te.slot("faq_topics_answered", ["cost"], at + 20),
        user("ask-me-anything", at + 30, "faq_clarify"), te.action("action_clarify_faq", at + 30),
        bot("utter_clarify_faq", at + 30),
        user('/choose_faq_topic{"faq_topic":"age"}', at + 40, "choose_faq_topic"),
        te.action("action_answer_faq", at + 40), te.slot("faq_topics_answered", ["cost", "age"], at + 40),
        user("blorp", at + 50, "nlu_fallback"), bot("utter_default", at + 50),
        user("/request_callback", at + 60, "request_callback"), bot("utter_intake_start", at + 60),
        te.action("intake_form", at + 60), loop("intake_form", at + 60), asks("who_for", at + 60),
        *answer("for me", "who_for", "self", "first_name", at + 70),
        *answer("Marisol", "first_name", "Marisol", "callback_phone", at + 80),
        *answer("602 555 0134", "callback_phone", "+16025550134", "best_time", at + 90),
        *answer("mornings", "best_time", "morning", "consent", at + 100),
        *answer("yes", "consent", True, None, at + 110),
        te.slot("requested_slot", None, at + 110), te.action("action_submit_intake", at + 110),
        bot("utter_handoff_confirmed", at + 110), te.slot("lead_reference", "L-7Q2K9", at + 110),
        te.action("screening_form", at + 110), loop("screening_form", at + 110), asks("substances", at + 110),
        *answer("alcohol", "substances", ["alcohol"], "last_use", at + 120),
    ]


def web_conversation_part_two(at: float) -> List[Dict[str, Any]]:
    return [
        *answer("yesterday", "last_use", "yesterday", "withdrawal_signs", at),
        user("stop", at + 10, "stop"), te.action("action_stop_intake", at + 10), loop(None, at + 10),
    ]


def sms_crisis_conversation(at: float) -> List[Dict[str, Any]]:
    return [
        *new_session(at),
        user("hola", at + 1, "greet", channel="sms"), te.slot("language", "es", at + 1), bot("utter_greet", at + 1),
        user("quiero morir", at + 2, "crisis", channel="sms"), te.action("action_crisis_response", at + 2),
        bot("utter_crisis_suicide_self_harm", at + 2), te.slot("crisis_category", "suicide_self_harm", at + 2),
        bot("utter_crisis_followup", at + 2),
        user("/affirm", at + 3, "affirm", channel="sms"), te.action("action_crisis_callback", at + 3),
        te.slot("lead_on_file", False, at + 3), te.action("crisis_callback_form", at + 3),
        loop("crisis_callback_form", at + 3), asks("callback_phone", at + 3),
        user("6025550134", at + 4, channel="sms"), te.slot("callback_phone", "+16025550134", at + 4),
        asks("consent", at + 4),
        user("si", at + 5, "affirm", channel="sms"), loop(None, at + 5), te.slot("requested_slot", None, at + 5),
        te.slot("lead_reference", "L-8R3M4", at + 5),
    ]


def key_of(sender: str) -> str:
    return rollup.sender_key(sender, rollup.report_key(SECRET))


def row_of(factory, sender: str) -> ConversationStats:
    with factory() as session:
        return session.execute(select(ConversationStats).where(ConversationStats.sender_key == key_of(sender))
                               ).scalar_one()


def run(factory, tracker_url: str, now: float, **kwargs: Any) -> rollup.RollupResult:
    return rollup.roll_up(factory, tracker_url, ZONE, now=datetime.fromtimestamp(now, timezone.utc), secret=SECRET,
                          **kwargs)


def all_rows(factory) -> List[Dict[str, Any]]:
    with factory() as session:
        found = []
        for model in (ConversationStats, FaqTopicDay, ReportRollupState):
            found += [dict(row._mapping) for row in session.execute(select(model.__table__)).all()]
        return found


# -- the rollup ---------------------------------------------------------------------------------

def test_every_intake_question_has_a_step_bit_that_fits_the_column():
    assert set(facts.STEPS) == set(SLOTS) == set(facts.STEP_BITS)
    assert facts.STEPS == SLOTS  # form order
    assert len(set(facts.STEP_BITS.values())) == len(facts.STEP_BITS)
    assert max(facts.STEP_BITS.values()) < 2 ** 31


def test_rollup_derives_each_conversations_figures_from_real_shaped_events(session_factory, tracker_url):
    te.write(tracker_url, WEB, web_conversation_part_one(T0) + web_conversation_part_two(T0 + 300))
    te.write(tracker_url, SMS, sms_crisis_conversation(T0 + 600))
    te.write(tracker_url, IDLE, new_session(T0 + 700))  # the widget opened, nothing written

    result = run(session_factory, tracker_url, T0 + 3600)

    assert result.caught_up and result.unreadable == 0
    web = row_of(session_factory, WEB)
    assert (web.channel, web.language, web.local_day) == ("web", "en", D1)
    assert web.started_at == datetime.fromtimestamp(T0 + 10, timezone.utc)  # the first message, not the session
    assert (web.user_messages, web.faq_answers, web.clarifications, web.fallbacks) == (14, 2, 1, 1)
    assert web.intake_started and web.lead_stored and not web.crisis_flagged
    reached = {slot for slot, bit in facts.STEP_BITS.items() if web.intake_steps & bit}
    assert reached == {"who_for", "first_name", "callback_phone", "best_time", "consent", "substances", "last_use",
                       "withdrawal_signs"}
    sms = row_of(session_factory, SMS)
    assert (sms.channel, sms.language, sms.user_messages) == ("sms", "es", 5)
    assert sms.crisis_flagged and sms.lead_stored and not sms.intake_started
    assert sms.intake_steps == 0  # the crisis path's callback form is not the intake
    assert row_of(session_factory, IDLE).user_messages == 0
    with session_factory() as session:
        topics = {(r.local_day, r.topic): r.asks for r in session.execute(select(FaqTopicDay)).scalars()}
    assert topics == {(D1, "cost"): 1, (D1, "age"): 1}


def test_a_second_run_reads_only_the_new_events_and_updates_the_same_conversation(session_factory, tracker_url):
    first = web_conversation_part_one(T0)
    te.write(tracker_url, WEB, first)
    assert run(session_factory, tracker_url, T0 + 3600).events == len(first)
    before = row_of(session_factory, WEB)
    assert before.user_messages == 12 and before.active_form == "screening_form"

    second = web_conversation_part_two(T0 + 300) + [te.slot("faq_topics_answered", ["cost", "age", "cost"], T0 + 320)]
    te.write(tracker_url, WEB, second)
    result = run(session_factory, tracker_url, T0 + 3600)

    assert result.events == len(second)
    after = row_of(session_factory, WEB)
    assert after.id == before.id
    assert (after.user_messages, after.faq_answers) == (14, 3)
    assert after.intake_steps & facts.STEP_BITS["withdrawal_signs"]
    with session_factory() as session:
        assert session.get(FaqTopicDay, (D1, "cost")).asks == 2
        assert session.scalar(select(sa.func.count()).select_from(ConversationStats)) == 1
    assert run(session_factory, tracker_url, T0 + 3600).events == 0  # nothing new: nothing counted twice


def test_events_are_read_only_once_settled(session_factory, tracker_url):
    te.write(tracker_url, WEB, new_session(T0) + [user("hello", T0 + 10), user("again", T0 + 200)])
    early = run(session_factory, tracker_url, T0 + 95)  # "again" is in the future, "hello" too recent
    assert early.events == 3 and row_of(session_factory, WEB).user_messages == 0
    assert run(session_factory, tracker_url, T0 + 400).events == 2
    assert row_of(session_factory, WEB).user_messages == 2


def test_a_new_session_of_the_same_sender_is_a_new_conversation_and_frees_the_key(session_factory, tracker_url):
    next_day = T0 + 86400
    te.write(tracker_url, WEB, new_session(T0) + [user("hello", T0 + 10)])
    run(session_factory, tracker_url, T0 + 3600)
    te.write(tracker_url, WEB, new_session(next_day) + [user("hi again", next_day + 5, channel="socketio")])
    run(session_factory, tracker_url, next_day + 3600)

    with session_factory() as session:
        rows = session.execute(select(ConversationStats).order_by(ConversationStats.id)).scalars().all()
    assert [(r.local_day, r.user_messages) for r in rows] == [(D1, 1), (D1 + timedelta(days=1), 1)]
    assert rows[0].sender_key is None and rows[1].sender_key == key_of(WEB)


def test_sender_keys_are_forgotten_a_day_after_the_last_event_and_empty_sessions_dropped(session_factory,
                                                                                        tracker_url):
    te.write(tracker_url, WEB, new_session(T0) + [user("hello", T0 + 10)])
    te.write(tracker_url, IDLE, new_session(T0 + 20))
    assert run(session_factory, tracker_url, T0 + 3600).forgotten == 0

    result = run(session_factory, tracker_url, T0 + 86400 + 3600)  # a quiet day later: nothing new to read

    assert (result.events, result.forgotten, result.dropped) == (0, 1, 1)
    with session_factory() as session:
        (row,) = session.execute(select(ConversationStats)).scalars().all()
    assert (row.user_messages, row.sender_key, row.active_form) == (1, None, None)


def test_a_rollup_still_catching_up_forgets_no_key(session_factory, tracker_url):
    te.write(tracker_url, WEB, new_session(T0) + [user("hello", T0 + 10)])
    te.write(tracker_url, SMS, new_session(T0 + 86400 * 2) + [user("hola", T0 + 86400 * 2 + 10, channel="sms")])
    long_after = T0 + 86400 * 5

    behind = run(session_factory, tracker_url, long_after, batch_size=4, time_budget=0)

    assert (behind.caught_up, behind.forgotten) == (False, 0)  # WEB's session might still get events
    assert row_of(session_factory, WEB).user_messages == 1
    assert run(session_factory, tracker_url, long_after).forgotten == 2


def test_nothing_identifying_is_stored_and_the_key_is_not_a_plain_hash(session_factory, tracker_url):
    te.write(tracker_url, WEB, web_conversation_part_one(T0))
    te.write(tracker_url, SMS, sms_crisis_conversation(T0 + 600))
    run(session_factory, tracker_url, T0 + 3600)

    stored = json.dumps(all_rows(session_factory), default=str)
    for secret in PHI:
        assert secret not in stored
    assert hashlib.sha256(SMS.encode()).hexdigest() not in stored
    assert key_of(SMS) in stored and len(key_of(SMS)) == 64


def test_an_unreadable_event_is_counted_by_type_and_skipped(session_factory, tracker_url):
    from cryptography.fernet import Fernet, MultiFernet

    other = MultiFernet([Fernet(Fernet.generate_key())])
    te.write(tracker_url, WEB, new_session(T0) + [user("hello", T0 + 10)])
    te.write(tracker_url, WEB, [user("sealed elsewhere", T0 + 20), te.slot("language", "es", T0 + 20)], box=other)

    result = run(session_factory, tracker_url, T0 + 3600)

    assert result.unreadable == 2
    row = row_of(session_factory, WEB)
    assert (row.user_messages, row.language) == (2, "en")


def test_reused_tracker_ids_are_read_after_a_purge_of_every_conversation(session_factory, tracker_url):
    te.write(tracker_url, WEB, new_session(T0) + [user("hello", T0 + 10), user("more", T0 + 11)])
    run(session_factory, tracker_url, T0 + 3600)
    engine = sa.create_engine(tracker_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events"))
    engine.dispose()
    te.write(tracker_url, SMS, new_session(T0 + 7200) + [user("hola", T0 + 7210, channel="sms")])

    result = run(session_factory, tracker_url, T0 + 9000)

    assert result.events == 4
    assert row_of(session_factory, SMS).user_messages == 1


def test_without_a_tracker_database_the_rollup_does_nothing(session_factory, tracker_url):
    assert run(session_factory, tracker_url, T0) == rollup.RollupResult()


def test_a_batch_limit_leaves_the_rest_for_the_next_pass(session_factory, tracker_url):
    events = new_session(T0) + [user(f"message {n}", T0 + 10 + n) for n in range(7)]
    te.write(tracker_url, WEB, events)
    result = run(session_factory, tracker_url, T0 + 3600, batch_size=4, time_budget=0)
    assert (result.events, result.caught_up) == (4, False)
    assert run(session_factory, tracker_url, T0 + 3600, batch_size=4).events == len(events) - 4
    assert row_of(session_factory, WEB).user_messages == 7


def test_the_every_minute_job_rolls_up_with_the_installs_settings(tmp_path, tracker_url, migrated_database):
    from helpline.composition import AppContext
    from helpline.ops import minutely
    from helpline.settings import Settings

    url = migrated_database(f"sqlite:///{tmp_path / 'job.db'}")
    te.write(tracker_url, WEB, new_session(T0) + [user("hello", T0 + 10)])
    context = AppContext(Settings(data_dir=tmp_path, database_url=url, tracker_url=tracker_url))

    assert "report rollup" in dict(minutely.JOBS)
    result = rollup.run_job(context)

    assert (result.events, result.conversations) == (4, 1)
    assert (tmp_path / "sms-id.secret").exists()  # the key comes from the install's id secret


def test_two_rollups_at_once_count_every_event_once_on_postgresql(isolated_env):
    from concurrent.futures import ThreadPoolExecutor

    with services.postgres_database() as url:
        try:
            db.upgrade(url)
            factory = db.session_factory(url)
            engine = sa.create_engine(url)
            with engine.begin() as connection:  # as Rasa's store makes it on PostgreSQL: ids from a sequence
                connection.execute(sa.text(te.EVENTS_DDL.replace("id INTEGER PRIMARY KEY", "id SERIAL PRIMARY KEY")))
            engine.dispose()
            te.write(url, WEB, new_session(T0) + [user(f"message {n}", T0 + 10 + n) for n in range(60)])
            te.write(url, SMS, new_session(T0) + [user(f"mensaje {n}", T0 + 10 + n, channel="sms") for n in range(40)])

            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(lambda _: run(factory, url, T0 + 3600, batch_size=7), range(2)))

            assert sum(r.events for r in results) == 106
            assert (row_of(factory, WEB).user_messages, row_of(factory, SMS).user_messages) == (60, 40)
        finally:
            db.dispose_all()


# -- the figures, by count ---------------------------------------------------------------------------

def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (Phoenix) time as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone(timedelta(hours=-7))
                    ).astimezone(timezone.utc)


def conversation(day: date, channel: str = "web", language: str = "en", messages: int = 4, **values: Any) -> Any:
    started = at(day, 9)
    return ConversationStats(started_at=started, local_day=day, last_event_at=started, channel=channel,
                             language=language, user_messages=messages, **values)


def steps(*slots: str) -> int:
    return sum(facts.STEP_BITS[s] for s in slots)


CONTACT = ("who_for", "first_name", "callback_phone", "best_time", "consent")


def lead(number: int, created: datetime, urgency: str = "urgent", claimed: Optional[int] = None,
         attempt: Optional[int] = None, outcome: Optional[str] = None) -> CallbackRequest:
    return CallbackRequest(
        reference=f"L-TEST{number}", idempotency_key=f"key-{number}", created_at=created, urgency=urgency,
        level_of_care="iop_fit", phone_e164="+16025550134", first_name="Maria", consent=True,
        status="closed" if outcome else ("claimed" if claimed is not None else "new"), outcome=outcome,
        claimed_by="sam" if claimed is not None else None,
        claimed_at=created + timedelta(minutes=claimed) if claimed is not None else None,
        first_attempt_at=created + timedelta(minutes=attempt) if attempt is not None else None,
        closed_at=created + timedelta(hours=5) if outcome else None,
    )


def flag(number: int, created: datetime, category: str, claimed: Optional[int] = None) -> CrisisFlag:
    return CrisisFlag(reference=f"C-TEST{number}", conversation_id=f"conversation-{number}", category=category,
                      severity="urgent", created_at=created, last_seen_at=created,
                      status="claimed" if claimed is not None else "new",
                      claimed_at=created + timedelta(minutes=claimed) if claimed is not None else None)


def seed(factory) -> None:
    d0, d2, d3, d4 = (D1 + timedelta(days=n) for n in (-1, 1, 2, 3))
    with factory() as session, session.begin():
        session.add_all([
            # D1: six web conversations in English.
            *(conversation(D1, faq_answers=1, intake_started=True, lead_stored=True,
                           intake_steps=steps(*CONTACT, *extra), clarifications=clar)
              for extra, clar in ((("substances", "last_use"), 1), (("substances", "suicide_wish"), 1), ((), 0))),
            conversation(D1, faq_answers=1, intake_started=True, intake_steps=steps("who_for")),
            conversation(D1, faq_answers=1, fallbacks=2),
            conversation(D1, faq_answers=1),
            # D2: three SMS and one web conversation, in Spanish.
            conversation(d2, "sms", "es", 2, fallbacks=1), conversation(d2, "sms", "es", 2),
            conversation(d2, "sms", "es", 2), conversation(d2, "web", "es", 1),
            # Not counted: no message, or outside the range.
            conversation(D1, messages=0), conversation(d0, intake_started=True), conversation(d4, "sms"),
        ])
        session.add_all([FaqTopicDay(local_day=day, topic=topic, asks=n) for day, topic, n in (
            (D1, "cost", 5), (d2, "cost", 2), (D1, "insurance", 4), (d3, "age", 1), (d0, "cost", 100),
            (d4, "detox", 7))])
        leads = [
            lead(1, at(D1, 10), claimed=10, attempt=15, outcome="enrolled"),
            lead(2, at(D1, 11), claimed=20, attempt=30),
            lead(3, at(D1, 12), claimed=30, attempt=60),
            lead(4, at(D1, 13), claimed=40),
            lead(5, at(d2, 9), "routine"),
            lead(6, at(d2, 10), "immediate", claimed=2, attempt=3, outcome="declined"),
            lead(7, at(d3, 23, 30), "soon"),  # 06:30 UTC the next day: still D3 in Phoenix
            lead(8, at(d4, 0, 30), claimed=5),  # D4 in Phoenix: outside
            lead(9, at(d0, 12), claimed=5, attempt=5, outcome="enrolled"),
        ]
        session.add_all(leads)
        session.flush()
        session.add_all([
            CallAttempt(record_type="callback", record_id=leads[0].id, at=at(D1, 10, 15), by="sam", outcome="reached"),
            CallAttempt(record_type="callback", record_id=leads[1].id, at=at(D1, 11, 30), by="sam", outcome="reached"),
            CallAttempt(record_type="callback", record_id=leads[2].id, at=at(D1, 13), by="sam", outcome="no_answer"),
            # A crisis follow-up's call with lead 4's id: not lead 4's.
            CallAttempt(record_type="crisis", record_id=leads[3].id, at=at(D1, 14), by="sam", outcome="reached"),
        ])
        session.add_all([
            flag(1, at(D1, 8), "overdose", claimed=5), flag(2, at(D1, 9), "overdose", claimed=15),
            flag(3, at(d2, 9), "overdose"), flag(4, at(d3, 9), "suicide_self_harm", claimed=1),
            flag(5, at(d0, 9), "overdose", claimed=1),
        ])


SPAN = DateRange(D1, D1 + timedelta(days=2))


def check_seeded_figures(factory) -> None:
    report = build_report(factory, SPAN, ZONE)

    assert [(d.day, d.total, d.by_channel, d.by_language) for d in report.days] == [
        (D1, 6, {"web": 6}, {"en": 6}),
        (D1 + timedelta(days=1), 4, {"sms": 3, "web": 1}, {"es": 4}),
        (D1 + timedelta(days=2), 0, {}, {}),
    ]
    assert [(c.code, c.conversations, c.leads_stored) for c in report.channels] == [("web", 7, 3), ("sms", 3, 0)]
    assert [(g.code, g.conversations, g.leads_stored) for g in report.languages] == [("en", 6, 3), ("es", 4, 0)]
    assert [(t.topic, t.asks) for t in report.topics] == [("cost", 7), ("insurance", 4), ("age", 1)]

    rates = report.rates
    assert (rates.conversations, rates.messages, rates.clarifications, rates.fallbacks) == (10, 31, 2, 3)
    assert (rates.conversations_clarified, rates.conversations_fell_back, rates.faq_answers) == (2, 2, 6)
    assert rates.clarification_per_message == pytest.approx(2 / 31)
    assert rates.fallback_per_message == pytest.approx(3 / 31)
    assert (rates.clarification_per_conversation, rates.fallback_per_conversation) == (0.2, 0.2)

    assert [(s.key, s.count, s.drop_off, s.source) for s in report.funnel] == [
        ("conversations", 10, None, "conversations"),
        ("intake_started", 4, 6, "conversations"),
        ("who_for", 4, 0, "conversations"),
        ("first_name", 3, 1, "conversations"),
        ("callback_phone", 3, 0, "conversations"),
        ("best_time", 3, 0, "conversations"),
        ("consent", 3, 0, "conversations"),
        ("lead_stored", 7, None, "leads"),  # a new count starts: nothing is lost across it
        ("claimed", 5, 2, "leads"),
        ("first_attempt", 4, 1, "leads"),
        ("reached", 3, 1, "leads"),
        ("enrolled", 1, 2, "leads"),
    ]
    assert report.step("intake_started").drop_off_share == pytest.approx(0.6)
    screening = {s.key: (s.count, s.drop_off, s.conditional) for s in report.screening}
    assert screening["lead_stored"] == (3, None, False)
    assert screening["caller_relation"] == (0, None, True)
    assert screening["substances"] == (2, 1, False)
    assert screening["last_use"] == (1, 1, False)
    assert screening["withdrawal_signs"] == (0, 1, False)
    assert screening["suicide_wish"] == (1, None, True)
    assert screening["prior_treatment"] == (0, 0, False)

    times = {t.urgency: t for t in report.lead_times}
    assert [t.urgency for t in report.lead_times] == ["immediate", "urgent", "soon", "routine"]
    assert times["urgent"].leads == 4
    assert times["urgent"].to_claim == Durations(4, pytest.approx(25.0), pytest.approx(37.0))
    assert times["urgent"].to_first_attempt == Durations(3, pytest.approx(30.0), pytest.approx(54.0))
    assert times["immediate"].to_claim == Durations(1, pytest.approx(2.0), pytest.approx(2.0))
    assert times["immediate"].to_first_attempt == Durations(1, pytest.approx(3.0), pytest.approx(3.0))
    assert (times["soon"].leads, times["soon"].to_claim) == (1, Durations(0, None, None))
    assert (times["routine"].leads, times["routine"].to_first_attempt) == (1, Durations(0, None, None))

    crises = {c.category: c for c in report.crises}
    assert crises["overdose"].flags == 3
    assert crises["overdose"].to_claim == Durations(2, pytest.approx(10.0), pytest.approx(14.0))
    assert crises["suicide_self_harm"].flags == 1
    assert crises["suicide_self_harm"].to_claim == Durations(1, pytest.approx(1.0), pytest.approx(1.0))
    assert crises["violence_abuse"].flags == 0


def test_figures_match_a_seeded_database_by_count(session_factory):
    seed(session_factory)
    check_seeded_figures(session_factory)


def test_figures_match_on_postgresql(isolated_env):
    with services.postgres_database() as url:
        try:
            db.upgrade(url)
            factory = db.session_factory(url)
            seed(factory)
            check_seeded_figures(factory)  # percentiles computed by PostgreSQL itself
        finally:
            db.dispose_all()


def test_an_empty_range_has_every_figure_at_zero(session_factory):
    report = build_report(session_factory, SPAN, ZONE)
    assert report.conversations == 0 and report.topics == [] and report.as_of is None
    assert [d.total for d in report.days] == [0, 0, 0]
    assert report.rates.clarification_per_message is None
    assert all(s.count == 0 for s in report.funnel)
    assert all(t.to_claim == Durations(0, None, None) for t in report.lead_times)


def test_percentile_interpolates_like_postgresql():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([40, 10, 30, 20], 0.5) == 25
    assert percentile([10, 20, 30, 40], 0.9) == pytest.approx(37)


def test_the_date_range_defaults_to_the_last_30_local_days_and_refuses_bad_input():
    late_evening = datetime(2026, 12, 2, 5, 0, tzinfo=timezone.utc)  # Dec 1, 22:00 in Phoenix
    assert DateRange.parse(None, None, ZONE, now=late_evening) == DateRange(date(2026, 11, 2), D1)
    assert DateRange.parse("2026-11-01", "2026-11-03", ZONE) == DateRange(date(2026, 11, 1), date(2026, 11, 3))
    assert DateRange.parse(None, "2026-11-30", ZONE) == DateRange(date(2026, 11, 1), date(2026, 11, 30))
    assert DateRange(D1, D1).utc_bounds(ZONE) == (datetime(2026, 12, 1, 7, tzinfo=timezone.utc),
                                                 datetime(2026, 12, 2, 7, tzinfo=timezone.utc))
    for start, end in (("2026-12-05", "2026-12-01"), ("yesterday", None), ("2025-01-01", "2026-12-01"),
                       ("2026-02-30", None)):
        with pytest.raises(ValueError):
            DateRange.parse(start, end, ZONE)


# -- the CSV ------------------------------------------------------------------------------------

def test_the_csv_has_the_same_figures_and_no_phi(session_factory, tracker_url):
    seed(session_factory)
    te.write(tracker_url, WEB, web_conversation_part_one(T0))
    run(session_factory, tracker_url, T0 + 3600)
    report = build_report(session_factory, SPAN, ZONE)

    text = export.to_csv(report)

    lines = text.splitlines()
    assert lines[0] == "figure,group,item,measure,value"
    for expected in (
        "range,,from,day,2026-12-01", "range,,time_zone,name,America/Phoenix",
        "conversations_per_day,2026-12-01,all,conversations,7", "conversations_per_day,2026-12-02,channel:sms,conversations,3",
        "conversations_by_language,,es,conversations,4", "faq_topics,,cost,answers,8",
        "rates,,all,clarifications,3", "rates,,all,fallback_rate_per_conversation,0.2727",
        "funnel,leads,enrolled,count,1", "funnel,conversations,intake_started,drop_off,6",
        "lead_times,urgent,to_claim,median_minutes,25.0", "lead_times,urgent,to_claim,p90_minutes,37.0",
        "crisis_flags,overdose,to_claim,p90_minutes,14.0",
    ):
        assert expected in lines
    for secret in PHI:
        assert secret not in text
    cells = [cell for line in lines[1:] for cell in line.split(",")]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")]
    assert export.filename(report) == "helpline-report-2026-12-01-to-2026-12-03.csv"


# -- the charts ---------------------------------------------------------------------------------

def test_charts_escape_every_text_and_use_no_inline_style():
    from helpline.reports import charts

    evil = '<script>alert("x")</script>'
    drawn = str(charts.bars("c1", evil, [evil, "ok"], [charts.Series(evil, [3, None]), charts.Series("b", [1, 2])]))
    drawn += str(charts.stacked_columns("c2", evil, [evil, "Dec 2"], [charts.Series(evil, [1, 4])]))
    assert "<script" not in drawn and "&lt;script&gt;" in drawn
    assert " style=" not in drawn
    assert drawn.count("<svg") == 2 and 'role="img"' in drawn and "<title id=\"c1-title\">" in drawn


def test_axis_tops_are_round_numbers():
    from helpline.reports.charts import nice_max

    assert [nice_max(v) for v in (0, 0.3, 1, 7, 11, 180, 2600)] == [1, 0.5, 1, 10, 20, 200, 5000]

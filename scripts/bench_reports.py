#!/usr/bin/env python3
"""Reports benchmark: the /reports page on PostgreSQL with 100,000 conversations and 20,000 leads.

    .venv/bin/python scripts/bench_reports.py [--conversations 100000] [--leads 20000] [--runs 10]

Creates a throw-away PostgreSQL database on localhost (tests/services.py; dropped at the
end), migrates it, and generates, all within the default range (the last 30 days):

- ``--conversations`` rows of ``conversation_stats`` (what the rollup writes: channels,
  languages, FAQ answers, clarifications, fallbacks, intake steps with drop-off) and
  ``faq_topic_days`` for every topic and day;
- ``--leads`` leads with claims, first call attempts, ``call_attempts`` rows (about 1.6 per
  called lead) and outcomes, and crisis follow-ups (5% of the leads) with claims.

Then it times, ``--runs`` times each: the report's queries alone; the whole page (GET
/reports through the real web app, signed in: sign-in check, queries, charts, template);
the CSV. Last, the rollup's throughput: ``--rollup-conversations`` real-shaped
conversations written as sealed tracker events into the same database and rolled up.
Prints median and max per measurement. The target is under 1 s per page.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tests import services  # noqa: E402
from tests import tracker_events as te  # noqa: E402

CHUNK = 5000


def _chunks(rows: List[Dict[str, Any]]) -> Any:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def _moment(day: date, zone: str, rng: random.Random) -> datetime:
    from zoneinfo import ZoneInfo

    local = datetime(day.year, day.month, day.day, 7, tzinfo=ZoneInfo(zone)) + timedelta(minutes=rng.randrange(15 * 60))
    return local.astimezone(timezone.utc)


def _delay(rng: random.Random, median_minutes: float) -> timedelta:
    return timedelta(minutes=rng.lognormvariate(0, 1.0) * median_minutes)


def conversation_rows(count: int, days: List[date], zone: str, rng: random.Random) -> List[Dict[str, Any]]:
    from helpline.intake.questions import BY_SLOT
    from helpline.reports.facts import STEP_BITS, STEPS

    contact = [s for s in STEPS if BY_SLOT[s].stage == "contact"]
    screening = [s for s in STEPS if BY_SLOT[s].stage == "screening"]
    rows = []
    for _ in range(count):
        day = rng.choice(days)
        started = _moment(day, zone, rng)
        steps, intake, lead = 0, rng.random() < 0.3, False
        if intake:
            for slot in contact:
                if rng.random() > 0.92:
                    break
                steps |= STEP_BITS[slot]
            else:
                lead = rng.random() < 0.97
            for slot in screening if lead else ():
                if rng.random() > 0.9:
                    break
                if BY_SLOT[slot].ask_if(_slots(rng)):
                    steps |= STEP_BITS[slot]
        rows.append({
            "sender_key": None, "started_at": started, "local_day": day, "last_event_at": started,
            "channel": "web" if rng.random() < 0.7 else "sms", "language": "en" if rng.random() < 0.8 else "es",
            "user_messages": rng.randint(1, 20), "faq_answers": rng.randint(0, 3),
            "clarifications": int(rng.random() < 0.1), "fallbacks": int(rng.random() < 0.08),
            "intake_started": intake, "intake_steps": steps, "lead_stored": lead, "crisis_flagged": rng.random() < 0.01,
            "active_form": None,
        })
    return rows


def _slots(rng: random.Random) -> Dict[str, Any]:
    return {"who_for": rng.choice(("self", "loved_one")), "insurance": rng.choice(("aetna", "none")),
            "contact_permissions": None}


def lead_rows(count: int, days: List[date], zone: str, rng: random.Random) -> tuple:
    from helpline.store.models import CRISIS_CATEGORIES

    leads, attempts, flags = [], [], []
    urgencies = ("routine",) * 40 + ("soon",) * 30 + ("urgent",) * 25 + ("immediate",) * 5
    for number in range(1, count + 1):
        created = _moment(rng.choice(days), zone, rng)
        row: Dict[str, Any] = {
            "id": number, "reference": f"L-B{number:06d}", "idempotency_key": f"bench-{number}",
            "created_at": created, "updated_at": created, "status": "new", "urgency": rng.choice(urgencies),
            "level_of_care": "iop_fit", "phone_e164": "+15555550100", "first_name": None, "consent": True,
            "claimed_by": None, "claimed_at": None, "first_attempt_at": None, "outcome": None, "closed_at": None,
            "call_attempts": 0, "source_channel": "rest", "language": "en",
        }
        if rng.random() < 0.9:
            row.update(status="claimed", claimed_by="sam", claimed_at=created + _delay(rng, 20))
            if rng.random() < 0.85:
                first = row["claimed_at"] + _delay(rng, 15)
                row["first_attempt_at"] = first
                tries = rng.randint(1, 3)
                reached = rng.random() < 0.6
                for n in range(tries):
                    outcome = "reached" if reached and n == tries - 1 else "no_answer"
                    attempts.append({"record_type": "callback", "record_id": number, "at": first + timedelta(hours=n),
                                     "by": "sam", "outcome": outcome})
                row["call_attempts"] = tries - int(reached)
                if reached:
                    row.update(status="closed", outcome=rng.choice(("enrolled", "referred", "declined", "reached")),
                               closed_at=first + timedelta(days=1))
        leads.append(row)
    for number in range(1, count // 20 + 1):
        created = _moment(rng.choice(days), zone, rng)
        claimed = created + _delay(rng, 4) if rng.random() < 0.95 else None
        flags.append({
            "reference": f"C-B{number:06d}", "conversation_id": f"bench-{number}", "category": rng.choice(CRISIS_CATEGORIES),
            "severity": rng.choice(("immediate", "urgent")), "created_at": created, "updated_at": created,
            "last_seen_at": created, "status": "claimed" if claimed else "new", "claimed_by": "sam" if claimed else None,
            "claimed_at": claimed,
        })
    return leads, attempts, flags


def topic_rows(days: List[date], rng: random.Random) -> List[Dict[str, Any]]:
    from helpline.faq.clarify import TOPIC_LABELS

    return [{"local_day": day, "topic": topic, "asks": rng.randint(0, 200)} for day in days for topic in TOPIC_LABELS]


def load(url: str, args: argparse.Namespace, zone: str) -> None:
    from helpline.reports.queries import DateRange
    from helpline.store import db
    from helpline.store.models import CallAttempt, CallbackRequest, ConversationStats, CrisisFlag, FaqTopicDay

    rng = random.Random(18)
    days = DateRange.last_days(zone).days
    started = time.perf_counter()
    leads, attempts, flags = lead_rows(args.leads, days, zone, rng)
    tables = (
        (ConversationStats, conversation_rows(args.conversations, days, zone, rng)),
        (FaqTopicDay, topic_rows(days, rng)),
        (CallbackRequest, leads), (CallAttempt, attempts), (CrisisFlag, flags),
    )
    engine = db.engine_for(url)
    for model, rows in tables:
        with engine.begin() as connection:
            for chunk in _chunks(rows):
                connection.execute(sa.insert(model.__table__), chunk)
        print(f"  {model.__tablename__}: {len(rows):,} rows")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("ANALYZE"))  # as autovacuum would have done on a live database
    print(f"  loaded in {time.perf_counter() - started:.1f} s")


def timed(label: str, runs: int, call: Callable[[], Any]) -> List[float]:
    call()  # warm: first-use imports, template compilation, connection pool
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    print(f"{label:<34} median {statistics.median(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms   "
          f"({runs} runs)")
    return times


def time_page(url: str, runs: int) -> List[float]:
    import aiohttp_jinja2
    from aiohttp import CookieJar
    from aiohttp.test_utils import TestClient, TestServer

    from helpline.security import staff_accounts
    from helpline.store import db
    from helpline.web import app as web
    from helpline.web import reports_page, templating

    password = "bench password, long enough"
    staff_accounts.add_account(db.session_factory(url), "bench", password)

    async def go() -> List[float]:
        app = web.create_app(database_url=url)
        if aiohttp_jinja2.APP_KEY not in app:
            templating.setup(app)
        reports_page.setup(app)
        async with TestClient(TestServer(app), cookie_jar=CookieJar(unsafe=True)) as client:
            origin = str(client.make_url("/")).rstrip("/")
            signed = await client.post("/login", data={"name": "bench", "password": password},
                                       headers={"Origin": origin}, allow_redirects=False)
            assert signed.status == 303, signed.status
            results: Dict[str, List[float]] = {}
            for path in ("/reports", "/reports.csv"):
                await (await client.get(path)).read()
                times = []
                for _ in range(runs):
                    started = time.perf_counter()
                    response = await client.get(path)
                    body = await response.read()
                    times.append(time.perf_counter() - started)
                    assert response.status == 200, response.status
                results[path] = times
                print(f"{'GET ' + path + ' (' + format(len(body), ',') + ' bytes)':<34} "
                      f"median {statistics.median(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms   "
                      f"({runs} runs)")
            return results["/reports"]

    return asyncio.run(go())


def tracker_conversation(sender_at: float, rng: random.Random) -> List[Dict[str, Any]]:
    """A real-shaped conversation: greeting, FAQ answers, a clarification, the intake to a stored lead."""
    at = sender_at
    events: List[Dict[str, Any]] = [te.action("action_session_start", at), {"event": "session_started", "timestamp": at}]
    events += [te.user("hello", at + 1, "greet"), te.slot("language", "en", at + 1)]
    for n, topic in enumerate(rng.sample(("cost", "insurance", "age", "detox", "schedule"), 2)):
        events += [te.user("question", at + 2 + n, "faq"), te.action("action_answer_faq", at + 2 + n),
                   te.slot("faq_topics_answered", [topic], at + 2 + n)]
    events += [te.user("hmm", at + 5, "faq_clarify"), {**te.bot("Is it one of these?", at + 5),
                                                       "metadata": {"utter_action": "utter_clarify_faq"}}]
    events += [te.user("/request_callback", at + 6, "request_callback"),
               {"event": "active_loop", "timestamp": at + 6, "name": "intake_form"}]
    for n, slot in enumerate(("who_for", "first_name", "callback_phone", "best_time", "consent")):
        events += [te.slot("requested_slot", slot, at + 7 + n), te.user("answer", at + 7 + n), te.slot(slot, "x", at + 7 + n)]
    events += [{"event": "active_loop", "timestamp": at + 13, "name": None}, te.slot("lead_reference", "L-X", at + 13)]
    return events


def time_rollup(url: str, conversations: int, zone: str) -> None:
    import json

    from helpline.reports import rollup
    from helpline.security import crypto

    rng = random.Random(5)
    engine = sa.create_engine(url, future=True)
    metadata = sa.MetaData()
    events = sa.Table("events", metadata, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("sender_id", sa.String(255), nullable=False, index=True),
                      sa.Column("type_name", sa.String(255), nullable=False), sa.Column("timestamp", sa.Float),
                      sa.Column("intent_name", sa.String(255)), sa.Column("action_name", sa.String(255)),
                      sa.Column("data", sa.Text))
    metadata.create_all(engine)
    box = crypto.fernet()
    start = time.time() - 3 * 86400
    rows = []
    for number in range(conversations):
        sender = f"web-{number:032x}"
        for event in tracker_conversation(start + number * 60, rng):
            rows.append({"sender_id": sender, "type_name": event["event"], "timestamp": event["timestamp"],
                         "intent_name": (event.get("parse_data") or {}).get("intent", {}).get("name"),
                         "action_name": event.get("name") if event["event"] == "action" else None,
                         "data": crypto.encrypt(json.dumps(event), box)})
    with engine.begin() as connection:
        for chunk in _chunks(rows):
            connection.execute(sa.insert(events), chunk)
    engine.dispose()
    from helpline.store import db

    started = time.perf_counter()
    result = rollup.roll_up(db.session_factory(url), url, zone, secret="bench-secret", time_budget=3600,
                            settle_seconds=0)
    seconds = time.perf_counter() - started
    print(f"rollup: {result.events:,} events of {conversations:,} conversations in {seconds:.2f} s "
          f"({result.events / seconds:,.0f} events/s; {result.conversations:,} rows written)")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rollup-conversations", type=int, default=2_000)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-reports-") as data_dir:
        # Keys and secrets of this run only, never the developer's data directory.
        os.environ["HELPLINE_DATA_DIR"] = data_dir
        from helpline.security import crypto

        os.environ[crypto.KEYS_ENV] = crypto.generate_key()
        crypto.reset_cache()
        from helpline.facility import load_facility
        from helpline.reports.queries import DateRange, build_report
        from helpline.store import db

        zone = load_facility().timezone
        with services.postgres_database("helpline_bench") as url:
            try:
                print(f"PostgreSQL {db.display_url(url)}; migrating and loading ...")
                db.upgrade(url)
                load(url, args, zone)
                factory, span = db.session_factory(url), DateRange.last_days(zone)
                report = build_report(factory, span, zone)
                print(f"range {span.start} to {span.end} ({zone}): {report.conversations:,} conversations, "
                      f"{report.step('lead_stored').count:,} leads, {sum(c.flags for c in report.crises):,} crisis "
                      "follow-ups")
                timed("report queries (build_report)", args.runs, lambda: build_report(factory, span, zone))
                page = time_page(url, args.runs)
                time_rollup(url, args.rollup_conversations, zone)
                verdict = "under" if max(page) < 1.0 else "OVER"
                print(f"page: median {statistics.median(page) * 1000:.0f} ms, max {max(page) * 1000:.0f} ms: "
                      f"{verdict} the 1 s target")
            finally:
                db.dispose_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``/reports`` and ``/reports.csv`` on the web process: signed-in staff see the figures, nobody else does.

The app is the real one (``helpline.web.app.create_app``) on a test server with its own SQLite
database, as in tests/channels/test_console.py; the figures themselves are checked by count in
tests/core/test_reports.py.
"""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable

import aiohttp_jinja2
import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer

from helpline.facility import load_facility
from helpline.queues import callbacks
from helpline.reports.facts import STEP_BITS
from helpline.security import staff_accounts
from helpline.store import db
from helpline.store.models import ConversationStats, FaqTopicDay, utcnow
from helpline.web import app as web
from helpline.web import reports_page, templating

PASSWORD = "correct horse battery staple"
PHI = ("Maria", "+16025550134", "602-555-0134", "L-")


@pytest.fixture
def factory(db_url):
    return db.session_factory(db_url)


@pytest.fixture
def staff(factory):
    return staff_accounts.add_account(factory, "sam", PASSWORD)


def today() -> Any:
    return utcnow().astimezone(__import__("zoneinfo").ZoneInfo(load_facility().timezone)).date()


@pytest.fixture
def seeded(factory):
    """Two conversations today, one of them with an FAQ answer, an intake and a lead (named, with a phone)."""
    day, now = today(), utcnow()
    with factory() as session, session.begin():
        session.add_all([
            ConversationStats(started_at=now, local_day=day, last_event_at=now, channel="web", language="en",
                              user_messages=5, faq_answers=1, clarifications=1, intake_started=True,
                              intake_steps=STEP_BITS["who_for"] | STEP_BITS["first_name"], lead_stored=True),
            ConversationStats(started_at=now, local_day=day, last_event_at=now, channel="sms", language="es",
                              user_messages=2, fallbacks=1),
            FaqTopicDay(local_day=day, topic="cost", asks=1),
        ])
    record, _ = callbacks.store_callback(
        factory, idempotency_key="a", phone="602-555-0134", urgency="urgent", level_of_care="iop_fit", consent=True,
        first_name="Maria", best_time="morning", answers={"substances": ["alcohol"]},
    )
    return record


def run(db_url: str, test: Callable[[TestClient], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        app = web.create_app(database_url=db_url)
        # The console sets these up once it mounts the reports; until then (and harmlessly after) do it here.
        if aiohttp_jinja2.APP_KEY not in app:
            templating.setup(app)
        reports_page.setup(app)
        reports_page.setup(app)  # twice: the routes are added once
        async with TestClient(TestServer(app), cookie_jar=CookieJar(unsafe=True)) as client:
            return await test(client)

    return asyncio.run(go())


async def sign_in(client: TestClient) -> None:
    response = await client.post("/login", data={"name": "sam", "password": PASSWORD, "next": "/reports"},
                                 headers={"Origin": str(client.make_url("/")).rstrip("/")}, allow_redirects=False)
    assert response.status == 303, await response.text()


def test_signed_in_staff_see_the_figures_with_charts_and_tables(db_url, staff, seeded):
    async def test(client: TestClient) -> None:
        await sign_in(client)
        response = await client.get("/reports")
        assert response.status == 200
        page = await response.text()
        assert response.headers["Cache-Control"] == "no-store"
        assert "script-src" not in response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        # Two conversations, one lead; every section has its chart and its table.
        assert re.search(r'<span class="big">2</span> conversations', page)
        assert re.search(r'<span class="big">1</span> leads stored', page)
        for chart in ("chart-channel", "chart-language", "chart-topics", "chart-rates", "chart-funnel",
                      "chart-screening", "chart-claim", "chart-attempt", "chart-crises", "chart-crisis-times"):
            assert f'id="{chart}"' in page
        assert page.count("<table") >= 9
        assert "Web chat" in page and "SMS" in page and "Spanish" in page and "Cost &amp; payment" in page
        assert "50.0%" in page  # one of two conversations got a clarification
        assert ' style="' not in page and "<script" not in page  # the CSP would block them
        for secret in PHI:
            assert secret not in page
        assert 'href="/reports.csv?from=' in page

    run(db_url, test)


def test_the_csv_downloads_with_the_same_range_and_no_phi(db_url, staff, seeded):
    start = (today() - timedelta(days=6)).isoformat()

    async def test(client: TestClient) -> None:
        await sign_in(client)
        response = await client.get(f"/reports.csv?from={start}&to={today().isoformat()}")
        assert response.status == 200
        assert response.content_type == "text/csv"
        assert response.headers["Cache-Control"] == "no-store"
        assert f'filename="helpline-report-{start}-to-{today().isoformat()}.csv"' in \
            response.headers["Content-Disposition"]
        text = await response.text()
        lines = text.splitlines()
        assert lines[0] == "figure,group,item,measure,value"
        assert f"range,,from,day,{start}" in lines
        assert "funnel,leads,lead_stored,count,1" in lines
        assert "conversations_by_channel,,sms,conversations,1" in lines
        assert "faq_topics,,cost,answers,1" in lines
        for secret in PHI:
            assert secret not in text

    run(db_url, test)


def test_a_bad_range_is_a_400_with_the_form_to_correct_it(db_url, staff):
    async def test(client: TestClient) -> None:
        await sign_in(client)
        page = await client.get("/reports?from=2026-12-05&to=2026-12-01")
        assert page.status == 400
        body = await page.text()
        assert "must not be after" in body and 'name="from" value="2026-12-05"' in body
        csv = await client.get("/reports.csv?from=someday")
        assert csv.status == 400 and "from must be a date" in await csv.text()

    run(db_url, test)


def test_anonymous_users_are_sent_to_sign_in(db_url, seeded):
    async def test(client: TestClient) -> None:
        for path in ("/reports", "/reports.csv", "/reports?from=2026-12-01"):
            response = await client.get(path, allow_redirects=False)
            assert response.status == 303
            assert response.headers["Location"].startswith("/login?next=")
            assert "Cost" not in await response.text()

    run(db_url, test)


def test_an_expired_session_is_refused(db_url, staff, factory):
    async def test(client: TestClient) -> None:
        await sign_in(client)
        with factory() as session, session.begin():
            from helpline.store.staff_models import StaffSession

            for row in session.query(StaffSession).all():
                row.expires_at = datetime.now(timezone.utc) - timedelta(minutes=1)
        response = await client.get("/reports.csv", allow_redirects=False)
        assert response.status == 303

    run(db_url, test)


def test_durations_and_rates_read_as_staff_say_them():
    assert [reports_page.minutes(v) for v in (None, 2.25, 45.4, 64, 60 * 25 + 5)] == [
        "-", "2.2 min", "45 min", "1 h 04 min", "1 d 1 h"]
    assert (reports_page.percent(None), reports_page.percent(0.0645)) == ("-", "6.5%")


def test_an_empty_database_renders_every_section_at_zero(db_url, staff):
    async def test(client: TestClient) -> None:
        await sign_in(client)
        for path in ("/reports", "/reports?from=2026-01-01&to=2026-12-31", "/reports.csv"):
            response = await client.get(path)
            assert response.status == 200, path
        page = await (await client.get("/reports")).text()
        assert re.search(r'<span class="big">0</span> conversations', page)
        assert "No FAQ answers in this range." in page and 'id="chart-channel"' in page

    run(db_url, test)

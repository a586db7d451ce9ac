"""A lead worked end to end in Chromium, on a laptop and on a 390 px phone: claim, note, a no-answer call,
reassign, close, reopen; each step leaves its audit row, nothing runs off the screen, the CSP blocks nothing.

With ``HELPLINE_SCREENSHOT_DIR`` set, the pages are saved there as PNGs: docs/staff.md shows the ones
taken by ``HELPLINE_SCREENSHOT_DIR=docs/images .venv/bin/pytest tests/channels/test_console_browser.py``.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from typing import List, Optional

import playwright.sync_api as playwright_api  # a dev dependency: missing means a broken install
import pytest

from helpline.queues import callbacks, crisis_flags
from helpline.security import audit, staff_accounts
from helpline.store import db
from helpline.store.models import utcnow

PASSWORD = "correct horse battery staple"
CHROMIUM = Path("/usr/bin/chromium")
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def factory(db_url):
    return db.session_factory(db_url)


def _screenshot(page, name: str, viewport: str) -> None:
    folder: Optional[str] = os.environ.get("HELPLINE_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"console-{name}-{viewport}.png"), full_page=True)


def _fits(page) -> bool:
    """Nothing runs off the side: the page is no wider than the window."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_a_lead_worked_end_to_end_in_a_browser(viewport, factory, web_process, db_url):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)")
    staff_accounts.add_account(factory, "sam", PASSWORD)
    staff_accounts.add_account(factory, "ana", PASSWORD)
    # Waiting 40 minutes: past the urgent target (facility.yml: 15 minutes), so it is shown overdue and first.
    late, _ = callbacks.store_callback(
        factory, idempotency_key="late", phone="602-555-0134", urgency="urgent", level_of_care="higher_level",
        consent=True, first_name="Maria", who_for="loved_one", best_time="morning", source_channel="sms",
        screening_reasons=["alcohol_benzo_withdrawal"], language="es",
        answers={"substances": ["alcohol", "benzodiazepines"], "last_use": "today", "withdrawal_signs": ["shaking"]},
        answer_words={"substances": "alcohol y xanax", "last_use": "hoy"}, created_at=utcnow() - timedelta(minutes=40),
    )
    callbacks.store_callback(
        factory, idempotency_key="fresh", phone="480-555-0199", urgency="routine", level_of_care="iop_fit",
        consent=True, first_name="Dan", who_for="self", best_time="evening", source_channel="socketio",
        answers={"substances": ["cannabis"]},
    )
    crisis_flags.flag_crisis(factory, conversation_id="conv-crisis", category="overdose", severity="urgent")
    base = web_process

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        context = browser.new_context(viewport=VIEWPORTS[viewport])
        page = context.new_page()
        problems: List[str] = []
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))

        page.goto(f"{base}/callbacks")
        page.fill("input[name=name]", "sam")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Sign in')")
        assert page.url == f"{base}/callbacks"

        # The queue: late work first, in words, the phone masked, the facility's time zone.
        rows = page.locator("table.queue tbody tr")
        assert rows.count() == 2
        first = rows.nth(0).inner_text()
        assert late.reference in first and "Overdue" in first and "Maria" in first
        for words in ("Alcohol, Benzodiazepines", "A loved one", "Morning", "Spanish", "SMS", "******0134"):
            assert words in first, words
        assert "0134" in first and "602" not in first and "loved_one" not in first
        assert "MST" in page.inner_text("main")
        assert "1 open crisis follow-up" in page.inner_text("main")
        _screenshot(page, "queue", viewport)
        assert _fits(page)

        # Filters keep to the working queue: Spanish only shows Maria's lead.
        page.click(".filters a:has-text('Spanish')")
        assert page.locator("table.queue tbody tr").count() == 1
        page.click(f"a:has-text('{late.reference}')")

        # The lead's page: tap to call, readable screening, the person's own words.
        assert page.get_attribute("a.tel", "href") == "tel:+16025550134"
        text = page.inner_text("main")
        assert "Overdue" in text and "Call back in Spanish" in text
        assert "Shaking with recent alcohol or benzodiazepine use" in text and "alcohol y xanax" in text
        assert "Higher level of care" in text and "higher_level" not in text
        assert _fits(page)
        _screenshot(page, "lead", viewport)

        page.click("button:has-text('Claim as sam')")
        assert "Claimed. It is yours now." in page.inner_text("main")

        page.fill("textarea[name=body]", "Sister answered; Maria back at 5.")
        page.click("button:has-text('Save note')")
        assert "Note saved." in page.inner_text("main")

        page.select_option("form[action$='/attempt'] select[name=outcome]", "no_answer")
        page.click("button:has-text('Log call')")
        text = page.inner_text("main")
        assert "Call logged." in text and "Unanswered calls so far: 1 of 3" in text and "Claimed" in text

        page.select_option("form[action$='/assign'] select[name=to]", "ana")
        page.click("button:has-text('Assign')")
        assert "Assigned." in page.inner_text("main")
        assert "ana" in page.inner_text("section.contact")
        history = page.inner_text("ol.history")
        assert "Sister answered; Maria back at 5." in history and "No answer" in history
        _screenshot(page, "lead-worked", viewport)

        page.select_option("form[action$='/close'] select[name=outcome]", "enrolled")
        page.click("button:has-text('Close')")
        assert "Closed." in page.inner_text("main")
        page.click("button:has-text('Reopen')")
        assert "Reopened" in page.inner_text("main")
        assert _fits(page)

        # The dashboard: counts only, drawn on the server, readable on the phone too.
        page.click("header a:has-text('Reports')")
        text = page.inner_text("main")
        assert "Intake funnel" in text and "Time to claim" in text
        assert late.reference not in text and "Maria" not in text
        assert page.locator("main svg").count() >= 1
        assert _fits(page)
        browser.close()
    assert problems == []

    stored = callbacks.LEADS.get(factory, late.id)
    assert (stored.status, stored.claimed_by, stored.outcome, stored.call_attempts) == ("new", None, None, 0)
    actions = [(e.actor, e.action, e.reference, e.source, e.detail) for e in reversed(audit.list_events(factory))
               if e.reference == late.reference and e.action not in ("viewed", "listed")]
    assert actions == [
        ("sam", "claimed", late.reference, "console", None),
        ("sam", "noted", late.reference, "console", "chars=33"),
        ("sam", "call_attempt", late.reference, "console", "outcome=no_answer attempt=1"),
        ("sam", "assigned", late.reference, "console", "to=ana from=sam"),
        ("sam", "closed", late.reference, "console", "outcome=enrolled"),
        ("sam", "reopened", late.reference, "console", "was=enrolled"),
    ]


def _a_month_of_conversations(factory) -> int:
    """A plausible month (synthetic, fixed seed): conversations, FAQ answers; returns how many conversations."""
    import random
    from zoneinfo import ZoneInfo

    from helpline.reports import facts
    from helpline.store.models import ConversationStats, FaqTopicDay

    rng = random.Random(18)
    zone = ZoneInfo("America/Phoenix")
    today = utcnow().astimezone(zone).date()
    rows, topics = [], {}
    for back in range(1, 29):
        day = today - timedelta(days=back)
        for _ in range(rng.randint(6, 14)):
            started = datetime.combine(day, clock_time(rng.randint(0, 23), rng.randint(0, 59)), zone).astimezone(timezone.utc)
            reached = facts.STEPS[:rng.choice((0, 0, 1, 2, 3, 5, 5))]
            rows.append(ConversationStats(
                started_at=started, local_day=day, last_event_at=started, channel=rng.choice(("web", "web", "sms")),
                language=rng.choice(("en", "en", "en", "es")), user_messages=rng.randint(1, 12),
                faq_answers=rng.randint(0, 3), clarifications=rng.choice((0, 0, 0, 1)), fallbacks=rng.choice((0, 0, 0, 0, 1)),
                intake_started=bool(reached), intake_steps=sum(facts.STEP_BITS[s] for s in reached),
                lead_stored=len(reached) == len(facts.STEPS[:5]),
            ))
            for _ in range(rows[-1].faq_answers):
                topic = rng.choice(("cost", "insurance", "what_is_iop", "schedule", "virtual", "detox", "family"))
                topics[(day, topic)] = topics.get((day, topic), 0) + 1
    with factory() as session, session.begin():
        session.add_all(rows)
        session.add_all(FaqTopicDay(local_day=day, topic=topic, asks=n) for (day, topic), n in topics.items())
    return len(rows)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_reports_page_in_a_browser(viewport, factory, web_process):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)")
    staff_accounts.add_account(factory, "sam", PASSWORD)
    conversations = _a_month_of_conversations(factory)
    for n, (urgency, minutes_ago) in enumerate((("urgent", 3000), ("routine", 9000), ("immediate", 600))):
        record, _ = callbacks.store_callback(
            factory, idempotency_key=f"r{n}", phone="602-555-0134", urgency=urgency, level_of_care="iop_fit",
            consent=True, first_name="Maria", created_at=utcnow() - timedelta(minutes=minutes_ago))
        callbacks.LEADS.claim(factory, record.id, "sam")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        page = browser.new_context(viewport=VIEWPORTS[viewport]).new_page()
        problems: List[str] = []
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.goto(f"{web_process}/reports")
        page.fill("input[name=name]", "sam")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Sign in')")
        text = page.inner_text("main")
        assert f"{conversations:,}\nconversations" in text or f"{conversations}\nconversations" in text
        assert "Maria" not in text and "0134" not in text
        assert _fits(page)
        _screenshot(page, "reports", viewport)
        browser.close()
    assert problems == []

"""Over the crisis page cap, every person still gets the crisis answer at once and every flag is stored."""
from __future__ import annotations

import asyncio
import time

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.crisis import ActionCrisisResponse
from helpline.ops import runner
from helpline.queues import crisis_flags
from helpline.settings import load_settings
from helpline.store import db
from helpline.store.models import CrisisPage, OutboxMessage
from tests.adapters.conftest import make_tracker, responses

CAP = 2
EXTRA = 3


def sessions():
    return db.session_factory(load_settings().effective_database_url)


def outbox_kinds():
    with sessions()() as session:
        return list(session.execute(select(OutboxMessage.kind).order_by(OutboxMessage.id)).scalars())


def wait_for_alerts(count: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if sum(f.notification_status != "pending" for f in crisis_flags.CRISES.list(sessions())) >= count:
            return
        time.sleep(0.05)


def test_over_the_cap_the_answer_and_the_flag_are_unchanged_and_one_summary_follows(isolated_data, domain, monkeypatch):
    monkeypatch.setenv("HELPLINE_CRISIS_PAGE_CAP", str(CAP))
    for n in range(CAP + EXTRA):
        dispatcher = CollectingDispatcher()
        entities = [{"entity": "crisis_category", "value": "suicide_self_harm"},
                    {"entity": "crisis_severity", "value": "immediate"}]
        tracker = make_tracker("text does not matter", "crisis", entities=entities, sender_id=f"web-{n}", active_loop=None)
        events = asyncio.run(ActionCrisisResponse().run(dispatcher, tracker, domain))
        # The same answer for the person whose page was held as for the first one.
        assert responses(dispatcher) == ["utter_crisis_suicide_self_harm"]
        assert {"event": "slot", "name": "crisis_category", "value": "suicide_self_harm", "timestamp": None} in events
    wait_for_alerts(CAP + EXTRA)

    flags = crisis_flags.CRISES.list(sessions())
    assert sorted(f.conversation_id for f in flags) == sorted(f"web-{n}" for n in range(CAP + EXTRA))
    assert sorted(f.notification_status for f in flags) == ["held"] * EXTRA + ["outbox"] * CAP
    assert outbox_kinds() == ["crisis_alert"] * CAP

    # The window passes; the every-minute job of `helpline run` sends one summary page.
    with sessions()() as session, session.begin():
        for page in session.execute(select(CrisisPage)).scalars():
            page.sent_at = page.sent_at.replace(year=page.sent_at.year - 1)
    runner.retry_staff_alerts()
    runner.retry_staff_alerts()
    assert outbox_kinds() == ["crisis_alert"] * CAP + ["crisis_summary"]
    assert sorted(f.notification_status for f in crisis_flags.CRISES.list(sessions())) == ["batched"] * EXTRA + ["outbox"] * CAP

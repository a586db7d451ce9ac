"""The every-minute job of `helpline run`: the work that must happen whether or not anyone chats.

Each job runs on its own: one that fails (the database briefly away, a webhook
receiver down) prints its error class and the next still runs; the next minute
tries again. Jobs take the :class:`helpline.composition.AppContext` and an
optional ``now`` only where time matters to them (escalation), so tests drive
them with a test clock.
"""
from __future__ import annotations

import sys
from datetime import datetime
from typing import Callable, Optional, Tuple

from helpline.composition import AppContext, app_context

Job = Callable[[AppContext], None]


def _staff_alerts(context: AppContext) -> None:
    from helpline.ops import runner

    runner.retry_staff_alerts(context)


def _webhook_deliveries(context: AppContext) -> None:
    from helpline.integrations import webhook

    webhook.run_job(context)


def _escalation(context: AppContext, now: Optional[datetime] = None) -> None:
    from helpline.queues import escalation

    escalation.run_job(context, now)


def _report_rollup(context: AppContext) -> None:
    from helpline.reports import rollup

    rollup.run_job(context)


# In order: leads spooled while the database was away are imported (and alerted) first.
JOBS: Tuple[Tuple[str, Job], ...] = (
    ("staff alerts", _staff_alerts),
    # After the first alerts, so a lead's first alert goes before any re-alert.
    ("escalation", _escalation),
    ("webhook deliveries", _webhook_deliveries),
    # Last: the dashboard's figures can wait for the work on people.
    ("report rollup", _report_rollup),
)


def run_every_minute(context: Optional[AppContext] = None) -> None:
    context = context or app_context()
    for name, job in JOBS:
        try:
            job(context)
        except Exception as exc:  # never let one job stop the others, nor the supervisor
            print(f"[helpline] every-minute job '{name}' failed: {type(exc).__name__}", file=sys.stderr, flush=True)

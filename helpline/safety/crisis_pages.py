"""A cap on crisis pages: at most N urgent staff SMS per window, whoever sends them.

Why: every new conversation with crisis language opens a crisis follow-up and
pages on-call staff (:mod:`helpline.safety.crisis_handoff`). The channels' rate limits
(:mod:`helpline.channels.rate_limit`) stop one sender or one address, but not many
senders at once; a script, or a real surge, must not be able to wake staff
every few seconds until the pages stop meaning anything. So at most
``settings.crisis_page_cap`` pages go out per ``crisis_page_window_minutes``
(defaults and why in :class:`helpline.settings.Settings`). The cap only holds
back pages: the bot's crisis answer never waits for any of this, and every
follow-up is stored and listed in the staff queue as before.

How:

* A page is counted in the ``crisis_pages`` table, in the database all
  processes share, so the cap holds across the action servers of every
  replica. Counting and checking happen in one transaction that two processes
  cannot run at once (SQLite: ``BEGIN IMMEDIATE``, see :mod:`helpline.store.db`;
  PostgreSQL: a transaction-scoped advisory lock).
* :func:`take_page`, before a follow-up's alert is sent: one page per alert
  round (a retry of the same round is the same page and counts once). Over
  the cap, the follow-up's alert becomes ``held`` and nothing is sent.
* :func:`claim_summary`, from the every-minute job (``helpline run``, or
  ``helpline callbacks retry-notifications``) through
  :func:`helpline.notify.staff_sms.send_crisis_summary`: once the window has room again,
  every follow-up still ``new`` and ``held`` is reported by ONE page with their
  number only ("N more crisis follow-ups waiting"), which itself counts as a
  page. They become ``batched``; if that page could not be sent they are put
  back (:func:`release_summary`) for the next run.

Rows are kept a day and hold no PHI (page times, a follow-up's id and round).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from helpline.settings import Settings
from helpline.store.models import CrisisFlag, CrisisPage, utcnow

log = logging.getLogger(__name__)

# Page rows are kept at least this long (longer than any window), then pruned.
KEEP = timedelta(days=1)
# PostgreSQL advisory lock taken while pages are counted; any constant number
# works as long as nothing else in the database uses it.
ADVISORY_LOCK_KEY = 0x68656C70  # "help"
# Alert states a page decision may change: not yet sent, or failed.
UNSENT = ("pending", "failed")
# A summary claimed this long ago and never finished (the process died while
# sending it) is claimed again: sending one takes seconds (HELPLINE_TWILIO_TIMEOUT
# per number at most).
STALE_CLAIM = timedelta(minutes=5)


@dataclass(frozen=True)
class Summary:
    """A summary page claimed by :func:`claim_summary`: its row and the follow-ups it reports."""

    page_id: int
    flag_ids: List[int]

    @property
    def count(self) -> int:
        return len(self.flag_ids)


def _one_at_a_time(session: Session) -> None:
    # SQLite transactions here begin with BEGIN IMMEDIATE (helpline.store.db), which
    # already lets one writer in at a time; PostgreSQL needs a lock of its own,
    # or two processes could both count 4 pages and both send the fifth.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


def _window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.crisis_page_window_minutes)


def _prepare(session: Session, settings: Settings, now: datetime) -> int:
    """Lock, prune old rows, and return how many pages went out in the window ending ``now``."""
    _one_at_a_time(session)
    session.execute(delete(CrisisPage).where(CrisisPage.sent_at < now - max(KEEP, _window(settings))))
    since = now - _window(settings)
    return int(session.execute(select(func.count(CrisisPage.id)).where(CrisisPage.sent_at > since)).scalar_one())


def pages_in_window(session_factory: sessionmaker, settings: Settings, *, now: Optional[datetime] = None) -> int:
    now = now or utcnow()
    since = now - _window(settings)
    with session_factory() as session:
        return int(session.execute(select(func.count(CrisisPage.id)).where(CrisisPage.sent_at > since)).scalar_one())


def take_page(
    session_factory: sessionmaker,
    flag_id: int,
    alert_round: int,
    settings: Settings,
    *,
    now: Optional[datetime] = None,
) -> bool:
    """May the alert for this follow-up's ``alert_round`` be sent? Counts it if so.

    True: send it (counted now, or counted earlier for this round: a retry).
    False: the cap is reached; the follow-up's alert is now ``held`` for the
    summary page (unless a newer alert round started meanwhile, which takes
    its own decision). Never sends anything itself.
    """
    now = now or utcnow()
    with session_factory() as session, session.begin():
        sent = _prepare(session, settings, now)
        counted = session.execute(
            select(CrisisPage.id).where(CrisisPage.flag_id == flag_id, CrisisPage.alert_round == alert_round)
        ).first()
        if counted is not None:
            return True
        if sent < settings.crisis_page_cap:
            session.add(CrisisPage(sent_at=now, kind="single", flag_id=flag_id, alert_round=alert_round, covered=1))
            return True
        session.execute(
            update(CrisisFlag)
            .where(
                CrisisFlag.id == flag_id,
                CrisisFlag.alert_round == alert_round,
                CrisisFlag.notification_status.in_(UNSENT),
            )
            .values(notification_status="held")
        )
    log.warning(
        "crisis page cap reached (%d in %g min): alert for crisis follow-up id=%s held for the summary page",
        settings.crisis_page_cap, settings.crisis_page_window_minutes, flag_id,
    )
    return False


def claim_summary(
    session_factory: sessionmaker, settings: Settings, *, now: Optional[datetime] = None
) -> Optional[Summary]:
    """Claim one summary page for every held follow-up still ``new``, if the window has room.

    Returns ``None`` when nothing is held or the cap is still reached. The
    claimed follow-ups become ``batched`` at once, so a second process running
    the same job cannot report them again; the caller sends the page and then
    calls :func:`finish_summary`, or :func:`release_summary` if it could not.
    A claim never finished (``batched`` without ``notified_at`` after
    :data:`STALE_CLAIM`: the process died while sending) is claimed again.
    """
    now = now or utcnow()
    with session_factory() as session, session.begin():
        sent = _prepare(session, settings, now)
        waiting = or_(
            CrisisFlag.notification_status == "held",
            and_(
                CrisisFlag.notification_status == "batched",
                CrisisFlag.notified_at.is_(None),
                CrisisFlag.updated_at < now - STALE_CLAIM,
            ),
        )
        held = list(
            session.execute(
                # Only "new" ones: claimed or closed ones are being (or were) worked.
                # Locked (PostgreSQL; SQLite has one writer anyway): a severity raise
                # in one of these conversations waits until they are claimed.
                select(CrisisFlag.id).where(waiting, CrisisFlag.status == "new").order_by(CrisisFlag.id).with_for_update()
            ).scalars()
        )
        if not held:
            return None
        if sent >= settings.crisis_page_cap:
            log.info("crisis summary page waits: %d follow-up(s) held, cap still reached", len(held))
            return None
        page = CrisisPage(sent_at=now, kind="summary", flag_id=None, alert_round=None, covered=len(held))
        session.add(page)
        session.flush()
        session.execute(
            update(CrisisFlag)
            .where(CrisisFlag.id.in_(held), waiting)
            .values(notification_status="batched", updated_at=now)
        )
        return Summary(page.id, held)


def finish_summary(session_factory: sessionmaker, summary: Summary, *, now: Optional[datetime] = None) -> None:
    """The summary page went out: its follow-ups were notified (together)."""
    now = now or utcnow()
    with session_factory() as session, session.begin():
        session.execute(
            update(CrisisFlag)
            .where(CrisisFlag.id.in_(summary.flag_ids), CrisisFlag.notification_status == "batched")
            .values(notified_at=now, notification_attempts=CrisisFlag.notification_attempts + 1)
        )


def release_summary(session_factory: sessionmaker, summary: Summary) -> None:
    """The summary page could not be sent: hold its follow-ups again for the next run.

    The page row stays: the attempt counts against the cap, so an SMS provider
    that keeps failing cannot turn the job into a page every minute.
    """
    with session_factory() as session, session.begin():
        session.execute(
            update(CrisisFlag)
            .where(CrisisFlag.id.in_(summary.flag_ids), CrisisFlag.notification_status == "batched")
            .values(notification_status="held", notification_attempts=CrisisFlag.notification_attempts + 1)
        )

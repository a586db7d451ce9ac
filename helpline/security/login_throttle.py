"""The sign-in throttle: per account name, per client address, and for the whole site.

An attempt is *counted before its password is checked* (:func:`reserve`), in
one transaction that locks the counters it touches, so attempts sent at once
cannot all see the same count and slip past it; a sign-in that then succeeds
gives its count back (:func:`succeeded`). In effect failures and attempts
still being checked count, successes do not, so a busy morning of correct
sign-ins from one office never trips a limit. The counters live in the
database (``login_throttle``), shared by every web process.

- **Per name** (existing accounts only): :data:`NAME_FREE_FAILURES` failures in
  a row are free; after that each attempt must wait a delay that doubles from
  :data:`NAME_BACKOFF_START` up to :data:`NAME_BACKOFF_MAX`. Once the delay has
  passed the right password signs in and clears the count. A stranger who
  knows a staff name can slow that person down, not lock them out, and the
  per-address limit stops the stranger. Unknown names get no counter: it would
  have to store the typed text, which may be a password.
- **Per client address**: :data:`IP_LIMIT` attempts per :data:`IP_WINDOW`.
  IPv6 addresses count per /64, the block one subscriber usually gets.
- **Global**: :data:`GLOBAL_LIMIT` attempts per :data:`GLOBAL_WINDOW`, a ceiling
  on guessing spread over many addresses.

Locking: SQLite transactions start with ``BEGIN IMMEDIATE`` (:mod:`helpline.store.db`),
which takes the database's write lock up front; on PostgreSQL the rows are
created if missing (``INSERT ... ON CONFLICT DO NOTHING``) and then read
``FOR UPDATE``, always ``global`` first, so two attempts never wait on each
other in opposite order.
"""
from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from helpline.store.models import utcnow
from helpline.store.staff_models import LoginThrottle

# Per name: five typos in a row are normal; a guesser then waits 30 s, 1, 2, 4, 8
# minutes, then 15 minutes per guess. The cap keeps a stranger's cost to a staff
# member at 15 minutes at worst, and the failures are forgotten after 15 quiet
# minutes (NAME_FORGET_AFTER).
NAME_FREE_FAILURES = 5
NAME_BACKOFF_START = timedelta(seconds=30)
NAME_BACKOFF_MAX = timedelta(minutes=15)
NAME_FORGET_AFTER = timedelta(minutes=15)
# Per address: 20 failed attempts in 15 minutes is more than a whole office
# behind one NAT mistyping (successes are given back), and holds one guesser to
# under 2,000 guesses a day against passwords of 12+ characters.
IP_LIMIT = 20
IP_WINDOW = timedelta(minutes=15)
# Global: ten addresses' worth. Bounds guessing spread over many addresses to
# about 19,000 a day; the price is that such an attack can also hold off honest
# sign-ins for up to a window (the CLI on the server still works).
GLOBAL_LIMIT = 200
GLOBAL_WINDOW = timedelta(minutes=15)
# Counters untouched for this long are deleted (they hold client addresses).
KEEP_ROWS = timedelta(days=1)

GLOBAL_KEY = "global"
MAX_KEY_CHARS = 80


@dataclass(frozen=True)
class Decision:
    """Whether an attempt may be checked; if not, which limit refused it and for how long."""

    allowed: bool
    retry_after: int = 0  # whole seconds, at least 1 when refused
    limit: Optional[str] = None  # "name", "ip" or "global"
    reserved_at: Optional[datetime] = None


def ip_key(address: Optional[str]) -> Optional[str]:
    """``ip:203.0.113.5`` or ``ip:2001:db8:1:2::/64``; ``None`` when there is no address (the CLI).

    Anything that is no address shares ``ip:unknown``: sending junk must not be
    a way out of the per-address limit.
    """
    if address is None:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return "ip:unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"ip:{ip.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"ip:{ip}"


def name_key(name: Optional[str]) -> Optional[str]:
    return f"name:{name}" if name else None


def _keys(name: Optional[str], address: Optional[str]) -> List[str]:
    # Sorted: "global" < "ip:..." < "name:...", the order rows are locked in.
    return sorted(k for k in (GLOBAL_KEY, ip_key(address), name_key(name)) if k)


def _insert_missing(session: Session, keys: List[str], now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the project supports these two
        raise RuntimeError(f"the sign-in throttle does not support {dialect}")
    for key in keys:
        session.execute(
            insert(LoginThrottle)
            .values(key=key, attempts=0, window_start=now, last_attempt_at=now, blocked_until=None)
            .on_conflict_do_nothing(index_elements=["key"])
        )


def _select_for_update(session: Session, keys: List[str]) -> Dict[str, LoginThrottle]:
    rows = session.execute(
        select(LoginThrottle).where(LoginThrottle.key.in_(keys)).order_by(LoginThrottle.key).with_for_update()
    ).scalars()
    return {row.key: row for row in rows}


def _lock(session: Session, keys: List[str], now: datetime) -> Dict[str, LoginThrottle]:
    _insert_missing(session, keys, now)
    rows = _select_for_update(session, keys)
    if len(rows) < len(keys):
        # Another attempt's housekeeping deleted a stale row of ours after our
        # insert found it there; we hold "global" now, so this one sticks.
        _insert_missing(session, keys, now)
        rows = _select_for_update(session, keys)
    return rows


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def backoff(failures: int) -> timedelta:
    """The wait after the ``failures``-th failure in a row (none before :data:`NAME_FREE_FAILURES`)."""
    if failures < NAME_FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - NAME_FREE_FAILURES, 32)  # 2**32 * 30 s is far past the cap
    return min(NAME_BACKOFF_START * (2 ** doublings), NAME_BACKOFF_MAX)


def _window_refusal(row: LoginThrottle, limit: int, window: timedelta, now: datetime) -> Optional[int]:
    if now - row.window_start >= window:
        row.window_start, row.attempts = now, 0
    if row.attempts >= limit:
        return _seconds(row.window_start + window - now)
    return None


def _name_refusal(row: LoginThrottle, now: datetime) -> Optional[int]:
    if row.blocked_until is not None and now < row.blocked_until:
        return _seconds(row.blocked_until - now)
    quiet_since = max(row.last_attempt_at, row.blocked_until or row.last_attempt_at)
    if row.attempts and now - quiet_since >= NAME_FORGET_AFTER:
        row.attempts, row.blocked_until = 0, None
    return None


def reserve(
    session_factory: sessionmaker, *, name: Optional[str], address: Optional[str], now: Optional[datetime] = None,
) -> Decision:
    """Count one attempt for ``name`` (an existing account, or ``None``) from ``address``, or refuse it.

    A refused attempt is not counted: it costs nothing to check, and counting
    it would let a flood push the block further out.
    """
    now = now or utcnow()
    keys = _keys(name, address)
    with session_factory() as session, session.begin():
        rows = _lock(session, keys, now)
        # Housekeeping once the global row is held, so two of these never lock old rows in different orders.
        session.execute(delete(LoginThrottle).where(LoginThrottle.last_attempt_at < now - KEEP_ROWS,
                                                    LoginThrottle.key.notin_(keys)))
        refusals: Dict[str, int] = {}
        for key, row in rows.items():
            if key == GLOBAL_KEY:
                wait = _window_refusal(row, GLOBAL_LIMIT, GLOBAL_WINDOW, now)
                limit = "global"
            elif key.startswith("ip:"):
                wait = _window_refusal(row, IP_LIMIT, IP_WINDOW, now)
                limit = "ip"
            else:
                wait = _name_refusal(row, now)
                limit = "name"
            if wait is not None:
                refusals[limit] = wait
        if refusals:
            # The longest wait: trying again sooner would only be refused by that limit.
            limit = max(refusals, key=lambda k: refusals[k])
            return Decision(False, retry_after=refusals[limit], limit=limit)
        for key, row in rows.items():
            row.attempts += 1
            row.last_attempt_at = now
            if key.startswith("name:") and row.attempts >= NAME_FREE_FAILURES:
                # Set before the password is checked: attempts sent together
                # with this one are refused rather than checked.
                row.blocked_until = now + backoff(row.attempts)
    return Decision(True, reserved_at=now)


def succeeded(
    session_factory: sessionmaker, decision: Decision, *, name: Optional[str], address: Optional[str],
) -> None:
    """The attempt ``decision`` allowed signed in: clear the name's failures, give back the other counts."""
    if not decision.allowed or decision.reserved_at is None:
        return
    keys = _keys(name, address)
    with session_factory() as session, session.begin():
        for row in _select_for_update(session, keys).values():
            if row.key.startswith("name:"):
                row.attempts, row.blocked_until = 0, None
            elif row.window_start <= decision.reserved_at and row.attempts > 0:
                # Only if the window this attempt was counted in is still the current one.
                row.attempts -= 1


def clear(session_factory: sessionmaker, *, name: Optional[str] = None) -> int:
    """Forget the counters of ``name``, or all of them; returns how many rows went."""
    with session_factory() as session, session.begin():
        query = delete(LoginThrottle)
        if name is not None:
            query = query.where(LoginThrottle.key == name_key(name))
        return int(session.execute(query).rowcount or 0)

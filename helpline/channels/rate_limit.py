"""Rate limits for the public channels: token buckets per key, in memory, with bounded memory.

Why: anyone can open a new conversation on the REST, socket.io or SMS channel,
and crisis language in a new conversation opens a crisis follow-up and pages
on-call staff. Without a limit a script could page staff (and load the model)
without end. These limits stop floods from one sender, one connection or one
address; :mod:`helpline.safety.crisis_pages` caps the pages themselves, whatever the
number of senders.

Each key (a sender id, an SMS conversation key, a client address) has a bucket
of ``limit`` messages that refills evenly over ``window_seconds``: a person may
send a few messages in a burst, and then one every ``window / limit`` seconds.
A refused message does not use up anything, so whoever waits is let through
as soon as the bucket has refilled by one.

The limits live in this process's memory. With several Rasa replicas each one
counts on its own, so a client whose messages reach several replicas gets up to
(replicas x limit); HAProxy (deploy/haproxy.cfg) keeps each conversation on one
replica (REST by sender, SMS by number, socket.io by client address), so the
per-sender and per-number limits hold as set, while one address's REST
conversations spread over the replicas.

Plain Python: the clock is injected (tests use a fake one), nothing here knows
about HTTP.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Iterable, List, Optional, Tuple

# A person types one message every few seconds at the most. 20 a minute is
# several times that, and a burst of 20 lets someone paste a few lines at once.
PER_SENDER_PER_MINUTE = 20
# One address may carry many people (a household, a clinic's guest Wi-Fi, a
# carrier's NAT): 60 a minute is three people typing flat out, while a script
# that makes up a new sender for every message is stopped within a minute.
PER_IP_PER_MINUTE = 60
WINDOW_SECONDS = 60.0
# Keys kept per limiter at most (a bucket is about 200 bytes). Idle keys are
# dropped first; only a flood of more fresh keys than this within one window
# evicts active ones, and then the other limit (per address) still holds.
MAX_KEYS = 50_000
# Longer keys are cut: a client-supplied value must not grow our memory.
MAX_KEY_CHARS = 200
# Refills are sums of floats: a bucket this close to one whole message has one.
_EPSILON = 1e-9


@dataclass(frozen=True)
class Decision:
    """What a limit says about one message."""

    allowed: bool
    # Seconds until a message would be let through (0 when allowed).
    retry_after: float = 0.0
    # The first refusal since this key was last let through: the channel answers
    # it; later refusals go unanswered, so a flood is not answered with a flood.
    first_refusal: bool = False

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds for a Retry-After header: rounded up, at least 1."""
        return max(1, math.ceil(self.retry_after))


ALLOWED = Decision(True)


class _Bucket:
    __slots__ = ("tokens", "at", "refused")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens = tokens
        self.at = at
        self.refused = False


class RateLimiter:
    """``limit`` messages per ``window_seconds`` for each key; a ``limit`` of 0 or less means no limit."""

    def __init__(
        self,
        limit: int,
        window_seconds: float = WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self.limit = int(limit)
        self.window_seconds = float(window_seconds)
        self.max_keys = max(1, int(max_keys))
        self._clock = clock
        self._rate = self.limit / self.window_seconds if self.limit > 0 else 0.0
        # Least recently used first, so idle keys are found at the front.
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        # The channels call from one event loop, but the SMS store runs in
        # threads and tests call from several: the lock costs nothing here.
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def __len__(self) -> int:
        return len(self._buckets)

    def hit(self, key: Optional[str]) -> Decision:
        """Count one message for ``key`` if the limit allows it; see :class:`Decision`."""
        return hit_all([(self, key)])

    def _bucket(self, key: str, now: float) -> _Bucket:
        """The key's bucket refilled up to ``now`` (new keys start full); marks it recently used."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(self.limit), now)
            self._buckets[key] = bucket
        else:
            elapsed = max(0.0, now - bucket.at)
            bucket.tokens = min(float(self.limit), bucket.tokens + elapsed * self._rate)
            bucket.at = now
            self._buckets.move_to_end(key)
        return bucket

    def _evict(self, now: float) -> None:
        # A bucket idle for a whole window has refilled completely: it is the same
        # as a key never seen, so dropping it loses nothing.
        while self._buckets:
            key, bucket = next(iter(self._buckets.items()))
            if now - bucket.at < self.window_seconds:
                break
            del self._buckets[key]
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)


def _key(key: str) -> str:
    return key[:MAX_KEY_CHARS]


def hit_all(checks: Iterable[Tuple[RateLimiter, Optional[str]]]) -> Decision:
    """One message against several limits (sender, address, ...), each with its key.

    Let through only when every limit has room, and then counted in each; a
    refusal counts nowhere, so a sender refused because of its address's limit
    keeps its own allowance. A ``None`` key or a disabled limiter is skipped.
    """
    active: List[Tuple[RateLimiter, str]] = [
        (limiter, _key(key)) for limiter, key in checks if key is not None and limiter.enabled
    ]
    if not active:
        return ALLOWED
    limiters = {id(limiter): limiter for limiter, _ in active}
    locks = [limiter._lock for limiter in sorted(limiters.values(), key=id)]
    for lock in locks:
        lock.acquire()
    try:
        buckets = [(limiter, limiter._bucket(key, limiter._clock())) for limiter, key in active]
        short = [(limiter, bucket) for limiter, bucket in buckets if bucket.tokens < 1.0 - _EPSILON]
        if not short:
            for _, bucket in buckets:
                bucket.tokens = max(0.0, bucket.tokens - 1.0)
                bucket.refused = False
            decision = ALLOWED
        else:
            first = any(not bucket.refused for _, bucket in short)
            for _, bucket in short:
                bucket.refused = True
            wait = max((1.0 - bucket.tokens) / limiter._rate for limiter, bucket in short)
            decision = Decision(False, retry_after=wait, first_refusal=first)
        # After this message's buckets are up to date: they were just used, so
        # they sit at the recently-used end and are not what gets evicted.
        for limiter in limiters.values():
            limiter._evict(limiter._clock())
        return decision
    finally:
        for lock in reversed(locks):
            lock.release()


def client_ip(peer: Optional[str], forwarded_for: Optional[str], trusted_hops: int) -> str:
    """The client's address: the TCP peer, or the one our own proxies saw.

    ``X-Forwarded-For`` is written by whoever sends the request, so it is only
    read when ``trusted_hops`` proxies of ours sit in front (setting
    ``HELPLINE_TRUSTED_PROXY_HOPS``). Each proxy appends the address it got the
    request from, so with N trusted proxies the client is the N-th entry from
    the right; anything left of it may be made up by the client and is ignored.
    """
    peer = (peer or "").strip() or "unknown"
    if trusted_hops <= 0 or not forwarded_for:
        return peer
    entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    if not entries:
        return peer
    # Fewer entries than proxies: every entry was written by a proxy of ours.
    chosen = entries[-trusted_hops] if len(entries) >= trusted_hops else entries[0]
    return chosen[:64]

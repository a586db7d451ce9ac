"""The channels' rate limiter: token buckets per key on a fake clock, bounded memory, client addresses."""
from __future__ import annotations

import pytest

from helpline.channels import rate_limit
from helpline.channels.rate_limit import RateLimiter, client_ip, hit_all
from helpline.settings import SettingsError, load_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_sender_gets_its_limit_then_is_refused_until_the_bucket_refills(clock):
    limiter = RateLimiter(20, 60, clock=clock)
    assert all(limiter.hit("sender-a").allowed for _ in range(20))
    refused = limiter.hit("sender-a")
    assert not refused.allowed
    # One message every 60/20 = 3 s.
    assert refused.retry_after == pytest.approx(3.0)
    assert refused.retry_after_seconds == 3
    clock.advance(2.9)
    assert not limiter.hit("sender-a").allowed
    clock.advance(0.1)
    assert limiter.hit("sender-a").allowed
    assert not limiter.hit("sender-a").allowed


def test_a_person_typing_steadily_is_never_refused(clock):
    limiter = RateLimiter(20, 60, clock=clock)
    # One message every 4 s for ten minutes, after a burst of 10 pasted lines.
    assert all(limiter.hit("typist").allowed for _ in range(10))
    for _ in range(150):
        clock.advance(4)
        assert limiter.hit("typist").allowed


def test_refused_messages_use_nothing_up(clock):
    limiter = RateLimiter(2, 60, clock=clock)
    limiter.hit("k"), limiter.hit("k")
    for _ in range(50):  # hammering while refused does not push the wait further out
        assert not limiter.hit("k").allowed
    clock.advance(30)
    assert limiter.hit("k").allowed


def test_senders_are_counted_apart(clock):
    limiter = RateLimiter(3, 60, clock=clock)
    for _ in range(3):
        assert limiter.hit("a").allowed
    assert not limiter.hit("a").allowed
    assert limiter.hit("b").allowed


def test_only_the_first_refusal_of_a_run_is_to_be_answered(clock):
    limiter = RateLimiter(1, 60, clock=clock)
    assert limiter.hit("k").allowed
    assert limiter.hit("k").first_refusal
    assert not limiter.hit("k").first_refusal
    assert not limiter.hit("k").first_refusal
    clock.advance(60)
    assert limiter.hit("k").allowed
    assert limiter.hit("k").first_refusal  # a new run after being let through


def test_the_address_limit_holds_across_senders_and_a_refusal_counts_nowhere(clock):
    per_sender, per_ip = RateLimiter(20, 60, clock=clock), RateLimiter(60, 60, clock=clock)
    # A script making up a new sender for every message, from one address.
    decisions = [hit_all([(per_sender, f"sender-{n}"), (per_ip, "203.0.113.9")]) for n in range(100)]
    assert sum(d.allowed for d in decisions) == 60
    assert not any(d.allowed for d in decisions[60:])
    # Refused by the address, the sender's own allowance is untouched.
    assert all(per_sender.hit("sender-99").allowed for _ in range(20))
    # Another address is not affected.
    assert hit_all([(per_sender, "someone"), (per_ip, "198.51.100.7")]).allowed


def test_over_the_sender_limit_the_address_is_not_charged(clock):
    per_sender, per_ip = RateLimiter(2, 60, clock=clock), RateLimiter(3, 60, clock=clock)
    for _ in range(10):
        hit_all([(per_sender, "loud"), (per_ip, "ip")])
    # "loud" got 2 through; the address still has 1 of 3 for someone else.
    assert hit_all([(per_sender, "quiet"), (per_ip, "ip")]).allowed
    assert not hit_all([(per_sender, "quiet"), (per_ip, "ip")]).allowed


def test_idle_keys_are_evicted_once_their_bucket_is_full_again(clock):
    limiter = RateLimiter(20, 60, clock=clock)
    for n in range(1000):
        limiter.hit(f"sender-{n}")
    assert len(limiter) == 1000
    clock.advance(59)
    limiter.hit("fresh")
    assert len(limiter) == 1001  # not idle for a whole window yet: kept
    clock.advance(1)
    limiter.hit("fresh")
    assert len(limiter) == 1  # the 1000 idle ones are gone, "fresh" stays


def test_evicting_an_idle_key_forgets_nothing_that_matters(clock):
    limiter = RateLimiter(2, 60, clock=clock)
    limiter.hit("k"), limiter.hit("k")
    assert not limiter.hit("k").allowed
    clock.advance(60)
    limiter.hit("other")  # evicts "k"
    assert "k" not in limiter._buckets
    assert limiter.hit("k").allowed and limiter.hit("k").allowed  # a full bucket, as it had refilled anyway
    assert not limiter.hit("k").allowed


def test_memory_is_bounded_under_a_flood_of_new_keys(clock):
    limiter = RateLimiter(20, 60, clock=clock, max_keys=100)
    for n in range(10_000):
        limiter.hit(f"sender-{n}")
    assert len(limiter) == 100
    assert "sender-9999" in limiter._buckets and "sender-0" not in limiter._buckets


def test_long_keys_are_cut(clock):
    limiter = RateLimiter(1, 60, clock=clock)
    assert limiter.hit("x" * 10_000).allowed
    assert max(len(k) for k in limiter._buckets) == rate_limit.MAX_KEY_CHARS
    assert not limiter.hit("x" * 5_000).allowed  # the same cut key


def test_a_limit_of_zero_is_off_and_a_missing_key_is_skipped(clock):
    off = RateLimiter(0, 60, clock=clock)
    assert all(off.hit("k").allowed for _ in range(1000))
    assert len(off) == 0
    on = RateLimiter(1, 60, clock=clock)
    assert hit_all([(on, None), (on, None)]).allowed
    assert len(on) == 0


# -- client addresses ---------------------------------------------------------------------

def test_without_a_trusted_proxy_the_forwarded_header_is_ignored():
    assert client_ip("203.0.113.9", "10.9.9.9", 0) == "203.0.113.9"
    assert client_ip("", None, 0) == "unknown"


def test_behind_one_trusted_proxy_the_address_it_saw_is_the_client():
    # The client wrote a made-up first entry; HAProxy appended the real peer.
    assert client_ip("10.0.0.2", "1.2.3.4, 203.0.113.9", 1) == "203.0.113.9"
    assert client_ip("10.0.0.2", "203.0.113.9", 1) == "203.0.113.9"


def test_behind_two_trusted_proxies_the_second_entry_from_the_right_is_the_client():
    assert client_ip("10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.1", 2) == "203.0.113.9"
    # Fewer entries than proxies: every one was written by our own proxies.
    assert client_ip("10.0.0.2", "203.0.113.9", 2) == "203.0.113.9"


def test_a_trusted_proxy_without_the_header_leaves_the_peer():
    assert client_ip("10.0.0.2", None, 1) == "10.0.0.2"
    assert client_ip("10.0.0.2", " , ", 1) == "10.0.0.2"


# -- settings --------------------------------------------------------------------------------

def test_settings_defaults_and_overrides():
    defaults = load_settings({})
    assert (defaults.rate_limit_per_sender, defaults.rate_limit_per_ip, defaults.trusted_proxy_hops) == (20, 60, 0)
    assert (defaults.crisis_page_cap, defaults.crisis_page_window_minutes) == (5, 10.0)
    custom = load_settings({
        "HELPLINE_RATE_LIMIT_PER_SENDER": "30", "HELPLINE_RATE_LIMIT_PER_IP": "0",
        "HELPLINE_TRUSTED_PROXY_HOPS": "1", "HELPLINE_CRISIS_PAGE_CAP": "3", "HELPLINE_CRISIS_PAGE_WINDOW_MINUTES": "15",
    })
    assert (custom.rate_limit_per_sender, custom.rate_limit_per_ip, custom.trusted_proxy_hops) == (30, 0, 1)
    assert (custom.crisis_page_cap, custom.crisis_page_window_minutes) == (3, 15.0)


def test_a_crisis_page_cap_of_zero_or_a_typo_is_refused_by_name():
    # A cap of 0 would silence every crisis page: never accepted. A typo stops start-up
    # with the variable named (helpline.settings) rather than running on a default.
    with pytest.raises(SettingsError, match="HELPLINE_CRISIS_PAGE_CAP must be a whole number >= 1"):
        load_settings({"HELPLINE_CRISIS_PAGE_CAP": "0"})
    with pytest.raises(SettingsError, match="HELPLINE_RATE_LIMIT_PER_IP must be a whole number >= 0"):
        load_settings({"HELPLINE_RATE_LIMIT_PER_IP": "sixty"})
    with pytest.raises(SettingsError, match="HELPLINE_RATE_LIMIT_PER_SENDER must be a whole number >= 0"):
        load_settings({"HELPLINE_RATE_LIMIT_PER_SENDER": "-1"})

"""endpoints.yml's lock_store as Rasa reads it: in memory by default, Redis when scaled out."""
from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlsplit

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import read_endpoint_config

from helpline.ops.runner import rasa_environment

ROOT = Path(__file__).resolve().parents[2]


def lock_store_from_endpoints(monkeypatch, overrides: dict, data_dir: Path) -> LockStore:
    """The lock store `rasa run --endpoints endpoints.yml` would build under `helpline run`'s environment."""
    env = rasa_environment(overrides, data_dir, 5055)  # writes the action token file there
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return LockStore.create(read_endpoint_config(str(ROOT / "endpoints.yml"), "lock_store"))


def test_embedded_default_is_in_memory(monkeypatch, tmp_path):
    assert isinstance(lock_store_from_endpoints(monkeypatch, {}, tmp_path), InMemoryLockStore)


def test_redis_settings_reach_rasas_redis_lock_store(monkeypatch, tmp_path):
    store = lock_store_from_endpoints(monkeypatch, {
        "HELPLINE_LOCK_STORE": "redis",
        "HELPLINE_REDIS_HOST": "redis.internal",
        "HELPLINE_REDIS_PORT": "6380",
        "HELPLINE_REDIS_DB": "3",
        "HELPLINE_REDIS_PASSWORD": "s3cret",
        "HELPLINE_REDIS_KEY_PREFIX": "clinicA",
    }, tmp_path)
    assert isinstance(store, RedisLockStore)
    connection = store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"]) == ("redis.internal", 6380, 3)
    assert connection["password"] == "s3cret"
    assert store.key_prefix == "clinicA:lock:"


def test_redis_lock_store_from_endpoints_serves_tickets_in_turn(monkeypatch, redis_url, tmp_path):
    """Against the real Redis: the string values from the environment work as Rasa passes them on."""
    parts = urlsplit(redis_url)
    prefix = f"test{uuid.uuid4().hex[:8]}"
    store = lock_store_from_endpoints(monkeypatch, {
        "HELPLINE_LOCK_STORE": "redis",
        "HELPLINE_REDIS_HOST": parts.hostname,
        "HELPLINE_REDIS_PORT": str(parts.port or 6379),
        "HELPLINE_REDIS_KEY_PREFIX": prefix,
    }, tmp_path)
    assert isinstance(store, RedisLockStore)
    first = store.issue_ticket("conversation-1")
    second = store.issue_ticket("conversation-1")
    assert (first, second) == (0, 1)
    assert store.get_lock("conversation-1").is_locked(second)
    store.cleanup("conversation-1", first)
    assert not store.get_lock("conversation-1").is_locked(second)
    store.cleanup("conversation-1", second)
    assert store.get_lock("conversation-1") is None
    assert not store.red.keys(f"{prefix}:*")

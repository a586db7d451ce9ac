"""tests.cluster's process handling, with stand-in servers instead of Rasa."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.cluster import Cluster, ClusterError, Process, free_port, port_is_bound, scaled_out, single_stack


def http_server(name: str, tmp_path: Path) -> Process:
    port = free_port()
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)]
    return Process(name, argv, port, "/", {})


def test_starts_waits_for_health_and_frees_every_port_on_stop(tmp_path):
    cluster = Cluster([http_server("one", tmp_path), http_server("two", tmp_path)], tmp_path / "logs")
    with cluster:
        assert all(process.healthy() for process in cluster.processes)
        ports = [process.port for process in cluster.processes]
        assert all(port_is_bound(port) for port in ports)
    assert not any(port_is_bound(port) for port in ports)
    assert set(cluster.exit_codes) == {"one", "two"}


def test_a_process_that_dies_at_start_is_named_with_its_log_and_the_rest_is_stopped(tmp_path):
    healthy = http_server("fine", tmp_path)
    broken = Process("broken", [sys.executable, "-c", "import sys; print('no config here'); sys.exit(3)"],
                     free_port(), "/", {})
    cluster = Cluster([healthy, broken], tmp_path / "logs")
    with pytest.raises(ClusterError, match=r"broken exited during start-up:\s+no config here"):
        cluster.start(timeout=30)
    assert cluster.exit_codes["broken"] == 3
    assert not port_is_bound(healthy.port)


def test_scaled_out_layout_shares_the_stores_and_pairs_each_replica_with_its_action_server(tmp_path, monkeypatch):
    monkeypatch.setattr("tests.cluster.migrate", lambda env: None)
    monkeypatch.setattr("tests.cluster.shutil.which", lambda name: f"/usr/sbin/{name}")
    monkeypatch.setenv("HELPLINE_TRACKER_URL", "sqlite:///must-not-leak.db")
    monkeypatch.setenv("HELPLINE_ACTIONS_HOST", "0.0.0.0")  # a developer's scale-out setting must not leak either
    cluster = scaled_out(
        Path("model.tar.gz"), tmp_path, tracker_url="postgresql://db/tracker", database_url="postgresql://db/callbacks",
        redis_host="10.0.0.5", redis_port=6380,
    )
    rasa = cluster.named("rasa")
    actions = cluster.named("actions")
    assert len(rasa) == len(actions) == 2
    for replica, action_server in zip(rasa, actions, strict=True):
        assert replica.env["HELPLINE_ACTION_ENDPOINT"] == f"http://127.0.0.1:{action_server.port}/webhook"
        assert replica.env["HELPLINE_TRACKER_URL"] == "postgresql://db/tracker"
        assert (replica.env["HELPLINE_LOCK_STORE"], replica.env["HELPLINE_REDIS_HOST"]) == ("redis", "10.0.0.5")
        assert replica.env["HELPLINE_REDIS_PORT"] == "6380"
        assert action_server.env["DATABASE_URL"] == replica.env["DATABASE_URL"] == "postgresql://db/callbacks"
        # On loopback, and the token the replica sends is the one its action server requires.
        assert action_server.argv[action_server.argv.index("--host") + 1] == "127.0.0.1"
        assert action_server.env["HELPLINE_ACTION_TOKEN"] == replica.env["HELPLINE_ACTION_TOKEN"] != ""
    assert rasa[0].env["HELPLINE_REDIS_KEY_PREFIX"] == rasa[1].env["HELPLINE_REDIS_KEY_PREFIX"]
    assert rasa[0].env["HELPLINE_REDIS_KEY_PREFIX"].isalnum()
    balancer = cluster.named("haproxy")[0]
    assert cluster.entry_url == balancer.url
    assert balancer.env["HELPLINE_RASA_1"] == f"127.0.0.1:{rasa[0].port}"
    assert balancer.env["HELPLINE_RASA_2"] == f"127.0.0.1:{rasa[1].port}"


def test_the_harness_reads_its_settings_from_the_cluster_environment_and_leaves_ours_alone(tmp_path, monkeypatch):
    monkeypatch.setattr("tests.cluster.migrate", lambda env: None)
    monkeypatch.setenv("HELPLINE_ACTION_TOKEN", "the-developers-own")
    before = dict(os.environ)
    cluster = single_stack(Path("model.tar.gz"), tmp_path, extra_env={"HELPLINE_ACTION_TOKEN": "the-clusters"})
    assert dict(os.environ) == before
    actions, rasa = cluster.named("actions")[0], cluster.named("rasa")[0]
    assert actions.env["HELPLINE_ACTION_TOKEN"] == rasa.env["HELPLINE_ACTION_TOKEN"] == "the-clusters"
    assert rasa.env["HELPLINE_DATA_DIR"] == str(tmp_path)

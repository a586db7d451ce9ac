"""`helpline run`'s supervisor restarts a child that died, with backoff and a cap, and says so."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from helpline.ops import runner
from helpline.ops import supervisor as supervisor_module
from helpline.ops.supervisor import Child

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(supervisor_module, "RESTART_BACKOFF_SECONDS", (0.2, 0.4, 0.8))
    monkeypatch.setattr(supervisor_module, "MAX_RESTARTS_PER_MINUTE", 3)


def supervisor(tmp_path: Path, argv) -> runner.Supervisor:
    service = Child(name="actions", argv=argv, health_url="http://127.0.0.1:9/health")
    return runner.Supervisor([service], tmp_path, pid_dir=tmp_path / "run")


def pid_file(tmp_path: Path) -> int:
    return int((tmp_path / "run" / "actions.pid").read_text())


def test_a_killed_child_is_restarted_after_a_backoff_and_its_pid_file_follows(tmp_path, quick, capsys):
    sup = supervisor(tmp_path, SLEEPER)
    sup.services[0].start(tmp_path)
    sup.services[0].write_pid(sup.pid_dir)
    first = pid_file(tmp_path)
    try:
        os.killpg(first, signal.SIGKILL)
        sup.services[0].process.wait()
        now = time.monotonic()
        assert sup.restart_if_dead(sup.services[0], now)  # scheduled, not yet started
        assert not sup.services[0].alive()
        assert sup.restart_if_dead(sup.services[0], now + 0.1) and not sup.services[0].alive()  # still backing off
        assert sup.restart_if_dead(sup.services[0], now + 0.2)
        assert sup.services[0].alive()
        assert pid_file(tmp_path) == sup.services[0].process.pid != first
        err = capsys.readouterr()
        assert "actions exited unexpectedly (code -9); restarting in 0.2s" in err.err
        assert "actions restarted" in err.out
    finally:
        sup.stop_all()
    assert not (tmp_path / "run" / "actions.pid").exists()


def test_backoff_grows_and_a_child_that_keeps_dying_stops_everything(tmp_path, quick, capsys):
    sup = supervisor(tmp_path, CRASHER)
    sup.services[0].start(tmp_path)
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("code", sup.wait()))
    started = time.monotonic()
    thread.start()
    thread.join(timeout=30)
    elapsed = time.monotonic() - started
    sup.stop_all()
    assert result.get("code") == 1
    err = capsys.readouterr().err
    assert [line.split("restarting in ")[1].split("s ")[0] for line in err.splitlines() if "restarting in" in line] == [
        "0.2", "0.4", "0.8"]
    assert "giving up" in err
    assert 1.4 <= elapsed < 10  # the three pauses, then the fourth death ends it


def test_restarts_older_than_a_minute_do_not_count(tmp_path, quick):
    sup = supervisor(tmp_path, CRASHER)
    service = sup.services[0]
    service.start(tmp_path)
    service.process.wait()
    sup._restarts["actions"] = [time.monotonic() - 120] * 10  # a bad hour, long ago
    assert sup.restart_if_dead(service, time.monotonic())
    sup.stop_all()

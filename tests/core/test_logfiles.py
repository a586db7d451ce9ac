"""Logs in var/logs: `helpline run` rotates them (copy-truncate), `helpline purge` ages them out."""
from __future__ import annotations

import os
import stat
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from helpline.ops import logfiles, runner
from helpline.ops.supervisor import Child

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def aged(path: Path, text: str, when: datetime) -> Path:
    path.write_text(text)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def test_rotation_moves_the_content_and_the_writer_carries_on_in_the_emptied_file(tmp_path):
    live = tmp_path / "rasa.log"
    with open(live, "ab", buffering=0) as child:  # what a supervised child holds: opened for appending
        child.write(b"yesterday's line\n")
        rotated = logfiles.rotate(live, NOW)
        child.write(b"today's line\n")
    assert rotated == tmp_path / "rasa.log.20261201T120000Z"
    assert rotated.read_bytes() == b"yesterday's line\n"
    assert live.read_bytes() == b"today's line\n"  # no hole of NULs where the old content was
    assert stat.S_IMODE(rotated.stat().st_mode) == 0o600
    assert logfiles.rotate(tmp_path / "missing.log") is None
    live.write_bytes(b"")
    assert logfiles.rotate(live) is None  # nothing to rotate: no empty copies


def test_a_second_rotation_in_the_same_second_keeps_both(tmp_path):
    live = tmp_path / "web.log"
    live.write_text("one\n")
    first = logfiles.rotate(live, NOW)
    live.write_text("two\n")
    second = logfiles.rotate(live, NOW)
    assert first != second and first.read_text() == "one\n" and second.read_text() == "two\n"


def test_purge_deletes_old_rotated_logs_and_empties_old_live_ones(tmp_path):
    old, recent = NOW - timedelta(days=40), NOW - timedelta(days=5)
    aged(tmp_path / "rasa.log.20261020T000000Z", "old rotated\n", old)
    aged(tmp_path / "rasa.log.20261125T000000Z", "recent rotated\n", recent)
    aged(tmp_path / "actions.log", "a child quiet for 40 days\n", old)
    aged(tmp_path / "web.log", "written lately\n", recent)
    (tmp_path / "elsewhere").mkdir()

    cutoff = NOW - timedelta(days=30)
    assert logfiles.purge(tmp_path, cutoff, dry_run=True) == 2
    assert len(list(tmp_path.iterdir())) == 5
    assert logfiles.purge(tmp_path, cutoff) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["actions.log", "elsewhere", "rasa.log.20261125T000000Z", "web.log"]
    assert (tmp_path / "actions.log").read_text() == ""  # emptied, not deleted: a child may hold it open
    assert (tmp_path / "web.log").read_text() == "written lately\n"
    assert logfiles.purge(tmp_path, cutoff) == 0  # twice deletes nothing the second time
    assert logfiles.purge(tmp_path / "no-logs-yet", cutoff) == 0


def test_the_supervisor_rotates_at_start_and_then_daily(tmp_path, monkeypatch):
    service = Child(name="probe", argv=[sys.executable, "-c", "print('started')"], health_url="http://127.0.0.1:9/")
    sup = runner.Supervisor([service], tmp_path)
    (tmp_path / "probe.log").write_text("last run\n")
    sup.rotate_logs(time.monotonic())
    rotated = list(tmp_path.glob("probe.log.*"))
    assert [p.read_text() for p in rotated] == ["last run\n"] and (tmp_path / "probe.log").read_text() == ""

    (tmp_path / "probe.log").write_text("today\n")
    sup.rotate_logs(time.monotonic() + 60)  # not a day yet
    assert len(list(tmp_path.glob("probe.log.*"))) == 1
    sup.rotate_logs(time.monotonic() + logfiles.ROTATE_EVERY_SECONDS + 1)
    assert len(list(tmp_path.glob("probe.log.*"))) == 2 and (tmp_path / "probe.log").read_text() == ""

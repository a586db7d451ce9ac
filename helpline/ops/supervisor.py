"""Child processes in their own process groups: start, wait until healthy, restart, stop, written once.

Used by ``helpline run`` (helpline.ops.runner) and by the test harness that
starts whole clusters (tests/cluster.py), so both start, watch and stop their
servers the same way. Each child runs in its own process group (its pid is
the group id), so one signal reaches the workers a server forks too, and a
stop leaves no port bound. A child that dies is started again after a short
backoff (RESTART_BACKOFF_SECONDS); one that keeps dying stops everything
rather than flapping forever.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence

from helpline.ops import logfiles
from helpline.settings import PROJECT_ROOT, child_environment

STOP_GRACE_SECONDS = 15
START_TIMEOUT_SECONDS = 180
# A child that dies is started again after these pauses (the n-th restart within
# a minute waits the n-th value); more restarts than this in a minute means it
# cannot stay up, and everything stops rather than flapping forever.
RESTART_BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0, 16.0)
MAX_RESTARTS_PER_MINUTE = 5


@dataclass
class Child:
    """One server: how to start it, where it answers when healthy, and its running process."""

    name: str
    argv: List[str]
    health_url: str
    # Variables on top of ``base_env``: what this child needs beyond its siblings.
    env: Dict[str, str] = field(default_factory=dict)
    # The environment it starts from; None: this process's own.
    base_env: Optional[Mapping[str, str]] = None
    cwd: Path = PROJECT_ROOT
    process: Optional[subprocess.Popen[bytes]] = None

    def log_path(self, log_dir: Path) -> Path:
        return log_dir / f"{self.name}.log"

    def start(self, log_dir: Path) -> None:
        with open(self.log_path(log_dir), "ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=child_environment(self.env, self.base_env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: we signal the group
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def write_pid(self, pid_dir: Optional[Path]) -> None:
        """``<pid_dir>/<name>.pid`` holds the child's pid, which is also its process group id."""
        if pid_dir is None or self.process is None:
            return
        pid_dir.mkdir(parents=True, exist_ok=True)
        tmp = pid_dir / f".{self.name}.pid.tmp"
        tmp.write_text(f"{self.process.pid}\n")
        tmp.replace(pid_dir / f"{self.name}.pid")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def signal_group(self, sig: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # already gone, group and all
            os.killpg(self.process.pid, sig)


@dataclass
class StartOutcome:
    """How waiting for children ended: all up, one died (``dead``), time ran out (``not_up``), or a stop was asked."""

    dead: Optional[Child] = None
    not_up: List[Child] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.dead is None and not self.not_up


def wait_until_up(
    children: Sequence[Child],
    timeout: float,
    on_up: Callable[[Child], None] = lambda child: None,
    stopping: Callable[[], bool] = lambda: False,
) -> StartOutcome:
    """Poll until every child answers its health URL; stops early when one exits or ``stopping()`` says so."""
    deadline = time.monotonic() + timeout
    waiting = list(children)
    while waiting and not stopping():
        for child in list(waiting):
            if not child.alive():
                return StartOutcome(dead=child)
            if child.healthy():
                on_up(child)
                waiting.remove(child)
        if waiting and time.monotonic() > deadline:
            return StartOutcome(not_up=waiting)
        if waiting:
            time.sleep(0.5)
    return StartOutcome(not_up=waiting)


def stop_groups(children: Sequence[Child], grace_seconds: float = STOP_GRACE_SECONDS) -> Dict[str, Optional[int]]:
    """SIGTERM to every group, a grace period, then SIGKILL to what is left; the children's exit codes."""
    for child in children:
        child.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    codes: Dict[str, Optional[int]] = {}
    for child in children:
        if child.process is None:
            continue
        with contextlib.suppress(subprocess.TimeoutExpired):  # SIGKILL below ends it
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        # Whatever is left in the group (workers a server forked, stragglers) goes too.
        child.signal_group(signal.SIGKILL)
        codes[child.name] = child.process.wait()
    return codes


class Supervisor:
    """Keeps a set of children up: starts them, restarts the ones that die, rotates their logs, stops them."""

    def __init__(self, services: List[Child], log_dir: Path, pid_dir: Optional[Path] = None) -> None:
        self.services = services
        self.log_dir = log_dir
        self.pid_dir = pid_dir
        self.stopping = False
        self._restarts: Dict[str, List[float]] = {}  # name -> monotonic times of recent restarts
        self._restart_at: Dict[str, float] = {}  # name -> when a dead child is due to start again
        self._rotate_at = 0.0  # monotonic time of the next log rotation; 0: at start

    def rotate_logs(self, now: float) -> None:
        """Rotate the children's logs at start and then daily, so that `helpline purge` can age them out.

        Copy-truncate (helpline.ops.logfiles): running children keep writing to the same file.
        """
        if now < self._rotate_at:
            return
        self._rotate_at = now + logfiles.ROTATE_EVERY_SECONDS
        logfiles.rotate_all(self.log_dir, [service.name for service in self.services])

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def start_all(self) -> bool:
        self.rotate_logs(time.monotonic())
        for service in self.services:
            service.start(self.log_dir)
            service.write_pid(self.pid_dir)
        outcome = wait_until_up(
            self.services, START_TIMEOUT_SECONDS,
            on_up=lambda s: print(f"[helpline] {s.name} is up ({s.health_url})", flush=True),
            stopping=lambda: self.stopping,
        )
        if outcome.dead is not None:
            print(f"[helpline] {outcome.dead.name} exited during start-up; see {outcome.dead.log_path(self.log_dir)}",
                  file=sys.stderr)
            return False
        if outcome.not_up and not self.stopping:
            print(f"[helpline] timed out waiting for: {', '.join(s.name for s in outcome.not_up)}", file=sys.stderr)
        return outcome.ok

    def restart_if_dead(self, service: Child, now: float) -> bool:
        """Schedule, then do, the restart of a dead child; False when it died too often to go on."""
        if service.alive():
            return True
        due = self._restart_at.get(service.name)
        if due is None:
            recent = [t for t in self._restarts.get(service.name, []) if now - t < 60]
            self._restarts[service.name] = recent
            code = service.process.returncode if service.process else None
            log_file = service.log_path(self.log_dir)
            if len(recent) >= MAX_RESTARTS_PER_MINUTE:
                print(f"[helpline] {service.name} exited (code {code}) {len(recent) + 1} times within a minute; "
                      f"giving up. See {log_file}", file=sys.stderr, flush=True)
                return False
            delay = RESTART_BACKOFF_SECONDS[min(len(recent), len(RESTART_BACKOFF_SECONDS) - 1)]
            print(f"[helpline] {service.name} exited unexpectedly (code {code}); restarting in {delay:g}s "
                  f"(restart {len(recent) + 1} of at most {MAX_RESTARTS_PER_MINUTE} a minute). See {log_file}",
                  file=sys.stderr, flush=True)
            # Workers it left behind would hold its port.
            service.signal_group(signal.SIGKILL)
            self._restart_at[service.name] = now + delay
            return True
        if now >= due:
            del self._restart_at[service.name]
            self._restarts.setdefault(service.name, []).append(now)
            service.start(self.log_dir)
            service.write_pid(self.pid_dir)
            pid = service.process.pid if service.process else None
            print(f"[helpline] {service.name} restarted (pid {pid})", flush=True)
        return True

    def wait(self, every: Optional[Callable[[], None]] = None, every_seconds: float = 60.0) -> int:
        """Watch until asked to stop (0) or a child cannot stay up (1); runs ``every()`` on a timer meanwhile."""
        next_tick = time.monotonic() + every_seconds
        while not self.stopping:
            for service in self.services:
                if not self.restart_if_dead(service, time.monotonic()):
                    return 1
            if every is not None and time.monotonic() >= next_tick:
                every()
                next_tick = time.monotonic() + every_seconds
            self.rotate_logs(time.monotonic())
            time.sleep(0.5)
        return 0

    def stop_all(self) -> None:
        stop_groups(self.services, STOP_GRACE_SECONDS)
        if self.pid_dir is not None:
            for service in self.services:
                if service.process is not None:
                    (self.pid_dir / f"{service.name}.pid").unlink(missing_ok=True)

"""Start and stop a set of assistant processes: the scaled-out layout, or one plain stack.

Scaled out (what production with several replicas looks like, on one machine):
N Rasa servers, each with its own action server, sharing one PostgreSQL
database for conversations, one for callback records (``DATABASE_URL``) and
Redis for Rasa's lock store, optionally behind HAProxy (``deploy/haproxy.cfg``).
Used by the scale-out test and the load benchmark, so both exercise exactly the
same arguments and environment as ``helpline run`` gives each process.

Every process runs in its own process group with its log in ``log_dir``; stop()
sends SIGTERM to each group, waits, and kills what is left, so no port stays bound.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence
from urllib.parse import urlsplit

from helpline.ops import runner, supervisor
from helpline.ops.supervisor import Child
from helpline.settings import PROJECT_ROOT, load_settings

HAPROXY_CONFIG = PROJECT_ROOT / "deploy" / "haproxy.cfg"
STOP_GRACE_SECONDS = 20
# Two Rasa servers loading their models at once on two busy cores took 85-200 s here.
DEFAULT_START_TIMEOUT = 420.0
# Settings of the developer's shell that must not leak into a throw-away cluster.
_ISOLATED_KEYS = (
    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "DATABASE_URL",
    "HELPLINE_TRACKER_DIALECT", "HELPLINE_TRACKER_URL", "HELPLINE_LOCK_STORE", "HELPLINE_REDIS_HOST",
    "HELPLINE_REDIS_PORT", "HELPLINE_REDIS_DB", "HELPLINE_REDIS_PASSWORD", "HELPLINE_REDIS_KEY_PREFIX",
    "HELPLINE_ACTION_ENDPOINT", "HELPLINE_CORS_ORIGINS", "HELPLINE_PUBLIC_URL", "HELPLINE_SMS_SKIP_SIGNATURE",
    # Replicas on one machine listen on loopback, with the token of the cluster's own data directory.
    "HELPLINE_ACTIONS_HOST", "HELPLINE_ACTION_TOKEN",
)


class ClusterError(RuntimeError):
    """A process did not start; the message names it and ends with its log's tail."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_bound(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


class Process(Child):
    """A child listening on a loopback ``port``; ``env`` is its whole environment (nothing inherited)."""

    def __init__(self, name: str, argv: List[str], port: int, health_path: str, env: Dict[str, str],
                 cwd: Path = PROJECT_ROOT) -> None:
        super().__init__(name, argv, f"http://127.0.0.1:{port}{health_path}", env, base_env={}, cwd=cwd)
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def popen(self) -> Optional[subprocess.Popen[bytes]]:
        return self.process


@dataclass
class Cluster:
    """Processes started together and stopped together; a context manager."""

    processes: List[Process]
    log_dir: Path
    # Environment the processes share: what `helpline callbacks list` needs to see the same data.
    env: Dict[str, str] = field(default_factory=dict)
    exit_codes: Dict[str, Optional[int]] = field(default_factory=dict)

    def named(self, prefix: str) -> List[Process]:
        return [p for p in self.processes if p.name.startswith(prefix)]

    @property
    def rasa_urls(self) -> List[str]:
        return [p.url for p in self.named("rasa")]

    @property
    def entry_url(self) -> str:
        """Where clients talk to: the balancer if there is one, else the first Rasa server."""
        balancer = self.named("haproxy")
        return balancer[0].url if balancer else self.rasa_urls[0]

    def start(self, timeout: float = DEFAULT_START_TIMEOUT) -> Cluster:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # The balancer goes last: started earlier it would mark the replicas down.
        later = self.named("haproxy")
        try:
            self._start_and_wait([p for p in self.processes if p not in later], timeout)
            self._start_and_wait(later, 30)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_and_wait(self, processes: Sequence[Process], timeout: float) -> None:
        for process in processes:
            process.start(self.log_dir)
        outcome = supervisor.wait_until_up(processes, timeout)
        if outcome.dead is not None:
            raise ClusterError(f"{outcome.dead.name} exited during start-up:\n{self._tail(outcome.dead)}")
        if outcome.not_up:
            raise ClusterError(
                f"not up after {timeout:.0f}s: {', '.join(p.name for p in outcome.not_up)}\n{self._tail(outcome.not_up[0])}"
            )

    def _tail(self, process: Child, chars: int = 3000) -> str:
        path = process.log_path(self.log_dir)
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def stop(self) -> Dict[str, Optional[int]]:
        self.exit_codes.update(supervisor.stop_groups(self.processes, STOP_GRACE_SECONDS))
        return self.exit_codes

    def bound_ports(self) -> List[int]:
        return [p.port for p in self.processes if port_is_bound(p.port)]

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _base_env(data_dir: Path, extra: Optional[Dict[str, str]]) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _ISOLATED_KEYS}
    env.update({"HELPLINE_DATA_DIR": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "2",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                # Every test and benchmark message comes from 127.0.0.1, hundreds a
                # minute: the channels' rate limits (helpline.channels.rate_limit) would refuse
                # them. Off here; tests of the limits set their own.
                "HELPLINE_RATE_LIMIT_PER_SENDER": "0", "HELPLINE_RATE_LIMIT_PER_IP": "0"})
    env.update(extra or {})
    return env


def migrate(env: Dict[str, str]) -> None:
    """Create the callback tables as the cluster will see them (its database, its encryption keys)."""
    result = subprocess.run([_bin("helpline"), "db", "upgrade"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise ClusterError(f"helpline db upgrade failed:\n{result.stderr[-3000:]}")


def _replica(suffix: str, model: Path, env: Dict[str, str]) -> List[Process]:
    """An action server, an NLU server and a Rasa server that calls both, with the argv and environment `helpline run` gives them."""
    options = runner.RunOptions(rasa_port=free_port(), actions_port=free_port(), web_port=free_port(), model=model,
                                nlu_port=free_port())
    assert options.nlu_port is not None
    ports = {"actions": options.actions_port, "nlu": options.nlu_port, "rasa": options.rasa_port}
    # The settings the cluster's processes will read, from the environment they will get.
    services = {service.name: service for service in runner.services(load_settings(env), options, base_env=env)}
    return [
        Process(name + suffix, services[name].argv, ports[name], urlsplit(services[name].health_url).path,
                {**env, **services[name].env})
        for name in ("actions", "nlu", "rasa")
    ]


def single_stack(model: Path, data_dir: Path, extra_env: Optional[Dict[str, str]] = None) -> Cluster:
    """What `helpline run` starts, minus the web process: one Rasa server, one action server, SQLite."""
    env = _base_env(data_dir, extra_env)
    migrate(env)
    return Cluster(_replica("", model, env), data_dir / "logs", env)


def scaled_out(
    model: Path,
    data_dir: Path,
    *,
    tracker_url: str,
    database_url: str,
    redis_host: str = "127.0.0.1",
    redis_port: int = 6379,
    redis_db: int = 1,
    replicas: int = 2,
    haproxy: bool = True,
    extra_env: Optional[Dict[str, str]] = None,
) -> Cluster:
    """``replicas`` Rasa servers, each with its own action server, sharing PostgreSQL and Redis.

    ``data_dir`` is shared too: it stands for settings every host would get
    alike (e.g. a key file), while the data itself lives in the databases.
    """
    if haproxy and replicas != 2:
        raise ValueError("deploy/haproxy.cfg lists two replicas; add server lines for more")
    if haproxy and not shutil.which("haproxy"):
        raise ClusterError("haproxy is not installed (scripts/ensure-services.sh installs it)")
    env = _base_env(data_dir, {**(extra_env or {}), "DATABASE_URL": database_url})
    migrate(env)
    env.update({
        "HELPLINE_TRACKER_DIALECT": "postgresql",
        "HELPLINE_TRACKER_URL": tracker_url,
        "HELPLINE_LOCK_STORE": "redis",
        "HELPLINE_REDIS_HOST": redis_host,
        "HELPLINE_REDIS_PORT": str(redis_port),
        "HELPLINE_REDIS_DB": str(redis_db),
        # Alphanumeric (Rasa's rule) and unique, so that clusters sharing a Redis never share locks.
        "HELPLINE_REDIS_KEY_PREFIX": "c" + uuid.uuid4().hex[:12],
    })
    processes: List[Process] = []
    for number in range(1, replicas + 1):
        processes += _replica(str(number), model, env)
    if haproxy:
        lb_port = free_port()
        rasa = [p for p in processes if p.name.startswith("rasa")]
        lb_env = {**env, "HELPLINE_LB_BIND": f"127.0.0.1:{lb_port}",
                  "HELPLINE_RASA_1": f"127.0.0.1:{rasa[0].port}", "HELPLINE_RASA_2": f"127.0.0.1:{rasa[1].port}"}
        processes.append(Process("haproxy", ["haproxy", "-f", str(HAPROXY_CONFIG), "-db"], lb_port, "/lb-health", lb_env))
    return Cluster(processes, data_dir / "logs", env)

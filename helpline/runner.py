"""``helpline run``: start the whole assistant on embedded defaults and stop it cleanly.

Starts the action server, the Rasa server (REST, socket.io and SMS channels)
and the web process (demo page with the chat widget) as child processes, each
in its own process group so that one signal reaches all of their children too,
waits until all answer, prints where to chat, and on Ctrl-C or SIGTERM stops
everything and frees the ports.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from helpline.config import PROJECT_ROOT, load_settings

STOP_GRACE_SECONDS = 15
START_TIMEOUT_SECONDS = 180
# How often staff alerts that failed (or were cut off by a crash) are sent again.
RETRY_ALERTS_EVERY_SECONDS = 60


@dataclass
class Service:
    name: str
    argv: List[str]
    health_url: str
    env: Dict[str, str] = field(default_factory=dict)
    process: Optional[subprocess.Popen] = None

    def start(self, log_dir: Path) -> None:
        log = open(log_dir / f"{self.name}.log", "ab")
        self.process = subprocess.Popen(
            self.argv,
            cwd=PROJECT_ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we signal the group
        )
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def signal_group(self, sig: int) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass


def latest_model(models_dir: Path) -> Path:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit(f"No trained model in {models_dir}. Run `make train` (or `make run`, which trains first).")
    return models[-1]


def rasa_environment(settings_env: Dict[str, str], data_dir: Path, actions_port: int) -> Dict[str, str]:
    """Values for the ${...} placeholders of endpoints.yml, defaulting to SQLite."""
    env = {
        "HELPLINE_ACTION_ENDPOINT": f"http://127.0.0.1:{actions_port}/webhook",
        "HELPLINE_TRACKER_DIALECT": "sqlite",
        "HELPLINE_TRACKER_URL": f"sqlite:///{data_dir / 'tracker.db'}",
    }
    for key in env:
        if settings_env.get(key):
            env[key] = settings_env[key]
    return env


def cors_origins(env: Dict[str, str], web_port: int) -> List[str]:
    """Origins whose pages may call Rasa: the configured ones, plus our own demo page.

    The demo page is always allowed so that it keeps working when a provider
    lists only their own site in HELPLINE_CORS_ORIGINS.
    """
    demo = [f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"]
    configured = [o.strip().rstrip("/") for o in env.get("HELPLINE_CORS_ORIGINS", "").split(",") if o.strip()]
    return list(dict.fromkeys(configured + demo))


def build_services(args: argparse.Namespace) -> List[Service]:
    settings = load_settings()
    data_dir = settings.data_dir
    bin_dir = Path(sys.executable).parent
    rasa = str(bin_dir / "rasa")
    model = Path(args.model) if args.model else latest_model(PROJECT_ROOT / "models")
    rasa_argv = [
        rasa, "run",
        "--model", str(model),
        "--port", str(args.rasa_port),
        "--credentials", "credentials.yml",
        "--endpoints", "endpoints.yml",
    ]
    for origin in cors_origins(dict(os.environ), args.web_port):
        rasa_argv += ["--cors", origin]
    return [
        Service(
            name="actions",
            argv=[rasa, "run", "actions", "--actions", "actions", "--port", str(args.actions_port)],
            health_url=f"http://127.0.0.1:{args.actions_port}/health",
        ),
        Service(
            name="rasa",
            argv=rasa_argv,
            health_url=f"http://127.0.0.1:{args.rasa_port}/",
            env=rasa_environment(dict(os.environ), data_dir, args.actions_port),
        ),
        Service(
            name="web",
            argv=[sys.executable, "-m", "helpline.web", "--port", str(args.web_port), "--rasa-port", str(args.rasa_port)],
            health_url=f"http://127.0.0.1:{args.web_port}/health",
        ),
    ]


def retry_staff_alerts() -> None:
    """Store first, notify after, retry what failed: the last part, on a timer."""
    from helpline import db, notify

    settings = load_settings()
    try:
        results = notify.retry_pending(db.session_factory(settings.effective_database_url), settings, max_attempts=1)
    except Exception as exc:  # the database may be briefly away; try again next time
        print(f"[helpline] retrying staff alerts failed: {type(exc).__name__}", file=sys.stderr)
        return
    for result in results:
        print(f"[helpline] staff alert for {result.label}: {result.status}", flush=True)


class Supervisor:
    def __init__(self, services: List[Service], log_dir: Path) -> None:
        self.services = services
        self.log_dir = log_dir
        self.stopping = False

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def start_all(self) -> bool:
        for service in self.services:
            service.start(self.log_dir)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        waiting = list(self.services)
        while waiting and not self.stopping:
            for service in list(waiting):
                if not service.alive():
                    print(f"[helpline] {service.name} exited during start-up; see {self.log_dir / (service.name + '.log')}", file=sys.stderr)
                    return False
                if service.healthy():
                    print(f"[helpline] {service.name} is up ({service.health_url})", flush=True)
                    waiting.remove(service)
            if time.monotonic() > deadline:
                print(f"[helpline] timed out waiting for: {', '.join(s.name for s in waiting)}", file=sys.stderr)
                return False
            time.sleep(0.5)
        return not waiting

    def wait(self) -> int:
        next_retry = time.monotonic() + RETRY_ALERTS_EVERY_SECONDS
        while not self.stopping:
            for service in self.services:
                if not service.alive():
                    print(f"[helpline] {service.name} stopped unexpectedly; see {self.log_dir / (service.name + '.log')}", file=sys.stderr)
                    return 1
            if time.monotonic() >= next_retry:
                retry_staff_alerts()
                next_retry = time.monotonic() + RETRY_ALERTS_EVERY_SECONDS
            time.sleep(0.5)
        return 0

    def stop_all(self) -> None:
        for service in self.services:
            service.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for service in self.services:
            if service.process is None:
                continue
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            # Whatever is left in the group (workers, stragglers) goes too.
            service.signal_group(signal.SIGKILL)
            service.process.wait()


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    from helpline import db

    db.upgrade(settings.effective_database_url)

    supervisor = Supervisor(build_services(args), log_dir)
    signal.signal(signal.SIGINT, supervisor._on_signal)
    signal.signal(signal.SIGTERM, supervisor._on_signal)
    code = 1
    try:
        if supervisor.start_all():
            print(
                "\nHelpline Intake is running.\n"
                f"  Chat (REST):   POST http://localhost:{args.rasa_port}/webhooks/rest/webhook"
                ' with {"sender": "me", "message": "hi"}\n'
                f"  Chat (socket.io): http://localhost:{args.rasa_port}/socket.io\n"
                f"  Web chat demo: http://localhost:{args.web_port}/\n"
                f"  SMS webhook:   POST http://localhost:{args.rasa_port}/webhooks/sms/webhook"
                f' (try: .venv/bin/helpline sms send --to-server http://localhost:{args.rasa_port} --from +16025550134 "hi")\n'
                f"  Action server: http://localhost:{args.actions_port}/health\n"
                f"  Logs:          {log_dir}\n"
                f"  Staff queue:   .venv/bin/helpline callbacks list\n"
                "Press Ctrl-C to stop.",
                flush=True,
            )
            code = supervisor.wait()
        elif supervisor.stopping:
            code = 0
    finally:
        supervisor.stop_all()
        print("[helpline] stopped.", flush=True)
    return code


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="start the action server, the Rasa server and the web demo (Ctrl-C stops all)")
    parser.add_argument("--model", help="model archive to serve (default: the newest in models/)")
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("HELPLINE_RASA_PORT", 5005)))
    parser.add_argument("--actions-port", type=int, default=int(os.environ.get("HELPLINE_ACTIONS_PORT", 5055)))
    parser.add_argument("--web-port", type=int, default=int(os.environ.get("HELPLINE_WEB_PORT", 8080)))
    parser.set_defaults(handler=run)

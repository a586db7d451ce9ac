"""``helpline run``: start the whole assistant on embedded defaults and stop it cleanly.

Starts the action server, the Rasa server (REST, socket.io and SMS channels)
and the web process (demo page with the chat widget) as child processes, each
in its own process group so that one signal reaches all of their children too,
waits until all answer, prints where to chat, and on Ctrl-C or SIGTERM stops
everything and frees the ports. A child that dies is started again after a
short backoff (see RESTART_BACKOFF_SECONDS); one that keeps dying stops it all.
Each child's pid (= its process group) is in ``$HELPLINE_DATA_DIR/run/<name>.pid``.
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

from helpline.security import local_secrets
from helpline.ops import logfiles
from helpline.channels import web_ids
from helpline.settings import PROJECT_ROOT, Settings, load_settings

STOP_GRACE_SECONDS = 15
START_TIMEOUT_SECONDS = 180
# How often staff alerts that failed (or were cut off by a crash) are sent again.
RETRY_ALERTS_EVERY_SECONDS = 60
# A child that dies is started again after these pauses (the n-th restart within
# a minute waits the n-th value); more restarts than this in a minute means it
# cannot stay up, and everything stops rather than flapping forever.
RESTART_BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0, 16.0)
MAX_RESTARTS_PER_MINUTE = 5


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


DEFAULT_ACTIONS_HOST = "127.0.0.1"


def actions_host(env: Dict[str, str]) -> str:
    """Where the action server listens: loopback unless HELPLINE_ACTIONS_HOST says otherwise (scale-out)."""
    return (env.get("HELPLINE_ACTIONS_HOST") or "").strip() or DEFAULT_ACTIONS_HOST


def reachable_host(bind: str) -> str:
    """The address that reaches, from this machine, a server listening on ``bind``."""
    if bind in ("0.0.0.0", "::"):  # every interface, loopback included
        return "127.0.0.1"
    return f"[{bind}]" if ":" in bind else bind


def rasa_environment(settings_env: Dict[str, str], data_dir: Path, actions_port: int) -> Dict[str, str]:
    """Values for the ${...} placeholders of endpoints.yml, defaulting to SQLite.

    The action token is HELPLINE_ACTION_TOKEN, else the install's token file
    (created here if needed), so Rasa and the action server share one value.
    """
    token = local_secrets.action_token({**settings_env, "HELPLINE_DATA_DIR": str(data_dir)})
    env = {
        "HELPLINE_ACTION_ENDPOINT": f"http://{reachable_host(actions_host(settings_env))}:{actions_port}/webhook",
        "HELPLINE_ACTION_TOKEN": token.value,
        "HELPLINE_TRACKER_DIALECT": "sqlite",
        "HELPLINE_TRACKER_URL": Settings(data_dir=data_dir).effective_tracker_url,
        # One Rasa process needs no shared lock; the Redis values only matter
        # when HELPLINE_LOCK_STORE=redis, but Rasa refuses unset ${...} names.
        "HELPLINE_LOCK_STORE": "in_memory",
        "HELPLINE_REDIS_HOST": "127.0.0.1",
        "HELPLINE_REDIS_PORT": "6379",
        "HELPLINE_REDIS_DB": "1",
        "HELPLINE_REDIS_PASSWORD": "",
        "HELPLINE_REDIS_KEY_PREFIX": "helpline",
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


def rasa_run_argv(rasa: str, model: Path, port: int, origins: List[str]) -> List[str]:
    """``rasa run`` with our channels and endpoints, allowing calls from ``origins``.

    Rasa's ``--cors`` takes all origins after one flag (``nargs="*"``); a second
    ``--cors`` replaces the first, so the list must follow a single flag. Every
    other option here is given once.
    """
    return [
        rasa, "run",
        "--model", str(model),
        "--port", str(port),
        "--credentials", "credentials.yml",
        "--endpoints", "endpoints.yml",
        "--cors", *origins,
    ]


# Sanic reads SANIC_* from the environment. Rasa's bodies are chat messages and
# Twilio forms (a few KB), so 256 KiB turns a flood into a 413 early; the action
# server gets whole conversation trackers from Rasa, which grow with the
# conversation, hence more room. An operator's own SANIC_* values win.
HTTP_LIMITS = {
    "rasa": {"SANIC_REQUEST_MAX_SIZE": str(256 * 1024)},
    "actions": {"SANIC_REQUEST_MAX_SIZE": str(8 * 1024 * 1024)},
}


def http_limits(name: str) -> Dict[str, str]:
    return {key: value for key, value in HTTP_LIMITS.get(name, {}).items() if key not in os.environ}


def build_services(args: argparse.Namespace) -> List[Service]:
    settings = load_settings()
    data_dir = settings.data_dir
    bin_dir = Path(sys.executable).parent
    rasa = str(bin_dir / "rasa")
    model = Path(args.model) if args.model else latest_model(PROJECT_ROOT / "models")
    rasa_argv = rasa_run_argv(rasa, model, args.rasa_port, cors_origins(dict(os.environ), args.web_port))
    rasa_env = rasa_environment(dict(os.environ), data_dir, args.actions_port)
    host = actions_host(dict(os.environ))
    return [
        Service(
            name="actions",
            # rasa-sdk's app with its input checked and the token required (helpline_rasa/action_server.py).
            argv=[sys.executable, "-m", "helpline_rasa.action_server", "--actions", "actions",
                  "--host", host, "--port", str(args.actions_port)],
            health_url=f"http://{reachable_host(host)}:{args.actions_port}/health",
            # The very token Rasa sends, whether it came from the environment or the token file.
            env={"HELPLINE_ACTION_TOKEN": rasa_env["HELPLINE_ACTION_TOKEN"], **http_limits("actions")},
        ),
        Service(
            name="rasa",
            argv=rasa_argv,
            health_url=f"http://127.0.0.1:{args.rasa_port}/",
            env={**rasa_env, **http_limits("rasa")},
        ),
        Service(
            name="web",
            argv=[sys.executable, "-m", "helpline.web.app", "--port", str(args.web_port), "--rasa-port", str(args.rasa_port)],
            health_url=f"http://127.0.0.1:{args.web_port}/health",
        ),
    ]


def import_spooled_leads() -> None:
    """Leads kept locally while the database was down go into the queue (and staff are alerted)."""
    from helpline.queues import lead_spool

    settings = load_settings()
    if not lead_spool.pending(settings):
        return
    try:
        report = lead_spool.import_and_alert(settings, max_attempts=1)
    except Exception as exc:  # still down; the leads stay spooled for next time
        print(f"[helpline] importing spooled leads failed: {type(exc).__name__}", file=sys.stderr)
        return
    print(f"[helpline] spooled leads: {lead_spool.describe(report)}", flush=True)


def retry_staff_alerts() -> None:
    """Store first, notify after, retry what failed: the last part, on a timer."""
    from helpline.store import db
    from helpline.notify import staff_sms as notify

    import_spooled_leads()
    settings = load_settings()
    try:
        results = notify.retry_pending(db.session_factory(settings.effective_database_url), settings, max_attempts=1)
    except Exception as exc:  # the database may be briefly away; try again next time
        print(f"[helpline] retrying staff alerts failed: {type(exc).__name__}", file=sys.stderr)
        return
    for result in results:
        print(f"[helpline] staff alert for {result.label}: {result.status}", flush=True)


class Supervisor:
    def __init__(self, services: List[Service], log_dir: Path, pid_dir: Optional[Path] = None) -> None:
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

    def restart_if_dead(self, service: Service, now: float) -> bool:
        """Schedule, then do, the restart of a dead child; False when it died too often to go on."""
        if service.alive():
            return True
        due = self._restart_at.get(service.name)
        if due is None:
            recent = [t for t in self._restarts.get(service.name, []) if now - t < 60]
            self._restarts[service.name] = recent
            code = service.process.returncode if service.process else None
            log_file = self.log_dir / (service.name + ".log")
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
            print(f"[helpline] {service.name} restarted (pid {service.process.pid})", flush=True)
        return True

    def wait(self) -> int:
        next_retry = time.monotonic() + RETRY_ALERTS_EVERY_SECONDS
        while not self.stopping:
            for service in self.services:
                if not self.restart_if_dead(service, time.monotonic()):
                    return 1
            if time.monotonic() >= next_retry:
                retry_staff_alerts()
                next_retry = time.monotonic() + RETRY_ALERTS_EVERY_SECONDS
            self.rotate_logs(time.monotonic())
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
            if self.pid_dir is not None:
                (self.pid_dir / f"{service.name}.pid").unlink(missing_ok=True)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    from helpline.store import db

    db.upgrade(settings.effective_database_url)
    # Before any child starts, so no two of them race to create the local key and
    # secrets (the action token is made by build_services).
    from helpline.security import crypto
    from helpline.channels import sms

    crypto.fernet()
    sms.id_secret()
    sms.auth_token()

    supervisor = Supervisor(build_services(args), log_dir, pid_dir=settings.data_dir / "run")
    signal.signal(signal.SIGINT, supervisor._on_signal)
    signal.signal(signal.SIGTERM, supervisor._on_signal)
    code = 1
    try:
        if supervisor.start_all():
            print(
                "\nHelpline Intake is running.\n"
                f"  Chat (REST):   POST http://localhost:{args.rasa_port}/webhooks/rest/webhook"
                f' with {{"sender": "{web_ids.new_web_id()}", "message": "hi"}} (sender: web- + 32 random hex digits)\n'
                f"  Chat (socket.io): http://localhost:{args.rasa_port}/socket.io\n"
                f"  Web chat demo: http://localhost:{args.web_port}/\n"
                f"  SMS webhook:   POST http://localhost:{args.rasa_port}/webhooks/sms/webhook"
                f' (try: .venv/bin/helpline sms send --to-server http://localhost:{args.rasa_port} --from +16025550134 "hi")\n'
                f"  Action server: http://{reachable_host(actions_host(dict(os.environ)))}:{args.actions_port}/health\n"
                f"  Logs:          {log_dir}\n"
                f"  Staff queue:   .venv/bin/helpline callbacks list\n"
                f"  Staff console: http://localhost:{args.web_port}/callbacks (account: .venv/bin/helpline staff add NAME)\n"
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

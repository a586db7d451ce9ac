"""``helpline run``: start the whole assistant on embedded defaults and stop it cleanly.

Starts the action server, the NLU server (each message read by the model of
its conversation's language), the Rasa server (REST, socket.io and SMS channels)
and the web process (demo page with the chat widget) as child processes, each
in its own process group so that one signal reaches all of their children too,
waits until all answer, prints where to chat, and on Ctrl-C or SIGTERM stops
everything and frees the ports. A child that dies is started again after a
short backoff (helpline.ops.supervisor); one that keeps dying stops it all.
Each child's pid (= its process group) is in ``$HELPLINE_DATA_DIR/run/<name>.pid``.
"""
from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Union

from helpline import language
from helpline.channels import web_ids
from helpline.composition import AppContext, app_context
from helpline.ops import minutely
from helpline.ops.supervisor import Child, Supervisor
from helpline.security import local_secrets
from helpline.settings import PROJECT_ROOT, Settings, load_settings

# How often staff alerts that failed (or were cut off by a crash) are sent again.
RETRY_ALERTS_EVERY_SECONDS = 60
# Settings, or an environment to read them from (older callers and tests pass a mapping).
SettingsOrEnv = Union[Settings, Mapping[str, str]]


def _settings(source: SettingsOrEnv) -> Settings:
    return source if isinstance(source, Settings) else load_settings(source)


@dataclass(frozen=True)
class RunOptions:
    """What `helpline run` is asked for on its command line; ports default to the settings."""

    rasa_port: int
    actions_port: int
    web_port: int
    # The model archive to serve; None: the newest in models/.
    model: Optional[Path] = None
    # None: the settings' (HELPLINE_NLU_PORT); each Rasa server on a machine needs its own.
    nlu_port: Optional[int] = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RunOptions:
        return cls(rasa_port=args.rasa_port, actions_port=args.actions_port, web_port=args.web_port,
                   model=Path(args.model) if args.model else None, nlu_port=args.nlu_port)


def latest_model(models_dir: Path) -> Path:
    # A language's NLU archive (current-es.tar.gz) goes with the model it sits beside.
    models = sorted((p for p in models_dir.glob("*.tar.gz") if not language.is_language_archive(p)),
                    key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit(f"No trained model in {models_dir}. Run `make train` (or `make run`, which trains first).")
    return models[-1]


def actions_host(settings: SettingsOrEnv) -> str:
    """Where the action server listens: loopback unless HELPLINE_ACTIONS_HOST says otherwise (scale-out)."""
    return _settings(settings).actions_host


def reachable_host(bind: str) -> str:
    """The address that reaches, from this machine, a server listening on ``bind``."""
    if bind in ("0.0.0.0", "::"):  # every interface, loopback included
        return "127.0.0.1"
    return f"[{bind}]" if ":" in bind else bind


def _action_token(settings: Settings) -> local_secrets.Secret:
    return local_secrets.setting(settings.action_token, settings.data_dir, local_secrets.ACTION_TOKEN_FILE)


def rasa_environment(settings: SettingsOrEnv, data_dir: Optional[Path] = None, actions_port: int = 5055,
                     nlu_port: Optional[int] = None) -> Dict[str, str]:
    """Values for the ${...} placeholders of endpoints.yml, defaulting to SQLite.

    The action token is HELPLINE_ACTION_TOKEN, else the install's token file
    (created here if needed), so Rasa and the action server share one value.
    ``data_dir``, when given, replaces the settings' data directory.
    """
    settings = _settings(settings)
    if data_dir is not None:
        settings = replace(settings, data_dir=Path(data_dir))
    token = _action_token(settings)
    # One Rasa process needs no shared lock; the Redis values only matter
    # when HELPLINE_LOCK_STORE=redis, but Rasa refuses unset ${...} names.
    # An operator's own value wins over each default.
    defaults = {
        "HELPLINE_ACTION_ENDPOINT": (
            settings.action_endpoint
            or f"http://{reachable_host(settings.actions_host)}:{actions_port}/webhook"
        ),
        "HELPLINE_ACTION_TOKEN": token.value,
        # The NLU server runs beside each Rasa server and only for it.
        "HELPLINE_NLU_URL": f"http://127.0.0.1:{nlu_port or settings.nlu_port}",
        "HELPLINE_TRACKER_DIALECT": settings.tracker_dialect or "sqlite",
        "HELPLINE_TRACKER_URL": settings.effective_tracker_url,
        "HELPLINE_LOCK_STORE": settings.lock_store or "in_memory",
        "HELPLINE_REDIS_HOST": settings.redis_host or "127.0.0.1",
        "HELPLINE_REDIS_PORT": str(settings.redis_port if settings.redis_port is not None else 6379),
        "HELPLINE_REDIS_DB": str(settings.redis_db if settings.redis_db is not None else 1),
        "HELPLINE_REDIS_PASSWORD": settings.redis_password,
        "HELPLINE_REDIS_KEY_PREFIX": settings.redis_key_prefix or "helpline",
    }
    return defaults


def cors_origins(settings: SettingsOrEnv, web_port: int) -> List[str]:
    """Origins whose pages may call Rasa: the configured ones, plus our own demo page.

    The demo page is always allowed so that it keeps working when a provider
    lists only their own site in HELPLINE_CORS_ORIGINS.
    """
    demo = [f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"]
    return list(dict.fromkeys(list(_settings(settings).cors_origins) + demo))


def rasa_run_argv(rasa: Sequence[str], model: Path, port: int, origins: List[str]) -> List[str]:
    """``rasa run`` with our channels and endpoints, allowing calls from ``origins``.

    ``rasa`` is the command that runs Rasa's command line: ours reads messages with
    the served model while the NLU server cannot (helpline_rasa/rasa_server.py).

    Rasa's ``--cors`` takes all origins after one flag (``nargs="*"``); a second
    ``--cors`` replaces the first, so the list must follow a single flag. Every
    other option here is given once.
    """
    return [
        *rasa, "run",
        "--model", str(model),
        "--port", str(port),
        "--credentials", "credentials.yml",
        "--endpoints", "endpoints.yml",
        "--cors", *origins,
    ]


# Sanic reads SANIC_* from the environment. Rasa's bodies are chat messages and
# Twilio forms (a few KB), so 256 KiB turns a flood into a 413 early; the action
# server gets whole conversation trackers from Rasa, which grow with the
# conversation, hence more room. An operator's own SANIC_REQUEST_MAX_SIZE wins.
HTTP_LIMITS = {
    "rasa": 256 * 1024,
    "actions": 8 * 1024 * 1024,
}


def http_limits(name: str, settings: Optional[Settings] = None) -> Dict[str, str]:
    settings = settings or load_settings()
    if name not in HTTP_LIMITS or settings.sanic_request_max_size is not None:
        return {}
    return {"SANIC_REQUEST_MAX_SIZE": str(HTTP_LIMITS[name])}


def services(settings: Settings, options: RunOptions, base_env: Optional[Mapping[str, str]] = None) -> List[Child]:
    """The children `helpline run` starts, with their argv and the environment each needs beyond ``base_env``.

    ``base_env`` is what they inherit (None: this process's environment); the
    cluster harness passes the environment ``settings`` were read from.
    """
    rasa = [sys.executable, "-m", "helpline_rasa.rasa_server"]
    model = options.model or latest_model(PROJECT_ROOT / "models")
    rasa_argv = rasa_run_argv(rasa, model, options.rasa_port, cors_origins(settings, options.web_port))
    nlu_port = options.nlu_port or settings.nlu_port
    rasa_env = rasa_environment(settings, actions_port=options.actions_port, nlu_port=nlu_port)
    host = settings.actions_host
    return [
        Child(
            name="actions",
            # rasa-sdk's app with its input checked and the token required (helpline_rasa/action_server.py).
            argv=[sys.executable, "-m", "helpline_rasa.action_server", "--actions", "actions",
                  "--host", host, "--port", str(options.actions_port)],
            health_url=f"http://{reachable_host(host)}:{options.actions_port}/health",
            # The very token Rasa sends, whether it came from the environment or the token file.
            env={"HELPLINE_ACTION_TOKEN": _action_token(settings).value, **http_limits("actions", settings)},
            base_env=base_env,
        ),
        Child(
            name="nlu",
            # Before Rasa, which asks it to parse every message (helpline_rasa/nlu_router.py).
            argv=[sys.executable, "-m", "helpline_rasa.nlu_router", "--model", str(model),
                  "--endpoints", "endpoints.yml", "--port", str(nlu_port)],
            health_url=f"http://127.0.0.1:{nlu_port}/",
            # The tracker store's address and keys, and the token Rasa sends.
            env=rasa_env,
            base_env=base_env,
        ),
        Child(
            name="rasa",
            argv=rasa_argv,
            health_url=f"http://127.0.0.1:{options.rasa_port}/",
            env={**rasa_env, **http_limits("rasa", settings)},
            base_env=base_env,
        ),
        Child(
            name="web",
            argv=[sys.executable, "-m", "helpline.web.app", "--port", str(options.web_port),
                  "--rasa-port", str(options.rasa_port)],
            health_url=f"http://127.0.0.1:{options.web_port}/health",
            base_env=base_env,
        ),
    ]


def build_services(args: argparse.Namespace) -> List[Child]:
    """:func:`services` for `helpline run`'s parsed command line and this process's settings."""
    return services(load_settings(), RunOptions.from_args(args))


def import_spooled_leads(context: Optional[AppContext] = None) -> None:
    """Leads kept locally while the database was down go into the queue (and staff are alerted)."""
    from helpline.queues import lead_spool

    settings = (context or app_context()).settings
    if not lead_spool.pending(settings):
        return
    try:
        report = lead_spool.import_and_alert(settings, max_attempts=1)
    except Exception as exc:  # still down; the leads stay spooled for next time
        print(f"[helpline] importing spooled leads failed: {type(exc).__name__}", file=sys.stderr)
        return
    print(f"[helpline] spooled leads: {lead_spool.describe(report)}", flush=True)


def retry_staff_alerts(context: Optional[AppContext] = None) -> None:
    """Store first, notify after, retry what failed: the last part, on a timer."""
    from helpline.notify import staff_sms as notify
    from helpline.store import db

    context = context or app_context()
    import_spooled_leads(context)
    try:
        results = notify.retry_pending(db.session_factory(context.database_url), context.settings, max_attempts=1)
    except Exception as exc:  # the database may be briefly away; try again next time
        print(f"[helpline] retrying staff alerts failed: {type(exc).__name__}", file=sys.stderr)
        return
    for result in results:
        print(f"[helpline] staff alert for {result.label}: {result.status}", flush=True)


def make_local_secrets() -> None:
    """Before any child starts, so no two of them race to create the local key and secrets.

    (The action token is made by :func:`services`.)
    """
    from helpline.channels import sms
    from helpline.security import crypto

    crypto.fernet()
    sms.id_secret()
    sms.auth_token()


def run_assistant(context: AppContext, options: RunOptions,
                  install_signals: Callable[[Supervisor], None] = lambda s: None) -> int:
    """Migrate, start every child, print where to chat, watch until stopped; the exit code."""
    settings = context.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    context.migrate()
    make_local_secrets()

    supervisor = Supervisor(services(settings, options), log_dir, pid_dir=settings.data_dir / "run")
    install_signals(supervisor)
    code = 1
    try:
        if supervisor.start_all():
            print(
                "\nHelpline Intake is running.\n"
                f"  Chat (REST):   POST http://localhost:{options.rasa_port}/webhooks/rest/webhook"
                f' with {{"sender": "{web_ids.new_web_id()}", "message": "hi"}} (sender: web- + 32 random hex digits)\n'
                f"  Chat (socket.io): http://localhost:{options.rasa_port}/socket.io\n"
                f"  Web chat demo: http://localhost:{options.web_port}/\n"
                f"  SMS webhook:   POST http://localhost:{options.rasa_port}/webhooks/sms/webhook"
                f' (try: .venv/bin/helpline sms send --to-server http://localhost:{options.rasa_port} --from +16025550134 "hi")\n'
                f"  Action server: http://{reachable_host(settings.actions_host)}:{options.actions_port}/health\n"
                f"  Logs:          {log_dir}\n"
                f"  Staff queue:   .venv/bin/helpline callbacks list\n"
                f"  Staff console: http://localhost:{options.web_port}/callbacks (account: .venv/bin/helpline staff add NAME)\n"
                "Press Ctrl-C to stop.",
                flush=True,
            )
            code = supervisor.wait(lambda: minutely.run_every_minute(context), RETRY_ALERTS_EVERY_SECONDS)
        elif supervisor.stopping:
            code = 0
    finally:
        supervisor.stop_all()
        print("[helpline] stopped.", flush=True)
    return code


def _stop_on_signals(supervisor: Supervisor) -> None:
    signal.signal(signal.SIGINT, supervisor._on_signal)
    signal.signal(signal.SIGTERM, supervisor._on_signal)


def run(args: argparse.Namespace) -> int:
    return run_assistant(app_context(), RunOptions.from_args(args), _stop_on_signals)


def register(subparsers: argparse._SubParsersAction) -> None:
    settings = load_settings()
    parser = subparsers.add_parser("run", help="start the action server, the Rasa server and the web demo (Ctrl-C stops all)")
    parser.add_argument("--model", help="model archive to serve (default: the newest in models/)")
    parser.add_argument("--rasa-port", type=int, default=settings.rasa_port)
    parser.add_argument("--actions-port", type=int, default=settings.actions_port)
    parser.add_argument("--nlu-port", type=int, default=settings.nlu_port)
    parser.add_argument("--web-port", type=int, default=settings.web_port)
    parser.set_defaults(handler=run)

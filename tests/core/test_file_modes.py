"""The data directory is 0700 and every file the product puts in it 0600 (helpline.store.file_modes)."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from helpline.cli import main
from helpline.settings import PROJECT_ROOT
from helpline.store import file_modes
from helpline.web import app as web


def modes(root: Path) -> dict:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        if not path.is_symlink():
            found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Runs in a process of its own started with umask 022, as a shell would: the
# databases through the CLI, a supervised child's log, its pid file, and a
# file the child itself creates; then lists every mode while the database's
# -wal and -shm files still exist.
SCRIPT = """
import json, os, sqlite3, stat, sys
from pathlib import Path
from helpline.cli import main
from helpline.ops.supervisor import Child

data = Path(sys.argv[1])
assert main(["db", "upgrade"]) == 0
(data / "logs").mkdir()
child = Child("probe", [sys.executable, "-c", "import sys; open(sys.argv[1], 'w').write('x'); print('a log line')",
                          str(data / "child-made")], "http://127.0.0.1:1/")
child.start(data / "logs")
child.write_pid(data / "run")
child.process.wait()
held = sqlite3.connect(data / "helpline.db")
held.execute("CREATE TABLE IF NOT EXISTS probe (x)")
held.execute("INSERT INTO probe VALUES (1)")
held.commit()
found = {}
for path in [data, *sorted(data.rglob("*"))]:
    found[str(path.relative_to(data))] = stat.S_IMODE(path.stat().st_mode)
print(json.dumps(found))
"""


def test_databases_logs_and_pid_files_are_owner_only_under_a_permissive_umask(tmp_path):
    data = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "HELPLINE_ENCRYPTION_KEYS")}
    env["HELPLINE_DATA_DIR"] = str(data)
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(data)], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120, preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    for name in ("helpline.db", "helpline.db-wal", "helpline.db-shm", "logs/probe.log", "run/probe.pid",
                 "child-made"):
        assert name in found, (name, sorted(found))
    assert (data / "logs" / "probe.log").read_text().strip() == "a log line"
    wrong = {name: oct(mode) for name, mode in found.items()
             if mode != (0o700 if (data / name).is_dir() else 0o600)}
    assert wrong == {}


def test_an_older_install_is_tightened_at_start(tmp_path, monkeypatch, capsys):
    data = tmp_path / "var"
    (data / "logs").mkdir(parents=True)
    (data / "helpline.db").write_bytes(b"")
    (data / "logs" / "rasa.log").write_text("old\n")
    outside = tmp_path / "not-ours.txt"
    outside.write_text("shared\n")
    (data / "link").symlink_to(outside)
    for path, mode in ((data, 0o755), (data / "logs", 0o775), (data / "helpline.db", 0o644),
                       (data / "logs" / "rasa.log", 0o666), (outside, 0o644)):
        os.chmod(path, mode)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(data))
    monkeypatch.delenv("DATABASE_URL", raising=False)

    assert main(["db", "upgrade"]) == 0

    found = modes(data)
    assert {k: found[k] for k in (".", "logs", "helpline.db", "logs/rasa.log")} == {
        ".": 0o700, "logs": 0o700, "helpline.db": 0o600, "logs/rasa.log": 0o600,
    }
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644  # a symlink is not followed
    assert current_umask() == 0o077


def test_tighten_leaves_a_missing_directory_alone(tmp_path):
    assert file_modes.tighten(tmp_path / "nothing") == 0
    assert not (tmp_path / "nothing").exists()


def test_the_web_process_started_alone_is_owner_only_too(tmp_path, monkeypatch):
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(data))
    os.umask(0o022)
    served = []
    monkeypatch.setattr(web.web, "run_app", lambda app, **kwargs: served.append(kwargs))
    web.main(["--port", "0"])
    assert served and current_umask() == 0o077
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_the_action_server_started_alone_is_owner_only_too(tmp_path, monkeypatch):
    from rasa_sdk import utils

    from helpline_rasa import action_server

    data = tmp_path / "var"
    data.mkdir()
    os.chmod(data, 0o755)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(data))
    os.umask(0o022)
    started = []

    class App:
        def run(self, *args, **kwargs):
            started.append(args)

    monkeypatch.setattr(utils, "configure_colored_logging", lambda level: None)
    monkeypatch.setattr(action_server, "create_app", lambda *args, **kwargs: App())
    action_server.main(["--port", "0"])
    assert started and current_umask() == 0o077
    assert stat.S_IMODE(data.stat().st_mode) == 0o700

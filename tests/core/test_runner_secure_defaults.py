"""What `helpline run` gives the action server and Rasa: loopback, and one shared token."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Dict

import pytest

from helpline.channels import sms
from helpline.ops import runner
from helpline.ops.supervisor import Child
from helpline.security import local_secrets
from helpline.settings import load_settings


@pytest.fixture
def fresh_install(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("HELPLINE_ACTIONS_HOST", "HELPLINE_ACTION_TOKEN", "HELPLINE_ACTION_ENDPOINT",
                 "HELPLINE_ENCRYPTION_KEYS", "HELPLINE_ID_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return isolated_env


def services(data_dir: Path) -> Dict[str, Child]:
    args = argparse.Namespace(model=str(data_dir / "model.tar.gz"), nlu_port=None, rasa_port=5105, actions_port=5155, web_port=8180)
    return {service.name: service for service in runner.build_services(args)}


def option(argv, flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_by_default_the_action_server_listens_on_loopback_and_rasa_calls_it_there(fresh_install):
    built = services(fresh_install)
    assert option(built["actions"].argv, "--host") == "127.0.0.1"
    assert built["actions"].health_url == "http://127.0.0.1:5155/health"
    assert built["rasa"].env["HELPLINE_ACTION_ENDPOINT"] == "http://127.0.0.1:5155/webhook"


def test_both_get_the_install_token_made_before_either_starts(fresh_install):
    built = services(fresh_install)
    token = (fresh_install / local_secrets.ACTION_TOKEN_FILE).read_text().strip()
    assert token and built["actions"].env["HELPLINE_ACTION_TOKEN"] == built["rasa"].env["HELPLINE_ACTION_TOKEN"] == token
    assert services(fresh_install)["rasa"].env["HELPLINE_ACTION_TOKEN"] == token  # a restart keeps it


def test_an_operators_token_and_host_are_used(fresh_install, monkeypatch):
    monkeypatch.setenv("HELPLINE_ACTION_TOKEN", "from-the-secret-store")
    monkeypatch.setenv("HELPLINE_ACTIONS_HOST", "10.0.0.7")
    built = services(fresh_install)
    assert built["actions"].env["HELPLINE_ACTION_TOKEN"] == built["rasa"].env["HELPLINE_ACTION_TOKEN"] == "from-the-secret-store"
    assert not (fresh_install / local_secrets.ACTION_TOKEN_FILE).exists()
    assert option(built["actions"].argv, "--host") == "10.0.0.7"
    assert built["rasa"].env["HELPLINE_ACTION_ENDPOINT"] == "http://10.0.0.7:5155/webhook"


@pytest.mark.parametrize("bind, reached_at", [("0.0.0.0", "127.0.0.1"), ("::", "127.0.0.1"), ("::1", "[::1]")])
def test_every_interface_is_reached_on_loopback(fresh_install, monkeypatch, bind, reached_at):
    monkeypatch.setenv("HELPLINE_ACTIONS_HOST", bind)
    built = services(fresh_install)
    assert option(built["actions"].argv, "--host") == bind
    assert built["rasa"].env["HELPLINE_ACTION_ENDPOINT"] == f"http://{reached_at}:5155/webhook"
    assert built["actions"].health_url == f"http://{reached_at}:5155/health"


def test_run_makes_every_local_secret_before_any_child_starts(fresh_install, monkeypatch):
    present_at_start = []

    class NoChildren(runner.Supervisor):
        def start_all(self) -> bool:
            present_at_start.extend(sorted(p.name for p in fresh_install.iterdir() if p.is_file()))
            self.stopping = True
            return False

        def stop_all(self) -> None:
            pass

    monkeypatch.setattr(runner, "Supervisor", NoChildren)
    monkeypatch.setattr(runner.signal, "signal", lambda *args: None)  # keep pytest's own Ctrl-C handler
    args = argparse.Namespace(model=str(fresh_install / "model.tar.gz"), nlu_port=None, rasa_port=5105, actions_port=5155, web_port=8180)
    assert runner.run(args) == 0
    for name in ("encryption.key", local_secrets.ACTION_TOKEN_FILE, sms.ID_SECRET_FILE, sms.LOCAL_AUTH_TOKEN_FILE):
        assert name in present_at_start


def test_services_are_built_from_settings_given_not_from_this_process(fresh_install, monkeypatch):
    monkeypatch.setenv("HELPLINE_ACTIONS_HOST", "10.0.0.9")  # this process's: must not be used
    settings = load_settings({"HELPLINE_DATA_DIR": str(fresh_install), "HELPLINE_ACTION_TOKEN": "given",
                              "HELPLINE_CORS_ORIGINS": "https://www.example.org/"})
    options = runner.RunOptions(rasa_port=5105, actions_port=5155, web_port=8180, model=fresh_install / "m.tar.gz")
    built = {child.name: child for child in runner.services(settings, options, base_env={})}
    assert option(built["actions"].argv, "--host") == "127.0.0.1"
    assert built["actions"].env["HELPLINE_ACTION_TOKEN"] == built["rasa"].env["HELPLINE_ACTION_TOKEN"] == "given"
    assert "https://www.example.org" in built["rasa"].argv
    assert all(child.base_env == {} for child in built.values())


def test_the_nlu_server_starts_before_rasa_which_asks_it_with_the_shared_token(fresh_install):
    settings = load_settings({"HELPLINE_DATA_DIR": str(fresh_install), "HELPLINE_ACTION_TOKEN": "given"})
    options = runner.RunOptions(rasa_port=5105, actions_port=5155, web_port=8180, model=fresh_install / "m.tar.gz",
                                nlu_port=5107)
    children = runner.services(settings, options, base_env={})
    names = [child.name for child in children]
    assert names.index("nlu") < names.index("rasa")
    built = {child.name: child for child in children}
    assert option(built["nlu"].argv, "--port") == "5107" and option(built["nlu"].argv, "--model") == str(fresh_install / "m.tar.gz")
    assert built["rasa"].env["HELPLINE_NLU_URL"] == "http://127.0.0.1:5107" == built["nlu"].health_url.rstrip("/")
    # The NLU server reads the tracker store Rasa writes, and checks the token Rasa sends.
    for name in ("HELPLINE_TRACKER_URL", "HELPLINE_TRACKER_DIALECT", "HELPLINE_ACTION_TOKEN"):
        assert built["nlu"].env[name] == built["rasa"].env[name]
    default = runner.services(settings, runner.RunOptions(rasa_port=5105, actions_port=5155, web_port=8180,
                                                          model=fresh_install / "m.tar.gz"), base_env={})
    assert {c.name: c for c in default}["rasa"].env["HELPLINE_NLU_URL"] == "http://127.0.0.1:5006"

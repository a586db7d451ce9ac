"""Every origin `helpline run` is configured with reaches Rasa's channels, and no other.

Rasa's ``--cors`` keeps only the last of repeated flags, which once left every
configured origin but the last without access. These tests parse the argv
``helpline run`` builds with Rasa's own parser, and serve it with Rasa's own HTTP
layer (tests/adapters/rasa_http_server.py) to check the answers a browser gets.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Dict, Iterator, List

import httpx
import pytest
from rasa.__main__ import create_argument_parser

from helpline.ops import runner
from helpline.ops.supervisor import Child
from helpline.web import app as web
from helpline_rasa import action_server
from tests.cluster import free_port
from tests.cors import cors_problems
from tests.processes import running

SITES = "https://www.example.org/, https://example.org,http://localhost:3000"
SITE_LIST = ["https://www.example.org", "https://example.org", "http://localhost:3000"]
STRANGER = "https://evil.example"


def services(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sites: str) -> Dict[str, Child]:
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HELPLINE_CORS_ORIGINS", sites)
    args = argparse.Namespace(model=str(tmp_path / "model.tar.gz"), nlu_port=None, rasa_port=free_port(),
                              actions_port=free_port(), web_port=8080)
    return {service.name: service for service in runner.build_services(args)}


def rasa_command(argv: List[str]) -> List[str]:
    """Rasa's own command line in the Rasa server's argv: from ``run`` on (after ``python -m helpline_rasa.rasa_server``)."""
    return argv[argv.index("run"):]


def test_rasa_reads_every_configured_origin_and_the_demo_page(monkeypatch, tmp_path):
    rasa = services(monkeypatch, tmp_path, SITES)["rasa"]
    parsed = create_argument_parser().parse_args(rasa_command(rasa.argv))
    assert parsed.cors == SITE_LIST + ["http://localhost:8080", "http://127.0.0.1:8080"]
    assert "*" not in parsed.cors


def test_the_trap_this_guards_against_is_real():
    """Should Rasa ever merge repeated flags, this fails and the one-flag form can be reconsidered."""
    parsed = create_argument_parser().parse_args(["run", "--cors", "https://a.example", "--cors", "https://b.example"])
    assert parsed.cors == ["https://b.example"]


def parsers() -> Dict[str, argparse.ArgumentParser]:
    run_parser = create_argument_parser()
    return {"rasa": run_parser, "actions": action_server.argument_parser(), "web": web.argument_parser()}


def test_no_service_is_given_an_option_twice_and_each_value_arrives(monkeypatch, tmp_path):
    built = services(monkeypatch, tmp_path, SITES)
    for name, parser in parsers().items():
        argv = built[name].argv
        options = rasa_command(argv) if name == "rasa" else argv[3:]  # after "python -m module"
        flags = [a for a in options if a.startswith("--")]
        assert len(flags) == len(set(flags)), f"{name} is given an option twice: {flags}"
        parsed = vars(parser.parse_args(options))
        for flag in flags:
            value = parsed[flag.lstrip("-").replace("-", "_")]
            given = options[options.index(flag) + 1:]
            read = [str(v) for v in value] if isinstance(value, list) else [str(value)]
            assert read == given[: len(read)], f"{name} {flag}: read {read}, given {given}"


# --- the answers a browser gets, from Rasa's HTTP layer built from that argv ----------------------

def serve(argv: List[str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(url + "/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    with running([sys.executable, "-m", "tests.adapters.rasa_http_server", str(port), *rasa_command(argv)],
                 env={**os.environ, "HELPLINE_DATA_DIR": str(tmp_path)}, log_path=tmp_path / f"rasa-http-{port}.log",
                 ready=answers, what="the Rasa HTTP server"):
        yield url


@pytest.fixture
def configured_server(monkeypatch, tmp_path):
    yield from serve(services(monkeypatch, tmp_path, SITES)["rasa"].argv, tmp_path)


def test_every_configured_origin_gets_answers_from_rest_and_socketio_and_a_stranger_none(configured_server):
    for origin in SITE_LIST + ["http://localhost:8080", "http://127.0.0.1:8080"]:
        assert cors_problems(configured_server, origin, allowed=True) == []
    assert cors_problems(configured_server, STRANGER, allowed=False) == []
    # The check is strict in both directions: a configured origin is not a stranger.
    assert cors_problems(configured_server, SITE_LIST[0], allowed=False) != []


def test_an_origin_removed_from_the_setting_turns_the_check_red(monkeypatch, tmp_path):
    without_first = ",".join(SITE_LIST[1:])
    for url in serve(services(monkeypatch, tmp_path, without_first)["rasa"].argv, tmp_path):
        problems = cors_problems(url, SITE_LIST[0], allowed=True)
        assert len(problems) == 5, problems  # REST preflight and POST, socket.io handshake, preflight and POST
        assert cors_problems(url, SITE_LIST[1], allowed=True) == []

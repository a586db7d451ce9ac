"""Rasa reaches the action server with the token endpoints.yml gives it, and nobody gets in without it.

The action server runs as the process `helpline run` starts (its argv and
environment from runner.build_services); Rasa's side is its own EndpointConfig
read from endpoints.yml, sending an action call the way Rasa 3.6 does.
"""
from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import Iterator

import pytest
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, read_endpoint_config

from helpline.ops import runner
from helpline.settings import PROJECT_ROOT
from tests.cluster import free_port
from tests.processes import running

CALL = {"next_action": "action_stop_intake", "version": "3.6.21", "tracker": {"sender_id": "x", "slots": {}}}


@pytest.fixture(scope="module")
def started(tmp_path_factory) -> Iterator[dict]:
    data_dir = tmp_path_factory.mktemp("actions")
    saved = dict(os.environ)
    for name in ("HELPLINE_ACTIONS_HOST", "HELPLINE_ACTION_TOKEN", "HELPLINE_ACTION_ENDPOINT"):
        os.environ.pop(name, None)
    os.environ["HELPLINE_DATA_DIR"] = str(data_dir)
    try:
        args = argparse.Namespace(model=str(data_dir / "model.tar.gz"), nlu_port=None, rasa_port=free_port(),
                                  actions_port=free_port(), web_port=free_port())
        built = {service.name: service for service in runner.build_services(args)}
        actions = built["actions"]
        child_env = dict(os.environ)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    with running(actions.argv, env={**child_env, **actions.env}, log_path=data_dir / "actions.log",
                 ready=actions.healthy, what="the action server"):
        yield {"port": args.actions_port, "rasa_env": built["rasa"].env}


def rasa_action_endpoint(monkeypatch, rasa_env) -> EndpointConfig:
    for name, value in rasa_env.items():
        monkeypatch.setenv(name, value)
    return read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "action_endpoint")


def test_rasa_calls_the_action_server_with_the_token_from_endpoints_yml(started, monkeypatch):
    endpoint = rasa_action_endpoint(monkeypatch, started["rasa_env"])
    assert endpoint.token and endpoint.combine_parameters() == {"token": endpoint.token}
    for compress in (False, True):  # Rasa deflates action calls when asked to
        answer = asyncio.run(endpoint.request(json=CALL, method="post", compress=compress))
        assert {"event": "active_loop", "name": None, "timestamp": None} in answer["events"]


@pytest.mark.parametrize("token, status", [(None, 401), ("guessed", 403)])
def test_without_the_token_rasas_own_client_is_refused(started, monkeypatch, token, status):
    url = rasa_action_endpoint(monkeypatch, started["rasa_env"]).url
    with pytest.raises(ClientResponseError) as refused:
        asyncio.run(EndpointConfig(url, token=token).request(json=CALL, method="post"))
    assert refused.value.status == status


def listening_addresses(port: int) -> set:
    """Local addresses of listening TCP sockets on ``port``, from /proc (Linux)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_it_listens_on_loopback_only(started):
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux /proc")
    assert listening_addresses(started["port"]) == {"0100007F"}  # 127.0.0.1, little-endian hex

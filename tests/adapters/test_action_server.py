"""The action server wrapper: malformed action calls get a 400, errors never echo the tracker."""
from __future__ import annotations

import asyncio
import logging
import zlib

import httpx
import pytest
from sanic import Sanic

from helpline_rasa import action_server

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"), pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture(scope="module")
def app():
    app = action_server.create_app("actions")

    @app.post("/explode")
    async def explode(request):
        raise RuntimeError(f"secret {request.json}")

    return app


def post(app, path, **kwargs):
    async def go():
        await app._startup()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            return await client.post(path, **kwargs)

    return asyncio.run(go())


@pytest.mark.parametrize("kwargs", [
    {"content": b"{bad"},
    {"content": b"\xff\xfe\x80"},
    {"json": [1, 2]},
    {"json": {"next_action": 5}},
    {"json": {"next_action": "action_stop_intake"}},
    {"json": {"next_action": "action_stop_intake", "tracker": {"slots": {}}}},
    {"json": {"next_action": "action_stop_intake", "tracker": {"sender_id": "x", "slots": []}}},
    {"json": {"next_action": "action_stop_intake", "tracker": {"sender_id": "x", "events": ["e"]}}},
    {"json": {"version": 3}},
    {"content": b"not deflate", "headers": {"Content-Encoding": "deflate"}},
])
def test_a_malformed_action_call_gets_a_400(app, kwargs):
    response = post(app, "/webhook", **kwargs)
    assert response.status_code == 400
    assert "error" in response.json()


def test_a_well_formed_call_still_runs_the_action_also_deflated(app):
    call = b'{"next_action": "action_stop_intake", "version": "3.6.21", "tracker": {"sender_id": "x", "slots": {}}}'
    for kwargs in ({"content": call}, {"content": zlib.compress(call), "headers": {"Content-Encoding": "deflate"}}):
        response = post(app, "/webhook", **kwargs)
        assert response.status_code == 200
        assert {"event": "active_loop", "name": None, "timestamp": None} in response.json()["events"]


def test_an_unknown_action_is_still_a_404(app):
    assert post(app, "/webhook", json={"next_action": "nope", "tracker": {"sender_id": "x"}}).status_code == 404


def test_an_unexpected_error_is_a_500_that_echoes_nothing_and_logs_the_type_only(app, caplog):
    caplog.set_level(logging.DEBUG)
    response = post(app, "/explode", json={"first_name": "Samantha"})
    assert response.status_code == 500
    assert "Samantha" not in response.text
    assert "RuntimeError" in caplog.text and "Samantha" not in caplog.text

"""The action server wrapper: only our Rasa server gets in; malformed calls get a 400; errors never echo the tracker."""
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


TOKEN = "test-action-token"
JSON = {"Content-Type": "application/json"}
CALL = b'{"next_action": "action_stop_intake", "version": "3.6.21", "tracker": {"sender_id": "x", "slots": {}}}'


@pytest.fixture(scope="module")
def app():
    app = action_server.create_app("actions", token=TOKEN)

    @app.post("/explode")
    async def explode(request):
        raise RuntimeError(f"secret {request.json}")

    return app


def call(app, method, path, *, token=TOKEN, **kwargs):
    """A request as Rasa sends it: the token as ?token=, JSON unless the test says otherwise."""
    params = {} if token is None else {"token": token}
    if method == "POST" and "json" not in kwargs:
        kwargs["headers"] = {**JSON, **kwargs.get("headers", {})}

    async def go():
        await app._startup()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            return await client.request(method, path, params=params, **kwargs)

    return asyncio.run(go())


def post(app, path, **kwargs):
    return call(app, "POST", path, **kwargs)


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
    for kwargs in ({"content": CALL}, {"content": zlib.compress(CALL), "headers": {"Content-Encoding": "deflate"}}):
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


# --- closed to all but our Rasa server -----------------------------------------------------------

@pytest.mark.parametrize("method, path", [("POST", "/webhook"), ("GET", "/actions"), ("OPTIONS", "/webhook")])
def test_every_route_but_health_needs_the_token(app, method, path):
    kwargs = {"content": CALL} if method == "POST" else {}
    missing = call(app, method, path, token=None, **kwargs)
    assert missing.status_code == 401 and "error" in missing.json()
    for wrong in ("nope", TOKEN[:-1], TOKEN + "x", "é"):
        refused = call(app, method, path, token=wrong, **kwargs)
        assert refused.status_code == 403 and "error" in refused.json()


def test_the_right_token_gets_in_and_health_needs_none(app):
    assert post(app, "/webhook", content=CALL).status_code == 200
    assert call(app, "GET", "/actions").status_code == 200
    health = call(app, "GET", "/health", token=None)
    assert health.status_code == 200 and health.json() == {"status": "ok"}


def test_the_token_is_checked_before_the_body_is_read(app):
    assert post(app, "/webhook", token=None, content=b"{bad").status_code == 401


def test_no_cors_header_is_ever_sent(app):
    origin = {"Origin": "https://evil.example"}
    answers = [
        call(app, "GET", "/health", token=None, headers=origin),
        post(app, "/webhook", content=CALL, headers=origin),
        call(app, "OPTIONS", "/webhook", headers={**origin, "Access-Control-Request-Method": "POST"}),
        call(app, "GET", "/actions", headers=origin),
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 200]
    for answer in answers:
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")], answer.headers


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""])
def test_a_webhook_body_that_is_not_declared_json_gets_a_415(app, content_type):
    """A page can make a browser post text/plain anywhere without a preflight: that was the way in."""
    response = post(app, "/webhook", content=CALL, headers={"Content-Type": content_type})
    assert response.status_code == 415 and "error" in response.json()
    assert post(app, "/webhook", content=CALL, headers={"Content-Type": "application/json; charset=utf-8"}).status_code == 200


def test_the_server_refuses_to_start_without_a_token():
    with pytest.raises(ValueError):
        action_server.create_app("actions", token="")


def test_it_listens_on_loopback_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("HELPLINE_ACTIONS_HOST", raising=False)
    assert action_server.argument_parser().parse_args([]).host == "127.0.0.1"
    monkeypatch.setenv("HELPLINE_ACTIONS_HOST", "10.0.0.7")
    assert action_server.argument_parser().parse_args([]).host == "10.0.0.7"

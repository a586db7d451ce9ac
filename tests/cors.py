"""What a browser on ``origin`` needs from the Rasa server, checked over HTTP.

Shared by the end-to-end tests (the real ``helpline run``) and the adapter tests
(Rasa's HTTP layer built from the argv ``helpline run`` gives ``rasa run``), so
that both hold the channels to the same answers: for an allowed origin, the
REST channel's preflight and POST and socket.io's polling handshake, preflight
and POST each name the origin in ``Access-Control-Allow-Origin``; for any other
origin, none of them carries the header at all.
"""
from __future__ import annotations

from typing import List, Optional

import httpx

from helpline.channels import web_ids

REST_PATH = "/webhooks/rest/webhook"
SOCKETIO_POLLING = "/socket.io/?EIO=4&transport=polling"


def _preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(url, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }, timeout=30)


def _judge(what: str, response: httpx.Response, origin: str, allowed: bool) -> Optional[str]:
    granted = response.headers.get("access-control-allow-origin")
    if allowed and granted != origin:
        return f"{what} from {origin}: Access-Control-Allow-Origin is {granted!r} (HTTP {response.status_code})"
    if not allowed and granted is not None:
        return f"{what} from {origin}: not configured, yet Access-Control-Allow-Origin is {granted!r}"
    return None


def cors_problems(rasa_url: str, origin: str, *, allowed: bool) -> List[str]:
    """Every way the server's answers to ``origin`` differ from what ``allowed`` asks; [] when none."""
    rasa_url = rasa_url.rstrip("/")
    rest = rasa_url + REST_PATH
    answers = [
        ("REST preflight", _preflight(rest, origin)),
        ("REST POST", httpx.post(rest, json={"sender": web_ids.new_web_id(), "message": "hi"},
                                 headers={"Origin": origin}, timeout=60)),
    ]
    handshake = httpx.get(rasa_url + SOCKETIO_POLLING, headers={"Origin": origin}, timeout=30)
    answers.append(("socket.io handshake", handshake))
    sid = _socketio_sid(handshake.text)
    if sid is None:
        return [f"socket.io handshake from {origin}: HTTP {handshake.status_code}, no session id in {handshake.text[:80]!r}"]
    polling = f"{rasa_url}{SOCKETIO_POLLING}&sid={sid}"
    answers.append(("socket.io preflight", _preflight(polling, origin)))
    # "40" opens the default namespace: what a socket.io client posts first.
    answers.append(("socket.io POST", httpx.post(polling, content="40", headers={
        "Origin": origin, "Content-Type": "text/plain;charset=UTF-8"}, timeout=30)))
    return [problem for what, response in answers if (problem := _judge(what, response, origin, allowed))]


def _socketio_sid(body: str) -> Optional[str]:
    """The sid of an Engine.IO v4 open packet (``0{"sid": ...}``)."""
    import json

    if not body.startswith("0"):
        return None
    try:
        return json.loads(body[1:]).get("sid")
    except ValueError:
        return None

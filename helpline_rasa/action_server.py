"""The action server: rasa-sdk's own app, with its input checked and its errors kept private.

``python -m helpline_rasa.action_server --port 5055`` serves what ``rasa run actions
--actions actions`` serves (``POST /webhook``, ``GET /health``, ``GET /actions``),
built by ``rasa_sdk.endpoint.create_app``. What differs:

- it is closed to everyone but our Rasa server: it listens on 127.0.0.1 unless
  ``HELPLINE_ACTIONS_HOST`` says otherwise, every route but ``GET /health``
  needs the shared token Rasa sends as ``?token=`` (endpoints.yml; see
  :func:`helpline.security.local_secrets.action_token`), it sends no CORS headers, and
  ``POST /webhook`` takes only ``application/json``: a page in a browser could
  otherwise post a "simple" text/plain request to it with no preflight;
- ``POST /webhook`` bodies are checked before rasa-sdk reads them; a body that
  is not an action call gets a 400 naming the problem (rasa-sdk 3.6 answers one
  with a 500 whose body echoes the request, tracker and all: PHI);
- an unexpected error is logged by type only and answered with a plain 500.

Request size and timeouts come from Sanic's ``SANIC_*`` environment variables
(``helpline run`` sets them; see helpline/ops/runner.py).
"""
from __future__ import annotations

import argparse
import hmac
import json
import logging
import zlib
from typing import Any, Dict, Optional, Sequence, Tuple

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from helpline.composition import app_context
from helpline.security import local_secrets
from helpline.settings import DEFAULT_ACTIONS_HOST, Settings, SettingsError, load_settings
from helpline_rasa import http_guard

logger = logging.getLogger(__name__)

DEFAULT_HOST = DEFAULT_ACTIONS_HOST
# Rasa's EndpointConfig sends action_endpoint's ``token`` as this query parameter (its token_name default).
TOKEN_PARAM = "token"
OPEN_ROUTES = {("GET", "/health")}  # what a load balancer or `helpline run` polls without the token

# What rasa-sdk reads from an action call and from its tracker, with the types it assumes.
_CALL_FIELDS: Dict[str, Tuple[type, ...]] = {"next_action": (str, type(None)), "tracker": (dict,), "domain": (dict,), "version": (str,)}
_TRACKER_FIELDS: Dict[str, Tuple[type, ...]] = {
    "sender_id": (str,), "slots": (dict,), "latest_message": (dict, type(None)), "events": (list,),
    "paused": (bool,), "followup_action": (str, type(None)), "active_loop": (dict,), "active_form": (dict,),
    "latest_action_name": (str, type(None)),
}


class InvalidActionCall(ValueError):
    pass


def _decoded_body(request: Request) -> Any:
    body = request.body
    if request.headers.get("Content-Encoding") == "deflate":
        inflater = zlib.decompressobj()
        try:
            body = inflater.decompress(body, request.app.config.REQUEST_MAX_SIZE)
        except zlib.error:
            raise InvalidActionCall("the body is not valid deflate data") from None
        if inflater.unconsumed_tail:
            raise InvalidActionCall("the inflated body is too large")
    try:
        return json.loads(body)
    except (ValueError, TypeError):  # includes bytes that are not UTF-8
        raise InvalidActionCall("the body must be a JSON object") from None


def check_action_call(call: Any) -> None:
    """Raises :class:`InvalidActionCall` unless ``call`` has the shape rasa-sdk relies on."""
    if not isinstance(call, dict):
        raise InvalidActionCall("the body must be a JSON object")
    for name, types in _CALL_FIELDS.items():
        if name in call and not isinstance(call[name], types):
            raise InvalidActionCall(f'"{name}" has the wrong type')
    if call.get("next_action"):
        tracker = call.get("tracker")
        if not isinstance(tracker, dict):
            raise InvalidActionCall('"tracker" is required')
        if not isinstance(tracker.get("sender_id"), str):
            raise InvalidActionCall('"tracker.sender_id" is required')
        for name, types in _TRACKER_FIELDS.items():
            if name in tracker and not isinstance(tracker[name], types):
                raise InvalidActionCall(f'"tracker.{name}" has the wrong type')
        if not all(isinstance(event, dict) for event in tracker.get("events", [])):
            raise InvalidActionCall('"tracker.events" must be a list of objects')


def token_refusal(request: Request, expected: bytes) -> Optional[HTTPResponse]:
    """401 without the token, 403 with a wrong one, None when it matches (or the route is open)."""
    if (request.method, request.path) in OPEN_ROUTES:
        return None
    given = request.args.get(TOKEN_PARAM)
    if not given:
        return response.json({"error": "the action server token is required"}, status=401)
    # Constant time: how much of a guess matched must not show in the answer's timing.
    if not hmac.compare_digest(given.encode("utf-8"), expected):
        return response.json({"error": "wrong action server token"}, status=403)
    return None


def is_json(request: Request) -> bool:
    return (request.headers.get("Content-Type") or "").split(";")[0].strip().lower() == "application/json"


def harden(app: Sanic, token: str) -> Sanic:
    if not token:
        raise ValueError("the action server needs a token")
    expected = token.encode("utf-8")

    # Registered first, so it runs before anything reads the body.
    @app.on_request
    async def require_token(request: Request) -> Optional[HTTPResponse]:
        return token_refusal(request, expected)

    @app.on_request
    async def check_webhook(request: Request) -> Optional[HTTPResponse]:
        if request.method != "POST" or request.path != "/webhook":
            return None
        if not is_json(request):
            return response.json({"error": "Content-Type must be application/json"}, status=415)
        # Request middleware runs before Sanic reads a body that did not arrive
        # with the headers; read it now (a body over SANIC_REQUEST_MAX_SIZE gets 413).
        await request.receive_body()
        try:
            check_action_call(_decoded_body(request))
        except InvalidActionCall as exc:
            return response.json({"error": str(exc)}, status=400)
        return None

    async def private_errors(request: Request, exception: Exception) -> HTTPResponse:
        if request is not None and request.method == "NONE":
            # Sanic could not parse the request at all (e.g. "Content-Length: nope").
            return response.json({"error": "malformed HTTP request"}, status=400)
        if isinstance(exception, SanicException):  # 404, 405, 413...: Sanic's own answer is right
            return response.json({"error": str(exception)}, status=getattr(exception, "status_code", 500))
        logger.error("action server error on %s %s: %s", request.method, request.path, type(exception).__name__)
        return response.json({"error": "the action server failed; see its log"}, status=500)

    # Replaces rasa-sdk's handler for Exception, which echoes the request body.
    app.error_handler.add(Exception, private_errors)
    # Refuses the Content-Length values Sanic 21.12 mishandles (see helpline_rasa.http_guard).
    app.request_class = http_guard.GuardedRequest
    return app


def create_app(actions_package: str = "actions", token: Optional[str] = None) -> Sanic:
    """The app; ``token`` defaults to HELPLINE_ACTION_TOKEN, else this install's token file."""
    from rasa_sdk.endpoint import create_app as sdk_app

    token = local_secrets.action_token().value if token is None else token
    # No origin at all: only our Rasa server calls this, never a browser.
    return harden(sdk_app(actions_package, cors_origins=None), token)


def argument_parser(settings: Optional[Settings] = None) -> argparse.ArgumentParser:
    settings = settings or load_settings()
    parser = argparse.ArgumentParser(description="Run the helpline's action server.")
    parser.add_argument("--port", type=int, default=settings.actions_port)
    parser.add_argument("--host", default=settings.actions_host,
                        help=f"address to listen on (default {DEFAULT_HOST}; HELPLINE_ACTIONS_HOST)")
    parser.add_argument("--actions", default="actions", help="package with the actions")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> None:
    from rasa_sdk import utils

    try:
        settings = app_context().settings
    except SettingsError as exc:  # a bad environment variable: say which, and stop before serving
        raise SystemExit(f"error: {exc}") from None
    args = argument_parser(settings).parse_args(argv)
    # Before anything is created: files in the data directory are owner-only (helpline.store.file_modes).
    from helpline.store import file_modes

    file_modes.secure_process()
    utils.configure_colored_logging(settings.log_level)
    token = local_secrets.action_token()
    if token.is_local:
        logger.info("HELPLINE_ACTION_TOKEN is not set: requiring the token in %s", token.path)
    app = create_app(args.actions, token.value)
    logger.info("Action endpoint is up and running on http://%s:%s", args.host, args.port)
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()

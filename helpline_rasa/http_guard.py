"""Guards for Sanic 21.12 (what Rasa 3.6 pins) against requests it mishandles.

Found by tests/e2e/test_http_hardening.py:

- ``Content-Length: -5``: Sanic takes the negative length and spins, so one
  such request stops the whole server (the Rasa server or the action server)
  from answering anyone. :class:`GuardedRequest` refuses the header before
  Sanic reads it: the request is answered 400 and the connection closed.
- ``Content-Length: nope``: Sanic's ``int()`` fails before any route runs and
  the error becomes a 500; the error handler here makes it a 400.

:func:`harden` applies both to an app. The action server calls it on its own
app; the Rasa server's app is reached from the REST channel's blueprint (a
``before_server_start`` listener), the only hook a channel has.
"""
from __future__ import annotations

import re
from typing import Any

from sanic import response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

_LENGTH = re.compile(r"^[0-9]{1,18}$")


class GuardedRequest(Request):
    """A Sanic request that refuses a Content-Length Sanic would choke on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lengths = self.headers.getall("content-length", [])
        if any(not _LENGTH.match(value.strip()) for value in lengths) or len({v.strip() for v in lengths}) > 1:
            raise InvalidUsage("Content-Length must be one non-negative whole number")


def answer_unparseable_requests(app: Any) -> None:
    """A request Sanic could not parse (its error handler gets a placeholder with method ``NONE``) gets a 400."""

    def handler(request: Request, exception: Exception) -> HTTPResponse:
        if request is not None and request.method == "NONE":
            return response.json({"error": "malformed HTTP request"}, status=400)
        return app.error_handler.default(request, exception)

    app.error_handler.add(ValueError, handler)


def harden(app: Any) -> Any:
    """Both guards; call before the server accepts connections (each connection reads ``request_class``)."""
    if not issubclass(app.request_class, GuardedRequest):
        app.request_class = GuardedRequest
    answer_unparseable_requests(app)
    return app

"""The console's pages are Jinja2 templates (``helpline/web/templates``), autoescaped.

Every value a template prints is HTML-escaped unless a template says otherwise
(none does: the only markup in a page is the template's own, and server-drawn
charts are built with :class:`markupsafe.Markup` from escaped parts). Pages run
no script (CSP ``default-src 'none'``) and are never cached: they carry PHI.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Optional
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def no_store(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def local_time(value: Optional[datetime | str], zone: str, fmt: str = "%a %b %-d, %-I:%M %p") -> str:
    """A UTC moment (aware datetime or ISO text) in the facility's time zone: "Tue Dec 1, 2:05 PM"."""
    if value is None or value == "":
        return "-"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(zone)).strftime(fmt)


def setup(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,  # a misspelt name is an error in tests, not a blank on screen
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, request: web.Request, context: Mapping[str, Any], *, status: int = 200) -> web.Response:
    """The page, with the console's security headers."""
    from helpline.security.staff_accounts import IDLE_TIMEOUT

    page = {"staff": None, "idle_refresh_seconds": int(IDLE_TIMEOUT.total_seconds()) + 5, **context}
    response = aiohttp_jinja2.render_template(name, request, page, status=status)
    response.headers["Content-Security-Policy"] = CSP
    return no_store(response)

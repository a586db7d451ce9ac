"""The web process: a demo page carrying the chat widget, the widget's files, health,
and the staff console.

``helpline run`` starts it beside the Rasa and action servers
(``python -m helpline.web``, port ``HELPLINE_WEB_PORT``, default 8080). The
widget itself talks straight to Rasa's REST channel; the demo page and widget
files need no database and no sign-in. The staff console and API
(:mod:`helpline.console`) use the helpline database (``DATABASE_URL``) and
require a staff account.

Routes: ``GET /`` the demo page (the embed snippet shown and used),
``GET /widget/<file>`` the widget's script and styles, ``GET /health``; the
console's routes are listed in :mod:`helpline.console`.
"""
from __future__ import annotations

import argparse
import html
import os
import re
from pathlib import Path
from typing import Optional, Sequence

from aiohttp import web
from yarl import URL

from helpline import console
from helpline.facility import load_facility

STATIC_DIR = Path(__file__).resolve().parent / "web_static"
_STATIC_NAME = re.compile(r"^[a-z0-9-]+\.(js|css)$")
_CONTENT_TYPES = {"js": "text/javascript", "css": "text/css"}

RASA_PORT = web.AppKey("rasa_port", int)
RASA_PUBLIC_URL = web.AppKey("rasa_public_url", str)
WEB_PUBLIC_URL = web.AppKey("web_public_url", str)


def _origin(url: str) -> str:
    parsed = URL(url)
    return str(parsed.origin())


def _page_url(request: web.Request) -> URL:
    # Built from the Host header by hand: request.url fails on a Host with a
    # port under the yarl release that Rasa's pins resolve to.
    return URL(f"{request.scheme}://{request.host}")


def rasa_url_for(request: web.Request) -> str:
    """Where the visitor's browser reaches Rasa: configured, or this page's host on Rasa's port.

    Using the page's own host name means a page opened as 127.0.0.1 talks to
    127.0.0.1 and one opened as localhost to localhost, both allowed by CORS.
    """
    configured = request.app[RASA_PUBLIC_URL]
    if configured:
        return configured.rstrip("/")
    page = _page_url(request)
    return str(URL.build(scheme=page.scheme, host=page.host or "localhost", port=request.app[RASA_PORT]))


def web_url_for(request: web.Request) -> str:
    return (request.app[WEB_PUBLIC_URL] or str(_page_url(request).origin())).rstrip("/")


def embed_snippet(script_url: str, rasa_url: str, phone: str) -> str:
    """The one tag a provider pastes into their site."""
    return (
        f'<script src="{html.escape(script_url)}"\n'
        f'        data-server="{html.escape(rasa_url)}"\n'
        f'        data-phone="{html.escape(phone)}" defer></script>'
    )


async def demo_page(request: web.Request) -> web.Response:
    facts = load_facility().placeholders()
    rasa_url = rasa_url_for(request)
    snippet = embed_snippet(f"{web_url_for(request)}/widget/helpline-chat.js", rasa_url, facts["helpline_phone"])
    values = {
        "facility": facts["facility_name"],
        "program": facts["program_name"],
        "phone": facts["helpline_phone"],
        "hours": facts["helpline_hours"],
        "snippet": snippet,  # shown as text
    }
    page = (STATIC_DIR / "demo.html").read_text(encoding="utf-8")
    for name, value in values.items():
        page = page.replace("{{" + name + "}}", html.escape(value))
    page = page.replace("{{embed}}", snippet)  # used: already escaped attribute by attribute
    response = web.Response(text=page, content_type="text/html")
    # Nothing but our own files runs here, and the page may only talk to Rasa.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {_origin(rasa_url)}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def widget_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    match = _STATIC_NAME.match(name)
    path = STATIC_DIR / name
    if not match or not path.is_file():
        raise web.HTTPNotFound()
    response = web.Response(body=path.read_bytes(), content_type=_CONTENT_TYPES[match.group(1)], charset="utf-8")
    # Short, so a fixed widget reaches every site within minutes.
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@web.middleware
async def security_headers(request: web.Request, handler):  # type: ignore[no-untyped-def]
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def create_app(
    rasa_port: int = 5005,
    rasa_public_url: str = "",
    web_public_url: str = "",
    *,
    database_url: Optional[str] = None,
    console_url: Optional[str] = None,
) -> web.Application:
    """``database_url`` and ``console_url`` default to the settings (``DATABASE_URL``, ``HELPLINE_CONSOLE_URL``)."""
    app = web.Application(middlewares=[security_headers])
    app[RASA_PORT] = rasa_port
    app[RASA_PUBLIC_URL] = rasa_public_url
    app[WEB_PUBLIC_URL] = web_public_url
    app.router.add_get("/", demo_page)
    app.router.add_get("/widget/{name}", widget_file)
    app.router.add_get("/health", health)
    console.setup(app, database_url=database_url, console_url=console_url)
    return app


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Serve the chat widget and its demo page.")
    parser.add_argument("--host", default=os.environ.get("HELPLINE_WEB_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("HELPLINE_WEB_PORT", 8080)))
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("HELPLINE_RASA_PORT", 5005)))
    parser.add_argument("--rasa-public-url", default=os.environ.get("HELPLINE_RASA_PUBLIC_URL", ""),
                        help="Rasa's URL as browsers reach it (default: this page's host, Rasa's port)")
    parser.add_argument("--web-public-url", default=os.environ.get("HELPLINE_WEB_PUBLIC_URL", ""),
                        help="this server's URL as browsers reach it, for the embed snippet")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = argument_parser().parse_args(argv)
    app = create_app(args.rasa_port, args.rasa_public_url, args.web_public_url)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()

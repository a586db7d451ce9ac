"""The web process: a demo page carrying the chat widget, the widget's files, health,
and the staff console.

``helpline run`` starts it beside the Rasa and action servers
(``python -m helpline.web.app``, port ``HELPLINE_WEB_PORT``, default 8080). The
widget itself talks straight to Rasa's REST channel; the demo page and widget
files need no database and no sign-in. The staff console and API
(:mod:`helpline.web.console`) use the helpline database (``DATABASE_URL``) and
require a staff account.

Routes: ``GET /`` the demo page (the embed snippet shown and used; in English
and Spanish, following the widget's language, ``?lang=es`` to start in Spanish),
``GET /widget/<file>`` the widget's script and styles, ``GET /health``; the
console's routes are listed in :mod:`helpline.web.console`.

The ``Host`` header is the client's to choose, so it is never copied into the
demo page or its CSP as it is: the page's URLs come from
``HELPLINE_WEB_PUBLIC_URL`` / ``HELPLINE_RASA_PUBLIC_URL`` when set; otherwise
the request's host name is used only if it is a loopback name (``localhost``,
``127.0.0.1``, ``[::1]``) or the host of ``HELPLINE_WEB_PUBLIC_URL``, and
anything else gets ``http://localhost:<port>``. A ``Host`` that is not a
host[:port] at all gets a 400 on every route.
"""
from __future__ import annotations

import argparse
import html
import ipaddress
import re
from pathlib import Path
from typing import FrozenSet, Optional, Sequence, Tuple

from aiohttp import web
from aiohttp.typedefs import Handler
from yarl import URL

from helpline.channels.turn_replies import facility_facts
from helpline.composition import app_context
from helpline.language import DEFAULT_LANGUAGE, ENGLISH, LANGUAGES, SPANISH
from helpline.settings import Settings, SettingsError, load_settings
from helpline.store import file_modes
from helpline.web import console

STATIC_DIR = Path(__file__).resolve().parent / "static"
_STATIC_NAME = re.compile(r"^[a-z0-9-]+\.(js|css)$")
_CONTENT_TYPES = {"js": "text/javascript", "css": "text/css"}

RASA_PORT = web.AppKey("rasa_port", int)
RASA_PUBLIC_URL = web.AppKey("rasa_public_url", str)
WEB_PUBLIC_URL = web.AppKey("web_public_url", str)
WEB_PORT = web.AppKey("web_port", int)
# Host names the demo page may take from a request's Host header.
TRUSTED_HOSTS = web.AppKey("trusted_hosts", frozenset)

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# host[:port] as RFC 9110 has it, minus what no real host name uses (percent
# escapes, sub-delims): a DNS name or IPv4 address, or an IPv6 literal in brackets.
_HOST_HEADER = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9._~-]+))(?::(?P<port>[0-9]{0,5}))?")


def parse_host(value: str) -> Tuple[str, Optional[int]]:
    """``(host name in lower case, port or None)`` of a Host header; ``ValueError`` if it is malformed."""
    match = _HOST_HEADER.fullmatch(value)
    if match is None:
        raise ValueError("malformed Host header")
    if match.group("ipv6") is not None:
        host = str(ipaddress.IPv6Address(match.group("ipv6")))  # ValueError if it is not one
    else:
        host = match.group("name").lower()
    port = int(match.group("port")) if match.group("port") else None
    if port is not None and port > 65535:
        raise ValueError("malformed Host header")
    return host, port


def _origin(url: str) -> str:
    parsed = URL(url)
    return str(parsed.origin())


def _trusted_host(request: web.Request) -> Optional[Tuple[str, Optional[int]]]:
    """The request's ``(host, port)`` if its host name is one we may echo back, else None."""
    value = request.headers.get("Host")
    if not value:
        return None
    try:
        host, port = parse_host(value)
    except ValueError:
        return None
    return (host, port) if host in request.app[TRUSTED_HOSTS] else None


def rasa_url_for(request: web.Request) -> str:
    """Where the visitor's browser reaches Rasa: configured, else this page's host on Rasa's port.

    Using the page's own host name means a page opened as 127.0.0.1 talks to
    127.0.0.1 and one opened as localhost to localhost, both allowed by CORS;
    a host name we do not know gets localhost (see the module docstring).
    """
    configured = request.app[RASA_PUBLIC_URL]
    if configured:
        return configured.rstrip("/")
    trusted = _trusted_host(request)
    if trusted is None:
        return str(URL.build(scheme="http", host="localhost", port=request.app[RASA_PORT]))
    return str(URL.build(scheme=request.scheme, host=trusted[0], port=request.app[RASA_PORT]))


def web_url_for(request: web.Request) -> str:
    """This server's URL as the browser reaches it: configured, else the page's own trusted origin, else localhost."""
    configured = request.app[WEB_PUBLIC_URL]
    if configured:
        return configured.rstrip("/")
    trusted = _trusted_host(request)
    if trusted is None:
        return str(URL.build(scheme="http", host="localhost", port=request.app[WEB_PORT]))
    return str(URL.build(scheme=request.scheme, host=trusted[0], port=trusted[1]))


def embed_snippet(script_url: str, rasa_url: str, phone: str) -> str:
    """The one tag a provider pastes into their site."""
    return (
        f'<script src="{html.escape(script_url)}"\n'
        f'        data-server="{html.escape(rasa_url)}"\n'
        f'        data-phone="{html.escape(phone)}" defer></script>'
    )


async def demo_page(request: web.Request) -> web.Response:
    # Both languages are on the page (demo.js shows the widget's); ?lang=es starts in Spanish.
    lang = request.query.get("lang", DEFAULT_LANGUAGE)
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    facts, facts_es = facility_facts(ENGLISH), facility_facts(SPANISH)
    rasa_url = rasa_url_for(request)
    snippet = embed_snippet(f"{web_url_for(request)}/widget/helpline-chat.js", rasa_url, facts["helpline_phone"])
    titles = {
        ENGLISH: f"{facts['facility_name']}: {facts['program_name']} (chat widget demo)",
        SPANISH: f"{facts_es['facility_name']}: {facts_es['program_name']} (demostración del chat)",
    }
    values = {
        "lang": lang,
        "title": titles[lang],
        "title_en": titles[ENGLISH],
        "title_es": titles[SPANISH],
        "facility": facts["facility_name"],
        "program_en": facts["program_name"],
        "program_es": facts_es["program_name"],
        "phone": facts["helpline_phone"],
        "hours_en": facts["helpline_hours"],
        "hours_es": facts_es["helpline_hours"],
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
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


@web.middleware
async def checked_host(request: web.Request, handler: Handler) -> web.StreamResponse:
    """400 for a Host header that is not host[:port] (RFC 9112 3.2), on every route, before any handler."""
    values = request.headers.getall("Host", [])
    try:
        if len(values) > 1:
            raise ValueError("more than one Host header")
        if values and values[0]:  # none or empty (HTTP/1.0, absolute-form): nothing to check or echo
            parse_host(values[0])
    except ValueError:
        return web.Response(status=400, text="400: malformed Host header")
    return await handler(request)


def _host_name(url: str) -> Optional[str]:
    try:
        return URL(url).host if url else None
    except ValueError:
        return None


def create_app(
    rasa_port: int = 5005,
    rasa_public_url: str = "",
    web_public_url: str = "",
    *,
    web_port: int = 8080,
    database_url: Optional[str] = None,
    console_url: Optional[str] = None,
) -> web.Application:
    """``database_url`` and ``console_url`` default to the settings (``DATABASE_URL``, ``HELPLINE_CONSOLE_URL``).

    ``web_port`` is this server's port, for the demo page's fallback URL.
    """
    # Outermost first: the Host check's 400 still gets the security headers.
    app = web.Application(middlewares=[security_headers, checked_host])
    app[RASA_PORT] = rasa_port
    app[RASA_PUBLIC_URL] = rasa_public_url
    app[WEB_PUBLIC_URL] = web_public_url
    app[WEB_PORT] = web_port
    public: FrozenSet[str] = frozenset(filter(None, [(_host_name(web_public_url) or "").lower()]))
    app[TRUSTED_HOSTS] = LOOPBACK_HOSTS | public
    app.router.add_get("/", demo_page)
    app.router.add_get("/widget/{name}", widget_file)
    app.router.add_get("/health", health)
    console.setup(app, database_url=database_url, console_url=console_url)
    return app


def argument_parser(settings: Optional[Settings] = None) -> argparse.ArgumentParser:
    settings = settings or load_settings()
    parser = argparse.ArgumentParser(description="Serve the chat widget and its demo page.")
    parser.add_argument("--host", default=settings.web_host)
    parser.add_argument("--port", type=int, default=settings.web_port)
    parser.add_argument("--rasa-port", type=int, default=settings.rasa_port)
    parser.add_argument("--rasa-public-url", default=settings.rasa_public_url,
                        help="Rasa's URL as browsers reach it (default: this page's host, Rasa's port)")
    parser.add_argument("--web-public-url", default=settings.web_public_url,
                        help="this server's URL as browsers reach it, for the embed snippet")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> None:
    try:
        context = app_context()
    except SettingsError as exc:  # a bad environment variable: say which, and stop before serving
        raise SystemExit(f"error: {exc}") from None
    args = argument_parser(context.settings).parse_args(argv)
    # Before anything is created: files in the data directory are owner-only (helpline.store.file_modes).
    file_modes.secure_process()
    app = create_app(args.rasa_port, args.rasa_public_url, args.web_public_url, web_port=args.port,
                     database_url=context.database_url, console_url=context.settings.console_base_url)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()

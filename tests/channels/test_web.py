"""The web process (demo page, widget files, health) and the CORS list the runner gives Rasa."""
from __future__ import annotations

import asyncio
import html
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from helpline import web
from helpline.runner import cors_origins


def fetch(app, path: str, host: str = "127.0.0.1:8080"):
    async def go():
        async with TestClient(TestServer(app)) as client:
            response = await client.get(path, headers={"Host": host})
            return response.status, dict(response.headers), await response.text()

    return asyncio.run(go())


def test_demo_page_embeds_the_widget_pointed_at_rasa_on_the_same_host():
    status, headers, page = fetch(web.create_app(rasa_port=5005), "/")
    assert status == 200
    assert '<script src="http://127.0.0.1:8080/widget/helpline-chat.js"' in page
    assert 'data-server="http://127.0.0.1:5005"' in page
    # The snippet is also shown, as text, for providers to copy.
    assert html.escape('<script src="http://127.0.0.1:8080/widget/helpline-chat.js"') in page
    assert "{{" not in page


def test_demo_page_only_runs_its_own_scripts_and_talks_only_to_rasa():
    _, headers, _ = fetch(web.create_app(rasa_port=5005), "/", host="localhost:8080")
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "connect-src http://localhost:5005" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_configured_public_urls_win_and_are_escaped():
    app = web.create_app(rasa_port=5005, rasa_public_url='https://chat.example.org/"><script>x</script>',
                         web_public_url="https://www.example.org")
    _, headers, page = fetch(app, "/")
    assert "<script>x</script>" not in page
    assert 'src="https://www.example.org/widget/helpline-chat.js"' in page
    assert "connect-src https://chat.example.org" in headers["Content-Security-Policy"]


def test_widget_files_are_served_and_nothing_else():
    status, headers, body = fetch(web.create_app(), "/widget/helpline-chat.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert "textContent" in body and "innerHTML =" not in body
    assert fetch(web.create_app(), "/widget/helpline-chat.css")[0] == 200
    for path in ("/widget/demo.html", "/widget/..%2Fweb.py", "/widget/../web.py", "/widget/nothing.js"):
        assert fetch(web.create_app(), path)[0] == 404, path


def test_health():
    status, _, body = fetch(web.create_app(), "/health")
    assert status == 200 and '"ok"' in body


def test_widget_never_writes_html():
    script = (Path(web.STATIC_DIR) / "helpline-chat.js").read_text()
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        code = "\n".join(line for line in script.splitlines() if not line.strip().startswith(("*", "//", "/*")))
        assert risky not in code, risky


def test_cors_allows_the_demo_page_by_default_and_keeps_it_beside_configured_sites():
    assert cors_origins({}, 8080) == ["http://localhost:8080", "http://127.0.0.1:8080"]
    assert cors_origins({"HELPLINE_CORS_ORIGINS": "https://www.example.org/, https://example.org"}, 9000) == [
        "https://www.example.org", "https://example.org", "http://localhost:9000", "http://127.0.0.1:9000",
    ]
    assert "*" not in cors_origins({}, 8080)

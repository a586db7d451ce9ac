"""The web process (demo page, widget files, health) and the CORS list the runner gives Rasa."""
from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from helpline.channels import web_ids
from helpline.ops.runner import cors_origins
from helpline.web import app as web


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


def test_the_page_and_its_csp_never_echo_an_unknown_host():
    for host in ("evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.2:8080"):
        status, headers, page = fetch(web.create_app(rasa_port=5005, web_port=9090), "/", host=host)
        assert status == 200
        assert "evil" not in page and "evil" not in str(headers) and "127.0.0.2" not in page, host
        assert '<script src="http://localhost:9090/widget/helpline-chat.js"' in page
        assert 'data-server="http://localhost:5005"' in page
        assert "connect-src http://localhost:5005;" in headers["Content-Security-Policy"]


def test_loopback_names_and_the_configured_public_host_are_kept():
    # The browser tests open the page under both loopback names; the widget must call Rasa under the same one.
    for host, rasa in (("localhost:8080", "http://localhost:5005"), ("127.0.0.1:8080", "http://127.0.0.1:5005"),
                       ("[::1]:8080", "http://[::1]:5005"), ("LocalHost:8080", "http://localhost:5005")):
        _, headers, page = fetch(web.create_app(rasa_port=5005), "/", host=host)
        assert f'data-server="{rasa}"' in page and f"connect-src {rasa};" in headers["Content-Security-Policy"], host
    app = web.create_app(rasa_port=5005, web_public_url="https://www.example.org")
    _, headers, page = fetch(app, "/", host="www.example.org")
    assert 'src="https://www.example.org/widget/helpline-chat.js"' in page
    assert 'data-server="http://www.example.org:5005"' in page


def raw_statuses(app, requests):
    """The status of each raw request (bytes no HTTP client would send), in order."""
    async def go():
        statuses = []
        async with TestServer(app) as server:
            for request in requests:
                reader, writer = await asyncio.open_connection(server.host, server.port)
                writer.write(request)
                await writer.drain()
                answer = await reader.read()
                writer.close()
                statuses.append(int(answer.split(b" ", 2)[1]))
        return statuses

    return asyncio.run(go())


def test_a_malformed_host_is_a_400_on_every_route(tmp_path):
    app = web.create_app(database_url=f"sqlite:///{tmp_path / 'helpline.db'}")
    paths = ["/", "/health", "/widget/helpline-chat.js", "/login", "/callbacks", "/api/staff/callbacks", "/nothing"]
    hosts = [b"[::1", b"a b", b"\xff\xfe", b"localhost:99999", b"localhost:abc", b"a/b", b"x@y", b"[::g]:80"]
    cases = [(host, path) for host in hosts for path in paths]
    requests = [b"GET " + path.encode() + b" HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"
                for host, path in cases]
    requests += [
        b"GET /health HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
        # No Host at all (HTTP/1.0) is not malformed: the page falls back to localhost.
        b"GET / HTTP/1.0\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ]
    statuses = raw_statuses(app, requests)
    assert {case: status for case, status in zip(cases, statuses, strict=False) if status != 400} == {}
    assert statuses[len(cases):] == [400, 200, 200]


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


def test_widget_makes_ids_the_server_accepts_from_crypto_and_keeps_them_in_this_tab_only():
    script = (Path(web.STATIC_DIR) / "helpline-chat.js").read_text()
    code = "\n".join(line for line in script.splitlines() if not line.strip().startswith(("*", "//", "/*")))
    # The shape REST accepts (helpline/channels/web_ids.py), from the browser's CSPRNG.
    assert f"var WEB_ID = /^{web_ids.WEB_ID_PATTERN.pattern}$/;" in code
    assert f"new Uint8Array({web_ids.RANDOM_BYTES})" in code and ".getRandomValues(bytes)" in code
    assert "Math.random" not in code
    # The transcript lives in sessionStorage; localStorage is only ever cleared (of older versions' copies).
    used = set(re.findall(r"window\.(\w+Storage)\.(\w+)\(", code))
    assert used == {("sessionStorage", "getItem"), ("sessionStorage", "setItem"),
                    ("sessionStorage", "removeItem"), ("localStorage", "removeItem")}


def test_cors_allows_the_demo_page_by_default_and_keeps_it_beside_configured_sites():
    assert cors_origins({}, 8080) == ["http://localhost:8080", "http://127.0.0.1:8080"]
    assert cors_origins({"HELPLINE_CORS_ORIGINS": "https://www.example.org/, https://example.org"}, 9000) == [
        "https://www.example.org", "https://example.org", "http://localhost:9000", "http://127.0.0.1:9000",
    ]
    assert "*" not in cors_origins({}, 8080)

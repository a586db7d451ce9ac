"""The staff console and API on the web process: sign-in, refusals, CSRF, escaping, and the audit trail.

Each test runs the real aiohttp app (``helpline.web.app.create_app``) on a test
server with its own SQLite database.
"""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Dict, List, Tuple

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from helpline.queues import callbacks, crisis_flags
from helpline.security import audit, crypto, login_throttle, staff_accounts
from helpline.store import db
from helpline.store.models import utcnow
from helpline.store.staff_models import StaffSession
from helpline.web import app as web
from helpline.web import console
from tests import tracker_events as te

PASSWORD = "correct horse battery staple"
XSS = '<script>alert("x")</script>'


@pytest.fixture
def factory(db_url):
    return db.session_factory(db_url)


@pytest.fixture
def staff(factory):
    return staff_accounts.add_account(factory, "sam", PASSWORD)


def lead(factory, key="a", first_name="Maria", answers=None):
    record, _ = callbacks.store_callback(
        factory, idempotency_key=key, phone="602-555-0134", urgency="urgent", level_of_care="iop_fit", consent=True,
        first_name=first_name, best_time="morning", answers=answers or {"substances": ["alcohol"]},
    )
    return record


def crisis(factory, conversation="conv-1"):
    flag, _ = crisis_flags.flag_crisis(factory, conversation_id=conversation, category="overdose", severity="immediate")
    return flag


def run(db_url: str, test: Callable[[TestClient], Awaitable[Any]], console_url: str = "") -> Any:
    """Run ``test(client)`` against the web app; the client keeps cookies like a browser."""
    async def go() -> Any:
        app = web.create_app(database_url=db_url, console_url=console_url or None)
        # unsafe=True: aiohttp's jar otherwise ignores cookies from an IP address like the test server's.
        async with TestClient(TestServer(app), cookie_jar=CookieJar(unsafe=True)) as client:
            return await test(client)

    return asyncio.run(go())


def origin(client: TestClient) -> str:
    return str(client.make_url("/")).rstrip("/")


async def sign_in(client: TestClient, name: str = "sam", password: str = PASSWORD, next_path: str = "") -> Any:
    return await client.post(
        "/login", data={"name": name, "password": password, "next": next_path},
        headers={"Origin": origin(client)}, allow_redirects=False,
    )


async def api_token(client: TestClient, name: str = "sam", password: str = PASSWORD) -> str:
    response = await client.post("/api/staff/login", json={"name": name, "password": password})
    assert response.status == 200, await response.text()
    return (await response.json())["token"]


def events(factory) -> List[Tuple[str, str, str, str, str]]:
    return [(e.actor, e.action, e.record_type or "", e.reference or "", e.source)
            for e in reversed(audit.list_events(factory, limit=None))]


# -- nothing without signing in ----------------------------------------------------------------------

def _console_routes(app) -> List[Tuple[str, str]]:
    """Every console and API route of the app, with sample ids filled in."""
    public = {"/", "/health", "/login", "/logout", "/api/staff/login", "/static/console.css", "/favicon.ico"}
    found = []
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info()
        path = info.get("path") or info.get("formatter")
        if path in public or path.startswith("/widget/"):
            continue
        for queue in ("callbacks", "crises"):
            found.append((route.method, path.replace("{queue}", queue).replace("{id}", "1")))
    return sorted(set(found))


def test_every_console_route_is_covered_by_the_refusal_tests(db_url):
    routes = _console_routes(web.create_app(database_url=db_url))
    assert ("GET", "/callbacks/1") in routes and ("POST", "/api/staff/crises/1/close") in routes
    assert ("GET", "/api/staff/audit") in routes and ("GET", "/audit") in routes
    assert len(routes) >= 14


def test_unauthenticated_requests_are_refused_on_every_route(db_url, factory):
    record = lead(factory)
    routes = _console_routes(web.create_app(database_url=db_url))

    async def test(client):
        results = []
        for method, path in routes:
            path = path.replace("/1", f"/{record.id}")
            response = await client.request(method, path, allow_redirects=False, headers={"Origin": origin(client)})
            body = await response.text()
            results.append((method, path, response.status, response.headers.get("Location", ""),
                            response.headers.get("WWW-Authenticate", ""), body))
        # A bearer token or cookie that is not a session changes nothing.
        response = await client.get("/api/staff/callbacks", headers={"Authorization": "Bearer made-up"})
        results.append(("GET", "bearer", response.status, "", response.headers.get("WWW-Authenticate", ""),
                        await response.text()))
        client.session.cookie_jar.update_cookies({console.COOKIE_NAME: "made-up"})
        response = await client.get("/callbacks", allow_redirects=False)
        results.append(("GET", "cookie", response.status, response.headers.get("Location", ""), "", ""))
        return results

    for method, path, status, location, challenge, body in run(db_url, test):
        if path.startswith("/api/") or path == "bearer":
            assert status == 401, (method, path)
            assert body == '{"error": "authentication required"}', path
            assert challenge.startswith("Bearer"), path
        else:
            assert status == 303 and location.startswith("/login?next=/"), (method, path, status)
            assert "0134" not in body and "Maria" not in body
    assert callbacks.LEADS.get(factory, record.id).status == "new"
    assert events(factory) == []  # nothing was read, so nothing to record


def test_demo_page_widget_and_health_stay_public(db_url):
    async def test(client):
        return [(await client.get(p)).status for p in ("/", "/widget/helpline-chat.js", "/health", "/login",
                                                       "/static/console.css")]

    assert run(db_url, test) == [200, 200, 200, 200, 200]


# -- signing in and out --------------------------------------------------------------------------------

def test_sign_in_sets_a_strict_cookie_and_returns_to_the_page_asked_for(db_url, factory, staff):
    record = lead(factory)

    async def test(client):
        first = await client.get(f"/callbacks/{record.id}", allow_redirects=False)
        next_path = first.headers["Location"].split("next=")[1]
        login = await client.get(first.headers["Location"])
        form = await login.text()
        response = await sign_in(client, next_path=next_path)
        cookie = response.headers.get("Set-Cookie", "")
        page = await client.get(response.headers["Location"])
        return next_path, form, response.status, response.headers["Location"], cookie, page.status, await page.text()

    next_path, form, status, location, cookie, page_status, page = run(db_url, test)
    assert next_path == f"/callbacks/{record.id}"
    assert f'name="next" value="/callbacks/{record.id}"' in form and 'type="password"' in form
    assert status == 303 and location == f"/callbacks/{record.id}"
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=43200" in cookie
    assert "Secure" not in cookie  # plain http in development; see the https test below
    assert page_status == 200 and record.reference in page and "+16025550134" in page


def test_cookie_is_secure_when_the_console_is_served_over_https(db_url, staff):
    async def test(client):
        response = await client.post("/login", data={"name": "sam", "password": PASSWORD},
                                     headers={"Origin": "https://console.example.org"}, allow_redirects=False)
        return response.status, response.headers.get("Set-Cookie", "")

    status, cookie = run(db_url, test, console_url="https://console.example.org")
    assert status == 303 and "Secure" in cookie


def test_wrong_password_and_unknown_name_get_the_same_answer(db_url, factory, staff):
    async def test(client):
        wrong = await sign_in(client, password="not the password")
        unknown = await sign_in(client, name="nobody")
        after = await client.get("/callbacks", allow_redirects=False)
        return wrong.status, await wrong.text(), unknown.status, await unknown.text(), after.status

    wrong_status, wrong_page, unknown_status, unknown_page, after = run(db_url, test)
    assert wrong_status == unknown_status == 401
    message = "That name and password do not match an account."
    assert message in wrong_page and message in unknown_page
    assert wrong_page.replace('value="sam"', "") == unknown_page.replace('value="nobody"', "")
    assert after == 303
    # The name typed is recorded only when it is an account.
    assert [(a, act) for a, act, *_ in events(factory)] == [("sam", "login_failed"), ("(unknown name)", "login_failed")]


def test_sign_in_is_throttled_after_five_failures(db_url, factory, staff):
    async def test(client):
        statuses = [(await sign_in(client, password=f"guess number {i}")).status for i in range(5)]
        locked = await sign_in(client)  # the right password, too soon
        api_locked = await client.post("/api/staff/login", json={"name": "sam", "password": PASSWORD})
        return (statuses, locked.status, await locked.text(), locked.headers.get("Retry-After"), api_locked.status,
                await api_locked.json(), api_locked.headers.get("Retry-After"))

    statuses, locked_status, locked_page, retry_page, api_status, api_body, retry_api = run(db_url, test)
    assert statuses == [401] * 5
    assert locked_status == 429 and "Too many sign-in attempts. Try again in" in locked_page
    assert api_status == 429 and api_body["error"].startswith("too many sign-in attempts; try again in")
    # The first backoff is 30 seconds; the header says how many are left.
    assert 25 <= int(retry_page) <= 30 and 25 <= int(retry_api) <= 30
    assert [act for _, act, *_ in events(factory)][-2:] == ["login_throttled", "login_throttled"]


def test_sign_out_ends_the_session_on_the_server(db_url, factory, staff):
    async def test(client):
        await sign_in(client)
        cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[console.COOKIE_NAME].value
        ok = await client.get("/callbacks", allow_redirects=False)
        confirm = await client.get("/logout")
        out = await client.post("/logout", headers={"Origin": origin(client)}, allow_redirects=False)
        after = await client.get("/callbacks", allow_redirects=False)
        # The old cookie, replayed by someone who copied it, is dead too.
        client.session.cookie_jar.update_cookies({console.COOKIE_NAME: cookie})
        replay = await client.get("/callbacks", allow_redirects=False)
        return ok.status, await confirm.text(), out.status, out.headers["Location"], after.status, replay.status

    ok, confirm, out, location, after, replay = run(db_url, test)
    assert ok == 200 and 'action="/logout"' in confirm
    assert out == 303 and location == "/login" and after == 303 and replay == 303
    with factory() as session:
        assert session.execute(select(StaffSession)).scalars().all() == []
    assert ("sam", "logout", "staff_account", "", "console") in events(factory)


def test_expired_and_disabled_sessions_are_refused(db_url, factory, staff):
    expired, _ = staff_accounts.create_session(factory, staff, kind="console", now=utcnow() - timedelta(hours=13))

    async def test(client):
        client.session.cookie_jar.update_cookies({console.COOKIE_NAME: expired})
        old = await client.get("/callbacks", allow_redirects=False)
        await sign_in(client)
        live = await client.get("/callbacks", allow_redirects=False)
        staff_accounts.set_disabled(factory, "sam", True)
        disabled = await client.get("/callbacks", allow_redirects=False)
        return old.status, live.status, disabled.status

    assert run(db_url, test) == (303, 200, 303)


@pytest.mark.parametrize("asked, lands", [
    ("/crises/3", "/crises/3"),
    ("/callbacks?status=new", "/callbacks?status=new"),
    ("//evil.example/x", "/callbacks"),
    ("https://evil.example/", "/callbacks"),
    ("/\\evil.example", "/callbacks"),
    ("/login", "/callbacks"),
    ("javascript:alert(1)", "/callbacks"),
    ("", "/callbacks"),
])
def test_next_only_leads_to_local_pages(db_url, staff, asked, lands):
    async def test(client):
        response = await sign_in(client, next_path=asked)
        return response.headers["Location"]

    assert run(db_url, test) == lands


# -- working the queues --------------------------------------------------------------------------------

def test_claim_and_close_from_the_console_are_audited(db_url, factory, staff):
    record = lead(factory)
    flag = crisis(factory)

    async def test(client):
        await sign_in(client)
        post = {"headers": {"Origin": origin(client)}, "allow_redirects": False}
        queue = await (await client.get("/callbacks")).text()
        detail = await (await client.get(f"/callbacks/{record.reference}")).text()
        claimed = await client.post(f"/callbacks/{record.id}/claim", **post)
        after_claim = await (await client.get(claimed.headers["Location"])).text()
        closed = await client.post(f"/callbacks/{record.id}/close", data={"outcome": "enrolled"}, **post)
        again = await client.post(f"/callbacks/{record.id}/claim", **post)
        bad_outcome = await client.post(f"/crises/{flag.id}/close", data={"outcome": "enrolled"}, **post)
        crisis_claim = await client.post(f"/crises/{flag.reference}/claim", **post)
        crisis_page = await (await client.get("/crises")).text()
        missing = await client.get("/callbacks/999")
        return (queue, detail, claimed.status, claimed.headers["Location"], after_claim, closed.status,
                again.status, await again.text(), bad_outcome.status, crisis_claim.status, crisis_page, missing.status)

    (queue, detail, claimed, location, after_claim, closed, again, again_page, bad_outcome, crisis_claim,
     crisis_page, missing) = run(db_url, test)
    # The queue shows what staff act on (first name, the number masked), never the whole number.
    assert record.reference in queue and "Maria" in queue and "+1******0134" in queue
    assert "+16025550134" not in queue and "555-0134" not in queue
    assert "1 open crisis follow-up</a> first" in queue
    assert 'action="/callbacks/1/claim"' in detail and "Claim as sam" in detail and 'name="outcome"' in detail
    assert claimed == 303 and location == f"/callbacks/{record.id}?done=claimed"
    assert "Claimed. It is yours now." in after_claim
    assert "<tr><th>Assigned to</th><td>sam</td></tr>" in after_claim
    assert closed == 303
    assert again == 409 and "it is closed" in again_page
    assert bad_outcome == 400 and crisis_claim == 303 and flag.reference in crisis_page
    assert missing == 404

    stored = callbacks.LEADS.get(factory, record.id)
    assert (stored.status, stored.claimed_by, stored.outcome) == ("closed", "sam", "enrolled")
    assert crisis_flags.CRISES.get(factory, flag.id).claimed_by == "sam"
    trail = [e for e in events(factory) if e[1] != "login"]
    assert trail == [
        ("sam", "listed", "callback", "", "console"),
        ("sam", "viewed", "callback", record.reference, "console"),
        ("sam", "claimed", "callback", record.reference, "console"),
        ("sam", "viewed", "callback", record.reference, "console"),
        ("sam", "closed", "callback", record.reference, "console"),
        ("sam", "viewed", "callback", record.reference, "console"),  # the refused claim shows the page again
        ("sam", "viewed", "crisis", flag.reference, "console"),  # and so does the refused outcome
        ("sam", "claimed", "crisis", flag.reference, "console"),
        ("sam", "listed", "crisis", "", "console"),
    ]


def test_cross_site_posts_are_refused(db_url, factory, staff):
    record = lead(factory)

    async def test(client):
        await sign_in(client)
        own = origin(client)
        results = {}
        for label, headers in (
            ("foreign origin", {"Origin": "https://evil.example"}),
            ("null origin", {"Origin": "null"}),
            ("foreign referer", {"Referer": "https://evil.example/page"}),
            ("no origin or referer", {}),
            ("look-alike origin", {"Origin": own + ".evil.example"}),
        ):
            response = await client.post(f"/callbacks/{record.id}/claim", headers=headers, allow_redirects=False)
            results[label] = response.status
        api = await client.post(f"/api/staff/callbacks/{record.id}/claim", headers={"Origin": "https://evil.example"})
        results["api with cookie, foreign origin"] = api.status
        api = await client.post(f"/api/staff/callbacks/{record.id}/claim")
        results["api with cookie, no origin"] = api.status
        login = await client.post("/login", data={"name": "sam", "password": PASSWORD},
                                  headers={"Origin": "https://evil.example"}, allow_redirects=False)
        results["login from elsewhere"] = login.status
        logout = await client.post("/logout", headers={"Origin": "https://evil.example"}, allow_redirects=False)
        results["logout from elsewhere"] = logout.status
        still_in = await client.get("/callbacks", allow_redirects=False)
        results["still signed in"] = still_in.status
        same_site = await client.post(f"/callbacks/{record.id}/claim", headers={"Referer": own + f"/callbacks/{record.id}"},
                                      allow_redirects=False)
        results["own referer"] = same_site.status
        return results

    results = run(db_url, test)
    assert results.pop("still signed in") == 200
    assert results.pop("own referer") == 303
    assert results == {label: 403 for label in results}, results
    claimed = [e for e in events(factory) if e[1] == "claimed"]
    assert len(claimed) == 1  # only the same-origin post


def test_the_configured_console_origin_is_accepted_behind_a_proxy(db_url, factory, staff):
    record = lead(factory)

    async def test(client):
        await sign_in(client)
        response = await client.post(f"/callbacks/{record.id}/claim", allow_redirects=False,
                                     headers={"Origin": "https://console.example.org"})
        return response.status

    assert run(db_url, test, console_url="https://console.example.org/") == 303


def test_stored_markup_is_shown_as_text(db_url, factory, staff):
    record = lead(factory, first_name=XSS, answers={"substances": [XSS], "last_use": '"><img src=x onerror=alert(1)>'})

    async def test(client):
        await sign_in(client)
        response = await client.get(f"/callbacks/{record.id}")
        failed = await sign_in(client, name=XSS)
        return response.headers["Content-Security-Policy"], response.headers["Cache-Control"], await response.text(), \
            await failed.text()

    csp, cache, page, login_page = run(db_url, test)
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page  # markupsafe writes " as &#34;
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in login_page and "&lt;script&gt;" in login_page
    assert "default-src 'none'" in csp and "script-src" not in csp and "form-action 'self'" in csp
    assert "frame-ancestors 'none'" in csp and cache == "no-store"


# -- the JSON API ----------------------------------------------------------------------------------------

def test_api_with_a_bearer_token(db_url, factory, staff):
    staff_accounts.set_role(factory, "sam", "admin")  # to read the audit trail at the end
    record = lead(factory)
    flag = crisis(factory)

    async def test(client):
        token = await api_token(client, name="SAM")
        auth = {"Authorization": f"Bearer {token}"}
        out: Dict[str, Any] = {}
        response = await client.get("/api/staff/callbacks?status=new", headers=auth)
        out["list"] = (response.status, await response.json(), response.headers["Cache-Control"])
        response = await client.get(f"/api/staff/callbacks/{record.reference}", headers=auth)
        out["show"] = (response.status, await response.json())
        response = await client.post(f"/api/staff/callbacks/{record.id}/claim", headers=auth)
        out["claim"] = (response.status, await response.json())
        response = await client.post(f"/api/staff/callbacks/{record.id}/claim", headers=auth)
        out["claim again"] = (response.status, await response.json())
        response = await client.post(f"/api/staff/callbacks/{record.id}/close", json={"outcome": "lost"}, headers=auth)
        out["bad outcome"] = response.status
        response = await client.post(f"/api/staff/callbacks/{record.id}/close", json={"outcome": "reached"}, headers=auth)
        out["close"] = (response.status, await response.json())
        response = await client.get("/api/staff/crises", headers=auth)
        out["crises"] = (response.status, await response.json())
        response = await client.post(f"/api/staff/crises/{flag.id}/close", json={"outcome": "referred"}, headers=auth)
        out["crisis close"] = response.status
        response = await client.get("/api/staff/callbacks/999", headers=auth)
        out["missing"] = response.status
        response = await client.get("/api/staff/callbacks?status=lost", headers=auth)
        out["bad status"] = response.status
        response = await client.get("/api/staff/audit?actor=sam&since=1h", headers=auth)
        out["audit"] = (response.status, await response.json())
        # The API token is not a console cookie.
        client.session.cookie_jar.update_cookies({console.COOKIE_NAME: token})
        response = await client.get("/callbacks", allow_redirects=False)
        out["token as cookie"] = response.status
        response = await client.post("/api/staff/logout", headers=auth)
        out["logout"] = response.status
        response = await client.get("/api/staff/callbacks", headers=auth)
        out["after logout"] = response.status
        return out

    out = run(db_url, test)
    status, items, cache = out["list"]
    assert status == 200 and [i["reference"] for i in items] == [record.reference] and cache == "no-store"
    assert out["show"][0] == 200 and out["show"][1]["phone"] == "+16025550134"
    assert out["claim"][0] == 200 and out["claim"][1]["claimed_by"] == "sam"
    assert out["claim again"][0] == 409 and "it is claimed by sam" in out["claim again"][1]["error"]
    assert out["bad outcome"] == 400
    assert out["close"][0] == 200 and out["close"][1]["outcome"] == "reached"
    assert out["crises"][0] == 200 and out["crises"][1][0]["reference"] == flag.reference
    assert out["crisis close"] == 200
    assert out["missing"] == 404 and out["bad status"] == 400
    status, trail = out["audit"]
    assert status == 200
    assert [(e["action"], e["reference"], e["source"]) for e in trail][:4] == [
        ("closed", flag.reference, "api"), ("listed", None, "api"),
        ("closed", record.reference, "api"), ("claimed", record.reference, "api"),
    ]
    assert out["token as cookie"] == 303
    assert out["logout"] == 200 and out["after logout"] == 401
    assert ("sam", "listed", "audit", "", "api") in events(factory)


def test_api_sign_in_failures(db_url, staff):
    async def test(client):
        wrong = await client.post("/api/staff/login", json={"name": "sam", "password": "nope nope nope"})
        unknown = await client.post("/api/staff/login", json={"name": "ghost", "password": PASSWORD})
        not_json = await client.post("/api/staff/login", data=b"{", headers={"Content-Type": "application/json"})
        foreign = await client.post("/api/staff/login", json={"name": "sam", "password": PASSWORD},
                                    headers={"Origin": "https://evil.example"})
        return (wrong.status, await wrong.json(), unknown.status, await unknown.json(), not_json.status,
                foreign.status)

    wrong, wrong_body, unknown, unknown_body, not_json, foreign = run(db_url, test)
    assert wrong == unknown == 401 and wrong_body == unknown_body == {"error": "name or password is incorrect"}
    assert not_json == 400 and foreign == 403


def test_audit_page(db_url, factory, staff):
    staff_accounts.set_role(factory, "sam", "admin")
    record = lead(factory)

    async def test(client):
        await sign_in(client)
        await client.get(f"/callbacks/{record.id}")
        page = await client.get(f"/audit?reference={record.reference}")
        bad = await client.get("/audit?since=whenever")
        return page.status, await page.text(), bad.status

    status, page, bad = run(db_url, test)
    assert status == 200 and "viewed" in page and record.reference in page and bad == 400
    assert re.search(r'<td data-label="Actor">sam</td><td data-label="Action">viewed</td>', page)


# -- throttling, roles, idle sessions, bad input -----------------------------------------------------------

def test_concurrent_sign_ins_are_counted_before_any_password_is_checked(db_url, factory, staff, monkeypatch):
    checked = []
    real_verify = staff_accounts.verify_password

    def counting_verify(password, stored):
        checked.append(password)
        return real_verify(password, stored)

    monkeypatch.setattr(staff_accounts, "verify_password", counting_verify)

    async def test(client):
        attempts = [client.post("/api/staff/login", json={"name": "sam", "password": f"guess number {i}"})
                    for i in range(10)]
        return sorted([r.status for r in await asyncio.gather(*attempts)])

    assert run(db_url, test) == [401] * 5 + [429] * 5
    assert len(checked) == 5


def test_the_address_limit_counts_the_client_our_proxy_saw(db_url, factory, staff, monkeypatch):
    """Behind one proxy of ours (HELPLINE_CONSOLE_PROXY_HOPS=1) each client has its own budget."""
    monkeypatch.setenv("HELPLINE_CONSOLE_PROXY_HOPS", "1")
    monkeypatch.setattr(staff_accounts, "_burn_time", lambda password: None)
    monkeypatch.setattr(login_throttle, "IP_LIMIT", 3)

    async def test(client):
        def attempt(name, password, forwarded):
            # The client made up the first entry; our proxy appended the real address.
            return client.post("/api/staff/login", json={"name": name, "password": password},
                               headers={"X-Forwarded-For": f"10.9.9.9, {forwarded}"})

        guesses = [(await attempt(f"ghost{i}", "guess guess guess", "198.51.100.7")).status for i in range(3)]
        refused = await attempt("sam", PASSWORD, "198.51.100.7")
        colleague = await attempt("sam", PASSWORD, "198.51.100.8")
        return guesses, refused.status, refused.headers.get("Retry-After"), colleague.status

    guesses, refused, retry_after, colleague = run(db_url, test)
    assert guesses == [401] * 3 and refused == 429 and colleague == 200
    assert 0 < int(retry_after) <= 15 * 60
    [throttled] = [e for e in audit.list_events(factory, action="login_throttled")]
    assert (throttled.actor, throttled.detail) == ("sam", "ip=198.51.100.7 limit=ip")


def test_without_a_trusted_proxy_x_forwarded_for_cannot_dodge_the_address_limit(db_url, factory, staff, monkeypatch):
    monkeypatch.delenv("HELPLINE_CONSOLE_PROXY_HOPS", raising=False)
    monkeypatch.setattr(staff_accounts, "_burn_time", lambda password: None)
    monkeypatch.setattr(login_throttle, "IP_LIMIT", 3)

    async def test(client):
        statuses = []
        for i in range(4):
            response = await client.post("/api/staff/login", json={"name": "ghost", "password": "guess guess guess"},
                                         headers={"X-Forwarded-For": f"203.0.113.{i}"})
            statuses.append(response.status)
        return statuses

    assert run(db_url, test) == [401, 401, 401, 429]


def test_the_audit_trail_is_for_admins_only(db_url, factory, staff):
    staff_accounts.add_account(factory, "kim", PASSWORD, role="admin")

    async def test(client):
        out = {}
        await sign_in(client)  # sam: staff
        queue = await client.get("/callbacks")
        out["staff queue"] = (queue.status, await queue.text())
        page = await client.get("/audit")
        out["staff page"] = (page.status, await page.text())
        sam = {"Authorization": f"Bearer {await api_token(client)}"}
        response = await client.get("/api/staff/audit", headers=sam)
        out["staff api"] = (response.status, await response.json())
        kim = {"Authorization": f"Bearer {await api_token(client, name='kim')}"}
        response = await client.get("/api/staff/audit", headers=kim)
        out["admin api"] = response.status
        # A role change applies to the next request, without signing in again.
        staff_accounts.set_role(factory, "sam", "admin")
        out["promoted page"] = (await client.get("/audit")).status
        out["promoted api"] = (await client.get("/api/staff/audit", headers=sam)).status
        staff_accounts.set_role(factory, "kim", "staff")
        out["demoted api"] = (await client.get("/api/staff/audit", headers=kim)).status
        return out

    out = run(db_url, test)
    assert out["staff queue"][0] == 200 and 'href="/audit"' not in out["staff queue"][1]
    assert out["staff page"][0] == 403 and "the audit trail is for administrators" in out["staff page"][1]
    assert "<table" not in out["staff page"][1]
    assert out["staff api"] == (403, {"error": "the audit trail is for administrators"})
    assert out["admin api"] == 200
    assert out["promoted page"] == 200 and out["promoted api"] == 200 and out["demoted api"] == 403
    # A refused read of the trail is not a read: only the admins' reads are recorded.
    assert [e.actor for e in audit.list_events(factory, record_type="audit")] == ["sam", "sam", "kim"]


def test_the_api_login_says_the_role(db_url, factory, staff):
    async def test(client):
        response = await client.post("/api/staff/login", json={"name": "sam", "password": PASSWORD})
        return await response.json()

    body = run(db_url, test)
    assert body["role"] == "staff" and body["idle_timeout_seconds"] == 1800


def test_an_idle_session_is_signed_out_and_pages_leave_the_screen(db_url, factory, staff):
    from sqlalchemy import update

    async def test(client):
        await sign_in(client)
        page = await client.get("/callbacks")
        body = await page.text()
        # Thirty-one minutes pass without a request.
        with factory() as session, session.begin():
            session.execute(update(StaffSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
        idle = await client.get("/callbacks", allow_redirects=False)
        return page.status, body, idle.status, idle.headers.get("Location", "")

    status, body, idle, location = run(db_url, test)
    assert status == 200 and '<meta http-equiv="refresh" content="1805;url=/login">' in body
    assert idle == 303 and location.startswith("/login")


@pytest.mark.parametrize("query, message", [
    ("since=99999999999d", "since is out of range"),
    ("since=9999-12-31T23:59:59-01:00", "since is out of range"),
    ("since=whenever", "since must be like"),
    ("limit=abc", "limit must be a whole number from 1 to 5000"),
    ("limit=0", "limit must be a whole number"),
    ("limit=99999999999999999999999", "limit must be a whole number"),
    ("limit=%C2%B2", "limit must be a whole number"),  # "²": str.isdigit() says yes, int() says no
    ("action=peeked", "action must be one of"),
    ("record_type=patient", "record_type must be one of"),
    ("actor=" + "x" * 65, "actor must be at most 64 characters"),
])
def test_bad_audit_filters_are_400_with_a_message_never_500(db_url, factory, staff, query, message):
    staff_accounts.set_role(factory, "sam", "admin")

    async def test(client):
        auth = {"Authorization": f"Bearer {await api_token(client)}"}
        api = await client.get(f"/api/staff/audit?{query}", headers=auth)
        await sign_in(client)
        page = await client.get(f"/audit?{query}")
        return api.status, await api.json(), page.status, await page.text()

    api_status, api_body, page_status, page = run(db_url, test)
    assert api_status == 400 and message in api_body["error"]
    assert page_status == 400 and message in page


def test_ids_too_big_for_the_database_are_not_found_not_500(db_url, factory, staff):
    huge = "9" * 20

    async def test(client):
        await sign_in(client)
        auth = {"Authorization": f"Bearer {await api_token(client)}"}
        post = {"headers": {"Origin": origin(client)}, "allow_redirects": False}
        return [
            (await client.get(f"/callbacks/{huge}")).status,
            (await client.get(f"/crises/{huge}")).status,
            (await client.post(f"/callbacks/{huge}/claim", **post)).status,
            (await client.get(f"/api/staff/callbacks/{huge}", headers=auth)).status,
            (await client.post(f"/api/staff/crises/{huge}/close", json={"outcome": "reached"}, headers=auth)).status,
            (await client.get("/api/staff/callbacks/2147483648", headers=auth)).status,
        ]

    assert run(db_url, test) == [404] * 6


# -- conversation transcripts -----------------------------------------------------------------------------

T0 = datetime(2026, 12, 1, 14, 30, 5, tzinfo=timezone.utc).timestamp()


def tracker_url(tmp_path) -> str:
    """Where the web process looks for conversations: tracker.db in the data directory, as the Rasa server."""
    return f"sqlite:///{tmp_path / 'tracker.db'}"


def chat(tmp_path, sender="conv-1", **write) -> None:
    te.write(tracker_url(tmp_path), sender, [
        te.action("action_listen", T0),
        te.user(f"I want to die {XSS}", T0 + 1, intent="crisis"),
        te.slot("callback_phone", "+16025550134", T0 + 1),
        te.bot("Please call 988 now.\nWe are here.", T0 + 2,
               buttons=[("Yes, call me", "/affirm"), ('No <b>thanks</b>', "/deny")]),
        te.user("/affirm", T0 + 3, intent="affirm"),
    ], **write)


def test_crisis_transcript_is_shown_on_request_escaped_and_audited(db_url, factory, staff, clean_env):
    flag = crisis(factory)
    chat(clean_env)
    te.write(tracker_url(clean_env), "conv-other", [te.user("another person entirely", T0)])

    async def test(client):
        await sign_in(client)
        token = await api_token(client)
        auth = {"Authorization": f"Bearer {token}"}
        out: Dict[str, Any] = {}
        out["plain"] = await (await client.get(f"/crises/{flag.id}")).text()
        response = await client.get(f"/crises/{flag.reference}?transcript=1")
        out["page"] = (response.status, await response.text())
        response = await client.get(f"/api/staff/crises/{flag.id}", headers=auth)
        out["api plain"] = await response.json()
        response = await client.get(f"/api/staff/crises/{flag.id}?transcript=1", headers=auth)
        out["api"] = (response.status, await response.json(), response.headers["Cache-Control"])
        out["bad"] = (await client.get(f"/crises/{flag.id}?transcript=maybe")).status
        out["api bad"] = (await client.get(f"/api/staff/crises/{flag.id}?transcript=maybe", headers=auth)).status
        return out

    out = run(db_url, test)
    plain = out["plain"]
    assert f'href="/crises/{flag.id}?transcript=1#conversation">Show the conversation</a>' in plain
    assert "I want to die" not in plain and "988" not in plain

    status, page = out["page"]
    assert status == 200 and "<h2 id=\"conversation\">Conversation</h2>" in page
    assert "I want to die &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page and "<script" not in page
    # The facility's time (facility.yml: America/Phoenix, UTC-7 all year).
    assert '<td data-label="At">Dec 1, 7:30:06 AM</td><td data-label="From">Person</td>' in page
    assert '<td data-label="At">Dec 1, 7:30:07 AM</td><td data-label="From">Assistant</td>' in page
    assert "Please call 988 now.\nWe are here." in page  # line breaks kept (pre-wrap), not markup
    assert "Buttons offered: Yes, call me · No &lt;b&gt;thanks&lt;/b&gt;" in page and "<b>" not in page
    assert re.search(r'<div class="said">Yes, call me</div>\s*<div class="fine">\(pressed this button\)</div>', page)
    for absent in ("another person entirely", "+16025550134", "0134", "secret-metadata", "entity-value",
                   "utter_secret", "/affirm", "action_listen"):
        assert absent not in page, absent
    assert f'<a href="/crises/{flag.id}">Hide the conversation</a>' in page

    assert "transcript" not in out["api plain"]
    status, item, cache = out["api"]
    assert status == 200 and cache == "no-store" and item["reference"] == flag.reference
    transcript = item["transcript"]
    assert (transcript["status"], transcript["shown"], transcript["truncated"]) == ("ok", 3, False)
    assert transcript["messages"][0] == {"at": "2026-12-01T14:30:06+00:00", "speaker": "person",
                                         "text": f"I want to die {XSS}", "buttons": [], "chose_button": False}
    assert out["bad"] == 400 and out["api bad"] == 400

    trail = [e for e in events(factory) if e[1] != "login"]
    assert trail == [
        ("sam", "viewed", "crisis", flag.reference, "console"),
        ("sam", "viewed", "crisis", flag.reference, "console"),
        ("sam", "viewed_transcript", "crisis", flag.reference, "console"),
        ("sam", "viewed", "crisis", flag.reference, "api"),
        ("sam", "viewed", "crisis", flag.reference, "api"),
        ("sam", "viewed_transcript", "crisis", flag.reference, "api"),
    ]
    [read] = [e for e in audit.list_events(factory, action="viewed_transcript", limit=1)]
    assert read.detail == "status=ok messages=3"


def test_no_transcript_without_signing_in(db_url, factory, clean_env):
    flag = crisis(factory)
    chat(clean_env)

    async def test(client):
        page = await client.get(f"/crises/{flag.id}?transcript=1", allow_redirects=False)
        api = await client.get(f"/api/staff/crises/{flag.id}?transcript=1")
        forged = await client.get(f"/api/staff/crises/{flag.id}?transcript=1", headers={"Authorization": "Bearer x"})
        return page.status, page.headers.get("Location", ""), await page.text(), api.status, await api.text(), \
            forged.status

    status, location, body, api_status, api_body, forged = run(db_url, test)
    assert status == 303 and location.startswith("/login?next=/crises/")
    assert api_status == 401 and forged == 401
    assert "die" not in body + api_body and "988" not in body + api_body
    assert events(factory) == []


def test_a_missing_or_unreadable_conversation_is_said_kindly(db_url, factory, staff, clean_env, monkeypatch):
    from cryptography.fernet import Fernet, MultiFernet

    missing = crisis(factory, conversation="conv-gone")
    sealed_elsewhere = crisis(factory, conversation="conv-lost")

    async def test(client):
        await sign_in(client)
        pages = []
        for flag in (missing, missing, sealed_elsewhere):  # before any tracker.db exists, then with one
            response = await client.get(f"/crises/{flag.id}?transcript=1")
            pages.append((response.status, await response.text()))
            if len(pages) == 1:
                chat(clean_env, sender="conv-lost", box=MultiFernet([Fernet(crypto.generate_key())]))
        return pages

    (no_db, no_db_page), (gone, gone_page), (lost, lost_page) = run(db_url, test)
    assert no_db == gone == lost == 200
    assert "This conversation is not stored any more" in no_db_page and "not stored any more" in gone_page
    assert "could not be decrypted with the configured keys" in lost_page and "die" not in lost_page
    assert [(e.reference, e.detail) for e in reversed(audit.list_events(factory, action="viewed_transcript"))] == [
        (missing.reference, "status=missing"), (missing.reference, "status=missing"),
        (sealed_elsewhere.reference, "status=unreadable"),
    ]

    # A tracker store that cannot be reached: the page still answers.
    monkeypatch.setenv("HELPLINE_TRACKER_URL", "postgresql://nobody@127.0.0.1:1/none")

    async def unreachable(client):
        await sign_in(client)
        response = await client.get(f"/crises/{missing.id}?transcript=1")
        return response.status, await response.text()

    status, page = run(db_url, unreachable)
    assert status == 200 and "could not be reached just now" in page and missing.reference in page


def test_a_lead_shows_its_conversation_when_it_has_one(db_url, factory, staff, clean_env):
    linked, _ = callbacks.store_callback(
        factory, idempotency_key="linked", phone="602-555-0134", urgency="urgent", level_of_care="iop_fit",
        consent=True, first_name="Maria", conversation_id="conv-1",
    )
    unlinked = lead(factory, key="unlinked")
    chat(clean_env)

    async def test(client):
        await sign_in(client)
        plain = await (await client.get(f"/callbacks/{linked.id}")).text()
        shown = await (await client.get(f"/callbacks/{linked.reference}?transcript=1")).text()
        none = await (await client.get(f"/callbacks/{unlinked.id}?transcript=1")).text()
        return plain, shown, none

    plain, shown, none = run(db_url, test)
    assert "Show the conversation" in plain and "I want to die" not in plain
    assert "I want to die &lt;script&gt;" in shown and "Buttons offered: Yes, call me" in shown
    assert "No conversation is linked to this record." in none and "Show the conversation" not in none
    assert [(e[1], e[3]) for e in events(factory) if e[1] != "login"] == [
        ("viewed", linked.reference), ("viewed", linked.reference), ("viewed_transcript", linked.reference),
        ("viewed", unlinked.reference),
    ]


def test_the_crisis_page_names_every_category(db_url, factory, staff):
    flag = crisis(factory)  # overdose
    crisis_flags.flag_crisis(factory, conversation_id="conv-1", category="suicide_self_harm", severity="immediate")
    crisis_flags.flag_crisis(factory, conversation_id="conv-1", category="medical_emergency", severity="immediate")

    async def test(client):
        await sign_in(client)
        return await (await client.get(f"/crises/{flag.id}")).text()

    page = run(db_url, test)
    assert "<th>Category</th><td>Overdose, Suicide or self-harm, Medical emergency</td>" in page


# -- in a real browser ------------------------------------------------------------------------------------

@pytest.mark.e2e
def test_console_in_a_real_browser(db_url, factory, staff, web_process):
    """Chromium signs in, claims and closes through the plain forms: its own Origin header passes the
    CSRF check, the strict CSP blocks nothing the page needs, and the cookie is HttpOnly and SameSite=Strict."""
    from pathlib import Path

    import playwright.sync_api as playwright_api  # a dev dependency: missing means a broken install

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.fail(f"{chromium} is missing: apt-get install -y chromium (.ci/run does this)")
    record = lead(factory)
    base = web_process
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox"])
        context = browser.new_context()
        page = context.new_page()
        problems: List[str] = []
        page.on("console", lambda msg: problems.append(f"{msg.text} {msg.location.get('url')}")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))

        page.goto(f"{base}/callbacks/{record.id}")  # as from the staff SMS link
        assert page.url.startswith(f"{base}/login?next=")
        page.fill("input[name=name]", "Sam")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Sign in')")
        assert page.url == f"{base}/callbacks/{record.id}"
        assert record.reference in page.inner_text("h1")
        [cookie] = [c for c in context.cookies() if c["name"] == console.COOKIE_NAME]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

        page.click("button:has-text('Claim as sam')")
        assert page.url.endswith("?done=claimed") and "Claimed." in page.inner_text("main")
        page.select_option("form[action$='/close'] select[name=outcome]", "enrolled")
        page.click("button:has-text('Close')")
        assert page.url.endswith("?done=closed") and "closed" in page.inner_text("main")

        page.click("button:has-text('Sign out')")
        assert page.url == f"{base}/login"
        page.goto(f"{base}/callbacks")
        assert page.url.startswith(f"{base}/login")
        browser.close()
    assert problems == []

    stored = callbacks.LEADS.get(factory, record.id)
    assert (stored.status, stored.claimed_by, stored.outcome) == ("closed", "sam", "enrolled")
    assert [(a, act, src) for a, act, _, _, src in events(factory) if act in ("claimed", "closed")] == [
        ("sam", "claimed", "console"), ("sam", "closed", "console"),
    ]

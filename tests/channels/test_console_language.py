"""The console and API show each lead's and crisis follow-up's language, and filter by it.

Same set-up as ``test_console.py``: the real web app on a test server with a database of its own.
"""
from __future__ import annotations

from typing import Any, Dict

from helpline.queues import callbacks, crisis_flags
from helpline.security import audit, staff_accounts
from helpline.store import db
from tests.channels.test_console import PASSWORD, api_token, run, sign_in


def lead(factory, key: str, language: Any):
    record, _ = callbacks.store_callback(
        factory, idempotency_key=key, phone="602-555-0134", urgency="urgent", level_of_care="iop_fit", consent=True,
        first_name="Lupita", best_time="morning", language=language,
    )
    return record


def test_the_queues_and_pages_show_the_language_and_filter_by_it(db_url):
    factory = db.session_factory(db_url)
    staff_accounts.add_account(factory, "sam", PASSWORD)
    spanish, english = lead(factory, "es", "es"), lead(factory, "en", "en")
    flag = crisis_flags.flag_crisis(factory, conversation_id="c-1", category="overdose", severity="urgent",
                                    language="es").flag

    async def test(client):
        await sign_in(client)
        pages: Dict[str, Any] = {}
        for path in ("/callbacks", "/callbacks?language=es", "/callbacks?status=new&language=en",
                     f"/callbacks/{spanish.id}", f"/callbacks/{english.id}", "/crises", f"/crises/{flag.id}"):
            response = await client.get(path)
            pages[path] = (response.status, await response.text())
        response = await client.get("/callbacks?language=fr")
        pages["bad"] = (response.status, await response.text())
        return pages

    pages = run(db_url, test)
    assert all(status == 200 for path, (status, _) in pages.items() if path != "bad")
    queue = pages["/callbacks"][1]
    assert "<th>Language</th>" in queue
    assert '<td data-label="Language">Spanish</td>' in queue and '<td data-label="Language">English</td>' in queue
    # The language filter keeps the status one, and the other way round.
    assert '<a href="/callbacks" class="current">all</a>' in queue
    assert '<a href="/callbacks?language=es">Spanish</a>' in queue
    filtered = pages["/callbacks?language=es"][1]
    assert spanish.reference in filtered and english.reference not in filtered
    assert '<a href="/callbacks?status=new&amp;language=es">new</a>' in filtered
    both = pages["/callbacks?status=new&language=en"][1]
    assert english.reference in both and spanish.reference not in both
    assert '<a href="/callbacks?status=new&amp;language=en" class="current" aria-current="true">English</a>' in both

    assert "<th>Language</th><td>Spanish <strong>— Call back in Spanish</strong></td>" in pages[
        f"/callbacks/{spanish.id}"][1]
    assert "<th>Language</th><td>English</td>" in pages[f"/callbacks/{english.id}"][1]
    assert '<td data-label="Language">Spanish</td>' in pages["/crises"][1]
    assert "<th>Language</th><td>Spanish <strong>— Follow up in Spanish</strong></td>" in pages[f"/crises/{flag.id}"][1]
    status, body = pages["bad"]
    assert status == 400 and "language must be one of en, es" in body

    listed = [e.detail for e in audit.list_events(factory, limit=None) if e.action == "listed"]
    assert "count=1 status=open language=es" in listed and "count=1 status=new language=en" in listed


def test_the_api_carries_the_language_and_filters_by_it(db_url):
    factory = db.session_factory(db_url)
    staff_accounts.add_account(factory, "sam", PASSWORD)
    spanish, english = lead(factory, "es", "es"), lead(factory, "en", None)

    async def test(client):
        auth = {"Authorization": f"Bearer {await api_token(client)}"}
        out: Dict[str, Any] = {}
        for path in ("/api/staff/callbacks", "/api/staff/callbacks?language=es", f"/api/staff/callbacks/{spanish.id}",
                     "/api/staff/crises?language=es", "/api/staff/callbacks?language=Spanish"):
            response = await client.get(path, headers=auth)
            out[path] = (response.status, await response.json())
        return out

    out = run(db_url, test)
    assert {(i["reference"], i["language"], i["language_name"]) for i in out["/api/staff/callbacks"][1]} == {
        (spanish.reference, "es", "Spanish"), (english.reference, "en", "English"),
    }
    assert [i["reference"] for i in out["/api/staff/callbacks?language=es"][1]] == [spanish.reference]
    assert out[f"/api/staff/callbacks/{spanish.id}"][1]["language"] == "es"
    assert out["/api/staff/crises?language=es"] == (200, [])
    assert out["/api/staff/callbacks?language=Spanish"] == (400, {"error": "language must be one of en, es"})

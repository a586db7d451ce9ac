"""Working records through the console and the API: filters, pages, late work first, notes, calls, assigning,
reopening, the FHIR download; every change audited."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from helpline.queues import callbacks
from helpline.security import audit, staff_accounts
from helpline.store.models import utcnow
from tests.channels.test_console import PASSWORD, api_token, origin, run, sign_in

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def factory(db_url):
    from helpline.store import db

    return db.session_factory(db_url)


@pytest.fixture
def staff(factory):
    staff_accounts.add_account(factory, "ana", PASSWORD)
    return staff_accounts.add_account(factory, "sam", PASSWORD)


def store(factory, key, *, urgency="routine", channel="socketio", language="en", minutes_ago=0, **fields):
    record, _ = callbacks.store_callback(
        factory, idempotency_key=key, phone="602-555-0134", urgency=urgency, level_of_care="iop_fit", consent=True,
        first_name=f"Person {key}", source_channel=channel, language=language,
        created_at=utcnow() - timedelta(minutes=minutes_ago), **fields,
    )
    return record


def references(page: str) -> list:
    return re.findall(r'<td data-label="Reference"><a href="/callbacks/\d+">(L-[A-Z0-9]+)</a>', page)


def test_the_queue_pages_and_filters(db_url, factory, staff):
    made = [store(factory, f"k{i}") for i in range(27)]
    sms = store(factory, "sms", channel="sms", language="es", urgency="urgent")
    callbacks.LEADS.claim(factory, made[0].id, "sam")

    async def test(client):
        await sign_in(client)
        out = {}
        for query in ("", "?page=2", "?channel=sms", "?language=es", "?urgency=urgent", "?mine=1", "?status=closed",
                      "?page=0", "?urgency=whenever", "?channel=fax"):
            response = await client.get(f"/callbacks{query}")
            out[query] = (response.status, await response.text())
        return out

    out = run(db_url, test)
    first, second = references(out[""][1]), references(out["?page=2"][1])
    assert len(first) == 25 and len(second) == 3 and not set(first) & set(second)
    assert set(first + second) == {r.reference for r in made} | {sms.reference}
    assert first[0] == sms.reference  # most pressing first
    assert "Page 1 of 2" in out[""][1] and 'href="/callbacks?page=2" rel="next"' in out[""][1]
    assert references(out["?channel=sms"][1]) == [sms.reference]
    assert references(out["?language=es"][1]) == [sms.reference]
    assert references(out["?urgency=urgent"][1]) == [sms.reference]
    assert references(out["?mine=1"][1]) == [made[0].reference]
    assert references(out["?status=closed"][1]) == []
    for bad in ("?page=0", "?urgency=whenever", "?channel=fax"):
        assert out[bad][0] == 400, bad
    listed = [e.detail for e in audit.list_events(factory, action="listed")]
    assert "count=1 status=open channel=sms" in listed and "count=1 status=open mine=1" in listed


def test_late_work_comes_first_and_says_so(db_url, factory, staff):
    # facility.yml: urgent 15 minutes to claim; routine counts office hours only.
    waiting = store(factory, "urgent-late", urgency="urgent", minutes_ago=50)
    fresh = store(factory, "immediate-fresh", urgency="immediate", minutes_ago=1)

    async def test(client):
        await sign_in(client)
        return await (await client.get("/callbacks")).text()

    page = run(db_url, test)
    assert references(page) == [waiting.reference, fresh.reference]
    assert "1 past the target time to claim, shown first." in page
    assert re.search(r'<tr class="status-new overdue urgency-urgent">', page)


def test_the_api_works_a_lead_and_every_change_is_audited(db_url, factory, staff):
    lead = store(factory, "api")

    async def test(client):
        token = await api_token(client)
        auth = {"Authorization": f"Bearer {token}"}
        base = f"/api/staff/callbacks/{lead.reference}"
        out = {}
        for name, path, body in (
            ("note", "/notes", {"body": "Left a message with her brother"}),
            ("bad attempt", "/attempts", {"outcome": "hung_up"}),
            ("attempt", "/attempts", {"outcome": "no_answer"}),
            ("assign", "/assign", {"to": "ana"}),
            ("assign stranger", "/assign", {"to": "mallory"}),
            ("reopen open", "/reopen", {}),
            ("close", "/close", {"outcome": "referred"}),
            ("reopen", "/reopen", {}),
        ):
            response = await client.post(base + path, json=body, headers=auth)
            out[name] = (response.status, await response.json())
        return out

    out = run(db_url, test)
    assert out["note"][0] == 200
    assert out["bad attempt"][0] == 400 and "call outcome must be one of" in out["bad attempt"][1]["error"]
    assert out["attempt"][0] == 200 and out["attempt"][1]["call_attempts"] == 1
    assert out["attempt"][1]["status"] == "claimed" and out["attempt"][1]["claimed_by"] == "sam"
    assert out["assign"][1]["claimed_by"] == "ana"
    assert out["assign stranger"][0] == 400
    assert out["reopen open"][0] == 409
    assert out["reopen"][0] == 200 and out["reopen"][1]["status"] == "new"
    trail = [(e.action, e.source, e.detail) for e in reversed(audit.list_events(factory))
             if e.reference == lead.reference and e.action not in ("viewed", "listed")]
    assert trail == [
        ("noted", "api", "chars=31"), ("call_attempt", "api", "outcome=no_answer attempt=1"),
        ("assigned", "api", "to=ana from=sam"), ("closed", "api", "outcome=referred"), ("reopened", "api", "was=referred"),
    ]


def test_a_console_form_from_elsewhere_is_refused(db_url, factory, staff):
    lead = store(factory, "csrf")

    async def test(client):
        await sign_in(client)
        refused = await client.post(f"/callbacks/{lead.id}/note", data={"body": "x"},
                                    headers={"Origin": "https://evil.example"}, allow_redirects=False)
        allowed = await client.post(f"/callbacks/{lead.id}/note", data={"body": "called"},
                                    headers={"Origin": origin(client)}, allow_redirects=False)
        return refused.status, allowed.status, allowed.headers.get("Location")

    refused, allowed, location = run(db_url, test)
    assert refused == 403 and allowed == 303 and location == f"/callbacks/{lead.id}?done=noted"
    assert [e.detail for e in audit.list_events(factory, action="noted")] == ["chars=6"]


def facility_with_fhir(tmp_path: Path) -> Path:
    data = yaml.safe_load((ROOT / "facility.yml").read_text())
    data["integrations"]["fhir_export"]["enabled"] = True
    path = tmp_path / "facility.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_the_fhir_download_is_off_by_default_and_audited_when_on(db_url, factory, staff, tmp_path, monkeypatch):
    from fhir.resources.bundle import Bundle

    lead = store(factory, "fhir", answers={"substances": ["alcohol"], "last_use": "today"})

    async def fetch(client):
        token = await api_token(client)
        response = await client.get(f"/api/staff/callbacks/{lead.id}/fhir", headers={"Authorization": f"Bearer {token}"})
        return response.status, response.content_type, await response.text()

    status, _, _ = run(db_url, fetch)
    assert status == 404 and audit.list_events(factory, action="exported") == []

    monkeypatch.setenv("HELPLINE_FACILITY_FILE", str(facility_with_fhir(tmp_path)))
    status, content_type, body = run(db_url, fetch)
    assert status == 200 and content_type == "application/fhir+json"
    bundle = Bundle.parse_obj(json.loads(body))
    assert {entry.resource.resource_type for entry in bundle.entry} == {
        "Patient", "ServiceRequest", "QuestionnaireResponse"}
    (event,) = audit.list_events(factory, action="exported")
    assert (event.reference, event.detail, event.source) == (lead.reference, "format=fhir", "api")

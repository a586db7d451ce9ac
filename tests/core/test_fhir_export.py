"""A stored lead as a FHIR R4 Bundle (helpline.integrations.fhir), validated with fhir.resources 6.4 (R4)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any, Dict, Iterator, List

import pytest
from fhir.resources.bundle import Bundle
from fhir.resources.patient import Patient
from fhir.resources.questionnaireresponse import QuestionnaireResponse
from fhir.resources.servicerequest import ServiceRequest

from helpline.facility import load_facility
from helpline.intake.questions import ANSWER_KEYS
from helpline.intake.screening import describe_reasons, screen
from helpline.integrations import fhir
from helpline.queues import callbacks, labels
from helpline.settings import PROJECT_ROOT

MODELS = {"Patient": Patient, "ServiceRequest": ServiceRequest, "QuestionnaireResponse": QuestionnaireResponse}
# FHIR dateTime/instant with seconds and an offset.
WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$")

ANSWERS: Dict[str, Any] = {
    "who_for": "self",
    "first_name": "José",
    "best_time": "evening",
    "substances": ["alcohol", "benzodiazepines"],
    "last_use": "this week",
    "withdrawal_signs": ["shaking"],
    "suicide_wish": "no",
    "suicide_thoughts": "declined",
    "prior_treatment": [],
    "insurance": "other: Tribal health plan",
    "insurance_member_id": "XZ-123-44",
    "state": "AZ",
    "contact_permissions": {"call": True, "voicemail": False, "text": True},
}
WORDS = {"substances": "booze and xanax mostly, my cousin Ray too"}


@pytest.fixture
def facility():
    return load_facility(PROJECT_ROOT / "facility.yml")


def store(session_factory, key: str = "conv-1", **overrides: Any):
    answers = overrides.pop("answers", ANSWERS)
    screening = screen(answers)
    fields: Dict[str, Any] = dict(
        idempotency_key=key,
        phone="(602) 555-0134",
        urgency=screening.urgency,
        level_of_care=screening.level_of_care,
        screening_reasons=screening.reasons,
        consent=True,
        consent_text="Sí, llámenme.",
        answers=answers,
        answer_words=WORDS,
        first_name="José",
        who_for="self",
        best_time="evening",
        permissions={"call": True, "voicemail": False, "text": True},
        conversation_id="conv-1",
        source_channel="socketio",
        language="es",
    )
    fields.update(overrides)
    record, _ = callbacks.store_callback(session_factory, **fields)
    return callbacks.LEADS.to_dict(callbacks.LEADS.get(session_factory, record.id))


def validate(bundle: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """The Bundle and each entry as its own type, through fhir.resources; returns resources by type."""
    Bundle.parse_obj(bundle)
    by_type = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        MODELS[resource["resourceType"]].parse_obj(resource)
        by_type[resource["resourceType"]] = resource
    return by_type


def references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "reference":
                yield inner
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def times(value: Any, keys=("authoredOn", "authored", "lastUpdated")) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in keys:
                yield inner
            yield from times(inner, keys)
    elif isinstance(value, list):
        for inner in value:
            yield from times(inner, keys)


def answers_of(response: Dict[str, Any]) -> Dict[str, List[Any]]:
    return {item["linkId"]: item.get("answer") or item.get("item") for item in response.get("item", [])}


def test_a_screened_lead_validates_as_r4(session_factory, facility):
    lead = store(session_factory)
    bundle = fhir.lead_bundle(lead, facility)
    resources = validate(bundle)
    assert bundle["type"] == "collection"
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient", "ServiceRequest", "QuestionnaireResponse"]

    patient = resources["Patient"]
    assert patient["name"] == [{"given": ["José"]}]  # the first name only
    assert patient["telecom"] == [{"system": "phone", "value": "+16025550134", "use": "mobile"}]
    assert patient["communication"][0]["language"]["coding"][0] == {
        "system": "urn:ietf:bcp:47", "code": "es", "display": "Spanish"}
    assert patient["identifier"] == [{"system": "urn:helpline:facility:pathfinders:lead", "value": lead["reference"]}]
    # Minimum necessary: nothing else about the person.
    assert set(patient) == {"resourceType", "id", "meta", "identifier", "name", "telecom", "communication"}

    request = resources["ServiceRequest"]
    assert (request["status"], request["intent"], request["priority"]) == ("active", "proposal", "asap")  # urgent
    assert request["authoredOn"] == lead["created_at"]
    assert [r["text"] for r in request["reasonCode"]] == describe_reasons(lead["screening_reasons"])
    assert request["orderDetail"][0]["coding"][0]["code"] == "higher_level"
    notes = " ".join(note["text"] for note in request["note"])
    assert "Best time to call: Evening (17:00-21:00, America/Phoenix time)." in notes
    assert "May contact by: call, text message. Not by: voicemail." in notes
    assert "Call back in Spanish." in notes
    assert "supportingInfo" in request and "Intensive Outpatient" in request["code"]["text"]

    response = resources["QuestionnaireResponse"]
    assert response["status"] == "completed"
    assert response["questionnaire"] == "urn:helpline:facility:pathfinders:questionnaire:screening"
    assert response["authored"] == lead["created_at"]
    items = answers_of(response)
    assert list(items) == [slot for slot in ANSWER_KEYS if slot in ANSWERS]  # the order asked
    assert [a["valueCoding"]["code"] for a in items["substances"]] == ["alcohol", "benzodiazepines"]
    assert items["prior_treatment"] == [{"valueCoding": {"system": "urn:helpline:code:prior_treatment",
                                                          "code": "none", "display": "None"}}]
    assert items["first_name"] == [{"valueString": "José"}]
    assert items["insurance"] == [{"valueString": "Tribal health plan"}]
    assert items["insurance_member_id"] == [{"valueString": "XZ-123-44"}]
    assert items["state"] == [{"valueCoding": {"system": "https://www.usps.com/", "code": "AZ"}}]
    assert items["suicide_thoughts"][0]["valueCoding"]["code"] == "declined"
    assert [(child["linkId"], child["answer"]) for child in items["contact_permissions"]] == [
        ("contact_permissions.call", [{"valueBoolean": True}]),
        ("contact_permissions.voicemail", [{"valueBoolean": False}]),
        ("contact_permissions.text", [{"valueBoolean": True}]),
    ]
    # The person's own words stay in the console: free text can say more than was asked.
    assert "cousin" not in json.dumps(bundle) and "xanax" not in json.dumps(bundle)
    for moment in times(bundle):
        assert WITH_OFFSET.match(moment), moment


def test_every_entry_is_labelled_restricted_under_part_2(session_factory, facility):
    bundle = fhir.lead_bundle(store(session_factory), facility)
    for resource in [bundle] + [entry["resource"] for entry in bundle["entry"]]:
        codes = {label["code"] for label in resource["meta"]["security"]}
        assert codes == {"R", "42CFRPart2"}


def test_a_lead_without_screening_answers_still_validates(session_factory, facility):
    lead = store(session_factory, answers={}, answer_words=None, first_name=None, best_time=None, language=None,
                 screening_reasons=[])
    assert lead["answers"] == {} and lead["language"] == "en"
    resources = validate(fhir.lead_bundle(lead, facility))
    assert "item" not in resources["QuestionnaireResponse"]
    assert "name" not in resources["Patient"]
    assert "reasonCode" not in resources["ServiceRequest"]


def test_a_first_name_withheld_is_not_a_name(session_factory, facility):
    lead = store(session_factory, first_name="prefer_not_to_say",
                 answers={"who_for": "self", "first_name": "prefer_not_to_say"})
    resources = validate(fhir.lead_bundle(lead, facility))
    assert "name" not in resources["Patient"]
    assert answers_of(resources["QuestionnaireResponse"])["first_name"][0]["valueCoding"]["code"] == "prefer_not_to_say"


def test_a_lead_for_a_loved_one_puts_the_callers_details_on_the_contact(session_factory, facility):
    answers = {"who_for": "loved_one", "first_name": "Ana", "caller_relation": "parent",
               "substances": ["opioids"], "last_use": "today", "loved_one_suicide_risk": "no"}
    lead = store(session_factory, answers=answers, who_for="loved_one", caller_relation="parent", first_name="Ana")
    resources = validate(fhir.lead_bundle(lead, facility))
    patient = resources["Patient"]
    assert "name" not in patient and "telecom" not in patient and "communication" not in patient
    contact = patient["contact"][0]
    assert contact["name"] == {"given": ["Ana"]}
    assert contact["telecom"][0]["value"] == "+16025550134"
    assert contact["relationship"][0]["coding"][0]["code"] == "PRN"
    assert any("Asked for by the person's parent" in note["text"] for note in resources["ServiceRequest"]["note"])


def test_references_resolve_inside_the_bundle(session_factory, facility):
    bundle = fhir.lead_bundle(store(session_factory), facility)
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(full_urls)) == 3
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
    found = list(references(bundle))
    assert len(found) == 3  # request subject, request supportingInfo, response subject
    assert set(found) <= set(full_urls)
    by_type = {entry["resource"]["resourceType"]: entry["fullUrl"] for entry in bundle["entry"]}
    request = bundle["entry"][1]["resource"]
    assert request["subject"]["reference"] == by_type["Patient"]
    assert request["supportingInfo"][0]["reference"] == by_type["QuestionnaireResponse"]
    assert bundle["entry"][2]["resource"]["subject"]["reference"] == by_type["Patient"]


def test_ids_are_stable_across_exports_and_differ_between_leads(session_factory, facility):
    lead = store(session_factory)
    first = fhir.lead_bundle_json(lead, facility)
    again = fhir.lead_bundle_json(callbacks.LEADS.to_dict(callbacks.LEADS.get(session_factory, lead["id"])), facility)
    assert first == again  # same stored lead, same bytes
    other = fhir.lead_bundle(store(session_factory, key="conv-2"), facility)
    ids = {entry["resource"]["id"] for entry in json.loads(first)["entry"]}
    assert ids.isdisjoint(entry["resource"]["id"] for entry in other["entry"])
    assert json.loads(first)["id"] != other["id"]


def test_the_json_is_one_ascii_line(session_factory, facility):
    text = fhir.lead_bundle_json(store(session_factory), facility)
    assert "\n" not in text and text.isascii()
    assert json.loads(text)["entry"][0]["resource"]["name"] == [{"given": ["José"]}]


@pytest.mark.parametrize("urgency, priority", [
    ("routine", "routine"), ("soon", "urgent"), ("urgent", "asap"), ("immediate", "stat"),
])
def test_priority_keeps_the_urgencies_apart(session_factory, facility, urgency, priority):
    lead = store(session_factory, urgency=urgency)
    assert validate(fhir.lead_bundle(lead, facility))["ServiceRequest"]["priority"] == priority


@pytest.mark.parametrize("outcome, status", [
    ("enrolled", "completed"), ("reached", "completed"), ("declined", "completed"), ("referred", "completed"),
    ("no_answer", "revoked"), ("wrong_number", "revoked"), ("other", "unknown"),
])
def test_status_follows_the_lead(session_factory, facility, outcome, status):
    lead = store(session_factory)
    callbacks.LEADS.claim(session_factory, lead["id"], "Sam")
    claimed = callbacks.LEADS.to_dict(callbacks.LEADS.get(session_factory, lead["id"]))
    assert validate(fhir.lead_bundle(claimed, facility))["ServiceRequest"]["status"] == "active"
    closed = callbacks.LEADS.to_dict(callbacks.LEADS.close(session_factory, lead["id"], outcome))
    request = validate(fhir.lead_bundle(closed, facility))["ServiceRequest"]
    assert request["status"] == status
    assert any(note["text"].startswith("Closed by admissions staff") for note in request["note"])


def test_items_read_as_the_console_labels_them(session_factory, facility):
    response = fhir.lead_bundle(store(session_factory), facility)["entry"][2]["resource"]
    for item in response["item"]:
        assert item["text"] == labels.question(item["linkId"])
    last_use = answers_of(response)["last_use"][0]["valueCoding"]
    assert last_use["display"] == labels.answer("last_use", "this week")


def test_the_identifier_system_follows_the_facility_name(facility):
    renamed = type(facility)({**facility.raw, "name": "Señor Recovery & Wellness, LLC"})
    assert fhir.facility_urn(renamed) == "urn:helpline:facility:senor-recovery-wellness-llc"


def test_the_runtime_module_does_not_need_fhir_resources():
    # ("fhir" alone is a namespace package that a .pth file may register at start-up.)
    code = ("import sys, helpline.integrations.fhir; "
            "sys.exit(any(name.startswith('fhir.') for name in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT).returncode == 0

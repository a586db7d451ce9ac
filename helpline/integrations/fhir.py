"""A lead as a FHIR R4 (4.0.1) Bundle, for an EHR or admissions CRM.

Input is the lead's JSON view, ``helpline.queues.callbacks.LEADS.to_dict(record)``
(what the CLI, the console and the API already hold: no session needed). Output
is a Bundle of type ``collection`` with three entries:

``Patient`` (minimum necessary)
    The lead's reference as identifier, and nothing the admissions call does not
    need: for a person asking for themselves (or who did not say), the first name
    (``given`` only), the callback phone (``mobile``) and the language to call
    back in (BCP-47 ``en``/``es``). When the caller asked for a loved one, that
    name and phone are the *caller's*, so they go in ``Patient.contact`` with the
    relation (HL7 v3 RoleCode), and the Patient itself carries the identifier only.
``ServiceRequest``
    The call back for an admission assessment. ``intent`` is ``proposal``: the
    person asked to be called, nobody with authority ordered anything.
    ``status``: new or claimed -> ``active``; closed -> ``completed`` when staff
    reached the person (reached, enrolled, referred, declined), ``revoked`` when
    they could not (no_answer, wrong_number), ``unknown`` for ``other``.
    ``priority`` keeps the four urgencies apart in FHIR's order: routine ->
    ``routine``, soon -> ``urgent``, urgent -> ``asap``, immediate -> ``stat``.
    ``reasonCode``: the screening reasons (code and sentence); the level of care
    is an ``orderDetail``; ``note``: best time, contact permissions, language
    and outcome in words; ``supportingInfo`` -> the QuestionnaireResponse.
``QuestionnaireResponse``
    The screening: one item per stored answer, in the order asked, ``linkId`` the
    slot (:mod:`helpline.intake.questions`), ``text`` the staff-facing label in
    English (:mod:`helpline.queues.labels`, as the console shows it; codes are
    displayed in the same words). Codes are ``valueCoding``, yes/no ``valueBoolean``, typed text
    (a name, a member ID, an insurer not in our list) ``valueString``; a list is
    several answers (an empty one: the code ``none``), contact permissions a
    group of yes/no items. The person's own words behind each answer
    (``answer_words``) are left out: staff use them in the console to catch a
    misparse, but free text can say far more than was asked (other people's
    names, other drugs, circumstances), which the minimum-necessary rule
    (45 CFR 164.502(b)) and 42 CFR Part 2 keep from leaving the program.
    ``authored`` is the lead's ``created_at``, as the screening begins there.

Identifiers: systems are URNs under ``urn:helpline:facility:<slug>`` (the slug
of facility.yml's ``name``): ``:lead`` for references, ``:questionnaire:screening``
for the questionnaire's canonical URL. Code systems this software defines (the
answer vocabularies, reasons, levels of care) are ``urn:helpline:code:<name>``,
the same for every facility. ``fullUrl``s are ``urn:uuid:`` UUIDs derived (uuid5)
from the facility URN and the lead's reference, so a re-export of a lead gives
the same ids (a renamed facility gives new ones). Every resource is labelled
restricted and 42 CFR Part 2 (``meta.security``). Times are ISO 8601 with offset
(UTC). The output is deterministic: the same stored lead gives the same bytes.

This module builds plain dicts: the fhir.resources models are a test dependency only.
"""
from __future__ import annotations

import json
import re
import unicodedata
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional

from helpline.facility import Facility, load_facility
from helpline.intake.parsers import PREFER_NOT_TO_SAY
from helpline.intake.questions import ANSWER_KEYS, QUESTIONS
from helpline.intake.screening import describe_reasons
from helpline.queues import labels
from helpline.queues.caller_language import LANGUAGE_NAMES

Resource = Dict[str, Any]
Lead = Mapping[str, Any]

FACILITY_URN = "urn:helpline:facility:"
CODE_URN = "urn:helpline:code:"
BCP47 = "urn:ietf:bcp:47"
USPS_STATES = "https://www.usps.com/"
ROLE_CODES = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
SECURITY_LABELS = (
    {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R", "display": "restricted"},
    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "42CFRPart2", "display": "42 CFR Part2"},
)

STATUS_OF_OPEN = "active"
STATUS_OF_OUTCOME = {
    "reached": "completed", "enrolled": "completed", "referred": "completed", "declined": "completed",
    "no_answer": "revoked", "wrong_number": "revoked", "other": "unknown",
}
PRIORITY_OF_URGENCY = {"routine": "routine", "soon": "urgent", "urgent": "asap", "immediate": "stat"}
CHANNEL_WORDS = {"call": "call", "voicemail": "voicemail", "text": "text message"}
# The caller's relation to the person (helpline.intake.parsers.CALLER_RELATIONS) as HL7 v3 RoleCode.
RELATION_ROLES = {
    "parent": ("PRN", "parent"), "partner": ("SIGOTHR", "significant other"), "child": ("CHILD", "child"),
    "sibling": ("SIB", "sibling"), "friend": ("FRND", "unrelated friend"),
}

PERMISSION_LABELS = {"call": "May call", "voicemail": "May leave a voicemail", "text": "May send a text message"}
# Slots whose answer is typed text, not a code of ours.
FREE_TEXT_SLOTS = frozenset(q.slot for q in QUESTIONS if q.free_text)
OTHER_INSURANCE = "other:"
NONE_CODE = "none"
# FHIR's ``code`` type: no leading, trailing or doubled whitespace.
_CODE = re.compile(r"^[^\s]+( [^\s]+)*$")


def facility_urn(facility: Facility) -> str:
    """``urn:helpline:facility:<slug of the facility's name>``: the base of this facility's identifiers."""
    ascii_name = unicodedata.normalize("NFKD", facility.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return FACILITY_URN + (slug or "helpline")


def _instant(value: Any) -> Optional[str]:
    """An ISO time from the JSON view (or a datetime) as FHIR wants it: seconds and an offset (UTC)."""
    if not value:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _words(code: str) -> str:
    return code.replace("_", " ")


def _coding(system: str, code: str, display: Optional[str] = None) -> Dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _meta(**extra: Any) -> Dict[str, Any]:
    return {**extra, "security": [dict(label) for label in SECURITY_LABELS]}


class _Ids:
    """The lead's resource ids: uuid5 of the facility URN and the lead's reference, so re-exports agree."""

    def __init__(self, base: str, reference: str) -> None:
        self._namespace = uuid.uuid5(uuid.NAMESPACE_URL, base)
        self._reference = reference

    def id(self, resource_type: str) -> str:
        return str(uuid.uuid5(self._namespace, f"{self._reference}/{resource_type}"))

    def url(self, resource_type: str) -> str:
        return f"urn:uuid:{self.id(resource_type)}"


# -- Patient ---------------------------------------------------------------------------------

def _first_name(lead: Lead) -> Optional[str]:
    name = (lead.get("first_name") or "").strip()
    return name if name and name != PREFER_NOT_TO_SAY else None


def _language(lead: Lead) -> Optional[Dict[str, Any]]:
    code = lead.get("language")
    if code not in LANGUAGE_NAMES:
        return None  # stored before the language was kept: unknown, so not said
    name = LANGUAGE_NAMES[code]
    return {"coding": [_coding(BCP47, code, name)], "text": name}


def _for_loved_one(lead: Lead) -> bool:
    return lead.get("who_for") == "loved_one"


def _patient(lead: Lead, ids: _Ids, lead_system: str) -> Resource:
    patient: Resource = {
        "resourceType": "Patient",
        "id": ids.id("Patient"),
        "meta": _meta(),
        "identifier": [{"system": lead_system, "value": lead["reference"]}],
    }
    name = _first_name(lead)
    telecom = [{"system": "phone", "value": lead["phone"], "use": "mobile"}]
    if _for_loved_one(lead):
        # The name and phone are the caller's: the contact for the call back, not the patient.
        contact: Resource = {"relationship": [_relationship(lead.get("caller_relation"))], "telecom": telecom}
        if name:
            contact["name"] = {"given": [name]}
        patient["contact"] = [contact]
        return patient
    if name:
        patient["name"] = [{"given": [name]}]
    patient["telecom"] = telecom
    language = _language(lead)
    if language:
        patient["communication"] = [{"language": language, "preferred": True}]
    return patient


def _relationship(relation: Optional[str]) -> Dict[str, Any]:
    if relation in RELATION_ROLES:
        code, display = RELATION_ROLES[relation]
        return {"coding": [_coding(ROLE_CODES, code, display)],
                "text": f"caller ({labels.words('caller_relation', relation).lower()})"}
    return {"text": f"caller ({labels.words('caller_relation', relation).lower()})" if relation else "caller"}


# -- ServiceRequest --------------------------------------------------------------------------

def _status(lead: Lead) -> str:
    if lead.get("status") != "closed":
        return STATUS_OF_OPEN
    return STATUS_OF_OUTCOME.get(lead.get("outcome") or "", "unknown")


def _reasons(lead: Lead) -> List[Dict[str, Any]]:
    codes = [str(code) for code in lead.get("screening_reasons") or []]
    concepts = []
    for code, sentence in zip(codes, describe_reasons(codes), strict=True):
        concept: Dict[str, Any] = {"text": sentence}
        if _CODE.match(code):
            concept["coding"] = [_coding(CODE_URN + "screening-reason", code, sentence)]
        concepts.append(concept)
    return concepts


def _best_time(lead: Lead, facility: Facility) -> Optional[str]:
    best = lead.get("best_time")
    if not best:
        return None
    window = facility.callback_windows.get(best)
    said = labels.words("best_time", best)
    return f"Best time to call: {said} ({window}, {facility.timezone} time)." if window else f"Best time to call: {said}."


def _permissions(lead: Lead) -> str:
    permissions = lead.get("permissions") or {}
    allowed = [CHANNEL_WORDS.get(k, k) for k, v in permissions.items() if v]
    refused = [CHANNEL_WORDS.get(k, k) for k, v in permissions.items() if not v]
    if not allowed:
        return "The person gave no way to contact them."
    return f"May contact by: {', '.join(allowed)}." + (f" Not by: {', '.join(refused)}." if refused else "")


def _notes(lead: Lead, facility: Facility) -> List[Dict[str, str]]:
    notes = [_best_time(lead, facility), _permissions(lead)]
    if lead.get("language") in LANGUAGE_NAMES:
        notes.append(f"Call back in {LANGUAGE_NAMES[lead['language']]}.")
    if _for_loved_one(lead):
        relation = lead.get("caller_relation")
        who = (f"the person's {labels.words('caller_relation', relation).lower()}" if relation and relation != "other"
               else "someone who cares about the person")
        notes.append(f"Asked for by {who}: the contact on the Patient is the caller.")
    if lead.get("status") == "closed":
        outcome = lead.get("outcome")
        notes.append(f"Closed by admissions staff (outcome: {labels.words('outcome', outcome).lower()}).")
    return [{"text": text} for text in notes if text]


def _service_request(lead: Lead, facility: Facility, ids: _Ids, lead_system: str) -> Resource:
    level = lead.get("level_of_care")
    program = str(facility.raw.get("program_name") or "intensive outpatient program")
    request: Resource = {
        "resourceType": "ServiceRequest",
        "id": ids.id("ServiceRequest"),
        "meta": _meta(lastUpdated=_instant(lead.get("updated_at") or lead.get("created_at"))),
        "identifier": [{"system": lead_system, "value": lead["reference"]}],
        "status": _status(lead),
        "intent": "proposal",
        "priority": PRIORITY_OF_URGENCY.get(lead.get("urgency") or "", "routine"),
        "code": {"text": f"Admission assessment call back: {program}"},
        "subject": {"reference": ids.url("Patient")},
        "authoredOn": _instant(lead.get("created_at")),
        "supportingInfo": [{"reference": ids.url("QuestionnaireResponse"), "display": "Screening answers"}],
        "note": _notes(lead, facility),
    }
    if level:
        request["orderDetail"] = [{
            "coding": [_coding(CODE_URN + "level-of-care", level, labels.words("level_of_care", level))],
            "text": f"Level of care to discuss: {labels.words('level_of_care', level)}",
        }]
    reasons = _reasons(lead)
    if reasons:
        request["reasonCode"] = reasons
    return request


# -- QuestionnaireResponse -------------------------------------------------------------------

def _text_answer(slot: str, value: str) -> Optional[Dict[str, Any]]:
    value = value.strip()
    if not value:
        return None
    if slot == "insurance" and value.lower().startswith(OTHER_INSURANCE):
        typed = value[len(OTHER_INSURANCE):].strip()
        return {"valueString": typed} if typed else None
    if slot == "state" and re.fullmatch(r"[A-Z]{2}", value):
        return {"valueCoding": _coding(USPS_STATES, value)}
    if (slot in FREE_TEXT_SLOTS and value != PREFER_NOT_TO_SAY) or not _CODE.match(value):
        return {"valueString": value}
    return {"valueCoding": _coding(CODE_URN + slot, value, labels.answer(slot, value))}


def _answers(slot: str, value: Any) -> List[Dict[str, Any]]:
    if isinstance(value, bool):
        return [{"valueBoolean": value}]
    if isinstance(value, int):
        return [{"valueInteger": value}]
    if isinstance(value, float):
        return [{"valueDecimal": value}]
    if isinstance(value, list):
        if not value:  # the person said none ("no withdrawal signs")
            return [{"valueCoding": _coding(CODE_URN + slot, NONE_CODE, "None")}]
        return [answer for element in value for answer in _answers(slot, element)]
    if value is None:
        return []
    answer = _text_answer(slot, str(value))
    return [answer] if answer else []


def _item(slot: str, value: Any) -> Optional[Dict[str, Any]]:
    item: Dict[str, Any] = {"linkId": slot, "text": labels.question(slot)}
    if isinstance(value, Mapping):
        # A group of yes/no questions (contact permissions): each its own child item.
        children = []
        for key, choice in value.items():
            answers = _answers(slot, choice)
            if answers:
                label = PERMISSION_LABELS.get(key, _words(str(key)).capitalize())
                children.append({"linkId": f"{slot}.{key}", "text": label, "answer": answers})
        if not children:
            return None
        item["item"] = children
        return item
    answers = _answers(slot, value)
    if not answers:
        return None
    item["answer"] = answers
    return item


def _questionnaire_response(lead: Lead, ids: _Ids, base: str) -> Resource:
    answers: Mapping[str, Any] = lead.get("answers") or {}
    # The order asked (the question table), then any key an older version stored.
    slots = [s for s in ANSWER_KEYS if s in answers] + sorted(s for s in answers if s not in ANSWER_KEYS)
    items = [item for item in (_item(slot, answers[slot]) for slot in slots) if item]
    response: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": ids.id("QuestionnaireResponse"),
        "meta": _meta(),
        "questionnaire": f"{base}:questionnaire:screening",
        "status": "completed",
        "subject": {"reference": ids.url("Patient")},
        "authored": _instant(lead.get("created_at")),
    }
    if items:
        response["item"] = items
    return response


# -- the Bundle ------------------------------------------------------------------------------

def lead_bundle(lead: Lead, facility: Optional[Facility] = None) -> Resource:
    """The lead (its JSON view, ``LEADS.to_dict(record)``) as a FHIR R4 Bundle of type ``collection``."""
    facility = facility or load_facility()
    base = facility_urn(facility)
    lead_system = f"{base}:lead"
    ids = _Ids(base, str(lead["reference"]))
    resources = (
        _patient(lead, ids, lead_system),
        _service_request(lead, facility, ids, lead_system),
        _questionnaire_response(lead, ids, base),
    )
    return {
        "resourceType": "Bundle",
        "id": ids.id("Bundle"),
        "meta": _meta(lastUpdated=_instant(lead.get("updated_at") or lead.get("created_at"))),
        "identifier": {"system": lead_system, "value": lead["reference"]},
        "type": "collection",
        "entry": [{"fullUrl": ids.url(resource["resourceType"]), "resource": resource} for resource in resources],
    }


def lead_bundle_json(lead: Lead, facility: Optional[Facility] = None) -> str:
    """:func:`lead_bundle` as one line of JSON (an NDJSON line without its newline), ASCII only.

    ASCII (``\\u00e9`` for é) so that no stored character can act on a terminal
    or split the line: the same text is safe on stdout, in a file and in a download.
    """
    return json.dumps(lead_bundle(lead, facility), ensure_ascii=True, separators=(",", ":"))

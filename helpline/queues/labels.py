"""What staff read instead of the stored codes: "Higher level of care" for ``higher_level``.

The codes stay what the database, the API and the exports carry (they are
stable and other systems key on them); every staff-facing screen writes them in
words through :func:`words`. An unknown code is shown as it is, de-underscored,
so a value added later is never hidden.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Mapping, Optional

from helpline.intake.screening import REASON_TEXT

_WORDS: Dict[str, Dict[str, str]] = {
    "status": {"new": "New", "claimed": "Claimed", "closed": "Closed"},
    "urgency": {
        "immediate": "Immediate: call now",
        "urgent": "Urgent",
        "soon": "Soon",
        "routine": "Routine",
    },
    "severity": {"immediate": "Immediate", "urgent": "Urgent"},
    "level_of_care": {
        "outpatient": "Outpatient may fit",
        "iop_fit": "IOP fit",
        "higher_level": "Higher level of care (detox or inpatient first)",
    },
    "who_for": {"self": "Themself", "loved_one": "A loved one"},
    "caller_relation": {
        "parent": "Parent", "partner": "Partner", "child": "Son or daughter", "sibling": "Brother or sister",
        "friend": "Friend", "other": "Other",
    },
    "best_time": {
        "morning": "Morning", "afternoon": "Afternoon", "evening": "Evening", "anytime": "Any time",
        "asap": "As soon as possible",
    },
    "substances": {
        "alcohol": "Alcohol", "opioids": "Opioids", "benzodiazepines": "Benzodiazepines",
        "stimulants": "Stimulants", "cannabis": "Cannabis", "other": "Other",
    },
    "withdrawal_signs": {
        "seizures": "Seizures", "hallucinations": "Hallucinations", "severe_vomiting": "Severe vomiting",
        "shaking": "Shaking", "other": "Other", "none": "None",
    },
    "prior_treatment": {
        "detox": "Detox", "inpatient": "Inpatient", "outpatient": "Outpatient", "mat": "Medication (MAT)",
        "other": "Other", "none": "None",
    },
    "last_use": {
        "today": "Today", "yesterday": "Yesterday", "this week": "This week", "this month": "This month",
        "longer": "Over a month ago",
    },
    "suicide_screen": {"yes": "Yes", "no": "No", "declined": "Declined to answer", "unclear": "Unclear"},
    "insurance": {"none": "None", "self-pay": "Self-pay", "unknown": "Does not know"},
    "outcome": {
        "reached": "Reached", "no_answer": "No answer", "wrong_number": "Wrong number", "declined": "Declined",
        "referred": "Referred elsewhere", "enrolled": "Enrolled", "other": "Other",
        "no_contact_info": "No contact details", "not_a_crisis": "Not a crisis",
    },
    "attempt_outcome": {
        "reached": "Reached", "no_answer": "No answer", "left_voicemail": "Left a voicemail", "busy": "Busy",
        "wrong_number": "Wrong number", "other": "Other",
    },
    "category": {
        "suicide_self_harm": "Suicide or self-harm", "overdose": "Overdose", "medical_emergency": "Medical emergency",
        "violence_abuse": "Violence or abuse", "unspecified": "Not specified",
    },
    "channel": {"socketio": "Web chat", "rest": "Web chat", "web": "Web chat", "sms": "SMS", "twilio": "SMS"},
    "language": {"en": "English", "es": "Spanish"},
    "notification_status": {
        "pending": "Sending", "sent": "Sent", "failed": "Failed", "outbox": "In the local outbox",
        "held": "Held (page cap)", "batched": "In a summary page",
    },
}
# Screening answers keyed by slot: which vocabulary each one's values come from.
_ANSWER_VOCABULARY = {
    "suicide_wish": "suicide_screen", "suicide_thoughts": "suicide_screen", "loved_one_suicide_risk": "suicide_screen",
}
QUESTION_LABELS = {
    "who_for": "For",
    "first_name": "First name",
    "best_time": "Best time to call",
    "caller_relation": "Caller is their",
    "substances": "Substances",
    "last_use": "Last use",
    "withdrawal_signs": "Withdrawal signs",
    "suicide_wish": "Wished they were dead (past month)",
    "suicide_thoughts": "Thoughts of killing themself (past month)",
    "loved_one_suicide_risk": "Loved one at risk of suicide",
    "prior_treatment": "Prior treatment",
    "insurance": "Insurance",
    "insurance_member_id": "Member ID",
    "state": "State",
    "contact_permissions": "May contact by",
}


def words(kind: str, value: Any) -> str:
    """One code in words; a list joined with commas; ``None`` as a dash."""
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(words(kind, v) for v in value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = str(value)
    found = _WORDS.get(kind, {}).get(text)
    if found is not None:
        return found
    if kind == "insurance" and text.startswith("other: "):
        return text[len("other: "):]
    return text.replace("_", " ")


def permissions(value: Optional[Mapping[str, Any]]) -> str:
    """``{"call": True, "voicemail": False, "text": None}`` -> "Call: yes · Voicemail: no · Text: not asked"."""
    if not value:
        return "-"
    said = {True: "yes", False: "no", None: "not asked"}
    return " · ".join(f"{key.capitalize()}: {said.get(value.get(key), str(value.get(key)))}"
                      for key in ("call", "voicemail", "text") if key in value)


def answer(slot: str, value: Any) -> str:
    """A stored screening answer in words."""
    if slot == "contact_permissions" and isinstance(value, Mapping):
        return permissions(value)
    return words(_ANSWER_VOCABULARY.get(slot, slot), value)


def question(slot: str) -> str:
    return QUESTION_LABELS.get(slot, slot.replace("_", " ").capitalize())


def reasons(codes: Iterable[str]) -> list:
    """The screening's reasons as the sentences staff read."""
    return [REASON_TEXT.get(code, code.replace("_", " ")) for code in codes]


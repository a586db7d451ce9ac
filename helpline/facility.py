"""The facility's facts, loaded from ``facility.yml`` (the one place they live).

Answers name facts as ``{placeholders}``; :meth:`Facility.placeholders` supplies
their values at reply time, so editing the file changes every answer that states
a fact without retraining or editing responses.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional
from zoneinfo import ZoneInfo

import yaml

from helpline.intake.office_hours import OfficeHoursError, parse_hours, parse_window

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAY_KEYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True))

REQUIRED_KEYS = (
    "name", "phones", "address", "timezone", "helpline_hours", "office_hours",
    "program", "services", "therapies", "insurance", "crisis_lines",
    "treats", "case_management", "holidays", "referrals", "policies",
)

# Sentences of facility.yml's ``policies`` (facts the provider confirms; until then each says
# our team answers it on a call), each the placeholder ``<key>_policy``.
POLICY_KEYS = ("ages", "childcare", "transportation", "drug_testing", "court_letters")
# Facts said as written: an empty one is refused rather than read out as "None".
TEXT_FACTS = (
    "substances_treated", "holiday_helpline", "holiday_office", "low_cost_helpline_name",
    "low_cost_helpline_phone", "public_coverage_name",
) + tuple(f"{key}_policy" for key in POLICY_KEYS)


# The day parts a caller can ask to be called in (the intake's best_time), and when they
# are unless facility.yml's callbacks.windows says otherwise. Local time.
CALLBACK_WINDOWS = {"morning": "08:00-12:00", "afternoon": "12:00-17:00", "evening": "17:00-21:00"}
CALLBACK_KEYS = ("hours", "windows", "urgent_on_call", "urgent_within_minutes")
# Longest on-call promise we accept: a longer one is no promise for an urgent lead.
MAX_URGENT_WITHIN_MINUTES = 24 * 60


class FacilityConfigError(ValueError):
    """The facility file is missing a fact or holds one we cannot use."""


def _clock(hhmm: str) -> str:
    hour, minute = (int(part) for part in hhmm.split(":"))
    suffix = "AM" if hour < 12 else "PM"
    return f"{(hour % 12) or 12}:{minute:02d} {suffix}"


def parse_span(span: str) -> tuple[str, str]:
    """``"08:00-16:00"`` -> ``("08:00", "16:00")``, checked."""
    try:
        start, end = (part.strip() for part in span.split("-"))
        for part in (start, end):
            hour, minute = (int(x) for x in part.split(":"))
            if not (0 <= hour <= 24 and 0 <= minute < 60):
                raise ValueError(part)
    except ValueError as exc:
        raise FacilityConfigError(f"office_hours: cannot read {span!r}; write it like 08:00-16:00") from exc
    return start, end


def describe_office_hours(office_hours: Mapping[str, str]) -> str:
    """Group consecutive days with the same hours: 'Monday to Friday, 8:00 AM to 4:00 PM'."""
    groups: list[tuple[list[str], str]] = []
    for day in DAY_KEYS:
        span = office_hours.get(day)
        if not span:
            continue
        start, end = parse_span(span)
        text = f"{_clock(start)} to {_clock(end)}"
        previous = groups[-1] if groups else None
        if previous and previous[1] == text and DAY_KEYS.index(previous[0][-1]) == DAY_KEYS.index(day) - 1:
            previous[0].append(day)
        else:
            groups.append(([day], text))
    parts = []
    for days, text in groups:
        label = DAY_NAMES[days[0]] if len(days) == 1 else f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
        parts.append(f"{label}, {text}")
    return "; ".join(parts) if parts else "by appointment"


def _service_phrases(services: Mapping[str, Any], name: str) -> Dict[str, str]:
    detox = services.get("detox")
    if detox is True:
        detox_offer = f"{name} offers medically supervised detox, and you can step down into IOP afterwards."
    elif detox == "referral":
        detox_offer = "We can refer you to medical detox nearby and plan your move into IOP afterwards."
    else:
        detox_offer = "We can help you find medical detox before you start IOP."
    if services.get("inpatient"):
        inpatient_offer = f"{name} offers both inpatient and outpatient care, so you can stay with us as you move between levels."
    else:
        inpatient_offer = "If you need inpatient care first, we can help you find a program and plan your step down into IOP."
    if services.get("virtual_iop"):
        virtual_offer = "Yes: you can attend IOP virtually from home, if your assessment shows it fits."
    else:
        virtual_offer = f"{name}'s IOP meets in person; ask us about options if travel is hard for you."
    virtual_alternative = "Virtual IOP from home may also be an option." if services.get("virtual_iop") else ""
    return {
        "detox_offer": detox_offer, "inpatient_offer": inpatient_offer, "virtual_offer": virtual_offer,
        "virtual_alternative": virtual_alternative,
    }


def _case_management_phrases(case_management: Mapping[str, Any]) -> Dict[str, str]:
    if case_management.get("medication_assisted_treatment"):
        mat = "A case manager helps coordinate medication-assisted treatment with the rest of your care."
    else:
        mat = "Our team can tell you on a call how your medication fits with the program."
    if case_management.get("drug_court"):
        court = "A case manager can help you navigate drug court as part of your care."
    else:
        court = "Our team can tell you on a call how we work with courts and probation."
    return {"mat_coordination": mat, "court_support": court}


@dataclass(frozen=True)
class Facility:
    raw: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.raw["name"])

    @property
    def timezone(self) -> str:
        return str(self.raw["timezone"])

    @property
    def office_hours(self) -> Mapping[str, str]:
        return dict(self.raw["office_hours"] or {})

    @property
    def helpline_phone(self) -> str:
        return str(self.raw["phones"]["helpline"])

    @property
    def _callbacks(self) -> Mapping[str, Any]:
        return self.raw.get("callbacks") or {}

    @property
    def callback_hours(self) -> Mapping[str, str]:
        """When staff return calls (office_hours format); the office hours unless set. Empty: no set hours."""
        hours = self._callbacks.get("hours")
        return self.office_hours if hours is None else dict(hours)

    @property
    def callback_windows(self) -> Mapping[str, str]:
        """``{"morning": "08:00-12:00", "afternoon": ..., "evening": ...}``: the defaults, overridden per day part."""
        return {**CALLBACK_WINDOWS, **(self._callbacks.get("windows") or {})}

    @property
    def urgent_on_call(self) -> bool:
        """Urgent leads alert on-call staff at any hour. False unless the facility says so: we promise nothing it does not keep."""
        return self._callbacks.get("urgent_on_call") is True

    @property
    def urgent_within_minutes(self) -> Optional[int]:
        """Minutes within which on-call staff WILL call an urgent lead back, or None when the facility states no time."""
        minutes = self._callbacks.get("urgent_within_minutes")
        return None if minutes is None else int(minutes)

    def placeholders(self) -> Dict[str, str]:
        """Every fact an answer may name, as text."""
        raw = self.raw
        address = raw["address"]
        program = raw["program"]
        insurance = raw["insurance"]
        therapies = [str(t) for t in raw["therapies"]]
        values: Dict[str, Any] = {
            "facility_name": self.name,
            "program_name": raw.get("program_name", "Intensive Outpatient Program (IOP)"),
            "helpline_phone": self.helpline_phone,
            "office_phone": raw["phones"].get("office", self.helpline_phone),
            "address": f"{address['street']}, {address['city']}, {address['state']} {address['postal_code']}",
            "city": address["city"],
            "helpline_hours": raw["helpline_hours"],
            "office_hours": describe_office_hours(self.office_hours),
            "timezone_label": self.timezone.split("/")[-1].replace("_", " ") + " time",
            "hours_per_week_min": program["hours_per_week_min"],
            "hours_per_week_max": program["hours_per_week_max"],
            "days_per_week_min": program["days_per_week_min"],
            "days_per_week_max": program["days_per_week_max"],
            "typical_length": program["typical_length"],
            "length_range": program["length_range"],
            "evening_groups": program["evening_groups"],
            "therapies": ", ".join(therapies[:-1]) + f" and {therapies[-1]}" if len(therapies) > 1 else "".join(therapies),
            "insurance_accepted": insurance["accepted"],
            "insurance_verification": insurance["verification"],
            "payment_plans": insurance["payment_plans"],
        }
        values.update(_service_phrases(raw["services"], self.name))
        values.update(_case_management_phrases(raw["case_management"] or {}))
        referrals = raw["referrals"]
        values.update(
            substances_treated=raw["treats"],
            holiday_helpline=raw["holidays"]["helpline"],
            holiday_office=raw["holidays"]["office"],
            low_cost_helpline_name=referrals["national_helpline"]["name"],
            low_cost_helpline_phone=referrals["national_helpline"]["phone"],
            low_cost_helpline_about=referrals["national_helpline"]["description"],
            public_coverage_name=referrals["public_coverage"]["name"],
            public_coverage_about=referrals["public_coverage"]["description"],
        )
        policies = raw["policies"]
        values.update({f"{key}_policy": policies[key] for key in POLICY_KEYS})
        crisis = raw["crisis_lines"]
        values.update(
            emergency_number=crisis["emergency"],
            lifeline_number=crisis["lifeline"],
            lifeline_chat=crisis["lifeline_chat"],
            lifeline_chat_es=crisis.get("lifeline_chat_es", crisis["lifeline_chat"]),
            poison_control_number=crisis["poison_control"],
            treatment_referral_number=crisis["treatment_referral"],
            domestic_violence_number=crisis["domestic_violence"],
        )
        return {key: str(value) for key, value in values.items()}


def parse_facility(data: Mapping[str, Any]) -> Facility:
    if not isinstance(data, Mapping):
        raise FacilityConfigError("the facility file must be a mapping of facts")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise FacilityConfigError(f"the facility file lacks: {', '.join(missing)}")
    try:
        ZoneInfo(str(data["timezone"]))
    except Exception as exc:  # zoneinfo raises several types for a bad key
        raise FacilityConfigError(f"unknown time zone {data['timezone']!r}") from exc
    _check_callbacks(data.get("callbacks"))
    facility = Facility(raw=data)
    try:
        facts = facility.placeholders()
    except (KeyError, TypeError) as exc:
        raise FacilityConfigError(f"the facility file lacks a fact: {exc}") from exc
    empty = [key for key in TEXT_FACTS if facts[key].strip() in ("", "None")]
    if empty:
        raise FacilityConfigError(
            f"the facility file leaves empty: {', '.join(empty)}; "
            "write the provider's fact, or a sentence saying our team answers it on a call"
        )
    return facility


def _check_callbacks(callbacks: Any) -> None:
    """Refuse a ``callbacks`` section we could not keep our word with (it is optional)."""
    if callbacks is None:
        return
    if not isinstance(callbacks, Mapping):
        raise FacilityConfigError("callbacks: must be a mapping (hours, windows, urgent_on_call, urgent_within_minutes)")
    unknown = sorted(set(callbacks) - set(CALLBACK_KEYS))
    if unknown:
        raise FacilityConfigError(f"callbacks: unknown key(s) {', '.join(map(str, unknown))}; use {', '.join(CALLBACK_KEYS)}")
    if callbacks.get("hours") is not None:
        _check_callback_hours(callbacks["hours"])
    if callbacks.get("windows") is not None:
        _check_callback_windows(callbacks["windows"])
    _check_urgent(callbacks)


def _check_callback_hours(hours: Any) -> None:
    if not isinstance(hours, Mapping):
        raise FacilityConfigError('callbacks.hours: must map days to spans, like {mon: "08:00-16:00"}; omit it to use office_hours')
    try:
        parse_hours(hours, "callbacks.hours")
    except OfficeHoursError as exc:
        raise FacilityConfigError(str(exc)) from exc


def _check_callback_windows(windows: Any) -> None:
    if not isinstance(windows, Mapping):
        raise FacilityConfigError('callbacks.windows: must map day parts to spans, like {evening: "17:00-21:00"}')
    unknown = sorted(set(windows) - set(CALLBACK_WINDOWS))
    if unknown:
        raise FacilityConfigError(
            f"callbacks.windows: unknown day part(s) {', '.join(map(str, unknown))}; use {', '.join(CALLBACK_WINDOWS)}"
        )
    for name, span in windows.items():
        try:
            parse_window(str(span), f"callbacks.windows.{name}")
        except OfficeHoursError as exc:
            raise FacilityConfigError(str(exc)) from exc


def _check_urgent(callbacks: Mapping[str, Any]) -> None:
    if not isinstance(callbacks.get("urgent_on_call", False), bool):
        raise FacilityConfigError("callbacks.urgent_on_call: write true or false")
    minutes = callbacks.get("urgent_within_minutes")
    if minutes is None:
        return
    # bool is an int in Python: "true" is not a number of minutes.
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_URGENT_WITHIN_MINUTES:
        raise FacilityConfigError(
            f"callbacks.urgent_within_minutes: {minutes!r} is not a number of minutes from 1 to "
            f"{MAX_URGENT_WITHIN_MINUTES}; leave it null unless someone will call back within that time"
        )
    if callbacks.get("urgent_on_call") is not True:
        raise FacilityConfigError("callbacks.urgent_within_minutes: needs urgent_on_call: true (who else would call back?)")


def load_facility(path: Optional[Path] = None) -> Facility:
    if path is None:
        from helpline.settings import load_settings

        path = load_settings().facility_file
    return _load_cached(Path(path).resolve(), Path(path).stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load_cached(path: Path, _mtime_ns: int) -> Facility:
    # Keyed by mtime so an edited file is re-read without restarting the process.
    with path.open(encoding="utf-8") as handle:
        try:
            data = yaml.safe_load(handle)
        except yaml.YAMLError as exc:
            raise FacilityConfigError(f"{path.name} is not valid YAML: {exc}") from exc
    return parse_facility(data)

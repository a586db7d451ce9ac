"""The facility's facts, loaded from ``facility.yml`` (the one place they live).

Answers name facts as ``{placeholders}``; :meth:`Facility.placeholders` supplies
their values at reply time, so editing the file changes every answer that states
a fact without retraining or editing responses.

Facts said in words (the prose facts, :data:`PROSE_FACTS`) have a translation per
language in the file's ``translations`` section; numbers, phones, addresses and
names are written once and said as they are in every language. The sentences
composed from facts (offers, hours, lists) are worded in
``helpline/messages/<language>.yml`` under ``facility`` and ``time``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo

import yaml

from helpline import messages
from helpline.intake.office_hours import DAY_KEYS, OfficeHoursError, format_clock, parse_hours, parse_window

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

# Where facility.yml keeps the facts said in words: each needs a translation under
# ``translations.<language>`` at the same path (therapies: a list, item by item) once the
# file translates into that language. Nothing else may be translated: one place per fact.
PROSE_FACTS: Tuple[Tuple[str, ...], ...] = (
    ("program_name",),
    ("helpline_hours",),
    ("program", "typical_length"),
    ("program", "length_range"),
    ("program", "evening_groups"),
    ("therapies",),
    ("insurance", "accepted"),
    ("insurance", "verification"),
    ("insurance", "payment_plans"),
    ("treats",),
    ("holidays", "helpline"),
    ("holidays", "office"),
    ("referrals", "national_helpline", "description"),
    ("referrals", "public_coverage", "description"),
    *(("policies", key) for key in POLICY_KEYS),
)


# The day parts a caller can ask to be called in (the intake's best_time), and when they
# are unless facility.yml's callbacks.windows says otherwise. Local time.
CALLBACK_WINDOWS = {"morning": "08:00-12:00", "afternoon": "12:00-17:00", "evening": "17:00-21:00"}
CALLBACK_KEYS = ("hours", "windows", "urgent_on_call", "urgent_within_minutes")
# Longest on-call promise we accept: a longer one is no promise for an urgent lead.
MAX_URGENT_WITHIN_MINUTES = 24 * 60
SPANISH_STAFF_KEYS = ("available", "hours")


class FacilityConfigError(ValueError):
    """The facility file is missing a fact or holds one we cannot use."""


def _clock(hhmm: str, language: str) -> str:
    hour, minute = (int(part) for part in hhmm.split(":"))
    if hour == 24:
        return messages.text("time.midnight", language=language)
    return format_clock(time(hour, minute), language)


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


def describe_office_hours(office_hours: Mapping[str, str], language: str = messages.DEFAULT_LANGUAGE) -> str:
    """Group consecutive days with the same hours: 'Monday to Friday, 8:00 AM to 4:00 PM'."""
    groups: list[tuple[list[str], str]] = []
    for day in DAY_KEYS:
        span = office_hours.get(day)
        if not span:
            continue
        start, end = parse_span(span)
        text = messages.text(
            "facility.office_hours.hours", start=_clock(start, language), end=_clock(end, language), language=language
        )
        previous = groups[-1] if groups else None
        if previous and previous[1] == text and DAY_KEYS.index(previous[0][-1]) == DAY_KEYS.index(day) - 1:
            previous[0].append(day)
        else:
            groups.append(([day], text))
    if not groups:
        return messages.text("facility.office_hours.by_appointment", language=language)
    weekly = messages.table("facility.office_hours.weekly", language=language)
    names = messages.table("time.days", language=language)
    parts = []
    for days, text in groups:
        label = weekly[days[0]] if len(days) == 1 else messages.text(
            "facility.office_hours.days", first=names[days[0]], last=names[days[-1]], language=language
        )
        parts.append(messages.text("facility.office_hours.day_hours", days=label, hours=text, language=language))
    return "; ".join(parts)


def _joined(items: list[str], language: str) -> str:
    """"a, b and c"."""
    if len(items) < 2:
        return "".join(items)
    return messages.text("facility.list_and", items=", ".join(items[:-1]), last=items[-1], language=language)


def _service_phrases(services: Mapping[str, Any], name: str, language: str) -> Dict[str, str]:
    detox = services.get("detox")
    if detox is True:
        detox_offer = messages.text("facility.detox_offer.onsite", facility_name=name, language=language)
    elif detox == "referral":
        detox_offer = messages.text("facility.detox_offer.referral", language=language)
    else:
        detox_offer = messages.text("facility.detox_offer.elsewhere", language=language)
    inpatient = bool(services.get("inpatient"))
    virtual = bool(services.get("virtual_iop"))
    return {
        "detox_offer": detox_offer,
        "inpatient_offer": messages.text(
            "facility.inpatient_offer.offered" if inpatient else "facility.inpatient_offer.elsewhere",
            facility_name=name, language=language,
        ),
        "virtual_offer": messages.text(
            "facility.virtual_offer.offered" if virtual else "facility.virtual_offer.in_person",
            facility_name=name, language=language,
        ),
        "virtual_alternative": messages.text("facility.virtual_alternative", language=language) if virtual else "",
    }


def _case_management_phrases(case_management: Mapping[str, Any], language: str) -> Dict[str, str]:
    mat = bool(case_management.get("medication_assisted_treatment"))
    court = bool(case_management.get("drug_court"))
    return {
        "mat_coordination": messages.text(
            "facility.mat_coordination.offered" if mat else "facility.mat_coordination.on_a_call", language=language
        ),
        "court_support": messages.text(
            "facility.court_support.offered" if court else "facility.court_support.on_a_call", language=language
        ),
    }


def _path(data: Mapping[str, Any], path: Tuple[str, ...]) -> Any:
    """The value at ``path`` in nested mappings, or None when any step is missing."""
    node: Any = data
    for step in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(step)
    return node


def _with_translation(raw: Mapping[str, Any], translation: Mapping[str, Any]) -> Dict[str, Any]:
    """The facts with each prose fact replaced by its translation (checked at load to hold nothing else)."""
    merged: Dict[str, Any] = copy.deepcopy(dict(raw))
    for path in PROSE_FACTS:
        value = _path(translation, path)
        if value is None:
            continue
        node = merged
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
    return merged


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

    @property
    def _spanish_staff(self) -> Mapping[str, Any]:
        return _path(self.raw, ("languages", "spanish_staff")) or {}

    @property
    def spanish_staff_available(self) -> bool:
        """Someone who speaks Spanish can call a caller back. False unless the file says so: we promise nothing it does not keep."""
        return self._spanish_staff.get("available") is True

    @property
    def spanish_staff_hours(self) -> Mapping[str, str]:
        """When a Spanish-speaking staff member can call (office_hours format; the office hours unless set); empty when nobody can."""
        if not self.spanish_staff_available:
            return {}
        hours = self._spanish_staff.get("hours")
        return self.office_hours if hours is None else dict(hours)

    @property
    def translations(self) -> Mapping[str, Mapping[str, Any]]:
        """The prose facts per language (``{"es": {...}}``), at the same paths as the English ones."""
        return dict(self.raw.get("translations") or {})

    def placeholders(self, language: Optional[str] = messages.DEFAULT_LANGUAGE) -> Dict[str, str]:
        """Every fact an answer may name, as text, in ``language`` ("en", "es"; one without wording is English).

        A language the file has no translations for says the prose facts in English.
        """
        language = messages.resolve(language)
        translation = self.translations.get(language)
        raw = _with_translation(self.raw, translation) if translation else self.raw
        address = raw["address"]
        program = raw["program"]
        insurance = raw["insurance"]
        therapies = [str(t) for t in raw["therapies"]]
        values: Dict[str, Any] = {
            "facility_name": self.name,
            "program_name": raw.get("program_name") or messages.text("facility.program_name", language=language),
            "helpline_phone": self.helpline_phone,
            "office_phone": raw["phones"].get("office", self.helpline_phone),
            "address": f"{address['street']}, {address['city']}, {address['state']} {address['postal_code']}",
            "city": address["city"],
            "helpline_hours": raw["helpline_hours"],
            "office_hours": describe_office_hours(self.office_hours, language),
            "timezone_label": messages.text(
                "facility.timezone_label", zone=self.timezone.split("/")[-1].replace("_", " "), language=language
            ),
            "hours_per_week_min": program["hours_per_week_min"],
            "hours_per_week_max": program["hours_per_week_max"],
            "days_per_week_min": program["days_per_week_min"],
            "days_per_week_max": program["days_per_week_max"],
            "typical_length": program["typical_length"],
            "length_range": program["length_range"],
            "evening_groups": program["evening_groups"],
            "therapies": _joined(therapies, language),
            "insurance_accepted": insurance["accepted"],
            "insurance_verification": insurance["verification"],
            "payment_plans": insurance["payment_plans"],
        }
        values.update(_service_phrases(raw["services"], self.name, language))
        values.update(_case_management_phrases(raw["case_management"] or {}, language))
        values["spanish_staff"] = self._spanish_staff_sentence(language)
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

    def _spanish_staff_sentence(self, language: str) -> str:
        if not self.spanish_staff_available:
            return messages.text("facility.spanish_staff.not_available", language=language)
        hours = describe_office_hours(self.spanish_staff_hours, language)
        return messages.text("facility.spanish_staff.available", hours=hours, language=language)


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
    _check_languages(data)
    _check_admissions(data)
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
    _check_translations(data)
    return facility


def _check_languages(data: Mapping[str, Any]) -> None:
    """Refuse a ``languages`` section (optional) that would make us promise a Spanish speaker we may not have."""
    languages = data.get("languages")
    if languages is None:
        return
    if not isinstance(languages, Mapping) or set(languages) - {"spanish_staff"}:
        raise FacilityConfigError("languages: must be a mapping with spanish_staff: {available: true|false, hours: {...}}")
    staff = languages.get("spanish_staff")
    if not isinstance(staff, Mapping):
        raise FacilityConfigError("languages.spanish_staff: must be a mapping like {available: true, hours: {mon: \"08:00-16:00\"}}")
    unknown = sorted(set(staff) - set(SPANISH_STAFF_KEYS))
    if unknown:
        raise FacilityConfigError(f"languages.spanish_staff: unknown key(s) {', '.join(map(str, unknown))}; use available, hours")
    if not isinstance(staff.get("available"), bool):
        raise FacilityConfigError("languages.spanish_staff.available: write true or false")
    hours = staff.get("hours")
    if hours is not None:
        _check_hours(hours, "languages.spanish_staff.hours")
    if staff["available"] and not (data["office_hours"] if hours is None else hours):
        raise FacilityConfigError(
            "languages.spanish_staff.hours: say when Spanish-speaking staff can call (the office hours are empty)"
        )


def _check_translations(data: Mapping[str, Any]) -> None:
    """Each language in ``translations`` translates every prose fact and nothing else."""
    translations = data.get("translations")
    if translations is None:
        return
    if not isinstance(translations, Mapping):
        raise FacilityConfigError("translations: must map languages to facts, like {es: {treats: ...}}")
    for language, facts in translations.items():
        where = f"translations.{language}"
        if language == messages.DEFAULT_LANGUAGE or language not in messages.languages():
            raise FacilityConfigError(
                f"{where}: the helpline has no wording in {language!r}; languages: "
                f"{', '.join(lang for lang in messages.languages() if lang != messages.DEFAULT_LANGUAGE)}"
            )
        if not isinstance(facts, Mapping):
            raise FacilityConfigError(f"{where}: must map facts to their translation, at the same paths as above")
        for path in _leaf_paths(facts):
            if path not in PROSE_FACTS:
                raise FacilityConfigError(
                    f"{where}.{'.'.join(path)}: not a fact said in words; numbers, phones, addresses and "
                    "names are written once, above, and said as they are in every language"
                )
        for path in PROSE_FACTS:
            _check_translated(data, facts, path, where)
        try:
            Facility(raw=data).placeholders(language)
        except (KeyError, TypeError, ValueError) as exc:
            raise FacilityConfigError(f"{where}: cannot be used: {exc}") from exc


def _leaf_paths(node: Mapping[str, Any], prefix: Tuple[str, ...] = ()) -> Iterator[Tuple[str, ...]]:
    for name, child in node.items():
        path = (*prefix, str(name))
        if isinstance(child, Mapping) and path not in PROSE_FACTS:
            yield from _leaf_paths(child, path)
        else:
            yield path


def _check_translated(data: Mapping[str, Any], facts: Mapping[str, Any], path: Tuple[str, ...], where: str) -> None:
    english, translated = _path(data, path), _path(facts, path)
    if english is None:
        return  # an optional fact the file leaves out (program_name): nothing to translate
    name = ".".join(path)
    if isinstance(english, list):
        if not (isinstance(translated, list) and len(translated) == len(english)
                and all(isinstance(item, str) and item.strip() for item in translated)):
            raise FacilityConfigError(
                f"{where}.{name}: write the translation of {name} as a list of {len(english)}, item by item"
            )
    elif not (isinstance(translated, str) and translated.strip()):
        raise FacilityConfigError(f"{where}.{name}: missing; write the translation of {name}")


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


def _check_hours(hours: Any, path: str, hint: str = "") -> None:
    """Days mapped to spans, like office_hours; ``hint`` ends the message when they are not."""
    if not isinstance(hours, Mapping):
        raise FacilityConfigError(f'{path}: must map days to spans, like {{mon: "08:00-16:00"}}{hint}')
    try:
        parse_hours(hours, path)
    except OfficeHoursError as exc:
        raise FacilityConfigError(str(exc)) from exc


def _check_callback_hours(hours: Any) -> None:
    _check_hours(hours, "callbacks.hours", "; omit it to use office_hours")


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


def _check_admissions(data: Mapping[str, Any]) -> None:
    """Refuse a file whose admissions or integrations section the console and jobs could not follow."""
    from helpline.admissions import AdmissionsConfigError, parse_rules

    try:
        parse_rules(data)
    except AdmissionsConfigError as exc:
        raise FacilityConfigError(str(exc)) from exc


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

"""How admissions staff work the queues and where leads go besides the console, from facility.yml.

Two optional sections of the facility file, read here so that the console, the
every-minute job and the exports share one reading of them:

``admissions``
    ``max_call_attempts``: unanswered calls ("no answer", "left voicemail", "busy")
    after which a lead closes itself with outcome ``no_answer``;
    ``claim_targets_minutes``: how long a new lead (by urgency) or crisis follow-up
    (``crisis``) may wait unclaimed before the console shows it overdue and the
    every-minute job alerts staff again; ``office_hours_only``: the urgencies whose
    clock runs only while the office is open (a routine lead left at 2 a.m. is not
    late at 7 a.m. when the office opens at 8); ``escalation``: after how many
    re-alerts the escalation contact hears too, and who that is.

``integrations``
    ``webhook`` (signed POSTs on lead created and updated) and ``fhir_export``
    (``helpline export --format fhir``). Both off by default: a provider turns
    them on for the system they connect. Secrets (the webhook's signing key)
    come from the environment, never from this file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from helpline.intake.screening import URGENCIES
from helpline.phone import normalize_phone

CRISIS_TARGET = "crisis"
TARGET_KEYS = (*URGENCIES, CRISIS_TARGET)
DEFAULT_TARGETS: Dict[str, int] = {"immediate": 5, "urgent": 15, "soon": 120, "routine": 240, CRISIS_TARGET: 5}
DEFAULT_OFFICE_HOURS_ONLY: Tuple[str, ...] = ("soon", "routine")
DEFAULT_MAX_CALL_ATTEMPTS = 3
DEFAULT_ESCALATE_AFTER = 1
DEFAULT_WEBHOOK_ATTEMPTS = 8
MAX_MINUTES = 7 * 24 * 60

ADMISSIONS_KEYS = ("max_call_attempts", "claim_targets_minutes", "office_hours_only", "escalation")
ESCALATION_KEYS = ("after_realerts", "contact")
INTEGRATION_KEYS = ("webhook", "fhir_export")
WEBHOOK_KEYS = ("enabled", "url", "max_attempts")
FHIR_KEYS = ("enabled",)


class AdmissionsConfigError(ValueError):
    """The facility file's admissions or integrations section cannot be used; the message says where."""


@dataclass(frozen=True)
class WebhookConfig:
    enabled: bool = False
    url: Optional[str] = None
    max_attempts: int = DEFAULT_WEBHOOK_ATTEMPTS


@dataclass(frozen=True)
class AdmissionsRules:
    max_call_attempts: int = DEFAULT_MAX_CALL_ATTEMPTS
    claim_targets: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_TARGETS))
    office_hours_only: Tuple[str, ...] = DEFAULT_OFFICE_HOURS_ONLY
    escalate_after_realerts: int = DEFAULT_ESCALATE_AFTER
    # E.164 numbers; empty = escalations go to the staff alert numbers (HELPLINE_STAFF_SMS_TO).
    escalation_contacts: Tuple[str, ...] = ()
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    fhir_export: bool = False

    def target_minutes(self, target: str) -> int:
        """The claim target of an urgency, or of ``crisis``."""
        return int(self.claim_targets[target])


def _mapping(value: Any, path: str, keys: Tuple[str, ...]) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AdmissionsConfigError(f"{path}: must be a mapping ({', '.join(keys)})")
    unknown = sorted(map(str, set(value) - set(keys)))
    if unknown:
        raise AdmissionsConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; use {', '.join(keys)}")
    return value


def _whole(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise AdmissionsConfigError(f"{path}: {value!r} is not a whole number from {low} to {high}")
    return value


def _flag(value: Any, path: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise AdmissionsConfigError(f"{path}: write true or false")
    return value


def _contacts(value: Any) -> Tuple[str, ...]:
    if value in (None, "", []):
        return ()
    raw = [value] if isinstance(value, str) else value
    if not isinstance(raw, list):
        raise AdmissionsConfigError("admissions.escalation.contact: a phone number or a list of them")
    numbers = []
    for item in raw:
        number = normalize_phone(str(item))
        if number is None:
            raise AdmissionsConfigError(f"admissions.escalation.contact: {item!r} is not a phone number")
        numbers.append(number)
    return tuple(numbers)


def _webhook(value: Any) -> WebhookConfig:
    section = _mapping(value, "integrations.webhook", WEBHOOK_KEYS)
    enabled = _flag(section.get("enabled"), "integrations.webhook.enabled")
    url = section.get("url") or None
    if url is not None and (not isinstance(url, str) or not url.startswith(("https://", "http://"))):
        raise AdmissionsConfigError("integrations.webhook.url: an http(s) URL")
    if enabled and url is None:
        raise AdmissionsConfigError("integrations.webhook: enabled needs a url")
    attempts = _whole(section.get("max_attempts", DEFAULT_WEBHOOK_ATTEMPTS), "integrations.webhook.max_attempts", 1, 50)
    return WebhookConfig(enabled=enabled, url=url, max_attempts=attempts)


def parse_rules(data: Mapping[str, Any]) -> AdmissionsRules:
    """The rules in a facility file's data; the defaults for what it leaves out."""
    admissions = _mapping(data.get("admissions"), "admissions", ADMISSIONS_KEYS)
    attempts = _whole(admissions.get("max_call_attempts", DEFAULT_MAX_CALL_ATTEMPTS),
                      "admissions.max_call_attempts", 1, 20)
    given = _mapping(admissions.get("claim_targets_minutes"), "admissions.claim_targets_minutes", TARGET_KEYS)
    targets = dict(DEFAULT_TARGETS)
    for key, minutes in given.items():
        targets[key] = _whole(minutes, f"admissions.claim_targets_minutes.{key}", 1, MAX_MINUTES)
    office_only = admissions.get("office_hours_only", list(DEFAULT_OFFICE_HOURS_ONLY))
    if not isinstance(office_only, list) or any(u not in URGENCIES for u in office_only):
        raise AdmissionsConfigError(f"admissions.office_hours_only: a list of urgencies ({', '.join(URGENCIES)})")
    escalation = _mapping(admissions.get("escalation"), "admissions.escalation", ESCALATION_KEYS)
    after = _whole(escalation.get("after_realerts", DEFAULT_ESCALATE_AFTER), "admissions.escalation.after_realerts", 0, 10)
    integrations = _mapping(data.get("integrations"), "integrations", INTEGRATION_KEYS)
    fhir = _mapping(integrations.get("fhir_export"), "integrations.fhir_export", FHIR_KEYS)
    return AdmissionsRules(
        max_call_attempts=attempts,
        claim_targets=targets,
        office_hours_only=tuple(office_only),
        escalate_after_realerts=after,
        escalation_contacts=_contacts(escalation.get("contact")),
        webhook=_webhook(integrations.get("webhook")),
        fhir_export=_flag(fhir.get("enabled"), "integrations.fhir_export.enabled"),
    )


def load_rules(path: Any = None) -> AdmissionsRules:
    """The configured facility file's rules (re-read when the file changes, as the facts are)."""
    from helpline.facility import load_facility

    return parse_rules(load_facility(path).raw)

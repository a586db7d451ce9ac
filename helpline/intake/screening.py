"""Screening: how soon staff should call back, and which level of care to discuss.

This is triage for a callback queue, not a diagnosis: it decides the order in
which admissions staff call people back and flags who likely needs medically
managed withdrawal before IOP. Staff make the clinical call on the phone.

Input is the intake answers as parsed by :mod:`helpline.intake.parsers`
(``substances``, ``last_use``, ``withdrawal_signs``, ``prior_treatment``, and
the suicide-risk screen: ``suicide_wish``, ``suicide_thoughts``,
``loved_one_suicide_risk``). Missing answers are treated as unknown, never as
"none".

Rules, applied in order; each may raise urgency (routine < soon < urgent <
immediate) or level of care, never lower them, except R7, which only applies
when no other rule fired. Every rule that fires adds its reason code.

R0 ``suicide_screen_positive``: "yes" to a suicide-risk screen question (C-SSRS
   Screener item 1 or 2, or our adapted question about a loved one) ->
   immediate. The conversation also got the 988/911 answer and a crisis flag.
R0b ``crisis_follow_up``: the callback was asked for on the crisis path (after
   a crisis answer), not through the intake -> immediate.
R0c ``suicide_screen_unclear``: a screen question still not answered clearly
   when asked a second time -> at least soon; staff ask on the call. A declined
   answer ("prefer not to say") is the person's choice and raises nothing.
R1 ``danger_withdrawal_signs``: seizures, hallucinations or severe vomiting
   -> urgent, higher_level (medically managed detox first).
R2 ``alcohol_benzo_withdrawal``: shaking with alcohol or benzodiazepine use
   that is recent (this week or sooner) or of unknown date -> urgent,
   higher_level. Withdrawal from these two can be fatal without medical care.
R3 ``recent_opioid_use``: opioids used today or yesterday -> at least soon
   (overdose risk is highest now; staff can talk about naloxone and MAT).
R4 ``depressant_combination``: two or more of alcohol, opioids and
   benzodiazepines, used this week or sooner -> at least soon.
R5 ``withdrawal_symptoms``: any other withdrawal sign (shaking with other
   substances, sweats, nausea...) -> at least soon.
R6 ``recent_use``: any use today or yesterday -> at least soon; a person in
   active use who reached out is best called while they are ready.
R7 ``no_recent_use_after_treatment``: last use longer than a month ago, some
   prior treatment, and no withdrawal signs -> outpatient may fit (routine).
Otherwise ``iop_fit`` / ``routine`` with reason ``default``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, List, Mapping, Optional, Set

from helpline.intake.questions import SUICIDE_SCREEN

# Least to most pressing. "immediate" (revision 0009): a positive suicide-risk
# screen or a callback from the crisis path; staff call these first.
URGENCIES = ("routine", "soon", "urgent", "immediate")
LEVELS_OF_CARE = ("outpatient", "iop_fit", "higher_level")

DANGER_SIGNS = frozenset({"seizures", "hallucinations", "severe_vomiting"})
# Withdrawal from these can be medically dangerous (seizures, delirium).
SEDATIVES = frozenset({"alcohol", "benzodiazepines"})
DEPRESSANTS = frozenset({"alcohol", "opioids", "benzodiazepines"})
LAST_DAY_OR_TWO = frozenset({"today", "yesterday"})
THIS_WEEK_OR_SOONER = frozenset({"today", "yesterday", "this week"})
# Prior-treatment values that count as treatment (mutual-help meetings alone do not).
TREATMENTS = frozenset({"detox", "inpatient", "outpatient", "mat"})
# The suicide-risk screen's answers: the questions marked suicide_screen in helpline.intake.questions.
SUICIDE_SCREEN_KEYS = SUICIDE_SCREEN

REASON_TEXT = {
    "suicide_screen_positive": "Suicide screen positive: call first (the person was given 988/911 and a crisis flag was raised).",
    "crisis_follow_up": "Callback asked for after a crisis answer: call first.",
    "suicide_screen_unclear": "Suicide screen answer unclear: ask on the call.",
    "danger_withdrawal_signs": "Danger signs of withdrawal reported (seizures, hallucinations or severe vomiting).",
    "alcohol_benzo_withdrawal": "Shaking with recent alcohol or benzodiazepine use: risk of dangerous withdrawal.",
    "recent_opioid_use": "Opioid use in the last day or two: overdose risk.",
    "depressant_combination": "Recent use of more than one of alcohol, opioids, benzodiazepines.",
    "withdrawal_symptoms": "Withdrawal symptoms reported.",
    "recent_use": "Used today or yesterday.",
    "no_recent_use_after_treatment": "No use for over a month after prior treatment: outpatient may fit.",
    "default": "No risk flags in the answers.",
}


@dataclass(frozen=True)
class Screening:
    urgency: str
    level_of_care: str
    reasons: List[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _as_set(value: Any) -> Set[str]:
    """Answers arrive as lists from the parsers, but a slot may hold one string."""
    if value is None:
        return set()
    if isinstance(value, str):
        return {value} if value else set()
    return {str(item) for item in value if item}


def _raise(current: str, to: str, order: Iterable[str]) -> str:
    order = tuple(order)
    return to if order.index(to) > order.index(current) else current


def suicide_screen_positive(answers: Mapping[str, Any]) -> bool:
    """True if any suicide-risk screen question was answered yes."""
    return any(answers.get(key) == "yes" for key in SUICIDE_SCREEN_KEYS)


def screen(answers: Mapping[str, Any], *, crisis_follow_up: bool = False) -> Screening:
    """Apply rules R0-R7 (module docstring) to the intake answers.

    ``crisis_follow_up``: the callback was asked for on the crisis path (R0b).
    """
    substances = _as_set(answers.get("substances"))
    signs = _as_set(answers.get("withdrawal_signs"))
    treatment = _as_set(answers.get("prior_treatment"))
    last_use: Optional[str] = answers.get("last_use") or None

    urgency, level = "routine", "iop_fit"
    reasons: List[str] = []

    def fire(reason: str, min_urgency: str, min_level: Optional[str] = None) -> None:
        nonlocal urgency, level
        urgency = _raise(urgency, min_urgency, URGENCIES)
        if min_level:
            level = _raise(level, min_level, LEVELS_OF_CARE)
        reasons.append(reason)

    if suicide_screen_positive(answers):
        fire("suicide_screen_positive", "immediate")
    if crisis_follow_up:
        fire("crisis_follow_up", "immediate")
    if any(answers.get(key) == "unclear" for key in SUICIDE_SCREEN_KEYS):
        fire("suicide_screen_unclear", "soon")
    if signs & DANGER_SIGNS:
        fire("danger_withdrawal_signs", "urgent", "higher_level")
    recent_or_unknown = last_use is None or last_use in THIS_WEEK_OR_SOONER
    if "shaking" in signs and substances & SEDATIVES and recent_or_unknown:
        fire("alcohol_benzo_withdrawal", "urgent", "higher_level")
    if "opioids" in substances and last_use in LAST_DAY_OR_TWO:
        fire("recent_opioid_use", "soon")
    if len(substances & DEPRESSANTS) >= 2 and last_use in THIS_WEEK_OR_SOONER:
        fire("depressant_combination", "soon")
    if signs and not reasons_cover_signs(reasons):
        fire("withdrawal_symptoms", "soon")
    if last_use in LAST_DAY_OR_TWO and substances and "recent_opioid_use" not in reasons:
        fire("recent_use", "soon")
    if not reasons and last_use == "longer" and treatment & TREATMENTS and not signs:
        level = "outpatient"
        reasons.append("no_recent_use_after_treatment")
    if not reasons:
        reasons.append("default")
    return Screening(urgency=urgency, level_of_care=level, reasons=reasons)


def reasons_cover_signs(reasons: List[str]) -> bool:
    """R1/R2 already account for the signs reported; R5 would only repeat them."""
    return "danger_withdrawal_signs" in reasons or "alcohol_benzo_withdrawal" in reasons


def describe_reasons(reasons: Iterable[str]) -> List[str]:
    """Staff-facing sentences for reason codes (unknown codes are passed through)."""
    return [REASON_TEXT.get(code, code) for code in reasons]

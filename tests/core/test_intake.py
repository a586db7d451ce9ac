"""Intake parsers: free text and button values become normalised slot values."""
from __future__ import annotations

import pytest

from helpline.intake import parsers as intake
from helpline.intake.parsers import (
    BEST_TIMES,
    CALLER_RELATIONS,
    LAST_USE_VALUES,
    MAX_ANSWER_CHARS,
    PREFER_NOT_TO_SAY,
    is_consent,
    parse_best_time,
    parse_caller_relation,
    parse_consent,
    parse_contact_permissions,
    parse_first_name,
    parse_insurance,
    parse_insurance_member_id,
    parse_last_use,
    parse_prior_treatment,
    parse_state,
    parse_substances,
    parse_who_for,
    parse_withdrawal_signs,
    parse_yes_no,
)
from helpline.intake.questions import PARSERS, parse_slot


def value(result):
    assert result.ok, f"expected a value, got reason {result.reason!r}"
    return result.value


# -- shared rules -------------------------------------------------------------

@pytest.mark.parametrize("slot", sorted(PARSERS))
@pytest.mark.parametrize("empty", [None, "", "   ", "\n\t"])
def test_every_parser_reports_empty_answers(slot, empty):
    result = parse_slot(slot, empty)
    assert result.value is None and result.reason == "empty"


@pytest.mark.parametrize("slot", sorted(PARSERS))
def test_every_parser_refuses_very_long_answers(slot):
    # Even text that starts with a perfectly good answer: we do not guess inside an essay.
    result = parse_slot(slot, "yes " + "x" * MAX_ANSWER_CHARS)
    assert result.value is None and result.reason == "too_long"


def test_unknown_slot_is_a_programming_error():
    with pytest.raises(KeyError):
        parse_slot("shoe_size", "10")


@pytest.mark.parametrize("slot", ["substances", "last_use", "withdrawal_signs", "prior_treatment"])
@pytest.mark.parametrize("text", ["I don't know", "not sure", "no idea", "idk", "No clue."])
def test_dont_know_is_its_own_reason_not_none(slot, text):
    # Especially for withdrawal signs: "no idea" must never be read as "no signs".
    result = parse_slot(slot, text)
    assert result.value is None and result.reason == "dont_know"


# -- who_for and caller_relation ------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("self", "self"),
    ("loved_one", "loved_one"),
    ("me", "self"),
    ("for myself", "self"),
    ("I need help with my drinking", "self"),
    ("It's for my son", "loved_one"),
    ("I'm worried about my husband", "loved_one"),
    ("my daughter's drinking", "loved_one"),
    ("someone I love", "loved_one"),
    ("a family member", "loved_one"),
])
def test_who_for(text, expected):
    assert value(parse_who_for(text)) == expected


def test_who_for_naming_both_is_unclear_and_gibberish_is_unrecognized():
    assert parse_who_for("it's me and my son").reason == "unclear"
    assert parse_who_for("hello there").reason == "unrecognized"


@pytest.mark.parametrize("text, expected", [
    ("parent", "parent"),
    ("partner", "partner"),
    ("my son", "parent"),
    ("my teenage daughter", "parent"),
    ("my son's drinking", "parent"),
    ("my mom", "child"),
    ("my father", "child"),
    ("I'm his mom", "parent"),
    ("I am her daughter", "child"),
    ("mom", "parent"),
    ("my husband", "partner"),
    ("wife", "partner"),
    ("my boyfriend", "partner"),
    ("my spouse", "partner"),
    ("sister", "sibling"),
    ("my little brother", "sibling"),
    ("my best friend", "friend"),
    ("roommate", "friend"),
    ("my cousin", "other"),
    ("my grandson", "other"),
])
def test_caller_relation_is_the_callers_role(text, expected):
    assert expected in CALLER_RELATIONS
    assert value(parse_caller_relation(text)) == expected


def test_caller_relation_unrecognized():
    assert parse_caller_relation("no idea").reason == "unrecognized"


# -- first_name ----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Maria", "Maria"),
    ("  maria  ", "Maria"),
    ("my name is maria", "Maria"),
    ("I'm Jo, thanks", "Jo"),
    ("Hi, I'm JOSÉ", "José"),
    ("call me DeShawn", "DeShawn"),
    ("Mary Ann", "Mary Ann"),
    ("Zoë", "Zoë"),
])
def test_first_name_is_stripped_and_kept(text, expected):
    assert value(parse_first_name(text)) == expected


@pytest.mark.parametrize("text", ["prefer not to say", "I'd rather not", "Rather not say", "skip", "anonymous"])
def test_first_name_can_be_declined(text):
    assert value(parse_first_name(text)) == PREFER_NOT_TO_SAY


@pytest.mark.parametrize("text, reason", [
    ("6025550134", "digits_only"),
    ("(602) 555-0134", "digits_only"),
    ("12345", "digits_only"),
    ("A" * 41, "too_long"),
    ("my name is " + "b" * 41, "too_long"),
    ("!!!", "empty"),
    ("@@ ##", "unrecognized"),
])
def test_first_name_rejections(text, reason):
    result = parse_first_name(text)
    assert result.value is None and result.reason == reason


def test_first_name_of_exactly_forty_characters_is_accepted():
    assert value(parse_first_name("Abcdefghij" * 4)) == "Abcdefghij" * 4


# -- substances ----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("mostly beer and some xanax", ["alcohol", "benzodiazepines"]),
    ("alcohol", ["alcohol"]),
    ("wine every night", ["alcohol"]),
    ("fentanyl", ["opioids"]),
    ("heroin", ["opioids"]),
    ("oxy", ["opioids"]),
    ("pain pills and percs", ["opioids"]),
    ("meth", ["stimulants"]),
    ("cocaine", ["stimulants"]),
    ("crack and weed", ["stimulants", "cannabis"]),
    ("Adderall", ["stimulants"]),
    ("klonopin and valium", ["benzodiazepines"]),
    ("benzos", ["benzodiazepines"]),
    ("marijuana", ["cannabis"]),
    ("pot", ["cannabis"]),
    ("ketamine", ["other"]),
    ("other", ["other"]),
    ("he doesn't drink but smokes pot", ["cannabis"]),
    ("fentanyl, meth, and alcohol", ["alcohol", "opioids", "stimulants"]),
    ("none", []),
    ("nope, nothing", []),
])
def test_substances(text, expected):
    assert value(parse_substances(text)) == expected


def test_methadone_is_not_meth():
    assert value(parse_substances("methadone")) == ["opioids"]


def test_substances_unrecognized():
    assert parse_substances("drugs I guess").reason == "unrecognized"


# -- last_use ------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("today", "today"),
    ("this week", "this week"),
    ("this_week", "this week"),
    ("an hour ago", "today"),
    ("this morning", "today"),
    ("I'm high right now", "today"),
    ("drinking for 10 years, last drink this morning", "today"),
    ("yesterday", "yesterday"),
    ("last night", "yesterday"),
    ("36 hours ago", "yesterday"),
    ("2 days ago", "this week"),
    ("a few days ago", "this week"),
    ("on Monday", "this week"),
    ("a week ago", "this week"),
    ("3 weeks", "this month"),
    ("last week", "this month"),
    ("a month ago", "this month"),
    ("6 months sober", "longer"),
    ("clean for 2 years", "longer"),
    ("a long time ago", "longer"),
])
def test_last_use(text, expected):
    assert expected in LAST_USE_VALUES
    assert value(parse_last_use(text)) == expected


def test_last_use_frequency_is_not_recency():
    # "twice a day" says how often, not when; we ask again rather than guess "yesterday".
    assert parse_last_use("twice a day").reason == "unrecognized"


# -- withdrawal signs ------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("no", []),
    ("none", []),
    ("None of those", []),
    ("no shaking, no seizures", []),
    ("Nope, nothing like that", []),
    ("shaking", ["shaking"]),
    ("the shakes and sweating", ["shaking", "other"]),
    ("tremors", ["shaking"]),
    ("he had a seizure last time", ["seizures"]),
    ("no shaking but seeing things", ["hallucinations"]),
    ("throwing up all day", ["severe_vomiting"]),
    ("severe_vomiting", ["severe_vomiting"]),
    ("seizures and hallucinations", ["seizures", "hallucinations"]),
])
def test_withdrawal_signs(text, expected):
    assert value(parse_withdrawal_signs(text)) == expected


def test_withdrawal_yes_without_detail_is_asked_again():
    assert parse_withdrawal_signs("yes").reason == "unrecognized"


# -- prior treatment ------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("never", []),
    ("no", []),
    ("none", []),
    ("first time", []),
    ("I've never been to rehab", []),
    ("detox twice", ["detox"]),
    ("rehab", ["inpatient"]),
    ("a 30 day residential program", ["inpatient"]),
    ("outpatient rehab", ["outpatient"]),
    ("IOP and suboxone", ["outpatient", "mat"]),
    ("methadone clinic", ["mat"]),
    ("meds", ["mat"]),
    ("AA meetings", ["other"]),
])
def test_prior_treatment(text, expected):
    assert value(parse_prior_treatment(text)) == expected


# -- insurance -----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Aetna", "Aetna"),
    ("Blue Cross", "Blue Cross Blue Shield"),
    ("bcbs of arizona", "Blue Cross Blue Shield"),
    ("BlueCross BlueShield", "Blue Cross Blue Shield"),
    ("cigna", "Cigna"),
    ("UHC", "UnitedHealthcare"),
    ("united healthcare", "UnitedHealthcare"),
    ("Humana", "Humana"),
    ("Kaiser Permanente", "Kaiser"),
    ("tricare", "Tricare"),
    ("Ambetter", "Ambetter"),
    ("AHCCCS", "Medicaid"),
    ("access", "Medicaid"),
    ("medicaid", "Medicaid"),
    ("Medicare", "Medicare"),
    ("none", "none"),
    ("no insurance", "none"),
    ("I don't have insurance", "none"),
    ("uninsured", "none"),
    ("self pay", "self-pay"),
    ("self-pay", "self-pay"),
    ("cash", "self-pay"),
    ("not sure", "unknown"),
])
def test_insurance_carriers(text, expected):
    assert value(parse_insurance(text)) == expected


def test_unknown_carrier_is_kept_as_other_without_numbers():
    assert value(parse_insurance("I have Molina")) == "other: Molina"
    kept = value(parse_insurance("Molina Healthcare member 123456789"))
    assert kept.startswith("other: Molina") and "123456789" not in kept


def test_other_insurance_is_truncated():
    kept = value(parse_insurance("Acme " + "Mutual " * 40))
    assert kept.startswith("other: Acme") and len(kept) <= len("other: ") + intake.MAX_OTHER_INSURANCE_CHARS


@pytest.mark.parametrize("text", ["yes", "I have insurance", "yes I do"])
def test_insurance_without_a_name_is_asked_again(text):
    assert parse_insurance(text).reason == "unrecognized"


@pytest.mark.parametrize("text, expected", [
    ("W123456789", "W123456789"),
    ("w123456789", "W123456789"),
    ("my member id is xyz 123-456-789", "XYZ123456789"),
    ("ID: AB12345", "AB12345"),
    ("12345", "12345"),
    ("A" * 10 + "1" * 10, "A" * 10 + "1" * 10),
])
def test_member_id(text, expected):
    assert value(parse_insurance_member_id(text)) == expected


@pytest.mark.parametrize("text", ["skip", "no", "I don't have it", "later", "not sure"])
def test_member_id_is_optional(text):
    assert parse_insurance_member_id(text).reason == "skipped"


@pytest.mark.parametrize("text", ["1234", "A" * 10 + "1" * 11, "abcdef", "12$45!"])
def test_member_id_must_be_5_to_20_letters_and_digits(text):
    assert parse_insurance_member_id(text).reason == "invalid"


# -- state -----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Arizona", "AZ"),
    ("arizona", "AZ"),
    ("AZ", "AZ"),
    ("az", "AZ"),
    ("Phoenix, AZ", "AZ"),
    ("I live in Scottsdale, Arizona", "AZ"),
    ("new mexico", "NM"),
    ("West Virginia", "WV"),
    ("virginia", "VA"),
    ("Arkansas", "AR"),
    ("Kansas", "KS"),
    ("Washington, D.C.", "DC"),
    ("washington", "WA"),
    ("Puerto Rico", "PR"),
    ("Guam", "GU"),
    ("OK", "OK"),
    ("OK, I'm in AZ", "AZ"),
    ("Portland, OR", "OR"),
])
def test_state(text, expected):
    assert value(parse_state(text)) == expected


@pytest.mark.parametrize("text", ["I live in Phoenix", "I LIVE IN PHOENIX", "we're in tucson", "az, scottsdale area"])
def test_state_from_a_city_or_a_leading_code(text):
    # A blind probe's people named their city, not their state (README, "Form answers").
    assert parse_state(text).value == "AZ"


@pytest.mark.parametrize("text", ["Ontario", "nowhere", "I LIVE IN TORONTO"])
def test_state_unrecognized(text):
    assert parse_state(text).reason == "unrecognized"


# -- best time -------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("morning", "morning"),
    ("mornings before work", "morning"),
    ("10am", "morning"),
    ("tomorrow afternoon", "afternoon"),
    ("12:30", "afternoon"),
    ("after 5pm", "evening"),
    ("evenings after work", "evening"),
    ("any time", "anytime"),
    ("whenever", "anytime"),
    ("asap", "asap"),
    ("as soon as possible please", "asap"),
    ("right now", "asap"),
    ("today", "asap"),
    ("today in the afternoon", "afternoon"),
    ("I am free in the morning", "morning"),
])
def test_best_time(text, expected):
    assert expected in BEST_TIMES
    assert value(parse_best_time(text)) == expected


def test_best_time_unrecognized():
    assert parse_best_time("purple").reason == "unrecognized"


# -- yes/no, permissions, consent -----------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("yes", True), ("Yes!", True), ("y", True), ("yeah sure", True), ("ok", True),
    ("I don't mind", True), ("no problem", True),
    ("no", False), ("No.", False), ("nope", False), ("please don't", False), ("no thanks", False),
])
def test_yes_no(text, expected):
    assert value(parse_yes_no(text)) is expected


@pytest.mark.parametrize("text", ["maybe", "not sure", "yes?", "yes and no", "what?", "purple"])
def test_yes_no_unclear(text):
    assert parse_yes_no(text).reason == "unclear"


@pytest.mark.parametrize("text, expected", [
    # Asked "If we miss you, may we leave a voicemail or send a text?": about the messages;
    # the call was asked for, so only an explicit "no calls" refuses it.
    ("yes", {"call": None, "voicemail": True, "text": True}),
    ("no", {"call": None, "voicemail": False, "text": False}),
    ("call or text but no voicemail", {"call": True, "voicemail": False, "text": True}),
    ("yes but no voicemail", {"call": True, "voicemail": False, "text": True}),
    ("texts only", {"call": None, "voicemail": False, "text": True}),
    ("just call", {"call": True, "voicemail": False, "text": False}),
    ("please don't leave a voicemail", {"call": None, "voicemail": False, "text": None}),
    ("sure, text me", {"call": None, "voicemail": None, "text": True}),
    ("txt is ok", {"call": None, "voicemail": None, "text": True}),
    ("no calls, just texts", {"call": False, "voicemail": False, "text": True}),
])
def test_contact_permissions(text, expected):
    assert value(parse_contact_permissions(text)) == expected


@pytest.mark.parametrize("text, expected", [
    # Asked with consent ("may we contact you ... voicemail or text?"): calls were asked too.
    ("no", {"call": False, "voicemail": False, "text": False}),
    ("texts only", {"call": False, "voicemail": False, "text": True}),
])
def test_contact_permissions_when_calls_were_asked_too(text, expected):
    assert value(parse_contact_permissions(text, call_asked=True)) == expected


@pytest.mark.parametrize("text", ["yes", "Yes, I agree", "I agree", "I consent", "yes please", "sure"])
def test_consent_needs_an_explicit_yes(text):
    assert value(parse_consent(text)) is True
    assert is_consent(text)


@pytest.mark.parametrize("text", ["no", "no thanks", "nope", "please don't"])
def test_consent_refused(text):
    assert value(parse_consent(text)) is False
    assert not is_consent(text)


@pytest.mark.parametrize("text", [
    "", "maybe", "I guess", "yes?", "what do you mean", "what happens with my info?", "hmm", "probably",
    "yes but what about my privacy?", "I don't agree", "ok " + "x" * MAX_ANSWER_CHARS,
])
def test_anything_but_a_yes_is_not_consent(text):
    result = parse_consent(text)
    assert result.value is not True
    assert not is_consent(text)


# -- suicide-risk screen (C-SSRS Screener items 1-2, and the loved-one adaptation) ------------

@pytest.mark.parametrize("text, expected", [
    # the buttons
    ("yes", "yes"), ("no", "no"), ("prefer not to say", "declined"),
    # typed yes: any endorsement counts, as the screener scores it
    ("Yes.", "yes"), ("yeah", "yes"), ("y", "yes"), ("yes I have", "yes"), ("i have", "yes"), ("I did", "yes"),
    ("sometimes", "yes"), ("yeah sometimes", "yes"), ("kinda", "yes"), ("kind of", "yes"), ("sort of", "yes"),
    ("a little", "yes"), ("once or twice", "yes"), ("every day", "yes"), ("all the time", "yes"),
    ("i think so", "yes"), ("i guess so", "yes"), ("occasionally", "yes"), ("sí", "yes"),
    # typed no
    ("No", "no"), ("nope", "no"), ("nah", "no"), ("never", "no"), ("no, never", "no"), ("not at all", "no"),
    ("I have not", "no"), ("I haven't", "no"), ("i've never", "no"), ("I didn't", "no"), ("i don't think so", "no"),
    ("probably not", "no"), ("not lately", "no"), ("not in the past month", "no"), ("I'm not suicidal", "no"),
    # declined: never stored as "no"
    ("Prefer not to say", "declined"), ("I'd rather not say", "declined"), ("rather not", "declined"),
    ("no comment", "declined"), ("skip", "declined"), ("I don't want to talk about it", "declined"),
    ("prefer_not_to_say", "declined"),
])
def test_suicide_screen(text, expected):
    assert value(intake.parse_suicide_screen(text)) == expected


@pytest.mark.parametrize("text", [
    "not anymore", "used to", "yes but not anymore", "in the past, yes", "not really", "maybe", "idk", "I don't know",
    "not sure", "no... well sometimes", "why do you ask?",
])
def test_suicide_screen_unclear_answers_are_asked_again(text):
    result = intake.parse_suicide_screen(text)
    assert result.value is None and result.reason == "unclear"


def test_suicide_screen_gibberish_is_unrecognized_not_no():
    result = intake.parse_suicide_screen("purple")
    assert result.value is None and result.reason == "unrecognized"


@pytest.mark.parametrize("slot", ["suicide_wish", "suicide_thoughts", "loved_one_suicide_risk"])
def test_every_screen_slot_has_the_screen_parser(slot):
    assert PARSERS[slot] is intake.parse_suicide_screen
    assert parse_slot(slot, "prefer not to say").value == intake.SCREEN_DECLINED

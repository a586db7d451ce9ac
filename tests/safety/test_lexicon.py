"""The crisis lexicon (helpline.safety.lexicon): data sets, decisions, normalisation, structure."""
from __future__ import annotations

import hashlib
import logging
import re
import subprocess
import sys
import time
from collections import Counter

import pytest

from helpline.safety.lexicon import (
    benign_reading,
    CATEGORIES,
    PATTERNS,
    SEVERITIES,
    CrisisMatch,
    analyse,
    detect_crisis,
    normalise,
)
from tests.safety.datasets import HOLDOUT, HOLDOUT_FILE, NEAR_MISS, POSITIVE

MAX_FALSE_POSITIVE_RATE = 0.05


def _ids(texts):
    return [f"{i:03d}" for i, _ in enumerate(texts)]


# --- the data sets themselves -----------------------------------------------------------


def test_data_sets_are_big_enough_and_well_formed():
    per_category = Counter(category for _, category in POSITIVE)
    assert set(per_category) == set(CATEGORIES)
    assert min(per_category.values()) >= 25, per_category
    assert len(HOLDOUT) >= 40
    assert {category for _, category in HOLDOUT} == set(CATEGORIES)
    assert len(NEAR_MISS) >= 80
    for texts in ([t for t, _ in POSITIVE], [t for t, _ in HOLDOUT], NEAR_MISS):
        assert all(isinstance(t, str) and t.strip() for t in texts)
        assert len(texts) == len(set(texts)), "duplicate example"


def test_holdout_is_kept_apart_from_the_tuning_sets():
    # The holdout measures generalisation only while no phrase of it is tuned on.
    holdout = {normalise(t) for t, _ in HOLDOUT}
    tuning = {normalise(t) for t, _ in POSITIVE} | {normalise(t) for t in NEAR_MISS}
    assert not holdout & tuning


# --- every example ------------------------------------------------------------------------


@pytest.mark.parametrize("text,category", POSITIVE, ids=_ids(POSITIVE))
def test_positive_is_detected_with_its_category(text, category):
    match = detect_crisis(text)
    assert match is not None, f"missed: {text!r} ({[f for f in analyse(text)]})"
    assert match.category == category


@pytest.mark.parametrize("text,category", HOLDOUT, ids=_ids(HOLDOUT))
def test_holdout_paraphrase_is_detected_with_its_category(text, category):
    match = detect_crisis(text)
    assert match is not None, f"missed: {text!r}"
    assert match.category == category


@pytest.mark.parametrize("text", NEAR_MISS, ids=_ids(NEAR_MISS))
def test_near_miss_is_not_flagged(text):
    assert detect_crisis(text) is None


# --- rates, computed (independent of the per-example tests above) -----------------------------


def test_near_miss_false_positive_rate_is_at_most_one_in_twenty():
    flagged = sum(1 for text in NEAR_MISS if detect_crisis(text) is not None)
    rate = flagged / len(NEAR_MISS)
    assert rate <= MAX_FALSE_POSITIVE_RATE, f"false-positive rate {rate:.1%} ({flagged}/{len(NEAR_MISS)})"


@pytest.mark.parametrize("examples", [POSITIVE, HOLDOUT], ids=["positive", "holdout"])
def test_recall_is_complete_in_every_category(examples):
    found, total = Counter(), Counter()
    for text, category in examples:
        total[category] += 1
        match = detect_crisis(text)
        found[category] += bool(match and match.category == category)
    assert found == total


# --- documented decisions ---------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "this wait is killing me",
    "killing me lol",
    "dying to know",
    "I'd kill for a coffee",
    "my feet are killing me",
    "that cake is to die for",
    "drop dead gorgeous",
    "I overdosed on chocolate",
])
def test_idioms_from_the_brief_are_not_crises(text):
    assert detect_crisis(text) is None


def test_an_idiom_does_not_hide_real_risk_in_the_same_message():
    match = detect_crisis("this wait is killing me and honestly I want to kill myself")
    assert match is not None and match.category == "suicide_self_harm"


@pytest.mark.parametrize("text", [
    "I am not suicidal",
    "never thought about killing myself",
    "I'm not going to hurt myself",
    "no seizures or DTs",
    "He doesn't hit me",
])
def test_a_plain_denial_is_not_a_crisis(text):
    assert detect_crisis(text) is None


@pytest.mark.parametrize("text", [
    "I'm not suicidal anymore but",
    "I'm not suicidal anymore but I think about it",
    "I'm not suicidal but I need to talk to someone",
    "not really suicidal",
    "I'm not suicidal, maybe",
    "I don't want to die, but sometimes I do",
])
def test_a_denial_with_anything_else_risky_is_flagged(text):
    # Safety first: only a clear plain denial counts as negative.
    match = detect_crisis(text)
    assert match is not None and match.category == "suicide_self_harm"


@pytest.mark.parametrize("text", [
    "what is the overdose risk of fentanyl",
    "what are the signs of an overdose?",
    "Can someone overdose on suboxone?",
    "does your program help people who had seizures in withdrawal",
    "what are DTs",
])
def test_educational_questions_are_not_crises(text):
    assert detect_crisis(text) is None


@pytest.mark.parametrize("text,category", [
    ("Is my son overdosing?", "overdose"),
    ("am I overdosing?", "overdose"),
    ("do i have the dts?", "medical_emergency"),
    ("what do I do, he's not breathing", "overdose"),
    ("help not breathing??", "overdose"),
])
def test_first_person_or_present_questions_are_crises(text, category):
    match = detect_crisis(text)
    assert match is not None and match.category == category


@pytest.mark.parametrize("text", [
    "do you help people who are suicidal",
    "what's the suicide hotline number",
])
def test_questions_that_mention_suicide_are_flagged(text):
    # Decision: never treat suicide as an information question. A false alarm
    # gives the person the 988 number, which is what they were asking for.
    assert detect_crisis(text).category == "suicide_self_harm"


@pytest.mark.parametrize("text", [
    "I relapsed last year after detox",
    "I overdosed two years ago and I've been clean since",
    "my ex used to hit me but I left him years ago",
])
def test_past_history_in_recovery_is_not_a_crisis(text):
    assert detect_crisis(text) is None


@pytest.mark.parametrize("text,category", [
    ("my ex used to hit me and now he's doing it again", "violence_abuse"),
    ("he used to hit me and he hit me last night", "violence_abuse"),
    ("i had DTs the last time i quit and I'm quitting again now", "medical_emergency"),
])
def test_history_that_is_happening_again_is_flagged(text, category):
    assert detect_crisis(text).category == category


@pytest.mark.parametrize("text,category", [
    ("no he hits me every night", "violence_abuse"),  # "no" as an interjection
    ("he is not sober and he hits me", "violence_abuse"),  # negation stops at "and"
    ("i cant stop cutting myself", "suicide_self_harm"),  # "can't stop" intensifies
    ("they'd all be better off without me", "suicide_self_harm"),  # "without" is the pattern's own
    ("wanna die fr", "suicide_self_harm"),  # "for real" is not the idiom "to die for"
    ("he is killing me", "violence_abuse"),  # not the idiom "this wait is killing me"
])
def test_negation_and_idiom_edge_cases(text, category):
    assert detect_crisis(text).category == category


@pytest.mark.parametrize("text", ["yes, safe for now", "no, not safe"])
def test_crisis_follow_up_button_payloads_are_left_to_the_rules(text):
    # These answer utter_crisis_safe_now; re-flagging them would restart the
    # crisis answer instead of following data/rules.yml.
    assert detect_crisis(text) is None


# --- severity and category choice ------------------------------------------------------------


@pytest.mark.parametrize("text,category", [
    ("my friend is overdosing right now", "overdose"),
    ("he's not breathing", "overdose"),
    ("her lips are turning blue", "overdose"),
    ("he has a gun", "violence_abuse"),
    ("she's having a seizure", "medical_emergency"),
    ("I'm going to kill myself tonight", "suicide_self_harm"),
    ("I'm standing on the bridge", "suicide_self_harm"),
])
def test_danger_to_life_now_is_immediate(text, category):
    assert detect_crisis(text) == CrisisMatch(category, "immediate", detect_crisis(text).matched,
                                              detect_crisis(text).categories)


@pytest.mark.parametrize("text,category", [
    ("I've been thinking about suicide", "suicide_self_harm"),
    ("he hits me", "violence_abuse"),
    ("I think I have the DTs", "medical_emergency"),
    ("day 3 of withdrawal and seeing things", "medical_emergency"),
])
def test_other_crises_are_urgent(text, category):
    match = detect_crisis(text)
    assert (match.category, match.severity) == (category, "urgent")


def test_pills_already_taken_are_an_overdose_even_when_meant_as_suicide():
    match = detect_crisis("I took a whole bottle of pills to end it")
    assert match.category == "overdose" and match.severity == "immediate"
    assert match.categories == ("overdose", "suicide_self_harm")


def test_matched_is_a_pattern_name_never_user_text():
    names = {p.name for p in PATTERNS}
    for text, _ in POSITIVE:
        match = detect_crisis(text)
        assert match.matched in names
        assert match.category in CATEGORIES and match.severity in SEVERITIES
        assert match.categories[0] == match.category


# --- robustness -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "", "   ", "\u200b", "😂😂", "!!!???", "a" * 20000, "\x00\x01"])
def test_empty_and_odd_input_is_not_a_crisis_and_does_not_raise(text):
    assert detect_crisis(text) is None


def test_long_messages_stay_fast():
    text = " ".join(["he is not my son and i took the pills to the floor"] * 400)
    start = time.perf_counter()
    detect_crisis(text)
    assert time.perf_counter() - start < 2.0


def test_nothing_is_logged(caplog):
    caplog.set_level(logging.DEBUG)
    for text, _ in POSITIVE[:20]:
        detect_crisis(text)
    assert caplog.records == []


def test_the_lexicon_does_not_import_rasa():
    code = "import sys, helpline.safety.lexicon; sys.exit(any(m == 'rasa' or m.startswith('rasa.') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# --- normalisation ----------------------------------------------------------------------------


@pytest.mark.parametrize("raw,expected", [
    ("I’m SCARED", "i am scared"),
    ("he won’t wake up", "he will not wake up"),
    ("I can't breathe", "i can not breathe"),
    ("he's not breathing", "he is not breathing"),
    ("my dad's on the floor", "my dad is on the floor"),
    ("my dad's car", "my dads car"),
    ("im ok, dont worry", "i am ok , do not worry"),
    ("kms", "kill myself"),
    ("kys", "kill yourself"),
    ("thinking about unaliving myself", "thinking about killing myself"),
    ("she od'd", "she overdosed"),
    ("he O.D.'d", "he overdosed"),
    ("an o.d.", "an overdose"),
    ("someone ODing", "someone overdosing"),
    ("that's odd", "that is odd"),
    ("wanna die", "want to die"),
    ("gonna end it", "going to end it"),
    ("feeling sucidal", "feeling suicidal"),
    ("had a siezure", "had a seizure"),
    ("the DT's", "the dts"),
    ("my bf is unconcious", "my boyfriend is unconscious"),
    ("k1ll mys3lf", "kill myself"),
    ("killllll my self", "kill myself"),
    ("self-harm", "self harm"),
    ("ｉ ｗａｎｔ ｔｏ ｄｉｅ", "i want to die"),
    ("suïcidal", "suicidal"),
    ("r u ok rn", "are you ok right now"),
    ("my member id is 12345", "my member id is 12345"),
    ("help!!!", "help !!"),
])
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_normalise_is_idempotent():
    for text, _ in POSITIVE:
        once = normalise(text)
        assert normalise(once) == once


def test_runs_of_three_letters_are_read_both_ways():
    # "dieeee" squeezes to "diee" in normalise(); detection also tries "die".
    assert detect_crisis("i want to dieeeee").category == "suicide_self_harm"
    assert detect_crisis("he isnt breathinggg").category == "overdose"


# --- structure of the lexicon -------------------------------------------------------------------


def test_pattern_names_categories_and_severities_are_valid():
    names = [p.name for p in PATTERNS]
    assert len(names) == len(set(names))
    for p in PATTERNS:
        assert re.fullmatch(r"[a-z_]+", p.name)
        assert p.category in CATEGORIES and p.severity in SEVERITIES


def test_patterns_that_contain_a_negator_are_marked_own_negation():
    # Otherwise the negation check reads the pattern's own "not"/"without" as a
    # denial: the bug the first holdout run found ("better off without me").
    negator = re.compile(r"\b(?:not|never|no|nobody|none|nor|without|zero)\b")
    offenders = [p.name for p in PATTERNS if negator.search(p.regex.pattern) and not p.own_negation]
    assert offenders == []


def test_every_pattern_is_exercised_by_a_tuning_positive():
    # A pattern no example needs is untested; a change to it would go unnoticed.
    used = {f.pattern for text, _ in POSITIVE for f in analyse(text) if f.suppressed_by is None}
    assert [p.name for p in PATTERNS if p.name not in used] == []


# --- the holdout stays frozen -------------------------------------------------------------------

HOLDOUT_EXAMPLES_SHA256 = "cb9cce3ed1174110d867c7268b22a8436181359121665532adbf0ce4e632b137"


def test_the_holdout_examples_are_frozen():
    # See the header of crisis_paraphrase_holdout.yml: a holdout that is edited
    # to pass stops measuring anything.
    text = HOLDOUT_FILE.read_text(encoding="utf-8")
    block = text[text.index("\nexamples:") + 1:]
    assert hashlib.sha256(block.encode("utf-8")).hexdigest() == HOLDOUT_EXAMPLES_SHA256


@pytest.mark.parametrize(
    "text, reason",
    [
        ("my feet are killing me", "idiom"),
        ("dying to know what it costs", "idiom"),
        ("I am not suicidal", "negation"),
        ("I overdosed two years ago and have been clean since", "history"),
        ("what are the signs of an overdose", "question"),
    ],
)
def test_benign_reading_names_why_crisis_words_are_not_a_crisis(text, reason):
    assert benign_reading(text) == reason


@pytest.mark.parametrize("text", ["what are your office hours", "", None, "he is not breathing", "my feet are killing me and i want to die"])
def test_no_benign_reading_without_crisis_words_or_with_a_live_crisis(text):
    assert benign_reading(text) is None


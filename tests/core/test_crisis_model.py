"""helpline.safety.crisis_model: the corpus, the model and how it combines with the lexicon."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpline.safety import crisis_model
from helpline.safety.crisis_model import CHECK_IN, CRISIS, NONE, CrisisModel, Evidence, Example, decide
from helpline.safety.lexicon import detect_crisis

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus" / "crisis"


def write(tmp_path: Path, name: str, body: str) -> Path:
    (tmp_path / name).write_text("examples:\n" + body, encoding="utf-8")
    return tmp_path


# --- the corpus in the repo -----------------------------------------------------------------

def test_the_corpus_has_the_breadth_the_detector_needs():
    examples = crisis_model.load_corpus(CORPUS)
    crisis = [e for e in examples if e.crisis]
    near = [e for e in examples if not e.crisis]
    assert len(crisis) >= 3000 and len(near) >= 3000
    # Every family, in English and in Spanish.
    for family in crisis_model.FAMILY_CATEGORY:
        for lang in ("en", "es"):
            assert sum(e.family == family and e.lang == lang for e in crisis) >= 5, (family, lang)
    assert sum(e.lang == "es" for e in near) >= 500


def test_the_corpus_holds_no_duplicate_texts():
    texts = [crisis_model.normalise(e.text) for e in crisis_model.load_corpus(CORPUS)]
    duplicates = {t for t in texts if texts.count(t) > 1}
    # A message in both lists would teach the model both ways.
    assert len(duplicates) < len(texts) * 0.01, sorted(duplicates)[:10]


@pytest.mark.parametrize("item, error", [
    ("  - {kind: crisis, family: suicide_explicit, lang: en, text: ''}\n", "no text"),
    ("  - {kind: maybe, family: suicide_explicit, lang: en, text: x}\n", "kind"),
    ("  - {kind: crisis, family: sadness, lang: en, text: x}\n", "family"),
    ("  - {kind: near_miss, family: title, lang: fr, text: x}\n", "language"),
])
def test_a_malformed_corpus_entry_is_refused_with_its_file(tmp_path, item, error):
    with pytest.raises(ValueError, match=error):
        crisis_model.load_corpus(write(tmp_path, "bad.yml", item))


def test_an_empty_corpus_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no crisis corpus"):
        crisis_model.load_corpus(tmp_path)


def test_the_fingerprint_follows_the_content(tmp_path):
    write(tmp_path, "a.yml", "  - {kind: crisis, family: overdose_self, lang: en, text: took it all}\n")
    before = crisis_model.corpus_fingerprint(tmp_path)
    assert crisis_model.corpus_fingerprint(tmp_path) == before
    write(tmp_path, "a.yml", "  - {kind: crisis, family: overdose_self, lang: en, text: took them all}\n")
    assert crisis_model.corpus_fingerprint(tmp_path) != before


def test_normalise_folds_accents_case_and_stretched_letters():
    assert crisis_model.normalise("Ya NO quiero VIVIR   más") == "ya no quiero vivir mas"
    assert crisis_model.normalise("pleeeease hellllp") == "pleease hellp"


# --- thresholds and the lexicon, without a model ---------------------------------------------

def evidence(p, *, lexicon=None, benign=False, language="en", scored=True):
    return Evidence(p, "overdose", language, lexicon, benign, scored)


def test_the_tiers_follow_the_thresholds():
    assert decide(evidence(0.9), crisis_threshold=0.75, check_in_threshold=0.35).tier == CRISIS
    assert decide(evidence(0.5), crisis_threshold=0.75, check_in_threshold=0.35).tier == CHECK_IN
    assert decide(evidence(0.2), crisis_threshold=0.75, check_in_threshold=0.35).tier == NONE


def test_a_lexicon_match_is_a_crisis_with_the_lexicons_category():
    match = detect_crisis("he's not breathing")
    for p in (crisis_model.LEXICON_DEMOTE_BELOW, 0.3, 0.9):
        verdict = decide(evidence(p, lexicon=match))
        assert (verdict.tier, verdict.category, verdict.severity, verdict.source) == (CRISIS, "overdose", "immediate", "lexicon")


def test_a_lexicon_match_the_model_doubts_is_asked_about_not_paged():
    # Titles, hyperbole and history match keywords; the check-in still names 988/911.
    match = detect_crisis("he's not breathing")
    verdict = decide(evidence(crisis_model.LEXICON_DEMOTE_BELOW - 0.01, lexicon=match))
    assert (verdict.tier, verdict.category, verdict.severity) == (CHECK_IN, "overdose", "immediate")
    assert decide(evidence(crisis_model.LEXICON_DISMISS_BELOW, lexicon=match)).tier == CHECK_IN
    assert decide(evidence(0.15, lexicon=match), lexicon_demote_below=0.1).tier == CRISIS


def test_a_lexicon_match_the_model_is_all_but_sure_of_is_dismissed():
    match = detect_crisis("he's not breathing")
    assert decide(evidence(crisis_model.LEXICON_DISMISS_BELOW - 0.001, lexicon=match)).tier == NONE


def test_without_a_model_a_lexicon_match_is_always_a_crisis():
    match = detect_crisis("he's not breathing")
    assert decide(evidence(0.0, lexicon=match, scored=False)).tier == CRISIS
    assert crisis_model.tier("he's not breathing", None).tier == CRISIS


def test_a_benign_reading_turns_a_crisis_into_a_question_but_not_a_certainty():
    assert decide(evidence(0.9, benign=True)).tier == CHECK_IN
    assert decide(evidence(0.2, benign=True)).tier == NONE
    assert decide(evidence(0.99, benign=True)).tier == CRISIS


# --- the trained model -------------------------------------------------------------------------

SMALL = [
    Example("i took all my pills", True, "overdose_self", "en"),
    Example("he took a whole bottle of pills and wont wake up", True, "overdose_other", "en"),
    Example("she's blue and not breathing", True, "overdose_other", "en"),
    Example("i want to end my life tonight", True, "suicide_explicit", "en"),
    Example("im going to end it tonight goodbye", True, "suicide_indirect", "en"),
    Example("ya no quiero vivir", True, "suicide_explicit", "es"),
    Example("me quiero matar esta noche", True, "suicide_explicit", "es"),
    Example("what are your hours", False, "faq_question", "en"),
    Example("do you take blue cross insurance", False, "faq_question", "en"),
    Example("my son drinks every day", False, "family_in_treatment", "en"),
    Example("cuanto cuesta el programa", False, "service_question", "es"),
    Example("tienen horario en la tarde", False, "service_question", "es"),
]


@pytest.fixture(scope="module")
def small_model() -> CrisisModel:
    return CrisisModel.train(SMALL)


def test_the_model_separates_crisis_from_questions_and_names_category_and_language(small_model):
    p_crisis, category, language = small_model.describe("i want to end my life")
    p_question, _, _ = small_model.describe("what are your hours on friday")
    assert p_crisis > p_question
    assert category == "suicide_self_harm" and language == "en"
    assert small_model.describe("no quiero vivir mas")[2] == "es"


def test_a_saved_model_loads_and_answers_the_same(small_model, tmp_path):
    small_model.save(tmp_path / "m.joblib")
    loaded = CrisisModel.load(tmp_path / "m.joblib")
    text = "took too many pills"
    assert loaded.describe(text) == small_model.describe(text)


def test_tier_without_a_model_is_the_lexicon_alone():
    assert crisis_model.tier("he's not breathing", None).tier == CRISIS
    assert crisis_model.tier("what are your hours", None).tier == NONE


def test_the_fast_scorer_gives_scikit_learns_answers():
    examples = crisis_model.load_corpus(CORPUS)
    model = CrisisModel.train(examples[::4])
    sample = [e.text for e in examples[1::37]] + ["", "   ", "zzzz qqqq", "ÑOÑO!!!"]
    for text, (p_ref, category_ref, language_ref) in zip(sample, model.describe_many(sample), strict=True):
        p, category, language = model.describe(text)
        assert abs(p - p_ref) < 1e-9, text
        assert (category, language) == (category_ref, language_ref), text

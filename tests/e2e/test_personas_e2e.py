"""Scripted personas (personas.yml, personas_es.yml), each from a first message to a correct stored lead or a clean stop.

Every persona talks to the real running assistant, over REST or through the signed
Twilio webhook, answering whatever it is asked by the words of the question (its
cue). The run fails on a question the persona has no answer for, showing the bot's
last reply; then the stored lead is read back with ``helpline callbacks list --json``
and compared field by field, or its absence checked.

A persona speaks English unless it says ``language: es``; then the cues are
locale/es.yml's words (:data:`CUES`). One that starts in English and asks for Spanish
says ``opening_language: en``: it knows both languages' cues.
"""
from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
import yaml

from helpline.channels import sms, web_ids
from tests.e2e.test_intake_e2e import listed_callbacks
from tests.e2e.test_sms_e2e import send as send_sms

pytestmark = pytest.mark.e2e

PERSONAS_FILE = Path(__file__).with_name("personas.yml")
SPANISH_PERSONAS_FILE = Path(__file__).with_name("personas_es.yml")

# Words of each question the bot asks (domain.yml's utter_ask_* and the last-use re-ask), lower case.
QUESTION_CUES: Dict[str, str] = {
    "who are you looking for help for": "who_for",
    "what first name": "first_name",
    "what phone number should we call": "callback_phone",
    "best time to call": "best_time",
    "do you agree that": "consent",
    "how are you related": "caller_relation",
    "what substances": "substances",
    "when was the last use": "last_use",
    "when was the most recent time": "last_use",
    "signs like shaking": "withdrawal_signs",
    "have you wished you were dead": "suicide_wish",
    "thoughts of killing yourself": "suicide_thoughts",
    "said they wished they were dead": "loved_one_suicide_risk",
    "any treatment before": "prior_treatment",
    "is there health insurance": "insurance",
    "member id": "insurance_member_id",
    "which state": "state",
    "voicemail or send a text": "contact_permissions",
    # Not a form question: the direct safety question when the crisis detector is unsure.
    "make sure you're safe": "safety_check_in",
}
CONTACT_SLOTS = frozenset({"who_for", "first_name", "callback_phone", "best_time", "consent"})
# utter_offer_screening, after the lead is stored.
OFFER_CUE = "shall we go on"
OFFER_ANSWERS = {"yes": "yes", "no": "no thanks", "stop-at": "yes"}
# utter_intake_start: the intro before the first question.
INTRO = "quick questions at most"
# utter_handoff_confirmed (and its immediate variant).
CONFIRMATION = re.compile(r"call-back request (L-[A-Z0-9]+) is saved")
# How a conversation ends: words of the bot's last message (domain.yml).
ENDINGS: Dict[str, str] = {
    "intake_stopped": "i've stopped. nothing was sent",
    "no_consent": "no callback request was created",
    "screening_declined": "your call-back request stands as it is",
    "screening_done": "that helps our team prepare",
    "screening_done_immediate": "our team will call you first",
    "screening_stopped": "i've stopped the questions",
}
ENDING_OF_SCREENING = {"yes": "screening_done", "no": "screening_declined", "stop-at": "screening_stopped"}
# Every field of a stored lead a persona's expectation must give.
LEAD_FIELDS = (
    "phone", "first_name", "who_for", "caller_relation", "best_time",
    "urgency", "level_of_care", "permissions", "answers",
)
DEFAULT_STOP = "I don't want to do this anymore"
MAX_TURNS = 40
# A question asked this many times more than the persona plans to answer it: the answer is not understood.
SPARE_ASKS = 1
# Contact questions a persona without detours answers before its lead is stored.
MAX_QUESTIONS_TO_LEAD = 5

# The same texts in Spanish (locale/es.yml), lower case.
QUESTION_CUES_ES: Dict[str, str] = {
    "para quién busca ayuda": "who_for",
    "qué nombre usamos": "first_name",
    "a qué número de teléfono le llamamos": "callback_phone",
    "mejor momento para llamarle": "best_time",
    "está de acuerdo en que": "consent",
    "qué relación tiene usted": "caller_relation",
    "de qué sustancias se trata": "substances",
    "cuándo fue el último consumo": "last_use",
    "cuándo fue la vez más reciente": "last_use",
    "señales como temblores": "withdrawal_signs",
    "ha deseado estar muerto": "suicide_wish",
    "la idea de suicidarse": "suicide_thoughts",
    "ha dicho que quisiera estar muerto": "loved_one_suicide_risk",
    "algún tratamiento antes": "prior_treatment",
    "hay seguro médico": "insurance",
    "número de miembro": "insurance_member_id",
    "en qué estado vive": "state",
    # Not "mensaje de voz o de texto": the consent question says that too.
    "mensaje de voz o enviarle": "contact_permissions",
    # Not a form question: the direct safety question when the crisis detector is unsure.
    "asegurarme de que esté a salvo": "safety_check_in",
}
OFFER_CUE_ES = "¿seguimos?"
OFFER_ANSWERS_ES = {"yes": "sí", "no": "no, gracias", "stop-at": "sí"}
INTRO_ES = "preguntas rápidas como máximo"
CONFIRMATION_ES = re.compile(r"solicitud de llamada (L-[A-Z0-9]+) está guardada")
ENDINGS_ES: Dict[str, str] = {
    "intake_stopped": "ya paré. no se envió nada",
    "no_consent": "no se creó ninguna solicitud de llamada",
    "screening_declined": "su solicitud de llamada queda tal como está",
    "screening_done": "eso ayuda a nuestro equipo a prepararse",
    "screening_done_immediate": "nuestro equipo le llamará con prioridad",
    "screening_stopped": "ya paré las preguntas",
}
DEFAULT_STOP_ES = "Ya no quiero seguir con esto"


@dataclass(frozen=True)
class Cues:
    """What the suite reads in the bot's replies, and says itself, in one language."""

    questions: Dict[str, str]  # words of each question -> its slot
    offer: str  # words of the offer of the screening
    offer_answers: Dict[str, str]  # a persona's `screening` -> what it says to the offer
    intro: str
    confirmation: re.Pattern[str]  # group 1: the lead's reference
    endings: Dict[str, str]
    default_stop: str


CUES: Dict[str, Cues] = {
    "en": Cues(QUESTION_CUES, OFFER_CUE, OFFER_ANSWERS, INTRO, CONFIRMATION, ENDINGS, DEFAULT_STOP),
    "es": Cues(QUESTION_CUES_ES, OFFER_CUE_ES, OFFER_ANSWERS_ES, INTRO_ES, CONFIRMATION_ES, ENDINGS_ES, DEFAULT_STOP_ES),
}
# A question's slot, for the offer of the screening.
OFFER = "offer"


def question_cues(languages: Tuple[str, ...]) -> Dict[str, str]:
    """Cue -> slot of every question, in these languages."""
    return {cue: slot for language in languages for cue, slot in CUES[language].questions.items()}


def meaning(cue: str, languages: Tuple[str, ...]) -> Optional[Tuple[str, str]]:
    """(language, slot) of a cue: what it asks, whatever the words."""
    for language in languages:
        if cue in CUES[language].questions:
            return language, CUES[language].questions[cue]
        if cue == CUES[language].offer:
            return language, OFFER
    return None


@dataclass(frozen=True)
class Interjection:
    """A message said before answering a question; the same question must come back after it."""

    say: str
    reply_contains: Optional[str] = None


@dataclass(frozen=True)
class Persona:
    name: str
    channel: str
    phone: str
    opening: str
    user: Dict[str, List[str]]
    before: Dict[str, List[Interjection]]
    screening: Optional[str]  # "yes", "no" or "stop-at"; None when no lead is expected
    stop_at: Optional[str]
    stop_with: str
    expect: Dict[str, Any]
    sms_from: Optional[str] = None
    language: str = "en"
    # Set when the persona starts in another language and switches to ``language``.
    opening_language: Optional[str] = None

    @property
    def languages(self) -> Tuple[str, ...]:
        """The languages whose cues the persona knows, the opening's first."""
        first = self.opening_language or self.language
        return (first,) if first == self.language else (first, self.language)

    @property
    def detours(self) -> bool:
        """Whether the contact questions take more than one answer each (a re-ask, a digression)."""
        contact = [cue for cue, slot in question_cues(self.languages).items() if slot in CONTACT_SLOTS]
        return any(self.before.get(cue) or len(self.user.get(cue, [])) > 1 for cue in contact)

    @property
    def expected_end(self) -> str:
        if "end" in self.expect:
            return str(self.expect["end"])
        if self.screening is None:
            raise ValueError(f"{self.name}: expect.end is needed without a screening answer")
        return ENDING_OF_SCREENING[self.screening]


def _as_screening(value: Any) -> Tuple[Optional[str], Optional[str]]:
    """``yes`` / ``no`` (YAML reads them as booleans) or ``stop-at:<cue>`` -> (kind, stop cue)."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return ("yes" if value else "no"), None
    text = str(value)
    if text.startswith("stop-at:"):
        return "stop-at", text.split(":", 1)[1].strip()
    return text, None


def _as_interjection(item: Any) -> Interjection:
    if isinstance(item, str):
        return Interjection(item)
    return Interjection(str(item["say"]), item.get("reply_contains"))


def load_personas(path: Path = PERSONAS_FILE) -> List[Persona]:
    personas = []
    for raw in yaml.safe_load(path.read_text(encoding="utf-8")):
        screening, stop_at = _as_screening(raw.get("screening"))
        language = raw.get("language", "en")
        if language not in CUES or raw.get("opening_language", language) not in CUES:
            raise ValueError(f"{raw['name']}: no cues for language {language!r}")
        personas.append(Persona(
            name=raw["name"],
            channel=raw["channel"],
            phone=raw["phone"],
            opening=raw["opening"],
            user={cue: [str(r) for r in replies] for cue, replies in raw.get("user", {}).items()},
            before={cue: [_as_interjection(i) for i in items] for cue, items in raw.get("before", {}).items()},
            screening=screening,
            stop_at=stop_at,
            stop_with=raw.get("stop_with", CUES[language].default_stop),
            expect=raw["expect"],
            sms_from=raw.get("sms_from"),
            language=language,
            opening_language=raw.get("opening_language"),
        ))
    return personas


PERSONAS = load_personas()
SPANISH_PERSONAS = load_personas(SPANISH_PERSONAS_FILE)
ALL_PERSONAS = PERSONAS + SPANISH_PERSONAS


# --- talking -------------------------------------------------------------------------------------

Talk = Callable[[str], str]


def rest_talk(assistant: Any, sender: str) -> Talk:
    def talk(text: str) -> str:
        return "\n".join(m.get("text", "") for m in assistant.say(sender, text))

    return talk


def sms_talk(assistant: Any, number: str) -> Talk:
    def talk(text: str) -> str:
        return "\n".join(json.loads(send_sms(assistant, number, text, "--json"))["replies"])

    return talk


@dataclass
class Outcome:
    ending: str
    reference: Optional[str]
    questions_to_lead: Optional[int]
    transcript: List[Tuple[str, str]]

    def bot_text(self) -> str:
        return "\n".join(text for who, text in self.transcript if who == "bot")


def tail(transcript: List[Tuple[str, str]], entries: int = 10) -> str:
    return "\n".join(f"  {who:>4}: {text}" for who, text in transcript[-entries:])


class ConversationFailed(AssertionError):
    pass


def _last_position(lowered: str, phrases: List[str]) -> Tuple[int, Optional[str]]:
    """The phrase found latest in the text (the longest on a tie), and where; (-1, None) if none is."""
    best: Tuple[int, int, Optional[str]] = (-1, 0, None)
    for phrase in phrases:
        at = lowered.rfind(phrase)
        if at >= 0 and (at, len(phrase)) > best[:2]:
            best = (at, len(phrase), phrase)
    return best[0], best[2]


class Run:
    """One persona's conversation: answers whatever is asked by its cue, until the conversation ends."""

    def __init__(self, persona: Persona, talk: Talk) -> None:
        self.persona = persona
        self._talk = talk
        self.transcript: List[Tuple[str, str]] = []
        self.asks: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.interjected: Counter[str] = Counter()
        # Set when the lead is confirmed: its reference, and the form questions asked before.
        self.reference: Optional[str] = None
        self.questions_to_lead: Optional[int] = None
        # The cues of the languages the persona speaks (one, or the opening's and the one it switches to).
        self.languages = persona.languages
        self.questions = question_cues(self.languages)
        self.offers = {CUES[language].offer: CUES[language] for language in self.languages}
        self.endings = {words: kind for language in self.languages for kind, words in CUES[language].endings.items()}

    def fail(self, why: str) -> ConversationFailed:
        return ConversationFailed(f"{self.persona.name}: {why}\nconversation tail:\n{tail(self.transcript)}")

    def say(self, text: str) -> str:
        self.transcript.append(("user", text))
        reply = self._talk(text)
        self.transcript.append(("bot", reply))
        return reply

    def cues(self) -> List[str]:
        return sorted({*self.questions, *self.offers, *self.persona.user, *self.persona.before})

    def what_is_asked(self, reply: str) -> Tuple[Optional[str], Optional[str]]:
        """(ending, question): whichever comes last in the reply; both None when neither is there."""
        lowered = reply.lower()
        ending_at, ending_words = _last_position(lowered, list(self.endings))
        cue_at, cue = _last_position(lowered, self.cues())
        if ending_words is not None and ending_at > cue_at:
            return self.endings[ending_words], None
        return None, cue

    def confirmed(self, reply: str) -> Optional[str]:
        """The lead's reference, when the reply confirms it is stored."""
        for language in self.languages:
            if found := CUES[language].confirmation.search(reply):
                return found.group(1)
        return None

    def next_message(self, cue: str) -> Tuple[str, Optional[Interjection]]:
        """What the persona says when asked ``cue``: an interjection first, then its replies in order."""
        persona = self.persona
        planned = persona.before.get(cue, [])
        if self.interjected[cue] < len(planned):
            interjection = planned[self.interjected[cue]]
            self.interjected[cue] += 1
            return interjection.say, interjection
        if cue in self.offers and cue not in persona.user:
            if persona.screening is None:
                raise self.fail("the bot offered the screening, but this persona expects no lead")
            return self.offers[cue].offer_answers[persona.screening], None
        if cue == persona.stop_at:
            return persona.stop_with, None
        replies = persona.user.get(cue)
        if not replies:
            raise self.fail(f"unexpected question (persona has no answer for {cue!r})")
        reply = replies[min(self.answered[cue], len(replies) - 1)]
        self.answered[cue] += 1
        return reply, None

    def ask_limit(self, cue: str) -> int:
        return len(self.persona.before.get(cue, [])) + len(self.persona.user.get(cue, [])) + SPARE_ASKS

    def run(self) -> Outcome:
        reply = self.say(self.persona.opening)
        if CUES[self.languages[0]].intro not in reply.lower():
            raise self.fail("the first reply is not the intro to the call-back questions")
        questions = 0
        pending: Optional[Tuple[str, Interjection]] = None
        for _ in range(MAX_TURNS):
            if self.reference is None and (reference := self.confirmed(reply)):
                self.reference, self.questions_to_lead = reference, questions
            ending, cue = self.what_is_asked(reply)
            if pending is not None:
                self.check_came_back(pending, cue, reply)
                pending = None
            if ending is not None:
                return Outcome(ending, self.reference, self.questions_to_lead, self.transcript)
            if cue is None:
                raise self.fail("the bot's reply asks no question the suite knows, and ends nothing")
            if self.reference is None and cue in self.questions:
                questions += 1
            self.asks[cue] += 1
            if self.asks[cue] > self.ask_limit(cue):
                raise self.fail(f"{cue!r} asked {self.asks[cue]} times: the answer is not understood")
            text, interjection = self.next_message(cue)
            if interjection is not None:
                pending = (cue, interjection)
            reply = self.say(text)
        raise self.fail(f"no end after {MAX_TURNS} turns")

    def check_came_back(self, pending: Tuple[str, Interjection], cue: Optional[str], reply: str) -> None:
        """After a digression or a request for a person: an answer to it, then the same question again."""
        asked, interjection = pending
        if cue is None or not self.asked_again(asked, cue):
            raise self.fail(f"after {interjection.say!r} the question {asked!r} did not come back")
        # What comes before the sentence that asks the question again.
        answer = re.sub(r"[^.!?\n]*$", "", reply[: reply.lower().rfind(cue)]).strip()
        if not answer:
            raise self.fail(f"{interjection.say!r} got no answer before the question came back")
        if interjection.reply_contains and interjection.reply_contains.lower() not in reply.lower():
            raise self.fail(f"the answer to {interjection.say!r} does not say {interjection.reply_contains!r}")

    def asked_again(self, asked: str, cue: str) -> bool:
        """The same words, or (after a switch of language) the same question in the other language."""
        if cue == asked:
            return True
        before, now = meaning(asked, self.languages), meaning(cue, self.languages)
        return before is not None and now is not None and before[0] != now[0] and before[1] == now[1]


# --- the suite ------------------------------------------------------------------------------------

@dataclass
class SuiteResults:
    """What the personas that ran did, for the summary line."""

    passed: List[str] = field(default_factory=list)
    ran: List[str] = field(default_factory=list)
    questions_to_lead: Dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        counts = list(self.questions_to_lead.values())
        mean = f"{statistics.mean(counts):.2f} over {len(counts)} leads" if counts else "no leads"
        return (f"personas: {len(self.passed)} of {len(self.ran)} passed ({len(ALL_PERSONAS)} in the suite); "
                f"mean questions to lead: {mean}")


@pytest.fixture(scope="module")
def suite_results(request):
    results = SuiteResults()
    yield results
    line = results.summary()
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    # Teardown output is captured (and dropped when the last test passed): write past the capture.
    with capture.global_and_fixture_disabled():
        reporter.write("\n" + line + "\n")


# Conversations played at once: each persona has its own conversation and number, and the
# servers take turns of different conversations concurrently; one at a time took 7 minutes.
PARALLEL = 4


@dataclass
class Played:
    """One persona's conversation, played before the tests look at it."""

    conversation_id: str
    questions_to_lead: Optional[int]
    outcome: Optional[Outcome] = None
    failed: Optional[ConversationFailed] = None


def selected_personas(session: pytest.Session) -> List[Persona]:
    """The personas whose tests this run collected (``-k`` picks some): only those are played."""
    params = [getattr(getattr(item, "callspec", None), "params", {}) for item in session.items]
    names = {chosen["persona"].name for chosen in params if "persona" in chosen}
    return [p for p in ALL_PERSONAS if p.name in names]


@pytest.fixture(scope="module")
def played(assistant, request) -> Dict[str, Played]:
    secret = sms.id_secret(assistant.env).value
    personas = selected_personas(request.session)

    def play(persona: Persona) -> Played:
        if persona.channel == "rest":
            sender = web_ids.new_web_id()
            conversation_id, talk = sender, rest_talk(assistant, sender)
        else:
            number = persona.sms_from or persona.phone
            conversation_id, talk = sms.conversation_key(number, secret), sms_talk(assistant, number)
        run = Run(persona, talk)
        try:
            outcome = run.run()
        except ConversationFailed as exc:
            return Played(conversation_id, run.questions_to_lead, failed=exc)
        return Played(conversation_id, run.questions_to_lead, outcome=outcome)

    with ThreadPoolExecutor(PARALLEL) as pool:
        return dict(zip([p.name for p in personas], pool.map(play, personas)))


def lead_fields(record: Dict[str, Any]) -> Dict[str, Any]:
    return {name: record.get(name) for name in LEAD_FIELDS}


def differences(expected: Dict[str, Any], actual: Dict[str, Any]) -> str:
    lines = []
    for name in LEAD_FIELDS:
        if expected[name] != actual[name]:
            lines.append(f"  {name}: expected {expected[name]!r}, stored {actual[name]!r}")
    return "\n".join(lines)


def check_stored(persona: Persona, outcome: Outcome, conversation_id: str, after: List[Dict[str, Any]]) -> None:
    """The lead the persona must leave, field by field, or none at all (other personas run at the same time)."""
    mine = [r for r in after if r["phone"] == persona.phone]
    from_this_conversation = [r for r in after if r["conversation_id"] == conversation_id]
    for number in persona.expect.get("no_lead_for", []):
        assert not [r for r in after if r["phone"] == number], f"a lead was stored for {number}"
    if persona.expect.get("no_lead"):
        assert not mine, f"a lead was stored: {mine[0]['reference']}"
        assert not from_this_conversation, "a lead was stored for another number"
        return
    assert outcome.reference, "the lead was never confirmed"
    assert len(mine) == 1, f"{len(mine)} leads for {persona.phone}"
    assert from_this_conversation == mine, "more than one lead was stored"
    record = mine[0]
    assert record["reference"] == outcome.reference
    assert record["consent"] is True
    assert record["source_channel"] == persona.channel
    expected = {name: persona.expect["lead"][name] for name in LEAD_FIELDS}
    actual = lead_fields(record)
    assert actual == expected, f"the stored lead differs:\n{differences(expected, actual)}"
    # The lead's language, once the JSON has it: checked for the personas that do not speak English.
    if "language" in record and (persona.language != "en" or "language" in persona.expect["lead"]):
        language = persona.expect["lead"].get("language", persona.language)
        assert record["language"] == language, f"the stored lead differs:\n  language: expected {language!r}, stored {record['language']!r}"


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.name for p in PERSONAS])
def test_persona(persona: Persona, assistant, played: Dict[str, Played], suite_results: SuiteResults, record_property):
    check_persona(persona, assistant, played, suite_results, record_property)


# Its own test, so that `-k persona_es` picks the Spanish personas (and `-k "not persona_es"` the others).
@pytest.mark.parametrize("persona", SPANISH_PERSONAS, ids=[p.name for p in SPANISH_PERSONAS])
def test_persona_es(persona: Persona, assistant, played: Dict[str, Played], suite_results: SuiteResults, record_property):
    check_persona(persona, assistant, played, suite_results, record_property)


def check_persona(persona: Persona, assistant, played: Dict[str, Played], suite_results: SuiteResults, record_property):
    suite_results.ran.append(persona.name)
    mine = played[persona.name]
    # Recorded whether or not the rest of the conversation went right.
    record_property("questions_to_lead", mine.questions_to_lead)
    if mine.questions_to_lead is not None:
        suite_results.questions_to_lead[persona.name] = mine.questions_to_lead
    if mine.failed is not None:
        # What was stored by then, to tell a stuck conversation from a wrong lead.
        stored = [lead_fields(r) for r in listed_callbacks(assistant) if r["phone"] == persona.phone]
        raise ConversationFailed(f"{mine.failed}\nstored for {persona.phone}: {stored or 'nothing'}") from None
    outcome = mine.outcome
    assert outcome is not None
    try:
        assert outcome.ending == persona.expected_end, f"ended {outcome.ending}, not {persona.expected_end}"
        said = outcome.bot_text().lower()
        for words in persona.expect.get("bot_said", []):
            assert words.lower() in said, f"the bot never said {words!r}"
        if outcome.questions_to_lead is not None and not persona.detours:
            assert outcome.questions_to_lead <= MAX_QUESTIONS_TO_LEAD, (
                f"{outcome.questions_to_lead} questions before the lead was stored")
        check_stored(persona, outcome, mine.conversation_id, listed_callbacks(assistant))
    except AssertionError as exc:
        raise AssertionError(f"{persona.name}: {exc}\nconversation tail:\n{tail(outcome.transcript)}") from None
    suite_results.passed.append(persona.name)


def test_the_personas_cover_the_brief():
    """The suite's own shape: enough personas, distinct numbers, known cues, every lead field expected."""
    assert len(PERSONAS) >= 32
    assert sum(p.channel == "sms" for p in PERSONAS) >= 8
    assert {p.channel for p in PERSONAS} == {"rest", "sms"}
    assert len({p.name for p in PERSONAS}) == len(PERSONAS)
    numbers = [n for p in PERSONAS for n in {p.phone, p.sms_from or p.phone}]
    assert len(numbers) == len(set(numbers)), "a number is used by two personas"
    known = {*QUESTION_CUES, OFFER_CUE}
    for persona in PERSONAS:
        assert set(persona.user) | set(persona.before) <= known, persona.name
        assert persona.stop_at is None or persona.stop_at in QUESTION_CUES, persona.name
        assert persona.expected_end in ENDINGS, persona.name
        if persona.expect.get("no_lead"):
            assert "lead" not in persona.expect, persona.name
        else:
            assert set(persona.expect["lead"]) == set(LEAD_FIELDS), persona.name
            assert persona.screening is not None, persona.name


def test_the_spanish_personas_cover_the_brief():
    """personas_es.yml's shape: enough of them on both channels, numbers and names of their own, known cues."""
    assert len(SPANISH_PERSONAS) >= 12
    channels = Counter(p.channel for p in SPANISH_PERSONAS)
    assert set(channels) == {"rest", "sms"} and min(channels.values()) >= len(SPANISH_PERSONAS) // 3, channels
    assert {p.language for p in SPANISH_PERSONAS} == {"es"}
    assert any(p.opening_language == "en" for p in SPANISH_PERSONAS), "nobody switches from English"
    assert len({p.name for p in ALL_PERSONAS}) == len(ALL_PERSONAS)
    numbers = [n for p in ALL_PERSONAS for n in {p.phone, p.sms_from or p.phone}]
    assert len(numbers) == len(set(numbers)), "a number is used by two personas"
    for persona in SPANISH_PERSONAS:
        questions = question_cues(persona.languages)
        known = {*questions, *(CUES[language].offer for language in persona.languages)}
        assert set(persona.user) | set(persona.before) <= known, persona.name
        assert persona.stop_at is None or persona.stop_at in questions, persona.name
        assert persona.expected_end in ENDINGS_ES, persona.name
        if persona.expect.get("no_lead"):
            assert "lead" not in persona.expect, persona.name
        else:
            assert set(persona.expect["lead"]) == {*LEAD_FIELDS, "language"}, persona.name
            assert persona.screening is not None, persona.name

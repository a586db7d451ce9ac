"""Scripted conversations with the replies they must get, for the scale-out test and the load benchmark.

Phrasings come from the e2e tests and the held-out NLU set (tests/nlu_test.yml);
the facts a reply must state come from facility.yml, never written out here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Tuple

from helpline.facility import load_facility
from tests.e2e.test_intake_e2e import ANSWERS, CONFIRMATION

FACTS = load_facility().placeholders()


@dataclass(frozen=True)
class FaqTurn:
    text: str
    # Every one of these must appear in the reply.
    expect: Tuple[str, ...]

    def check(self, reply: str, asked_before: int = 0) -> Optional[str]:
        """None if the reply is right, else what is wrong (without the reply's text).

        A question asked again gets a follow-up, not the same facts (helpline/faq/answers.py).
        """
        if asked_before and self.text != "hi":
            cue = REPEAT_CUES[min(asked_before, len(REPEAT_CUES)) - 1]
            return None if cue in reply else f"repeat {asked_before} of {self.text!r} lacks {cue!r}"
        missing = [fact for fact in self.expect if fact not in reply]
        return f"reply to {self.text!r} lacks {missing}" if missing else None


# What the second and later asks of the same FAQ topic say instead of the answer (domain.yml).
REPEAT_CUES = ("I answered that just above", "A person can go through the details")


FAQ_TURNS: Tuple[FaqTurn, ...] = (
    FaqTurn("hi", (FACTS["facility_name"],)),
    FaqTurn("how many hours a week is the program?", (FACTS["hours_per_week_min"], FACTS["hours_per_week_max"])),
    FaqTurn("what's the address", (FACTS["address"],)),
    FaqTurn("what is the usual length of the program", (FACTS["typical_length"],)),
    # The greeting's own button text: a retraining on 2026-12-03 (issue 16) answered "will you
    # bill my insurance" with the privacy answer, and this test checks replicas, not the classifier.
    FaqTurn("does insurance cover it?", (FACTS["insurance_accepted"],)),
    FaqTurn("what are your office hours", (FACTS["office_hours"],)),
)

INTAKE_OPENING = "can someone call me about my drinking?"


def texts(messages: Sequence[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def phone_for(number: int) -> str:
    """A distinct fictional number (555-01xx) per intake, so each stored lead can be told apart."""
    return f"602-555-01{number % 100:02d}"


def intake_answerer(phone: str) -> Callable[[str], str]:
    """The caller of tests/e2e/test_intake_e2e.py, giving ``phone`` as their number."""
    answers = [(cue, phone if cue == "what phone number" else answer) for cue, answer in ANSWERS]

    def answer(reply: str) -> str:
        question = reply.split("\n")[-1].lower()
        for cue, text in answers:
            if cue in question:
                return text
        raise WrongReply(f"unexpected question from the bot: {question!r}")

    return answer


def faq_rounds(count: int, start: int = 0) -> List[FaqTurn]:
    return [FAQ_TURNS[(start + i) % len(FAQ_TURNS)] for i in range(count)]


class WrongReply(AssertionError):
    pass


@dataclass
class FaqConversation:
    """Questions one after another; each reply must state its facts."""

    sender: str
    turns: List[FaqTurn]
    sent: List[str] = field(default_factory=list)

    def next_message(self, last_reply: Optional[str]) -> Optional[str]:
        """Check the reply to the previous message; the next message, or None when done."""
        if self.sent:
            problem = self.turns[len(self.sent) - 1].check(last_reply or "")
            if problem:
                raise WrongReply(problem)
        if len(self.sent) == len(self.turns):
            return None
        self.sent.append(self.turns[len(self.sent)].text)
        return self.sent[-1]


@dataclass
class IntakeConversation:
    """From asking for a call to the stored lead's confirmation, answering each question of the form."""

    sender: str
    phone: str
    sent: List[str] = field(default_factory=list)
    confirmation: Optional[str] = None
    max_turns: int = 25

    def next_message(self, last_reply: Optional[str]) -> Optional[str]:
        if not self.sent:
            self.sent.append(INTAKE_OPENING)
            return INTAKE_OPENING
        reply = last_reply or ""
        if CONFIRMATION.search(reply):
            # The lead is stored: the optional screening that follows is not part of the load.
            self.confirmation = reply
            return None
        if len(self.sent) >= self.max_turns:
            raise WrongReply(f"the intake did not finish in {self.max_turns} turns")
        self.sent.append(intake_answerer(self.phone)(reply))
        return self.sent[-1]

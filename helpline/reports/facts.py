"""What one tracker event says about its conversation, in counts and codes: plain Python, no database.

The rollup (:mod:`helpline.reports.rollup`) feeds a conversation's events, in
order, to :meth:`Conversation.apply`. What is read, by event type (Rasa 3.6's
event JSON, as ``helpline_rasa.tracker_store`` stores it):

- ``user``: one message from the person; its ``input_channel`` names the channel.
- ``bot``: ``metadata.utter_action`` names the response. ``utter_clarify_faq`` is
  the FAQ asking "is it about one of these?" instead of answering
  (``actions.faq.offer_topics``); ``utter_default`` is the "Sorry, I didn't quite
  get that" menu (the ``nlu_fallback`` rule, or a clarification with nothing to offer).
- ``slot``: ``language`` (the conversation's language, set after every message),
  ``requested_slot`` (the intake question being asked, while ``intake_form`` or
  ``screening_form`` is active), ``faq_topics_answered`` (``action_answer_faq``
  appends each topic it answers: the last item is the topic just answered) and
  ``lead_reference`` (set when a lead is stored; only the fact is kept, not the value).
- ``active_loop``: which form runs; ``intake_form`` means the intake started.
- ``action`` ``action_crisis_response`` (from the plain ``action_name`` column):
  crisis language was answered and a follow-up flagged.

Nothing else is read, and no value is kept unless it is one of a fixed set of
codes (languages, channels, question names, topic names of a fixed shape), so a
conversation's words can never reach a report.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, ClassVar, Dict, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo

from helpline.intake.questions import FORM_OF_STAGE, QUESTIONS
from helpline.language import DEFAULT_LANGUAGE, LANGUAGES

# One bit per intake question, in form order. Append-only: stored rows keep their
# bits, so a question's bit never changes (a test checks every question has one).
STEP_BITS: Dict[str, int] = {
    slot: 1 << position for position, slot in enumerate((
        "who_for", "first_name", "callback_phone", "best_time", "consent",
        "caller_relation", "substances", "last_use", "withdrawal_signs", "suicide_wish", "suicide_thoughts",
        "loved_one_suicide_risk", "prior_treatment", "insurance", "insurance_member_id", "state",
        "contact_permissions",
    ))
}
# The funnel's questions in the order the forms ask them (helpline.intake.questions).
STEPS: Tuple[str, ...] = tuple(q.slot for q in QUESTIONS if q.slot in STEP_BITS)
INTAKE_FORM = FORM_OF_STAGE["contact"]
INTAKE_FORMS = frozenset(FORM_OF_STAGE.values())

# Rasa's input channel names -> the channel a report shows.
CHANNEL_OF_INPUT = {"rest": "web", "socketio": "web", "sms": "sms", "twilio": "sms"}
# A sender id's prefix says the channel when no message has (helpline.channels.web_ids, .sms).
CHANNEL_OF_PREFIX = (("web-", "web"), ("sms-", "sms"))
OTHER_CHANNEL = "other"
_CODE = re.compile(r"[a-z][a-z0-9_]{0,47}")
MAX_CHANNEL_CHARS = 16

CLARIFY_RESPONSE = "utter_clarify_faq"
FALLBACK_RESPONSE = "utter_default"
CRISIS_ACTION = "action_crisis_response"
TOPICS_SLOT = "faq_topics_answered"
LEAD_SLOT = "lead_reference"
# Event types whose JSON the rollup must decrypt; the others are read from plain columns.
NEEDS_DATA = frozenset({"user", "bot", "slot", "active_loop"})
# Events that start a new conversation of the same sender.
SESSION_STARTS = frozenset({"session_started", "restart"})


def is_code(value: Any, max_chars: int = 48) -> bool:
    """A lower-case identifier such as a topic or channel name: never free text."""
    return isinstance(value, str) and len(value) <= max_chars and _CODE.fullmatch(value) is not None


def channel_of(input_channel: Any, sender_id: str = "") -> str:
    if input_channel in CHANNEL_OF_INPUT:
        return CHANNEL_OF_INPUT[input_channel]
    if is_code(input_channel, MAX_CHANNEL_CHARS):
        return str(input_channel)
    for prefix, channel in CHANNEL_OF_PREFIX:
        if sender_id.startswith(prefix):
            return channel
    return OTHER_CHANNEL


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def when(timestamp: Any) -> Optional[datetime]:
    try:
        return datetime.fromtimestamp(float(timestamp), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@dataclass
class Conversation:
    """The figures of one conversation so far; the fields are those of ``ConversationStats``."""

    started_at: datetime
    local_day: date
    last_event_at: datetime
    channel: str = OTHER_CHANNEL
    language: str = DEFAULT_LANGUAGE
    user_messages: int = 0
    faq_answers: int = 0
    clarifications: int = 0
    fallbacks: int = 0
    intake_started: bool = False
    intake_steps: int = 0
    lead_stored: bool = False
    crisis_flagged: bool = False
    active_form: Optional[str] = None
    # FAQ topics answered by the events applied (not stored on the row: the rollup adds them per day).
    topics: Counter = field(default_factory=Counter)

    FIELDS: ClassVar[Tuple[str, ...]] = (
        "started_at", "local_day", "last_event_at", "channel", "language", "user_messages", "faq_answers",
        "clarifications", "fallbacks", "intake_started", "intake_steps", "lead_stored", "crisis_flagged",
        "active_form",
    )

    @classmethod
    def starting(cls, at: datetime, zone: str, sender_id: str = "") -> Conversation:
        return cls(started_at=at, local_day=local_day(at, zone), last_event_at=at, channel=channel_of(None, sender_id))

    @classmethod
    def from_row(cls, row: Any) -> Conversation:
        return cls(**{name: getattr(row, name) for name in cls.FIELDS})

    def values(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}

    def apply(self, type_name: str, event: Optional[Mapping[str, Any]], at: Optional[datetime], zone: str,
              action_name: Optional[str] = None, sender_id: str = "") -> None:
        """Take one event into account; ``event`` is its JSON (``None`` when not needed or unreadable)."""
        if at is not None and at > self.last_event_at:
            self.last_event_at = at
        data: Mapping[str, Any] = event or {}
        if type_name == "user":
            self._user(data, at, zone, sender_id)
        elif type_name == "bot":
            metadata = data.get("metadata")
            utter = metadata.get("utter_action") if isinstance(metadata, dict) else None
            if utter == CLARIFY_RESPONSE:
                self.clarifications += 1
            elif utter == FALLBACK_RESPONSE:
                self.fallbacks += 1
        elif type_name == "slot":
            self._slot(data.get("name"), data.get("value"))
        elif type_name == "active_loop":
            name = data.get("name")
            self.active_form = name if is_code(name, 32) else None
            if name == INTAKE_FORM:
                self.intake_started = True
        elif type_name == "action" and action_name == CRISIS_ACTION:
            self.crisis_flagged = True

    def _user(self, data: Mapping[str, Any], at: Optional[datetime], zone: str, sender_id: str) -> None:
        if self.user_messages == 0:
            # A conversation dates from the person's first message, not from the session's start.
            if at is not None:
                self.started_at, self.local_day = at, local_day(at, zone)
            self.channel = channel_of(data.get("input_channel"), sender_id)
        self.user_messages += 1

    def _slot(self, name: Any, value: Any) -> None:
        if name == "language":
            if value in LANGUAGES:
                self.language = value
        elif name == "requested_slot":
            if value in STEP_BITS and self.active_form in INTAKE_FORMS:
                self.intake_steps |= STEP_BITS[value]
        elif name == TOPICS_SLOT:
            if isinstance(value, list) and value and is_code(value[-1]):
                self.faq_answers += 1
                self.topics[value[-1]] += 1
        elif name == LEAD_SLOT and value:
            self.lead_stored = True

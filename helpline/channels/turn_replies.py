"""What a channel answers when the assistant itself cannot: the one place these texts live.

Three cases, all answered by the channel (REST, socket.io, SMS) rather than
the dialogue, because the dialogue is what could not (or should not) run:

- a turn that produced no bot message at all: in practice the action server was
  unreachable (restarting, crashed), and Rasa 3.6 then logs the error and says
  nothing. The tracker keeps the message and every slot filled so far, so the
  person can simply send it again.
- a message longer than :data:`MAX_MESSAGE_CHARS`: it is not given to NLU or the
  crisis lexicon (their cost grows with length; the lexicon's faster than
  linearly), and the reply names the crisis lines, since the unread text might
  have needed them.
- a sender over the channels' rate limit (:mod:`helpline.channels.rate_limit`): the
  message is not read either, so the reply again names the helpline and the
  crisis lines; it asks to wait a minute rather than blaming anyone, since the
  sender may be a person in distress typing fast.

The words are in :mod:`helpline.messages` (``channel_notice.*``), in the
conversation's language where the channel knows it (the SMS store remembers a
texter's; the widget sends its own with each message) and in English otherwise;
facts (phone numbers, hours) come from facility.yml through
:mod:`helpline.facility`, worded for that language, like every other answer.
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional

from helpline import messages
from helpline.facility import FacilityConfigError, load_facility
from helpline.language import DEFAULT_LANGUAGE

# Twilio's own limit for one SMS body, and far above what anyone types into the
# chat widget; at this length the crisis lexicon takes well under a second even
# on adversarial text (measured: 0.4-0.7 s at 2,000 characters of one-word clauses).
MAX_MESSAGE_CHARS = 1600


def facility_facts(language: str = DEFAULT_LANGUAGE) -> Dict[str, str]:
    """The facility's facts worded for ``language`` (program name, hours...)."""
    return load_facility().placeholders(language)


_last_good: Dict[str, Dict[str, str]] = {}


def _facts(facts: Optional[Mapping[str, str]], language: str) -> Mapping[str, str]:
    if facts is not None:
        return facts
    try:
        _last_good[language] = facility_facts(language)
    except (OSError, FacilityConfigError):
        # A broken edit of facility.yml must not turn this notice into an error page.
        if language not in _last_good:
            raise
    return dict(_last_good[language])


def not_saved_text(facts: Optional[Mapping[str, str]] = None, language: Optional[str] = None) -> str:
    # Whatever a client wrote in its metadata: a language without wording is answered in English.
    lang = messages.resolve(language)
    return messages.text("channel_notice.not_saved", _facts(facts, lang), language=lang)


def too_long_text(facts: Optional[Mapping[str, str]] = None, language: Optional[str] = None) -> str:
    lang = messages.resolve(language)
    return messages.text("channel_notice.too_long", _facts(facts, lang), language=lang, max_chars=MAX_MESSAGE_CHARS)


def too_many_text(facts: Optional[Mapping[str, str]] = None, language: Optional[str] = None) -> str:
    lang = messages.resolve(language)
    return messages.text("channel_notice.too_many", _facts(facts, lang), language=lang)


def is_too_long(text: str) -> bool:
    return len(text) > MAX_MESSAGE_CHARS

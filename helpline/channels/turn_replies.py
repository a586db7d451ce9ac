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

Facts (phone numbers, hours) come from facility.yml through
:mod:`helpline.facility`, like every other answer.
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional

from helpline.facility import FacilityConfigError, load_facility

# Twilio's own limit for one SMS body, and far above what anyone types into the
# chat widget; at this length the crisis lexicon takes well under a second even
# on adversarial text (measured: 0.4-0.7 s at 2,000 characters of one-word clauses).
MAX_MESSAGE_CHARS = 1600


_last_good: Dict[str, str] = {}


def _facts(facts: Optional[Mapping[str, str]]) -> Mapping[str, str]:
    if facts is not None:
        return facts
    try:
        _last_good.update(load_facility().placeholders())
    except (OSError, FacilityConfigError):
        # A broken edit of facility.yml must not turn this notice into an error page.
        if not _last_good:
            raise
    return dict(_last_good)


def not_saved_text(facts: Optional[Mapping[str, str]] = None) -> str:
    facts = _facts(facts)
    return (
        "Sorry, I couldn't save that just now. Your answers so far are kept; please send your last "
        f"message again in a minute, or call {facts['helpline_phone']}."
    )


def too_long_text(facts: Optional[Mapping[str, str]] = None) -> str:
    facts = _facts(facts)
    return (
        f"That message is longer than I can read at once ({MAX_MESSAGE_CHARS:,} characters at most). "
        "Could you send it again in shorter parts? If you'd rather talk to someone now, call "
        f"{facts['helpline_phone']}, {facts['helpline_hours']}. In an emergency call {facts['emergency_number']}; "
        f"in a crisis call or text {facts['lifeline_number']}."
    )


def too_many_text(facts: Optional[Mapping[str, str]] = None) -> str:
    # Short enough for one SMS reply (at most 320 characters with the sample facility).
    facts = _facts(facts)
    return (
        "You're sending messages faster than I can answer. Please wait a minute, then send your last message "
        f"again. To talk to someone now, call {facts['helpline_phone']}. In an emergency call "
        f"{facts['emergency_number']}; in a crisis call or text {facts['lifeline_number']}."
    )


def is_too_long(text: str) -> bool:
    return len(text) > MAX_MESSAGE_CHARS

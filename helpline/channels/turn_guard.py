"""The one guard every channel (REST, socket.io, SMS and any other Twilio channel) puts around a bot turn.

A channel hands a person's message to the bot only through :func:`guarded_turn`
and answers a rate-limit refusal with :func:`refusal_notice`, so the three
cases where the channel rather than the dialogue answers are handled alike
everywhere, with the texts of :mod:`helpline.channels.turn_replies`:

- a message too long to read is not given to NLU and the crisis lexicon;
- a turn that produced no bot message (the action server was unreachable; Rasa
  3.6 then says nothing) is answered with the resend notice;
- a message over the rate limit is not read, and the sender hears so once per
  run of refused messages.

Each notice is in the conversation's language when the channel knows it
(``language``), else in English.

The channel keeps what is its own: how it collects the bot's messages and how
it sends a notice (a JSON list, a socket.io event, TwiML). Plain Python, no
Rasa: the turn is any coroutine. Logs carry the channel's name and never the
message text (message texts are PHI).
"""
from __future__ import annotations

import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Mapping, Optional, Tuple, Type

from helpline.channels import turn_replies
from helpline.channels.rate_limit import Decision

log = logging.getLogger(__name__)


async def guarded_turn(
    channel: str,
    text: str,
    run: Callable[[], Awaitable[Any]],
    answered: Callable[[], bool],
    *,
    catch: Tuple[Type[BaseException], ...] = (Exception,),
    facts: Optional[Mapping[str, str]] = None,
    language: Optional[str] = None,
) -> Optional[str]:
    """Run one turn of the bot on ``text`` unless it is too long; the notice to send, or ``None`` when the bot answered.

    ``run`` hands the message to the bot; ``answered`` says afterwards whether
    the bot sent anything. A failure of a type in ``catch`` counts as a turn
    without an answer; other failures propagate, for a channel that answers
    them itself (SMS sends its error text). ``language`` is the conversation's,
    when the channel knows it, for the notice (English otherwise).
    """
    if turn_replies.is_too_long(text):
        log.info("%s: a message of %d characters was not read (limit %d)", channel, len(text), turn_replies.MAX_MESSAGE_CHARS)
        return turn_replies.too_long_text(facts, language)
    try:
        await run()
    except catch as exc:
        if isinstance(exc, CancelledError):
            log.error("%s: a turn was cancelled (timeout)", channel)
        else:
            log.error("%s: a turn failed: %s", channel, type(exc).__name__)
    if answered():
        return None
    log.warning("%s: a turn produced no reply (is the action server up?); sent the resend notice", channel)
    return turn_replies.not_saved_text(facts, language)


def refusal_notice(
    channel: str, decision: Decision, *, facts: Optional[Mapping[str, str]] = None, every_time: bool = False,
    language: Optional[str] = None,
) -> Optional[str]:
    """A message was refused by the rate limit and not read: the notice to answer it with, if any.

    A chat answers only the first refused message of a run, then stays silent:
    answering each message of a flood would be a flood of our own (a paid one
    for SMS). ``every_time`` is for REST, where each refused request gets its
    429 anyway and the notice rides in its body.
    """
    log.info("%s: a message over the rate limit was not read (retry in %ds)", channel, decision.retry_after_seconds)
    if every_time or decision.first_refusal:
        return turn_replies.too_many_text(facts, language)
    return None

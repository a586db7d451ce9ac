"""Texting the helpline: the rules of the SMS channel, with no Rasa or web code.

A texter's message goes through :class:`SmsService` before and after the bot:

* carrier keywords first (STOP and friends, START, HELP, and their Spanish
  counterparts ALTO, COMENZAR, AYUDA...), because carriers and Twilio require them
  to work whatever the conversation is doing;
* an opted-out number is silent: nothing reaches the bot, nothing is sent back;
* "2" after "Reply 1 for ..., 2 for ..." becomes the second button's payload;
  a menu stays open until the bot offers another one, and a bare number that
  picks nothing gets the menu again instead of going to the bot;
* "this one" (or the "This number" button) while the bot asks which number to
  call becomes the texter's own number, which only this channel knows;
* the bot's answers are flattened to plain, GSM-friendly text and cut into
  messages of at most 320 characters (three SMS segments) at sentence ends;
* "ESPAÑOL" or "ENGLISH" on its own asks the bot to switch language.

A texter's language is the language of the bot's last reply (each message from
Rasa says which), remembered with their menu; what this layer writes itself
(keyword replies, menus, notices) follows it. Before the bot has answered, it is
what :func:`helpline.language.conversation_language` makes of the message, the
rule the bot itself uses.

Conversations are keyed by a keyed hash of the number (:func:`conversation_key`),
so the tracker store never holds a phone number as a conversation id.
The same rules serve any Twilio messaging channel (WhatsApp too): the service
is told the channel's name and its keys' prefix.
Storage (opt-outs, remembered choices, seen MessageSids) sits behind the
:class:`SmsStore` protocol; ``helpline.store.sms_models`` implements it on SQL.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Protocol, Sequence

from helpline import messages
from helpline.channels import turn_guard
from helpline.channels.rate_limit import RateLimiter
from helpline.intake import parsers
from helpline.language import DEFAULT_LANGUAGE, ENGLISH, LANGUAGES, SPANISH, conversation_language, fold
from helpline.phone import mask_phone
from helpline.security import local_secrets
from helpline.settings import load_settings

log = logging.getLogger(__name__)

# --- conversation keys ------------------------------------------------------------------

KEY_PREFIX = "sms-"
# Without the environment, each install makes its own (local_secrets): no
# value written in this source is ever a secret anyone's server accepts.
ID_SECRET_FILE = "sms-id.secret"
LOCAL_AUTH_TOKEN_FILE = "sms-local-auth.token"


def id_secret(env: Optional[Mapping[str, str]] = None) -> local_secrets.Secret:
    """The HMAC secret for conversation keys: HELPLINE_ID_SECRET, else this install's own file."""
    settings = load_settings(env)
    return local_secrets.setting(settings.id_secret, settings.data_dir, ID_SECRET_FILE)


def auth_token(env: Optional[Mapping[str, str]] = None) -> local_secrets.Secret:
    """The token webhooks must be signed with: Twilio's, else (local trials) this install's own.

    Twilio signs with the account's token, so in local-trial mode no request
    from Twilio (or anyone without the file) passes; ``helpline sms send``
    reads the file and signs with it.
    """
    settings = load_settings(env)
    return local_secrets.setting(settings.twilio_auth_token, settings.data_dir, LOCAL_AUTH_TOKEN_FILE)


def normalize_sender(number: str) -> str:
    """Twilio sends E.164 (``+16025550134``) or ``whatsapp:+1...``; only spacing varies."""
    return re.sub(r"\s+", "", number or "")


def own_number(sender: str) -> str:
    """The texter's phone number in E.164, whatever Twilio channel it came over (``whatsapp:+1...``)."""
    return normalize_sender(sender).removeprefix("whatsapp:")


def conversation_key(number: str, secret: str, prefix: str = KEY_PREFIX) -> str:
    """HMAC-SHA256 of the number: stable per texter, useless to anyone without the secret.

    A plain hash would not do: the space of phone numbers is small enough to
    hash every one of them and look the key up. ``prefix`` names the channel
    (``sms-``; another Twilio channel has its own), so logs tell them apart.
    """
    digest = hmac.new(secret.encode("utf-8"), normalize_sender(number).encode("utf-8"), hashlib.sha256)
    return prefix + digest.hexdigest()


# --- carrier keywords ---------------------------------------------------------------------

# The carrier-standard English words (CTIA's, Twilio's defaults) work for everyone:
# Spanish speakers in the US know STOP from every other sender. The Spanish ones are
# those Spanish-language senders advertise (ALTO, PARAR, CANCELAR, BAJA; COMENZAR,
# INICIAR; AYUDA), matched without accents or case.
#
# "SI" is not an opt-in word, although YES is (a carrier standard we must honour).
# "sí" is the commonest answer in a Spanish conversation, and carriers may deliver
# messages out of order: a "sí" sent before ALTO and delivered after it would undo
# the opt-out the texter just asked for. Nor is an opt-in word ever an answer taken
# from a subscribed texter: for them START or COMENZAR is an ordinary message.
SPANISH_OPT_OUT = frozenset({"ALTO", "PARAR", "CANCELAR", "BAJA"})
SPANISH_OPT_IN = frozenset({"COMENZAR", "INICIAR"})
SPANISH_HELP = frozenset({"AYUDA"})
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}) | SPANISH_OPT_OUT
OPT_IN_KEYWORDS = frozenset({"START", "YES", "UNSTOP"}) | SPANISH_OPT_IN
HELP_KEYWORDS = frozenset({"HELP", "INFO"}) | SPANISH_HELP
SPANISH_KEYWORDS = SPANISH_OPT_OUT | SPANISH_OPT_IN | SPANISH_HELP

# A bare language name asks the bot to continue in that language (the widget's
# "Español" button sends the same payload).
SWITCH_KEYWORDS: Dict[str, str] = {"ESPANOL": SPANISH, "SPANISH": SPANISH, "ENGLISH": ENGLISH, "INGLES": ENGLISH}


def _bare_word(text: str) -> str:
    """A whole message as one upper-case word without accents or the punctuation around it."""
    return fold((text or "").strip().strip(".!?,;:'\"¡¿").strip()).upper()


def keyword_of(text: str) -> Optional[str]:
    """The carrier keyword a message *is* (the whole message, any case or accents), else ``None``.

    Like Twilio, only a message that is just the keyword counts: "please stop
    asking" is a sentence for the bot, "Stop." is an opt-out.
    """
    word = _bare_word(text)
    if word in OPT_OUT_KEYWORDS or word in OPT_IN_KEYWORDS or word in HELP_KEYWORDS:
        return word
    return None


def keyword_language(keyword: str, remembered: Optional[str]) -> str:
    """The language to answer a keyword in.

    A Spanish keyword says the texter reads Spanish. An English one says nothing
    (it is the carrier standard everyone is told to use), so the answer is in the
    conversation's language: a Spanish texter who sends STOP must understand the
    confirmation, the one message carriers allow after it.
    """
    return messages.resolve(SPANISH if keyword in SPANISH_KEYWORDS else remembered)


def switch_asked(text: str) -> Optional[str]:
    """The language a message that is just "Español" (or "English", "inglés"...) asks for, else None."""
    return SWITCH_KEYWORDS.get(_bare_word(text))


def switch_payload(language: str) -> str:
    """What the bot hears for a switch: the intent and entity the widget's language buttons send."""
    return f'/switch_language{{"language":"{language}"}}'


# Texts guessed on a prefix: a language shows in a few words, and a 1,600-character
# message (answered with a notice, unread) need not all be scored.
GUESS_CHARS = 400


def texter_language(stored: Optional[str], text: str) -> str:
    """The texter's language after ``text``: the bot's rule applied to what we remember."""
    return messages.resolve(conversation_language(stored, text[:GUESS_CHARS]))


# Replies to the keywords; the words are in helpline.messages (texter_sms.*).

def help_text(facts: Mapping[str, str], language: str = DEFAULT_LANGUAGE) -> str:
    return messages.text("texter_sms.help", facts, language=language)


def opted_out_text(facts: Mapping[str, str], language: str = DEFAULT_LANGUAGE) -> str:
    return messages.text("texter_sms.opted_out", facts, language=language)


def opted_in_text(facts: Mapping[str, str], language: str = DEFAULT_LANGUAGE) -> str:
    return messages.text("texter_sms.opted_in", facts, language=language)


def error_text(facts: Mapping[str, str], language: str = DEFAULT_LANGUAGE) -> str:
    return messages.text("texter_sms.error", facts, language=language)


# --- numbered choices ------------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    title: str
    payload: str


def choices_from_buttons(buttons: Sequence[Mapping[str, Any]]) -> List[Choice]:
    found = []
    for button in buttons or ():
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if title:
            found.append(Choice(title, payload))
    return found


def numbered_line(choices: Sequence[Choice], number: str = "", language: str = DEFAULT_LANGUAGE) -> str:
    """``Reply 1 for Myself, 2 for Someone I care about.`` (``Responda 1 para Yo, ...`` in Spanish)

    ``number`` is the texter's own: a "this number" choice shows its last
    digits, so the texter knows which number they pick (:func:`shown_title`).
    """
    wording = messages.resolve(language)
    # "1 for What is IOP" reads better than "1 for What is IOP?,"; and "1 para Qué es
    # el IOP" better than "1 para ¿Qué es el IOP", its question mark gone.
    parts = [
        messages.text("texter_sms.menu_choice", language=wording, number=n,
                      title=shown_title(choice, number, language).rstrip("?.!:").lstrip("¿¡"))
        for n, choice in enumerate(choices, start=1)
    ]
    return messages.text("texter_sms.menu_line", language=wording, choices=", ".join(parts))


_NUMBER_REPLY = re.compile(r"^\s*#?\s*(\d{1,2})\s*[.)!]?\s*$")


def is_number_reply(text: str) -> bool:
    """A bare 1- or 2-digit reply ("3", "#3", "3."): meant for a menu, never an answer on its own."""
    return bool(_NUMBER_REPLY.match(text or ""))


def resolve_choice(text: str, choices: Sequence[Choice]) -> Optional[str]:
    """The payload a reply picks ("2", "#2", "2." or the button's title), else ``None``."""
    if not choices:
        return None
    match = _NUMBER_REPLY.match(text or "")
    if match:
        index = int(match.group(1))
        return choices[index - 1].payload if 1 <= index <= len(choices) else None
    typed = (text or "").strip().casefold()
    for choice in choices:
        if choice.title.casefold() == typed:
            return choice.payload
    return None


# The main menu: what a bare number gets when no menu is open. The payloads are
# the web greeting's buttons (utter_greet in domain.yml), so a pick means the same
# on every channel; the titles are wording, in helpline/messages (texter_sms.main_menu).
MAIN_MENU_PAYLOADS: Dict[str, str] = {
    "iop": "What is an intensive outpatient program?",
    "cost": "Does insurance cover it?",
    "callback": "/request_callback",
}


def main_menu(language: str = DEFAULT_LANGUAGE) -> List[Choice]:
    titles = messages.table("texter_sms.main_menu", language=language)
    return [Choice(titles[name], payload) for name, payload in MAIN_MENU_PAYLOADS.items()]


# --- length -------------------------------------------------------------------------------------

MAX_MESSAGE_CHARS = 320
MAX_SEGMENTS = 3

# GSM 03.38: the basic set (1 septet) and the extension table (2 septets).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€")

# Typography that would switch a whole SMS to UCS-2 (70 characters a segment).
_PLAIN = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ", "\u2022": "-",
})


def plain_text(text: str) -> str:
    return (text or "").translate(_PLAIN).strip()


def segments(text: str) -> int:
    """How many SMS segments ``text`` costs (GSM-7 when it can, else UCS-2)."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        septets = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def fits(text: str, max_chars: int = MAX_MESSAGE_CHARS) -> bool:
    return len(text) <= max_chars and segments(text) <= MAX_SEGMENTS


# A sentence starts with a capital or a digit, maybe after an opening quote or, in
# Spanish, an opening question or exclamation mark ("¿Tiene seguro médico?").
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[¿¡]?[A-Z0-9ÁÉÍÓÚÑÜ])")


def _sentences(paragraph: str) -> List[str]:
    return [s for s in _SENTENCE_END.split(paragraph.strip()) if s]


def _hard_wrap(sentence: str, limit: int) -> List[str]:
    """A sentence too long for one message, cut between words."""
    pieces, current = [], ""
    for word in sentence.split():
        while not fits(word, limit):  # a "word" longer than a message (a long URL)
            cut = limit
            while not fits(word[:cut], limit):
                cut -= 1
            pieces.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if fits(candidate, limit):
            current = candidate
        else:
            pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return [p for p in pieces if p]


def split_message(text: str, max_chars: int = MAX_MESSAGE_CHARS) -> List[str]:
    """``text`` as messages of at most ``max_chars`` and three segments each.

    Cuts between paragraphs where it can, then between sentences, and only as
    a last resort between words. When there is more than one part, each ends
    with "(1/2)" so a reader can put them in order (carriers may reorder them).
    """
    text = plain_text(text)
    if fits(text, max_chars):
        return [text] if text else []
    # Leave room for the " (n/m)" marker.
    limit = max_chars - len(" (99/99)")
    units: List[tuple[str, str]] = []  # (separator before, text)
    for p_index, paragraph in enumerate(p for p in re.split(r"\n\s*\n", text) if p.strip()):
        for s_index, sentence in enumerate(_sentences(paragraph)):
            separator = "\n\n" if s_index == 0 and p_index > 0 else (" " if s_index else "")
            for w_index, piece in enumerate(_hard_wrap(sentence, limit) if not fits(sentence, limit) else [sentence]):
                units.append((separator if w_index == 0 else " ", piece))
    parts: List[str] = []
    current = ""
    for separator, piece in units:
        candidate = f"{current}{separator}{piece}" if current else piece
        if fits(candidate, limit):
            current = candidate
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    if len(parts) == 1:
        return parts
    return [f"{part} ({n}/{len(parts)})" for n, part in enumerate(parts, start=1)]


# --- "this number" ------------------------------------------------------------------------------------
#
# The bot asks which number to call back and offers a "This number" button; over
# SMS we know the number the texter writes from, so picking that button, or saying
# they mean it, sends the number itself. The bot then gets it exactly as if typed:
# neither the bot nor its logs see this mapping.

THIS_NUMBER_PAYLOAD = "this number"

# Replies that mean "the number I'm texting from", after _plain_words (lower case,
# no apostrophes or punctuation) and without the _FILLERS around them. Whole replies
# only: "this one is my mom's, call 602..." must reach the bot as typed.
THIS_NUMBER_PHRASES = frozenset({
    "this", "this one", "this number", "this phone", "this phone number", "this cell", "this cell number",
    "this line", "this same number", "same", "same one", "same number", "same phone", "the same",
    "the same one", "the same number", "same as this", "same as this one", "same as this number",
    "the number i'm texting from", "the number i am texting from", "number i'm texting from",
    "this number i'm texting from", "the one i'm texting from", "the number i'm texting on",
    "the one i'm texting on", "the number i texted from", "the number i'm using", "the one i'm using",
    "the number you have", "the one you have", "this is my number", "this is the number", "this is my cell",
    "it's this number", "it's this one",
})

# Words around such a reply that do not change what it means ("yes, this one please").
_FILLERS = re.compile(
    r"^(?:(?:yes|yeah|yep|yup|ok|okay|sure|please|just|you can|call me at|call me on|text me at|call|text|use)\s+)+"
    r"|(?:\s+(?:please|pls|thanks|thank you|thx|works|is fine|is good|is ok|is okay|is best))+$"
)


def _plain_words(text: str) -> str:
    """Lower case, apostrophes dropped ("i'm" -> "im"), other punctuation as spaces."""
    lowered = plain_text(text).casefold().replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", lowered).split())


_THIS_NUMBER_KEYS = frozenset(_plain_words(phrase) for phrase in THIS_NUMBER_PHRASES)


def means_this_number(text: str) -> bool:
    """Whether a reply, as a whole, means the number the texter is writing from (in English
    here; in Spanish, "este mismo número", as the intake's parsers read it)."""
    return _FILLERS.sub("", _plain_words(text)) in _THIS_NUMBER_KEYS or parsers.means_this_number(text)


def offers_this_number(choices: Sequence[Choice]) -> bool:
    return any(choice.payload == THIS_NUMBER_PAYLOAD for choice in choices)


def shown_title(choice: Choice, number: str = "", language: str = DEFAULT_LANGUAGE) -> str:
    """A choice's title as texted: "This number (ending 0134)", never the whole number."""
    digits = re.sub(r"\D", "", number)
    if choice.payload != THIS_NUMBER_PAYLOAD or len(digits) < 4:
        return choice.title
    return messages.text("texter_sms.this_number_title", language=language, title=choice.title, last_digits=digits[-4:])


def answer_for_bot(text: str, choices: Sequence[Choice], number: str) -> str:
    """What the bot hears for a reply: a picked button's payload, the texter's own number, or the text."""
    picked = resolve_choice(text, choices)
    means_own = picked == THIS_NUMBER_PAYLOAD or (picked is None and means_this_number(text))
    if number and means_own and offers_this_number(choices):
        return number
    return picked or text


# --- turning the bot's answers into SMS ---------------------------------------------------------

@dataclass(frozen=True)
class BotMessage:
    text: str = ""
    buttons: Sequence[Mapping[str, Any]] = ()
    # The language the bot spoke ("en", "es"), None for a message that does not say
    # (a channel notice, a text an action wrote without a response).
    language: Optional[str] = None


def spoken_language(messages: Sequence[BotMessage]) -> Optional[str]:
    """The language of the bot's last message that says one."""
    return next((m.language for m in reversed(messages) if m.language in LANGUAGES), None)


@dataclass(frozen=True)
class Rendered:
    bodies: List[str]
    choices: List[Choice]


def render(messages: Sequence[BotMessage], number: str = "", language: str = DEFAULT_LANGUAGE) -> Rendered:
    """One turn of the bot as SMS bodies, and the choices a number reply can pick.

    Only one set of buttons can be answered by number: the last message that
    has buttons. Buttons of earlier messages in the same turn are left out
    rather than numbered ambiguously. ``choices`` is empty for a turn without
    buttons (the service then keeps the menu already open). ``number`` is the
    texter's own, for :func:`shown_title`. The "Reply 1 for ..." line is in the
    language of the message that offers the buttons, else in ``language``.
    """
    active = max((i for i, m in enumerate(messages) if choices_from_buttons(m.buttons)), default=None)
    paragraphs: List[str] = []
    choices: List[Choice] = []
    for index, message in enumerate(messages):
        text = plain_text(message.text)
        if index == active:
            choices = choices_from_buttons(message.buttons)
            line = numbered_line(choices, number, message.language if message.language in LANGUAGES else language)
            text = f"{text}\n\n{line}" if text else line
        if text:
            paragraphs.append(text)
    return Rendered(split_message("\n\n".join(paragraphs)), choices)


# --- storage and the flow --------------------------------------------------------------------

class SmsStore(Protocol):
    """What the flow needs to remember; blocking calls (run in a thread by the service)."""

    def is_opted_out(self, key: str) -> bool: ...

    def opt_out(self, key: str, masked_number: str, keyword: str) -> None: ...

    def opt_in(self, key: str, keyword: str) -> None: ...

    def claim_message(self, message_sid: str) -> bool:
        """True the first time a MessageSid is seen, False for a redelivery."""

    def release_message(self, message_sid: str) -> None: ...

    def get_choices(self, key: str) -> List[Choice]:
        """The menu last offered to ``key``, kept until set_choices replaces it (or an opt-out drops it)."""

    def set_choices(self, key: str, choices: Sequence[Choice]) -> None: ...

    def get_language(self, key: str) -> Optional[str]:
        """The language of the bot's last reply to ``key``, None before the first."""

    def set_language(self, key: str, language: str) -> None: ...


@dataclass(frozen=True)
class ForBot:
    """A message for the bot, and what the SMS layer knows about it."""

    text: str
    # The texter's language, for the notices the channel itself sends on this turn
    # (too long, not saved). The bot decides its own from the conversation.
    language: str = DEFAULT_LANGUAGE


AskBot = Callable[[str, ForBot], Awaitable[Sequence[BotMessage]]]


@dataclass(frozen=True)
class Inbound:
    message_sid: str
    sender: str
    body: str


@dataclass
class Outcome:
    bodies: List[str]
    # For logs and tests, never the text: "bot", "opt_out", "opt_in", "help", "silenced", "duplicate", "error",
    # "rate_limited", "menu_again" (a bare number that picked nothing got the menu again).
    kind: str


@dataclass
class SmsService:
    store: SmsStore
    secret: str
    # The facility's facts worded for a language ("en", "es").
    facts: Callable[[str], Mapping[str, str]]
    # Seconds a redelivered webhook waits for the first delivery's answer.
    replay_wait_seconds: float = 12.0
    # Answers kept in memory to replay to a redelivery (Twilio retries after 15 s).
    replay_ttl_seconds: float = 300.0
    # Messages per texter (helpline.channels.rate_limit); carrier keywords are never limited.
    limiter: Optional[RateLimiter] = None
    # The Twilio channel this service answers for: its name in logs, and its conversation keys' prefix.
    channel: str = "sms"
    key_prefix: str = KEY_PREFIX
    _inflight: Dict[str, asyncio.Future[Outcome]] = field(default_factory=dict)
    _answered: Dict[str, tuple[float, Outcome]] = field(default_factory=dict)

    def key(self, sender: str) -> str:
        """The conversation key of a texter on this channel (:func:`conversation_key`)."""
        return conversation_key(sender, self.secret, self.key_prefix)

    async def _run(self, func: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(func, *args)

    async def handle(self, inbound: Inbound, ask_bot: AskBot) -> Outcome:
        """Everything that happens to one webhook delivery; returns what to send back."""
        self._forget_old()
        sid = inbound.message_sid
        if not await self._run(self.store.claim_message, sid):
            return await self._replay(sid)
        # A task of its own, shielded: if Twilio gives up on this request (15 s) and
        # the server cancels it, the turn still finishes and the redelivery replays it.
        task = asyncio.ensure_future(self._answer(inbound, ask_bot))
        self._inflight[sid] = task
        return await asyncio.shield(task)

    async def _answer(self, inbound: Inbound, ask_bot: AskBot) -> Outcome:
        sid = inbound.message_sid
        try:
            outcome = await self._handle_new(inbound, ask_bot)
        except BaseException:
            # Let Twilio's redelivery try again rather than swallow the message.
            self._inflight.pop(sid, None)
            await self._run(self.store.release_message, sid)
            raise
        self._answered[sid] = (time.monotonic(), outcome)
        self._inflight.pop(sid, None)
        return outcome

    async def _replay(self, message_sid: str) -> Outcome:
        if message_sid in self._answered:
            return Outcome(list(self._answered[message_sid][1].bodies), "duplicate")
        future = self._inflight.get(message_sid)
        if future is None:  # answered long ago, or by another replica: never answer twice
            return Outcome([], "duplicate")
        try:
            first = await asyncio.wait_for(asyncio.shield(future), timeout=self.replay_wait_seconds)
        except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
            # Still running, or failed (and released for the next redelivery).
            return Outcome([], "duplicate")
        return Outcome(list(first.bodies), "duplicate")

    def _forget_old(self) -> None:
        horizon = time.monotonic() - self.replay_ttl_seconds
        for sid in [sid for sid, (at, _) in self._answered.items() if at < horizon]:
            self._answered.pop(sid, None)

    async def _handle_new(self, inbound: Inbound, ask_bot: AskBot) -> Outcome:
        key = self.key(inbound.sender)
        keyword = keyword_of(inbound.body)
        opted_out = await self._run(self.store.is_opted_out, key)
        stored = await self._run(self.store.get_language, key)

        if keyword in OPT_OUT_KEYWORDS:
            if opted_out:  # confirmed once already; an opted-out number gets nothing
                return Outcome([], "silenced")
            masked = mask_phone(own_number(inbound.sender))
            await self._run(self.store.opt_out, key, masked, keyword)
            # The one message carriers allow after STOP: the confirmation.
            lang = keyword_language(keyword, stored)
            return Outcome(split_message(opted_out_text(self.facts(lang), lang)), "opt_out")
        if opted_out:
            if keyword in OPT_IN_KEYWORDS:
                await self._run(self.store.opt_in, key, keyword)
                lang = keyword_language(keyword, stored)
                return Outcome(split_message(opted_in_text(self.facts(lang), lang)), "opt_in")
            return Outcome([], "silenced")
        if keyword in HELP_KEYWORDS:
            lang = keyword_language(keyword, stored)
            return Outcome(split_message(help_text(self.facts(lang), lang)), "help")

        # What this layer writes on this turn is in the language the bot will answer in.
        switch = switch_asked(inbound.body)
        lang = switch or texter_language(stored, inbound.body)
        decision = self.limiter.hit(key) if self.limiter is not None else None
        if decision is not None and not decision.allowed:
            notice = turn_guard.refusal_notice(self.channel, decision, facts=self.facts(lang), language=lang)
            return Outcome(split_message(notice) if notice else [], "rate_limited")
        choices = await self._run(self.store.get_choices, key)
        number = own_number(inbound.sender)
        if is_number_reply(inbound.body) and resolve_choice(inbound.body, choices) is None:
            # The bot would only answer "didn't get that": show what the number can pick.
            return await self._menu_again(key, choices, number, lang)
        text = switch_payload(switch) if switch else answer_for_bot(inbound.body, choices, number)
        try:
            messages = await ask_bot(key, ForBot(text, lang))
        except Exception as exc:  # the texter still gets the helpline number
            log.error("sms: the bot failed on a message (%s)", type(exc).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
            return Outcome(split_message(error_text(self.facts(lang), lang)), "error")
        spoken = spoken_language(messages)
        rendered = render(messages, number, spoken or lang)
        # A menu stays open until the bot offers another: a question without buttons
        # in between ("What first name ...?") does not take back what was offered. No
        # expiry (SmsStore gives no menu's age): a number texted hours later, after the
        # bot's 240-minute session ended, still picks from the last menu; `helpline
        # purge` drops menus not updated for its DAYS.
        if rendered.choices:
            await self._run(self.store.set_choices, key, rendered.choices)
        if spoken is not None and spoken != stored:
            await self._run(self.store.set_language, key, spoken)
        # A STOP may have landed while the bot was thinking: check at the last moment.
        if await self._run(self.store.is_opted_out, key):
            return Outcome([], "silenced")
        return Outcome(rendered.bodies, "bot")

    async def _menu_again(self, key: str, choices: List[Choice], number: str, language: str) -> Outcome:
        """The open menu again; with none open, the main menu, remembered so the next number picks from it."""
        if choices:
            body = messages.text("texter_sms.menu_again", language=language, menu=numbered_line(choices, number, language))
        else:
            menu = main_menu(language)
            await self._run(self.store.set_choices, key, menu)
            body = messages.text("texter_sms.main_menu_again", language=language, menu=numbered_line(menu, "", language))
        return Outcome(split_message(body), "menu_again")


# --- TwiML ----------------------------------------------------------------------------------------

def twiml(bodies: Sequence[str]) -> str:
    """``<Response><Message>..</Message></Response>``; an empty Response sends nothing."""
    from xml.sax.saxutils import escape

    messages = "".join(f"<Message>{escape(body)}</Message>" for body in bodies)
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{messages}</Response>'


def parse_twiml(document: str) -> List[str]:
    """The message bodies of a TwiML response (for the CLI and tests)."""
    import xml.etree.ElementTree as ElementTree

    root = ElementTree.fromstring(document)
    bodies = []
    for message in root.iter("Message"):
        body = message.find("Body")
        bodies.append((body.text if body is not None else message.text) or "")
    return bodies

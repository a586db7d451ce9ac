"""One conversation's messages for staff: read from the tracker store, decrypted, and nothing else.

Rasa keeps every event of a conversation in the tracker store's ``events``
table (``helpline_rasa.tracker_store.EncryptedSQLTrackerStore``): the sender
id, event type and timestamp in clear, the event's JSON sealed with the keys
of :mod:`helpline.security.crypto`. This module reads that table directly, with the
URL the Rasa server is given (``HELPLINE_TRACKER_URL``, by default SQLite in
the data directory: :attr:`helpline.settings.Settings.effective_tracker_url`),
so the core needs no Rasa import and the web process no Rasa server.

What comes out is the minimum a person following up needs: for each user and
bot message, its time, who said it, its text and the titles of the buttons the
assistant offered. Intents, entities, slot values, confidences, channel
metadata and action names stay where they are. A button the person pressed
(its payload, such as ``/affirm``, is what Rasa stores) is shown by the title
they saw.

At most :data:`MAX_MESSAGES` messages, the latest ones, are read; the result
says how many came before. :func:`read_transcript` never raises: a missing
conversation (never stored, or removed by ``helpline purge``), one sealed with
a key that is no longer configured, and a tracker database that cannot be
reached are each a status with a message fit to show staff.

:func:`read_and_record` is what the console, the API and the CLI call: it
records the read in the audit trail (action ``viewed_transcript``, the
record's reference, a PHI-free detail such as ``status=ok messages=37``)
before anything is shown. Nothing here logs a text, a conversation id or a
key, only error types.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import func, select

from helpline.security import audit, crypto
from helpline.settings import load_settings
from helpline.store import retention

log = logging.getLogger(__name__)

# The latest messages shown; a helpline conversation is a few dozen. The rest
# are counted, and the page says they are left out.
MAX_MESSAGES = 200
# One message's text at most (a person's message is at most 1,600 characters;
# this only guards the page against a runaway stored value).
MAX_TEXT_CHARS = 4000
CUT_MARK = " […]"

SPEAKERS = {"user": "person", "bot": "assistant"}
EVENTS = retention.EVENTS

OK, MISSING, UNREADABLE, UNAVAILABLE, NO_CONVERSATION = "ok", "missing", "unreadable", "unavailable", "none"
STATUS_MESSAGES = {
    OK: "",
    MISSING: "This conversation is not stored any more (it may have been removed under the retention period), "
             "so there is nothing to show.",
    UNREADABLE: "Sorry, this conversation could not be decrypted with the configured keys, so it cannot be shown. "
                "An administrator can check HELPLINE_ENCRYPTION_KEYS.",
    UNAVAILABLE: "Sorry, the conversation store could not be reached just now. Please try again in a minute.",
    NO_CONVERSATION: "No conversation is linked to this record.",
}


@dataclass(frozen=True)
class Message:
    at: Optional[datetime]  # UTC
    speaker: str  # "person" or "assistant"
    text: str
    buttons: Tuple[str, ...] = ()  # titles of the buttons the assistant offered with this message
    chose_button: bool = False  # the person pressed a button; ``text`` is its title

    def to_dict(self) -> Dict[str, Any]:
        return {
            "at": self.at.isoformat(timespec="seconds") if self.at else None,
            "speaker": self.speaker,
            "text": self.text,
            "buttons": list(self.buttons),
            "chose_button": self.chose_button,
        }


@dataclass(frozen=True)
class Transcript:
    status: str
    messages: Tuple[Message, ...] = ()
    # Messages (user and bot events) stored for the conversation, shown or not.
    total: int = 0
    # Earlier messages not read because of the cap.
    omitted: int = 0
    # Messages read that could not be decrypted (or parsed), left out.
    unreadable: int = 0
    notes: Tuple[str, ...] = field(default=())

    @property
    def truncated(self) -> bool:
        return self.omitted > 0

    @property
    def message(self) -> str:
        """Why nothing is shown (empty when the status is ``ok``)."""
        return STATUS_MESSAGES.get(self.status, STATUS_MESSAGES[UNAVAILABLE])

    def audit_detail(self) -> str:
        """Fixed, PHI-free text for the audit trail: what was shown."""
        detail = f"status={self.status}"
        if self.status == OK:
            detail += f" messages={len(self.messages)}"
            if self.omitted:
                detail += f" of={self.total}"
            if self.unreadable:
                detail += f" unreadable={self.unreadable}"
        return detail

    def to_dict(self) -> Dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message or None,
            "notes": list(self.notes),
            "total": self.total,
            "shown": len(self.messages),
            "truncated": self.truncated,
            "omitted": self.omitted,
            "unreadable": self.unreadable,
            "messages": [m.to_dict() for m in self.messages],
        }


def no_conversation() -> Transcript:
    return Transcript(NO_CONVERSATION)


def _when(timestamp: Any) -> Optional[datetime]:
    try:
        return datetime.fromtimestamp(float(timestamp), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + CUT_MARK


def _buttons(event: Dict[str, Any]) -> List[Tuple[str, str]]:
    """``(title, payload)`` of the buttons (or quick replies) a bot event offered."""
    data = event.get("data")
    found: List[Tuple[str, str]] = []
    if not isinstance(data, dict):
        return found
    for key in ("buttons", "quick_replies"):
        for button in data.get(key) or []:
            if isinstance(button, dict) and button.get("title") not in (None, ""):
                title = str(button["title"])
                found.append((_text(title), str(button.get("payload") or title).strip()))
    return found


def _open(value: Optional[str], box: Any) -> Optional[Dict[str, Any]]:
    """The event's JSON as a dict, or ``None`` if it cannot be decrypted or parsed."""
    if value is None:
        return None
    try:
        plain = crypto.decrypt(value, box) if crypto.is_token(value) else value
        event = json.loads(plain)
    except (crypto.DecryptionError, ValueError):
        return None
    return event if isinstance(event, dict) else None


def _messages(rows: List[Any], box: Any) -> Tuple[List[Message], int]:
    messages: List[Message] = []
    unreadable = 0
    offered: Dict[str, str] = {}  # payload -> title, offered since the person last spoke
    for row in rows:
        event = _open(row.data, box)
        if event is None:
            unreadable += 1
            continue
        at = _when(row.timestamp if row.timestamp is not None else event.get("timestamp"))
        if row.type_name == "bot":
            buttons = _buttons(event)
            for title, payload in buttons:
                offered[payload] = title
            text = _text(event.get("text"))
            if text or buttons:
                messages.append(Message(at, "assistant", text, tuple(title for title, _ in buttons)))
            continue
        said = _text(event.get("text"))
        chosen = offered.get(said.strip()) if said.strip() else None
        messages.append(Message(at, "person", chosen if chosen is not None else said, chose_button=chosen is not None))
        offered = {}
    return messages, unreadable


def read_transcript(
    conversation_id: Optional[str], tracker_url: Optional[str] = None, *, limit: int = MAX_MESSAGES
) -> Transcript:
    """The latest ``limit`` messages of ``conversation_id``; never raises (see the module docstring)."""
    if not conversation_id:
        return no_conversation()
    limit = max(1, int(limit))
    try:
        tracker_url = tracker_url or load_settings().effective_tracker_url
        try:
            box = crypto.fernet()
        except crypto.CryptoError as exc:
            log.error("conversation transcript: the encryption keys are unusable (%s)", type(exc).__name__)
            return Transcript(UNREADABLE)
        engine = retention.tracker_engine(tracker_url)
        if engine is None:  # no tracker database (or no events table) yet
            return Transcript(MISSING)
        try:
            is_message = (EVENTS.c.sender_id == conversation_id) & EVENTS.c.type_name.in_(tuple(SPEAKERS))
            with engine.connect() as connection:
                total = connection.scalar(select(func.count()).select_from(EVENTS).where(is_message)) or 0
                rows = connection.execute(
                    select(EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
                    .where(is_message).order_by(EVENTS.c.id.desc()).limit(limit)
                ).all()
        finally:
            engine.dispose()
    except Exception as exc:  # a staff page must not fail because the tracker store did
        log.error("conversation transcript could not be read: %s", type(exc).__name__)
        return Transcript(UNAVAILABLE)

    if not rows:
        return Transcript(MISSING)
    rows.reverse()
    total = max(total, len(rows))  # a message may have arrived between the two queries
    messages, unreadable = _messages(rows, box)
    if unreadable == len(rows):
        return Transcript(UNREADABLE, total=total, unreadable=unreadable)
    omitted = total - len(rows)
    notes = []
    if omitted:
        notes.append(f"Showing the last {len(rows)} of {total} messages; the {omitted} earlier "
                     f"{'one is' if omitted == 1 else 'ones are'} not shown.")
    if unreadable:
        notes.append(f"{unreadable} message{' ' if unreadable == 1 else 's '}could not be decrypted with the "
                     "configured keys and {} left out.".format("is" if unreadable == 1 else "are"))
    return Transcript(OK, tuple(messages), total=total, omitted=omitted, unreadable=unreadable, notes=tuple(notes))


def read_and_record(
    session_factory: Any,
    *,
    conversation_id: Optional[str],
    record_type: str,
    reference: str,
    actor: str,
    source: str,
    tracker_url: Optional[str] = None,
    limit: int = MAX_MESSAGES,
) -> Transcript:
    """:func:`read_transcript`, recorded in the audit trail as ``viewed_transcript`` of ``reference``.

    Recorded whatever was found (a missing conversation too: the read was
    asked for); raises :class:`helpline.security.audit.AuditError` or a database error
    if the event cannot be written, so nothing is shown unrecorded. A record
    without a conversation id reads nothing and records nothing.
    """
    if not conversation_id:
        return no_conversation()
    found = read_transcript(conversation_id, tracker_url, limit=limit)
    audit.record(session_factory, actor=actor, action="viewed_transcript", record_type=record_type,
                 reference=reference, detail=found.audit_detail(), source=source)
    return found

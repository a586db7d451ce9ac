"""Conversation ids of the web chat: the one definition of their shape.

A web conversation's id is all that identifies it, so whoever knows it can
continue it (and change the phone number it gave). It must therefore be
unguessable: ``web-`` and 16 random bytes (128 bits) as 32 lowercase hex
digits, made by :func:`new_web_id` here, by the widget with
``crypto.getRandomValues`` (``helpline/web/static/helpline-chat.js``) or by
hand with ``web-$(openssl rand -hex 16)``. The REST channel accepts no other
shape, so it can never reach an SMS conversation (``sms-`` + a keyed hash,
:func:`helpline.channels.sms.conversation_key`) or a socket.io one.

socket.io ids are issued by the server and carry a tag,
``web-<32 hex>.<32 hex>``: an HMAC of the id under a server secret, so that a
client may resume a session only with an id this server (or a replica sharing
the secret) gave out. The dot keeps them out of REST's shape.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import TypeGuard

PREFIX = "web-"
RANDOM_BYTES = 16  # 128 bits
WEB_ID_PATTERN = re.compile(r"web-[0-9a-f]{32}")
SESSION_ID_PATTERN = re.compile(r"(web-[0-9a-f]{32})\.([0-9a-f]{32})")
WEB_ID_SHAPE = 'web- followed by 32 lowercase hex digits (16 random bytes), e.g. "web-$(openssl rand -hex 16)"'

# Keeps the tag key apart from other uses of the same secret (SMS conversation keys).
_SESSION_KEY_LABEL = b"helpline socket.io session ids v1"
TAG_HEX_CHARS = 32  # 128 bits of HMAC-SHA256: the length SESSION_ID_PATTERN asks for


def new_web_id() -> str:
    return PREFIX + secrets.token_hex(RANDOM_BYTES)


def is_web_id(value: object) -> TypeGuard[str]:
    """Whether ``value`` has the shape of an id the widget makes (fullmatch: no prefix tricks, no newline)."""
    return isinstance(value, str) and WEB_ID_PATTERN.fullmatch(value) is not None


def session_key(secret: str) -> bytes:
    """The key that tags socket.io session ids, derived from a server secret."""
    return hmac.new(secret.encode("utf-8"), _SESSION_KEY_LABEL, hashlib.sha256).digest()


def _tag(web_id: str, key: bytes) -> str:
    return hmac.new(key, web_id.encode("ascii"), hashlib.sha256).hexdigest()[:TAG_HEX_CHARS]


def new_session_id(key: bytes) -> str:
    """A fresh socket.io session id: a web id and its tag, ``web-<hex>.<tag>``."""
    web_id = new_web_id()
    return f"{web_id}.{_tag(web_id, key)}"


def is_issued_session_id(value: object, key: bytes) -> TypeGuard[str]:
    """Whether ``value`` is a session id made by :func:`new_session_id` under ``key``."""
    # The shape first: compare_digest raises on non-ASCII text.
    match = SESSION_ID_PATTERN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return False
    web_id, tag = match.groups()
    return hmac.compare_digest(tag, _tag(web_id, key))

"""Field encryption at rest: Fernet tokens, with key rotation.

Keys come from ``HELPLINE_ENCRYPTION_KEYS`` (comma-separated Fernet keys; the
first encrypts, every one decrypts, so a new key goes first and an old one
stays listed until ``helpline keys reencrypt`` has rewritten what it sealed).
Without that variable a key file in the data directory is used, created on
first use, so that ``make run`` needs no setup; a key on the same disk as the
data protects copies of the database, not the machine, hence the warning.

Errors never carry the plaintext or the key: a message may reach a log.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from helpline.security import local_secrets
from helpline.settings import load_settings, raw_values, variable_of

log = logging.getLogger(__name__)

KEYS_ENV = variable_of("encryption_keys")  # named in messages that tell an operator what to set
KEY_FILE_NAME = "encryption.key"
# Every Fernet token starts with version byte 0x80, which base64url-encodes as "gAAAAA".
TOKEN_PREFIX = "gAAAAA"

_lock = threading.Lock()
_cache: Dict[Tuple[str, ...], MultiFernet] = {}
_file_keys: Dict[str, str] = {}
_boxes: Dict[Tuple[Optional[str], ...], MultiFernet] = {}
_warned_key_files: set = set()


class CryptoError(Exception):
    """Base class; the message is safe to log and to show an operator.

    Deliberately not a ValueError: Rasa's SQL tracker store reads a ValueError
    as "PostgreSQL schema missing" and exits the server with that message.
    """


class KeyConfigError(CryptoError):
    """The configured keys are unusable (malformed, or the key file unreadable)."""


class DecryptionError(CryptoError):
    """A stored value was sealed with a key that is not configured (or was altered)."""


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def key_file(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_FILE_NAME


def ensure_key_file(data_dir: Path) -> Path:
    """The local key file, created if missing; processes racing end with the same key."""
    return local_secrets.ensure_file(key_file(data_dir), generate_key)


def _read_key_file(path: Path) -> str:
    try:
        return local_secrets.read_file(path, "encryption key file")
    except local_secrets.SecretFileError as exc:
        raise KeyConfigError(str(exc)) from None


def configured_keys(env: Optional[Mapping[str, str]] = None, data_dir: Optional[Path] = None) -> List[str]:
    """The keys in use, first = the one that encrypts; creates the local key file if needed."""
    settings = load_settings(env)
    if settings.encryption_keys:
        return list(settings.encryption_keys)
    data_dir = settings.data_dir if data_dir is None else data_dir
    cached = _file_keys.get(str(data_dir))
    if cached is not None:
        return [cached]
    path = ensure_key_file(data_dir)
    if str(path) not in _warned_key_files:
        _warned_key_files.add(str(path))
        log.warning(
            "%s is not set: encrypting with the local key file %s. "
            "In production set %s (keep the key outside the data directory and its backups).",
            KEYS_ENV, path, KEYS_ENV,
        )
    key = _file_keys[str(data_dir)] = _read_key_file(path)
    return [key]


def _build(keys: Tuple[str, ...]) -> MultiFernet:
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            # Say which one, never echo it.
            raise KeyConfigError(
                f"encryption key #{position} of {len(keys)} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes; make one with `helpline keys generate`)"
            ) from None
    return MultiFernet(fernets)


def fernet(env: Optional[Mapping[str, str]] = None, data_dir: Optional[Path] = None) -> MultiFernet:
    # Keyed by the raw settings it depends on: every field read and write comes
    # through here, and load_settings() costs more than the encryption itself.
    lookup = (*raw_values(env, "encryption_keys", "data_dir"), str(data_dir or ""))
    found = _boxes.get(lookup)
    if found is not None:
        return found
    keys = tuple(configured_keys(env, data_dir))
    with _lock:
        found = _cache.get(keys)
        if found is None:
            found = _cache[keys] = _build(keys)
        _boxes[lookup] = found
    return found


def is_token(value: object) -> bool:
    """Whether a stored value looks sealed; plaintext JSON or a phone number never does."""
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


def encrypt(plaintext: str, box: Optional[MultiFernet] = None) -> str:
    return (box or fernet()).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str, box: Optional[MultiFernet] = None) -> str:
    try:
        return (box or fernet()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise DecryptionError(
            f"a stored value could not be decrypted with the configured keys: "
            f"the key that sealed it is missing from {KEYS_ENV} (or the local key file changed)"
        ) from None


def reseal(token: str, box: Optional[MultiFernet] = None) -> str:
    """The token sealed again with the first key (a plaintext value gets sealed)."""
    box = box or fernet()
    if not is_token(token):
        return encrypt(token, box)
    try:
        return box.rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionError(f"a stored value could not be decrypted with the keys in {KEYS_ENV}") from None


def reset_cache() -> None:
    """Forget built keys (tests that change the environment)."""
    with _lock:
        _cache.clear()
        _boxes.clear()
        _file_keys.clear()
        _warned_key_files.clear()

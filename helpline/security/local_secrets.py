"""Per-install secrets: a value from the environment, else a random one kept in the data directory.

The encryption key file, the action server's token and the SMS secrets all
follow one rule, so that ``make run`` needs no setup and yet nothing secret is
ever a constant in the source: the environment wins; without it, a random
value is created once in ``$HELPLINE_DATA_DIR`` (mode 0600) and every process
of the install reads that same file. A secret beside the data protects nothing
against someone who has the disk, hence the warnings callers log.
"""
from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional

from helpline.settings import load_settings
from helpline.store.files import write_new

ACTION_TOKEN_FILE = "action.token"


class SecretFileError(Exception):
    """A secret file exists but cannot be used; the message names the file, never its content."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def ensure_file(path: Path, make: Callable[[], str] = new_token) -> Path:
    """``path``, created with a fresh ``make()`` if missing; processes racing end with one value.

    A process that loses the race (:func:`helpline.store.files.write_new`) keeps the
    winner's value, which is then the one everybody reads.
    """
    path = Path(path)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_new(path, (make() + "\n").encode("ascii"))
    except OSError:  # a filesystem without hard links: exclusive create in place
        _create_in_place(path, make)
    return path


def _create_in_place(path: Path, make: Callable[[], str]) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(make() + "\n")


def read_file(path: Path, what: str = "secret file") -> str:
    for _ in range(3):
        try:
            text = Path(path).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretFileError(f"cannot read the {what} {path}: {type(exc).__name__}") from None
        if text:
            return text
        time.sleep(0.1)  # created in place by another process a moment ago (see _create_in_place)
    raise SecretFileError(f"the {what} {path} is empty")


@dataclass(frozen=True)
class Secret:
    value: str
    # The local file it was read from; None when it came from the environment.
    path: Optional[Path] = None

    @property
    def is_local(self) -> bool:
        return self.path is not None


def setting(configured: Optional[str], data_dir: Path, file_name: str, make: Callable[[], str] = new_token) -> Secret:
    """``configured`` (a setting) if set, else the install's own ``<data_dir>/<file_name>`` (created if needed)."""
    value = (configured or "").strip()
    if value:
        return Secret(value)
    path = ensure_file(data_dir / file_name, make)
    return Secret(read_file(path), path)


def action_token(env: Optional[Mapping[str, str]] = None) -> Secret:
    """What Rasa sends the action server (``?token=``, endpoints.yml) and the action server requires."""
    settings = load_settings(env)
    return setting(settings.action_token, settings.data_dir, ACTION_TOKEN_FILE)

"""Writing a file that other processes may be creating at the same moment."""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path


def write_new(path: Path, data: bytes) -> None:
    """Put ``data`` at ``path`` unless a file is already there; the first writer wins.

    The data goes to a private (0600) temporary file first, is synced, and is
    then hard-linked into place: ``link`` fails if the name exists (like
    ``O_EXCL``) and, unlike ``rename``, never replaces it, and no reader ever
    sees a half-written file. Raises ``OSError`` for anything else, including
    a filesystem without hard links.
    """
    tmp = path.parent / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        _fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""Log files in ``$HELPLINE_DATA_DIR/logs``: rotated by ``helpline run``, aged out by ``helpline purge``.

Our logs are written to hold no PHI (README, "Privacy and retention"), but they
still say when conversations, leads and crises happened, so they follow the
same retention as the data:

- ``helpline run`` rotates each child's log (``rasa.log`` ...) when it starts
  and then every day (:data:`ROTATE_EVERY_SECONDS`): the content goes to
  ``rasa.log.<UTC time>`` and the live file is emptied in place
  (copy-truncate). Children keep their handle, opened for appending, and carry
  on at the start of the emptied file; nothing needs restarting. A line written
  in the instant between the copy and the truncation is lost, once a day.
- ``helpline purge --older-than DAYS`` deletes rotated files last written more
  than DAYS ago, and empties (rather than deletes: a running child may hold it)
  a live ``*.log`` not written for DAYS. With daily rotation no line outlives
  DAYS by more than about a day.
"""
from __future__ import annotations

import logging
import os
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, List, Optional

log = logging.getLogger(__name__)

ROTATE_EVERY_SECONDS = 24 * 3600
LIVE_SUFFIX = ".log"


def rotate(path: Path, now: Optional[datetime] = None) -> Optional[Path]:
    """Move the content of the live log ``path`` to ``<path>.<UTC time>``; None if it is missing or empty."""
    try:
        before = path.stat()
    except FileNotFoundError:
        return None
    if before.st_size == 0:
        return None
    moment = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{moment}")
    number = 1
    while target.exists():  # two rotations within a second
        number += 1
        target = path.with_name(f"{path.name}.{moment}-{number}")
    # Owner-only whatever the umask, like everything in the data directory.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(path, "rb") as source, os.fdopen(fd, "wb") as copy:
        shutil.copyfileobj(source, copy)
    os.truncate(path, 0)
    # The copy's age is that of its newest line, which is what purge goes by.
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    return target


def rotate_all(log_dir: Path, names: Iterable[str], now: Optional[datetime] = None) -> List[Path]:
    """Rotate ``<log_dir>/<name>.log`` for each name; a failure is logged, never raised (logging must not stop the helpline)."""
    rotated = []
    for name in names:
        try:
            target = rotate(Path(log_dir) / f"{name}{LIVE_SUFFIX}", now)
        except OSError as exc:
            log.warning("could not rotate the %s log: %s", name, type(exc).__name__)
            continue
        if target is not None:
            rotated.append(target)
    return rotated


def purge(log_dir: Path, cutoff: datetime, *, dry_run: bool = False) -> int:
    """How many log files were (or would be) deleted or emptied for being last written before ``cutoff``."""
    log_dir = Path(log_dir)
    if not log_dir.is_dir():
        return 0
    limit = cutoff.timestamp()
    count = 0
    for path in sorted(log_dir.iterdir()):
        try:
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode) or info.st_mtime >= limit:
                continue
            live = path.name.endswith(LIVE_SUFFIX)
            if live and info.st_size == 0:
                continue  # already empty: nothing left to purge
            if not dry_run:
                if live:
                    os.truncate(path, 0)
                else:
                    path.unlink(missing_ok=True)
        except OSError as exc:  # the rest of the purge (and its audit entry) must still happen
            log.warning("retention purge: could not remove the log file %s: %s", path.name, type(exc).__name__)
            continue
        count += 1
    return count

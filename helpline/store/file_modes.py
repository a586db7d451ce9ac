"""Owner-only files in the data directory (``HELPLINE_DATA_DIR``, default ``var/``).

The data directory holds the SQLite databases (with their ``-wal`` and ``-shm``
files), the local key and secrets, spooled leads, logs and pid files: nothing
in it is for other accounts on the machine. Two measures keep it that way:

- :func:`private_umask`: every process of the product runs with umask 077, so
  whatever it or a child creates (SQLite files, ``var/logs/*.log``,
  ``var/run/*.pid``, Rasa's tracker database) is 0600 and every directory 0700,
  whichever library does the creating. ``helpline`` (the CLI, hence
  ``helpline run`` and all it starts), ``python -m helpline.web.app`` and
  ``python -m helpline_rasa.action_server`` set it first thing.
- :func:`tighten`: at the same start, the data directory and what is already in
  it lose every group and other permission (0755 -> 0700, 0644 -> 0600), for
  installs made before this and files copied in by hand.

Only entries owned by the running user are changed and symbolic links are
never followed, so a ``HELPLINE_DATA_DIR`` pointed at a shared place does not
get other people's files changed.
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import List, Optional, Union

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
_GROUP_AND_OTHER = 0o077


def private_umask() -> None:
    """Files and directories created from now on, by this process and its children, are owner-only."""
    os.umask(PRIVATE_UMASK)


def _tighten_one(path: str, uid: int, problems: List[str]) -> None:
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode) or info.st_uid != uid:
            return
        mode = stat.S_IMODE(info.st_mode)
        if mode & _GROUP_AND_OTHER:
            os.chmod(path, mode & ~_GROUP_AND_OTHER)
    except FileNotFoundError:  # removed meanwhile (a rotated log, a WAL file)
        return
    except OSError as exc:
        problems.append(f"{path}: {type(exc).__name__}")


def tighten(data_dir: Union[str, Path]) -> int:
    """Remove group and other permissions from ``data_dir`` and everything under it; returns the problem count.

    A directory that does not exist yet is left alone (it is created 0700
    under :func:`private_umask`). Problems are logged, never raised: a file
    that cannot be changed must not stop the helpline from starting.
    """
    root = os.fspath(data_dir)
    if not os.path.isdir(root):
        return 0
    uid = os.getuid()
    problems: List[str] = []
    _tighten_one(root, uid, problems)
    for folder, dirs, files in os.walk(root, onerror=lambda exc: problems.append(f"{exc.filename}: {type(exc).__name__}")):
        for name in dirs + files:
            _tighten_one(os.path.join(folder, name), uid, problems)
    if problems:
        log.warning("could not make %d entr%s of %s owner-only: %s", len(problems),
                    "y" if len(problems) == 1 else "ies", root, "; ".join(problems[:5]))
    return len(problems)


def secure_process(data_dir: Optional[Union[str, Path]] = None) -> None:
    """What each entry point does first: owner-only umask, then :func:`tighten` the data directory."""
    private_umask()
    if data_dir is None:
        from helpline.settings import load_settings

        data_dir = load_settings().data_dir
    tighten(data_dir)

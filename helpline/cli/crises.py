"""Staff commands for crisis follow-ups: ``helpline crises list|show|claim|close|note|attempt|assign|reopen``.

The same actions as ``helpline callbacks`` (:func:`helpline.cli.callbacks.add_queue_group`),
on :data:`helpline.queues.crisis_flags.CRISES`: the database is migrated first,
errors are one line on stderr with exit status 1, ``--json`` is for scripts and
the console, and every list, show, claim, close, note, call attempt, assignment
and reopening goes into the audit trail (``show`` also prints the follow-up's
notes and calls; ``show --transcript`` the conversation, recorded as
``viewed_transcript``). Unsent crisis alerts are re-sent by ``helpline
callbacks retry-notifications`` together with lead alerts.
"""
from __future__ import annotations

from typing import Any

from helpline.cli.callbacks import add_queue_group
from helpline.queues.crisis_flags import CRISES


def register(subparsers: Any) -> None:
    """Add the ``crises`` command group to the ``helpline`` CLI."""
    add_queue_group(
        subparsers, CRISES, group_help="crisis follow-ups (conversations with crisis language)",
        claim_help="take a new follow-up (so nobody else duplicates it)",
    )

"""Staff commands for crisis follow-ups: ``helpline crises list|show|claim|close``.

Same conventions as :mod:`helpline.cli.callbacks`: the database is migrated
first, errors are one line on stderr with exit status 1, ``--json`` is for
scripts and the console, and every list, show, claim and close goes into the
audit trail (``show --transcript`` also prints the conversation, recorded as
``viewed_transcript``). Unsent crisis alerts are re-sent by ``helpline
callbacks retry-notifications`` together with lead alerts.
"""
from __future__ import annotations

import argparse
from typing import Any

from helpline.queues import crisis_flags
from helpline.cli.callbacks import (
    _help, _print_fields, _print_json, _table, _when, add_queue_commands, print_transcript, read_transcript,
    record_listed, record_viewed,
)
from helpline.store.models import CRISIS_OUTCOMES, CRISIS_STATUSES


def _list(args: argparse.Namespace, session_factory: Any) -> int:
    records = [crisis_flags.to_dict(r) for r in crisis_flags.list_flags(session_factory, status=args.status)]
    record_listed(session_factory, args, "crisis", len(records))
    if args.json:
        _print_json(records)
        return 0
    if not records:
        print(f"No {args.status + ' ' if args.status else ''}crisis follow-ups.")
        return 0
    rows = [
        (
            r["id"], r["reference"], r["status"], r["severity"], r["category"], _when(r["created_at"]),
            _when(r["last_seen_at"]), r["occurrences"], r["source_channel"], r["notification_status"], r["claimed_by"],
        )
        for r in records
    ]
    headers = (
        "ID", "REF", "STATUS", "SEVERITY", "CATEGORY", "CREATED (UTC)", "LAST SEEN (UTC)", "TIMES", "CHANNEL", "ALERT",
        "CLAIMED BY",
    )
    print(_table(headers, rows))
    return 0


def _show(args: argparse.Namespace, session_factory: Any) -> int:
    record = crisis_flags.to_dict(crisis_flags.get(session_factory, args.id))
    record_viewed(session_factory, "crisis", record["reference"])
    found = read_transcript(session_factory, args, "crisis", record)
    if args.json:
        _print_json(record if found is None else {**record, "transcript": found.to_dict()})
        return 0
    others = [c for c in record["categories"] if c != record["category"]]
    lines = [
        ("Crisis follow-up", f"{record['id']} ({record['reference']})"),
        ("Status", record["status"] + (f" by {record['claimed_by']}" if record["claimed_by"] else "")),
        ("Outcome", record["outcome"]),
        ("Severity", record["severity"]),
        ("Category", record["category"] + (f" (also: {', '.join(others)})" if others else "")),
        ("Conversation", record["conversation_id"]),
        ("Channel", record["source_channel"]),
        ("Created", _when(record["created_at"])),
        ("Last seen", f"{_when(record['last_seen_at'])} ({record['occurrences']} crisis message(s))"),
        ("Staff alert", f"{record['notification_status']} ({record['notification_attempts']} round(s))"
            + (f": {record['last_notification_error']}" if record["last_notification_error"] else "")),
    ]
    _print_fields(lines)
    if found is not None:
        print_transcript(found)
    return 0


def register(subparsers: Any) -> None:
    """Add the ``crises`` command group to the ``helpline`` CLI."""
    crises = subparsers.add_parser("crises", help="crisis follow-ups (conversations with crisis language)")
    crises.set_defaults(handler=_help(crises))
    commands = crises.add_subparsers(dest="crises_command", metavar="ACTION")

    add_queue_commands(
        commands, what="crisis follow-up", reference="C", statuses=CRISIS_STATUSES, outcomes=CRISIS_OUTCOMES,
        label="Crisis follow-up", record_type="crisis", store=crisis_flags, handlers={"list": _list, "show": _show},
        claim_help="take a new follow-up (so nobody else duplicates it)",
    )

"""Operator commands for data at rest: ``helpline purge`` and ``helpline keys ...``.

Output is counts and key material only, never a record's content.
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from helpline.cli.callbacks import _error, _help
from helpline.composition import app_context
from helpline.security import crypto, rekey
from helpline.store import retention


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("DAYS must be a whole number") from None
    if days < retention.MIN_DAYS:
        raise argparse.ArgumentTypeError(f"DAYS must be at least {retention.MIN_DAYS}")
    return days


def _audit(session_factory: Any, result: retention.PurgeResult, days: int) -> None:
    """One summary event in the staff audit trail (helpline.security.audit): counts only."""
    from helpline.security import audit

    counts = " ".join(f"{name}={value}" for name, value in result.counts().items())
    audit.record(
        session_factory, actor=audit.cli_actor(), action="purged", record_type=None, reference=None,
        detail=f"older_than_days={days} {counts}", source="cli",
    )


def _purge(args: argparse.Namespace) -> int:
    context = app_context()
    settings = context.settings
    tracker_url = settings.effective_tracker_url
    try:
        sessions = context.open_database()
        result = retention.purge(sessions, tracker_url, args.older_than, dry_run=args.dry_run,
                                 log_dir=settings.data_dir / "logs")
        if not args.dry_run:
            _audit(sessions, result, args.older_than)
    except SQLAlchemyError as exc:
        # The type only: SQLAlchemy messages can include row values.
        return _error(f"database: {type(exc).__name__}")
    except ValueError as exc:
        return _error(str(exc))
    verb = "would delete" if args.dry_run else "deleted"
    if args.json:
        print(json.dumps({"dry_run": args.dry_run, "cutoff": result.cutoff.isoformat(timespec="seconds"), **result.counts(),
                          "compacted": list(result.compacted)}))
        return 0
    print(f"Older than {args.older_than} day(s) (before {result.cutoff.isoformat(timespec='seconds')}), {verb}:")
    print(f"  conversations:       {result.conversations} ({result.tracker_events} tracker events)")
    print(f"  closed callbacks:    {result.callbacks}")
    print(f"  closed crisis flags: {result.crisis_flags}")
    print(f"  outbox messages:     {result.outbox_messages}")
    print(f"  SMS menu states:     {result.sms_choices}")
    print(f"  log files:           {result.log_files}")
    if result.compacted:
        print(f"Compacted (SQLite VACUUM): {', '.join(result.compacted)}")
    return 0


def _generate(_args: argparse.Namespace) -> int:
    print(crypto.generate_key())
    return 0


def _reencrypt(args: argparse.Namespace) -> int:
    context = app_context()
    settings = context.settings
    try:
        callbacks_done = rekey.reencrypt_callbacks(context.open_database())
        events_done = rekey.reencrypt_tracker(settings.effective_tracker_url)
    except SQLAlchemyError as exc:
        return _error(f"database: {type(exc).__name__}")
    except ValueError as exc:
        return _error(str(exc))
    print(f"Sealed with the first key: {callbacks_done} callback record(s), {events_done} tracker event(s).")
    return 0


def register(subparsers: Any) -> None:
    purge = subparsers.add_parser(
        "purge",
        help="delete old conversations, closed callbacks and crisis follow-ups, old outbox SMS, SMS menu states and logs",
        description="Open (new or claimed) callbacks and crisis follow-ups are never deleted. SQLite databases are "
                    "compacted afterwards (VACUUM). Prints counts only.",
    )
    purge.add_argument("--older-than", type=_days, required=True, metavar="DAYS",
                       help="age in days (at least 1) beyond which data goes")
    purge.add_argument("--dry-run", action="store_true", help="count what would go, delete nothing")
    purge.add_argument("--json", action="store_true", help="counts as JSON")
    purge.set_defaults(handler=_purge)

    keys = subparsers.add_parser("keys", help="encryption keys for data at rest (HELPLINE_ENCRYPTION_KEYS)")
    keys.set_defaults(handler=_help(keys))
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    actions.add_parser(
        "generate", help="print a new key (put it first in HELPLINE_ENCRYPTION_KEYS, keep the old ones after it)",
    ).set_defaults(handler=_generate)
    actions.add_parser(
        "reencrypt",
        help="seal every stored callback and tracker event with the first key (after a rotation, or plaintext rows)",
    ).set_defaults(handler=_reencrypt)

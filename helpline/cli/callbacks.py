"""Staff commands: ``helpline callbacks ...``, ``helpline outbox list``, ``helpline db upgrade``.

Every command migrates the database first, so a fresh machine needs no setup
step. Errors are one line on stderr with exit status 1 (bad input that argparse
catches exits 2). ``--json`` output is for scripts and the console; the tables
are for people.

Every list, show, claim and close is written to the audit trail
(:mod:`helpline.security.audit`) as done by ``--by`` where given, else
``HELPLINE_STAFF_NAME``, else the OS user: a read is recorded before anything
is printed, a change in the same transaction as the change. ``show
--transcript`` also prints the record's conversation (:mod:`helpline.store.transcripts`),
recorded as ``viewed_transcript``.

``note``, ``attempt``, ``assign`` and ``reopen`` work a record as the console
does (:mod:`helpline.queues.lead_work`, which audits each change in its
transaction); ``show`` prints the record's notes and calls, read as part of
its audited view.

Lists and pages show the caller's language ("Spanish — call back in Spanish");
``list --language es`` shows only Spanish speakers' records.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Sequence

from alembic.util import CommandError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from helpline.admissions import load_rules
from helpline.cli.terminal import json_text, printable
from helpline.composition import app_context
from helpline.language import LANGUAGES
from helpline.notify.staff_sms import retry_pending
from helpline.queues import lead_work
from helpline.queues.callbacks import LEADS
from helpline.queues.caller_language import LANGUAGE_NAMES
from helpline.queues.staff_queue import CLI, QueueError, StaffQueue
from helpline.security import audit, staff_accounts
from helpline.settings import load_settings
from helpline.store import db, transcripts
from helpline.store.models import ATTEMPT_OUTCOMES, OutboxMessage

Handler = Callable[[argparse.Namespace], int]


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _with_database(func: Callable[[argparse.Namespace, Any], int]) -> Handler:
    """Open (and migrate) the configured database, then run ``func(args, session_factory)``."""

    def handler(args: argparse.Namespace) -> int:
        context = app_context()
        url = context.database_url
        try:
            return func(args, context.open_database())
        except QueueError as exc:
            return _error(str(exc))
        except audit.AuditError as exc:
            return _error(str(exc))
        except ValueError as exc:
            return _error(str(exc))
        except SQLAlchemyError as exc:
            # The type only: SQLAlchemy messages can include row values.
            return _error(f"database {db.display_url(url)}: {type(exc).__name__}")
        except CommandError as exc:  # e.g. the database is at a revision this code does not know
            return _error(f"database {db.display_url(url)}: {exc}")

    handler.__name__ = func.__name__
    return handler


def _when(value: Optional[str]) -> str:
    """``2025-06-09T15:04:05+00:00`` -> ``2025-06-09 15:04Z`` for tables."""
    if not value:
        return "-"
    moment = datetime.fromisoformat(value)
    return moment.strftime("%Y-%m-%d %H:%MZ")


def _at(moment: Optional[datetime]) -> str:
    """A stored time as :func:`_when` prints it."""
    return _when(moment.isoformat()) if moment else "-"


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows of stored values as aligned columns; every cell goes through :func:`printable`."""
    cells = [[str(h) for h in headers]] + [["-" if v in (None, "") else printable(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(value.ljust(widths[i]) for i, value in enumerate(row)).rstrip() for row in cells)


def _print_json(value: Any) -> None:
    print(json_text(value, indent=2))


def _print_fields(lines: Sequence[tuple]) -> None:
    """``Label: value`` lines of a ``show`` page; the values are stored data, made printable."""
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"{label + ':':<{width + 1}} {printable(value) if value not in (None, '') else '-'}")


# -- the staff queues (callbacks, crises) ------------------------------------------

def _open_notice(session_factory: Any, queue: StaffQueue[Any]) -> None:
    """Open records of the queue worked first (crisis follow-ups before leads): say so above this queue."""
    count = queue.count_open(session_factory)
    if count:
        print(f"{count} open {queue.noun}{'' if count == 1 else 's'}: helpline {queue.name} list")


def record_listed(session_factory: Any, args: argparse.Namespace, record_type: str, count: int) -> None:
    language = getattr(args, "language", None)
    detail = f"count={count}" + (f" status={args.status}" if args.status else "") + (
        f" language={language}" if language else "")
    audit.record(session_factory, actor=audit.cli_actor(), action="listed", record_type=record_type,
                 detail=detail, source="cli")


def record_viewed(session_factory: Any, record_type: str, reference: str) -> None:
    audit.record(session_factory, actor=audit.cli_actor(), action="viewed", record_type=record_type,
                 reference=reference, source="cli")


def read_transcript(
    session_factory: Any, args: argparse.Namespace, record_type: str, record: Dict[str, Any]
) -> Optional[transcripts.Transcript]:
    """With ``--transcript``: the record's conversation, recorded in the audit trail before it is printed."""
    if not getattr(args, "transcript", False):
        return None
    return transcripts.read_and_record(
        session_factory, conversation_id=record.get("conversation_id"), record_type=record_type,
        reference=record["reference"], actor=audit.cli_actor(), source="cli",
    )


def print_transcript(found: transcripts.Transcript) -> None:
    """The conversation under a ``show`` page: time (UTC), who, text; every stored text made printable."""
    print("Transcript (times in UTC):")
    if found.status != transcripts.OK:
        print(f"  {found.message}")
        return
    for note in found.notes:
        print(f"  {note}")
    indent = " " * (2 + 20 + 2 + 9 + 2)
    for message in found.messages:
        when = message.at.strftime("%Y-%m-%d %H:%M:%SZ") if message.at else "-"
        # Line breaks kept but indented, so no stored text can start a row of its own.
        text = printable(message.text, keep_newlines=True).replace("\n", "\n" + indent)
        text += " (button)" if message.chose_button else ""
        print(f"  {when:<20}  {message.speaker:<9}  {text}")
        if message.buttons:
            print(f"{indent}[buttons: {' | '.join(printable(b) for b in message.buttons)}]")


def history_items(history: Dict[str, list]) -> Dict[str, List[Dict[str, Any]]]:
    """A record's notes and calls (:func:`helpline.queues.lead_work.history`) for ``--json``."""
    return {
        "notes": [{"at": n.at.isoformat(), "author": n.author, "body": n.body} for n in history["notes"]],
        "calls": [{"at": a.at.isoformat(), "by": a.by, "outcome": a.outcome} for a in history["attempts"]],
    }


def print_history(history: Dict[str, list]) -> None:
    """Notes and calls under a ``show`` page, oldest first; note text made printable."""
    indent = " " * (2 + 17 + 2)
    print("Notes (times in UTC):" if history["notes"] else "Notes: none")
    for note in history["notes"]:
        # Line breaks kept but indented, so no note can start a row of its own.
        body = printable(note.body, keep_newlines=True).replace("\n", "\n" + indent)
        print(f"  {_at(note.at):<17}  {printable(note.author)}: {body}")
    print("Calls (times in UTC):" if history["attempts"] else "Calls: none")
    for attempt in history["attempts"]:
        print(f"  {_at(attempt.at):<17}  {printable(attempt.by)}: {attempt.outcome}")


def active_staff(session_factory: Any) -> List[str]:
    """The names a record may be assigned to: active staff accounts (as the console offers them)."""
    return [account.name for account in staff_accounts.list_accounts(session_factory) if not account.disabled]


QueueHandler = Callable[[argparse.Namespace, Any], int]


def _lister(queue: StaffQueue[Any]) -> QueueHandler:
    def handler(args: argparse.Namespace, session_factory: Any) -> int:
        records = [queue.to_dict(r) for r in queue.list(session_factory, status=args.status)]
        language = getattr(args, "language", None)
        if language:
            # Here rather than in the query: StaffQueue.list filters by status only.
            records = [r for r in records if r["language"] == language]
        record_listed(session_factory, args, queue.record_type, len(records))
        if args.json:
            _print_json(records)
            return 0
        if queue.behind is not None:
            _open_notice(session_factory, queue.behind)
        if not records:
            spoken = f" from {LANGUAGE_NAMES[language]} speakers" if language else ""
            print(f"No {args.status + ' ' if args.status else ''}{queue.noun}s{spoken}.")
            return 0
        columns = queue.columns_on(CLI)
        rows: List[Sequence[Any]] = [
            (r["id"], r["reference"], *(_when(r[c.key]) if c.is_time else r[c.key] for c in columns))
            for r in records
        ]
        print(_table(("ID", "REF", *(c.terminal_heading for c in columns)), rows))
        return 0

    return handler


def _shower(queue: StaffQueue[Any]) -> QueueHandler:
    def handler(args: argparse.Namespace, session_factory: Any) -> int:
        record = queue.to_dict(queue.get(session_factory, args.id))
        record_viewed(session_factory, queue.record_type, record["reference"])
        found = read_transcript(session_factory, args, queue.record_type, record)
        history = lead_work.history(session_factory, queue, record["id"])
        if args.json:
            item = {**record, **history_items(history)}
            _print_json(item if found is None else {**item, "transcript": found.to_dict()})
            return 0
        lines = [(queue.label, f"{record['id']} ({record['reference']})")]
        lines += [(row.label, row.text(record, _when)) for row in queue.rows_on(CLI)]
        _print_fields(lines)
        if record.get("answers"):
            print("Answers:")
            words = record.get("answer_words") or {}
            for key, value in record["answers"].items():
                shown = ", ".join(map(str, value)) if isinstance(value, list) else value
                said = f'  (said: "{printable(words[key])}")' if words.get(key) else ""
                print(f"  {printable(key)}: {printable(shown) if shown not in (None, '') else '-'}{said}")
        print_history(history)
        if found is not None:
            print_transcript(found)
        return 0

    return handler


def _claimer(queue: StaffQueue[Any]) -> QueueHandler:
    def handler(args: argparse.Namespace, session_factory: Any) -> int:
        record = audit.transition(queue.claim, session_factory, args.id, args.by, actor=audit.cli_actor(args.by),
                                  action="claimed", record_type=queue.record_type, source="cli")
        print(f"{queue.label} {record.id} ({record.reference}) claimed by {printable(record.claimed_by)}.")
        return 0

    return handler


def _closer(queue: StaffQueue[Any]) -> QueueHandler:
    def handler(args: argparse.Namespace, session_factory: Any) -> int:
        record = audit.transition(queue.close, session_factory, args.id, args.outcome, actor=audit.cli_actor(args.by),
                                  action="closed", record_type=queue.record_type, source="cli",
                                  detail=f"outcome={args.outcome}")
        print(f"{queue.label} {record.id} ({record.reference}) closed: {printable(record.outcome)}.")
        return 0

    return handler


def _note_text(text: str) -> str:
    """The note as given; ``-`` reads it from standard input (kept out of shell history and ``ps``)."""
    return sys.stdin.read() if text == "-" else text


def _noter(queue: StaffQueue[Any]) -> QueueHandler:
    def handler(args: argparse.Namespace, session_factory: Any) -> int:
        record = lead_work.add_note(session_factory, queue, args.id, _note_text(args.text),
                                    author=audit.cli_actor(args.by), source="cli")
        print(f"{queue.label} {record.id} ({record.reference}): note added.")
        return 0

    return handler


def _attempter(queue: StaffQueue[Any]) -> QueueHandler:
    def handler(args: argparse.Namespace, session_factory: Any) -> int:
        record = lead_work.log_attempt(session_factory, queue, args.id, args.outcome, by=audit.cli_actor(args.by),
                                       rules=load_rules(), source="cli")
        now = f"closed: {printable(record.outcome)}" if record.status == "closed" else (
            f"{record.status} by {printable(record.claimed_by)}")
        print(f"{queue.label} {record.id} ({record.reference}): call logged ({args.outcome}); {now}.")
        return 0

    return handler


def _assigner(queue: StaffQueue[Any]) -> QueueHandler:
    def handler(args: argparse.Namespace, session_factory: Any) -> int:
        # Account names are lower case ("Sam.R" signs in as sam.r), so --to matches them the same way.
        record = lead_work.assign(session_factory, queue, args.id, args.to.strip().lower(),
                                  by=audit.cli_actor(args.by), known_staff=active_staff(session_factory),
                                  source="cli")
        print(f"{queue.label} {record.id} ({record.reference}) assigned to {printable(record.claimed_by)}.")
        return 0

    return handler


def _reopener(queue: StaffQueue[Any]) -> QueueHandler:
    def handler(args: argparse.Namespace, session_factory: Any) -> int:
        record = lead_work.reopen(session_factory, queue, args.id, by=audit.cli_actor(args.by), source="cli")
        print(f"{queue.label} {record.id} ({record.reference}) reopened: it is back in the queue as new.")
        return 0

    return handler


def _retry(args: argparse.Namespace, session_factory: Any) -> int:
    results = retry_pending(session_factory, load_settings(), min_age_seconds=args.min_age)
    if not results:
        print("No staff alerts waiting to be sent.")
        return 0
    counts: Dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    summary = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))
    print(f"Retried {len(results)} staff alert(s). {summary}.")
    # Non-zero so a cron job or systemd timer reports alerts that still fail.
    return 0 if all(r.ok for r in results) else 1


def _import_spool(args: argparse.Namespace) -> int:
    from helpline.queues import lead_spool

    settings = load_settings()
    if not lead_spool.pending(settings):
        print("No spooled leads.")
        return 0
    try:
        report = lead_spool.import_and_alert(settings)
    except Exception as exc:  # the database is still down: say so, keep the spool
        return _error(f"database {db.display_url(settings.effective_database_url)}: {type(exc).__name__}")
    print(f"Spooled leads: {lead_spool.describe(report)}.")
    # Non-zero while leads are left, so cron or a timer reports it.
    return 0 if report.remaining == 0 else 1


# -- outbox and db -------------------------------------------------------------

def _outbox_list(args: argparse.Namespace, session_factory: Any) -> int:
    with session_factory() as session:
        messages = list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())
    items = [
        {
            "id": m.id,
            "created_at": m.created_at.isoformat(timespec="seconds"),
            "to": m.to,
            "kind": m.kind,
            "callback_id": m.callback_id,
            "body": m.body,
        }
        for m in messages
    ]
    if args.json:
        _print_json(items)
        return 0
    if not items:
        print("The outbox is empty.")
        return 0
    print(_table(("ID", "CREATED (UTC)", "TO", "CALLBACK", "MESSAGE"),
                 [(i["id"], _when(i["created_at"]), i["to"], i["callback_id"], i["body"]) for i in items]))
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    context = app_context()
    url = context.database_url
    try:
        revision = context.migrate()
    except SQLAlchemyError as exc:
        return _error(f"database {db.display_url(url)}: {type(exc).__name__}")
    except CommandError as exc:
        return _error(f"database {db.display_url(url)}: {exc}")
    print(f"Database {db.display_url(url)} is at revision {revision}.")
    return 0


def _help(parser: argparse.ArgumentParser) -> Handler:
    def handler(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return handler


def add_queue_group(subparsers: Any, queue: StaffQueue[Any], *, group_help: str, claim_help: str) -> Any:
    """The ``helpline <queue>`` group with the actions every staff queue has.

    list, show, claim, close, and working a record (:mod:`helpline.queues.lead_work`):
    note, attempt, assign, reopen.

    Returns the group's sub-commands, for actions of that queue alone.
    """
    group = subparsers.add_parser(queue.name, help=group_help)
    group.set_defaults(handler=_help(group))
    commands = group.add_subparsers(dest=f"{queue.name}_command", metavar="ACTION")
    handlers = {
        "list": _lister(queue), "show": _shower(queue), "claim": _claimer(queue), "close": _closer(queue),
        "note": _noter(queue), "attempt": _attempter(queue), "assign": _assigner(queue), "reopen": _reopener(queue),
    }
    what, statuses, outcomes = queue.noun, queue.statuses, queue.outcomes
    id_help = f"numeric id or reference ({queue.reference_prefix}XXXXX)"

    listing = commands.add_parser("list", help=f"list {what}s, most pressing first")
    listing.add_argument("--status", choices=statuses, help=f"only {what}s with this status")
    listing.add_argument("--language", choices=LANGUAGES, help=f"only {what}s from callers who spoke this language")
    listing.add_argument("--json", action="store_true", help="print a JSON array")

    show = commands.add_parser("show", help=f"show one {what} with its details")
    show.add_argument("id", help=id_help)
    show.add_argument("--json", action="store_true", help="print a JSON object")
    show.add_argument(
        "--transcript", action="store_true",
        help=f"also print the conversation (last {transcripts.MAX_MESSAGES} messages; recorded in the audit trail)",
    )

    claim = commands.add_parser("claim", help=claim_help)
    claim.add_argument("id", help=id_help)
    claim.add_argument("--by", required=True, help="your name as the team knows it")

    close = commands.add_parser("close", help=f"close a {what} with its outcome")
    close.add_argument("id", help=id_help)
    close.add_argument("--outcome", required=True, choices=outcomes)
    close.add_argument("--by", help="your name for the audit trail (default: HELPLINE_STAFF_NAME or your login)")

    by_help = "your name for the audit trail (default: HELPLINE_STAFF_NAME or your login)"
    note = commands.add_parser("note", help=f"add a note to a {what} (any status)")
    note.add_argument("id", help=id_help)
    note.add_argument("text", metavar="TEXT",
                      help="the note; '-' reads it from standard input (keeps it out of shell history)")
    note.add_argument("--by", help=by_help)

    attempt = commands.add_parser(
        "attempt", help=f"log a call to an open {what} (no answer keeps it open up to the facility's limit)"
    )
    attempt.add_argument("id", help=id_help)
    attempt.add_argument("--outcome", required=True, choices=ATTEMPT_OUTCOMES)
    attempt.add_argument("--by", help=by_help)

    assign = commands.add_parser("assign", help=f"give an open {what} to a colleague")
    assign.add_argument("id", help=id_help)
    assign.add_argument("--to", required=True, help="an active staff account (helpline staff list)")
    assign.add_argument("--by", help=by_help)

    reopen = commands.add_parser("reopen", help=f"put a closed {what} back in the queue as new")
    reopen.add_argument("id", help=id_help)
    reopen.add_argument("--by", help=by_help)

    for name, parser in (("list", listing), ("show", show), ("claim", claim), ("close", close), ("note", note),
                         ("attempt", attempt), ("assign", assign), ("reopen", reopen)):
        parser.set_defaults(handler=_with_database(handlers[name]))
    return commands


def register(subparsers: Any) -> None:
    """Add the ``callbacks``, ``outbox`` and ``db`` command groups to the ``helpline`` CLI."""
    commands = add_queue_group(
        subparsers, LEADS, group_help="work the callback queue (leads waiting for a call)",
        claim_help="take a new request (so nobody else calls too)",
    )

    retry = commands.add_parser("retry-notifications", help="re-send staff alerts that failed or are still pending")
    retry.add_argument(
        "--min-age", type=float, default=60.0, metavar="SECONDS",
        help="skip requests younger than this; their first alert may still be in flight (default 60)",
    )
    retry.set_defaults(handler=_with_database(_retry))

    spool = commands.add_parser(
        "import-spool", help="move leads kept locally while the database was down into the queue, then alert staff"
    )
    spool.set_defaults(handler=_import_spool)

    outbox = subparsers.add_parser("outbox", help="SMS kept locally because Twilio is not configured")
    outbox.set_defaults(handler=_help(outbox))
    outbox_commands = outbox.add_subparsers(dest="outbox_command", metavar="ACTION")
    outbox_list = outbox_commands.add_parser("list", help="list outbox messages, oldest first")
    outbox_list.add_argument("--json", action="store_true", help="print a JSON array")
    outbox_list.set_defaults(handler=_with_database(_outbox_list))

    database = subparsers.add_parser("db", help="database maintenance")
    database.set_defaults(handler=_help(database))
    db_commands = database.add_subparsers(dest="db_command", metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="create or migrate the tables (safe to repeat)")
    upgrade.set_defaults(handler=_db_upgrade)

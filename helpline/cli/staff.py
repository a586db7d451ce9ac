"""Operator commands: ``helpline staff add|list|role|disable|enable|reset-password|clear-throttle`` and
``helpline audit list``.

Same conventions as :mod:`helpline.cli.callbacks`: the database is migrated
first, errors are one line on stderr with exit status 1. A generated password
is printed once and stored only as a hash; ``--password-stdin`` takes one from
a password manager or a pipe instead (never from the command line, where it
would land in the shell history and ``ps``).

No role check here: the CLI runs on the server, whose operator already has the
database (and its key) in reach. Roles limit the console and the API.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Optional

from helpline.cli.callbacks import _help, _print_json, _table, _when, _with_database
from helpline.security import audit, login_throttle, staff_accounts


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """``(password, generated)``."""
    if not args.password_stdin:
        return staff_accounts.generate_password(), True
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line, False


def _record(session_factory: Any, action: str, name: Optional[str], detail: Optional[str] = None) -> None:
    audit.record(session_factory, actor=audit.cli_actor(), action=action, record_type="staff_account",
                 reference=name, detail=detail, source="cli")


def _show_password(name: str, password: str, generated: bool, what: str) -> None:
    if generated:
        print(f"{what} {name}. Password (shown only now; hand it over in person or by a password manager):")
        print(password)
    else:
        print(f"{what} {name}.")


def _add(args: argparse.Namespace, session_factory: Any) -> int:
    password, generated = _password(args)
    role = "admin" if args.admin else "staff"
    account = staff_accounts.add_account(session_factory, args.name, password, role=role)
    _record(session_factory, "account_added", account.name, f"role={role}")
    _show_password(account.name, password, generated, f"Added {role} account")
    return 0


def _role(args: argparse.Namespace, session_factory: Any) -> int:
    account = staff_accounts.set_role(session_factory, args.name, args.role)
    _record(session_factory, "role_changed", account.name, f"role={account.role}")
    print(f"Staff account {account.name} is now {account.role}.")
    return 0


def _clear_throttle(args: argparse.Namespace, session_factory: Any) -> int:
    name = staff_accounts.get_account(session_factory, args.name).name if args.name else None
    removed = login_throttle.clear(session_factory, name=name)
    _record(session_factory, "throttle_cleared", name, None if name else "all")
    print(f"Sign-in throttle cleared for {name or 'every name and address'} ({removed} counter(s)).")
    return 0


def _reset(args: argparse.Namespace, session_factory: Any) -> int:
    password, generated = _password(args)
    account = staff_accounts.reset_password(session_factory, args.name, password)
    _record(session_factory, "password_reset", account.name)
    _show_password(account.name, password, generated, "New password set for")
    return 0


def _disable(args: argparse.Namespace, session_factory: Any) -> int:
    account = staff_accounts.set_disabled(session_factory, args.name, True)
    _record(session_factory, "account_disabled", account.name)
    print(f"Staff account {account.name} disabled and signed out everywhere.")
    return 0


def _enable(args: argparse.Namespace, session_factory: Any) -> int:
    account = staff_accounts.set_disabled(session_factory, args.name, False)
    _record(session_factory, "account_enabled", account.name)
    print(f"Staff account {account.name} enabled.")
    return 0


def _list(args: argparse.Namespace, session_factory: Any) -> int:
    items = [
        {
            "name": a.name,
            "created_at": a.created_at.isoformat(timespec="seconds"),
            "password_changed_at": a.password_changed_at.isoformat(timespec="seconds"),
            "disabled": bool(a.disabled),
            "role": a.role,
        }
        for a in staff_accounts.list_accounts(session_factory)
    ]
    if args.json:
        _print_json(items)
        return 0
    if not items:
        print("No staff accounts yet: helpline staff add NAME")
        return 0
    rows = [(i["name"], i["role"], _when(i["created_at"]), _when(i["password_changed_at"]),
             "disabled" if i["disabled"] else "active")
            for i in items]
    print(_table(("NAME", "ROLE", "CREATED (UTC)", "PASSWORD SET (UTC)", "STATE"), rows))
    return 0


def _audit_list(args: argparse.Namespace, session_factory: Any) -> int:
    since = audit.parse_since(args.since) if args.since else None
    events = audit.list_events(session_factory, since=since, actor=args.actor, action=args.action,
                               record_type=args.record_type, reference=args.reference, limit=args.limit)
    # Reading the trail is itself an access worth knowing about.
    audit.record(session_factory, actor=audit.cli_actor(), action="listed", record_type="audit",
                 detail=f"count={len(events)}", source="cli")
    items = [e.to_dict() for e in events]
    if args.json:
        _print_json(items)
        return 0
    if not items:
        print("No audit events match.")
        return 0
    rows = [(i["id"], _when(i["at"]), i["actor"], i["action"], i["record_type"], i["reference"], i["source"], i["detail"])
            for i in items]
    print(_table(("ID", "AT (UTC)", "ACTOR", "ACTION", "RECORD", "REF", "SOURCE", "DETAIL"), rows))
    return 0


def register(subparsers: Any) -> None:
    """Add the ``staff`` and ``audit`` command groups to the ``helpline`` CLI."""
    staff = subparsers.add_parser("staff", help="staff accounts for the console and API")
    staff.set_defaults(handler=_help(staff))
    commands = staff.add_subparsers(dest="staff_command", metavar="ACTION")

    add = commands.add_parser("add", help="create an account (prints a generated password once)")
    add.add_argument("name", help="sign-in name, e.g. sam.r (stored lower case)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin instead")
    add.add_argument("--admin", action="store_true", help="may also read the audit trail (default: staff, queues only)")
    add.set_defaults(handler=_with_database(_add))

    role = commands.add_parser("role", help="make an account admin (also the audit trail) or staff (queues only)")
    role.add_argument("name")
    role.add_argument("role", choices=staff_accounts.ROLES)
    role.set_defaults(handler=_with_database(_role))

    listing = commands.add_parser("list", help="list accounts (never their passwords)")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(handler=_with_database(_list))

    disable = commands.add_parser("disable", help="lock an account out and end its sessions")
    disable.add_argument("name")
    disable.set_defaults(handler=_with_database(_disable))

    enable = commands.add_parser("enable", help="let a disabled account sign in again")
    enable.add_argument("name")
    enable.set_defaults(handler=_with_database(_enable))

    reset = commands.add_parser("reset-password", help="set a new password (generated unless --password-stdin)")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin instead")
    reset.set_defaults(handler=_with_database(_reset))

    clear = commands.add_parser("clear-throttle",
                                help="let a name (or, without NAME, everyone) try signing in again at once")
    clear.add_argument("name", nargs="?")
    clear.set_defaults(handler=_with_database(_clear_throttle))

    trail = subparsers.add_parser("audit", help="the audit trail of staff actions")
    trail.set_defaults(handler=_help(trail))
    trail_commands = trail.add_subparsers(dest="audit_command", metavar="ACTION")
    events = trail_commands.add_parser("list", help="list audit events, newest first")
    events.add_argument("--since", help="24h, 7d, 30m or an ISO date/time (UTC)")
    events.add_argument("--actor", help="only this staff member")
    events.add_argument("--action", choices=audit.ACTIONS)
    events.add_argument("--record-type", choices=audit.ALL_RECORD_TYPES)
    events.add_argument("--reference", help="only events about this record (L-XXXXX, C-XXXXX)")
    events.add_argument("--limit", type=int, default=audit.DEFAULT_LIMIT,
                        help=f"at most this many (default {audit.DEFAULT_LIMIT}, max {audit.MAX_LIMIT})")
    events.add_argument("--json", action="store_true", help="print a JSON array")
    events.set_defaults(handler=_with_database(_audit_list))

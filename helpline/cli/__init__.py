"""The ``helpline`` command: operator and staff commands.

Each command group lives in its own module exposing ``register(subparsers)``;
this module only assembles them so ``helpline --help`` lists everything.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Optional, Sequence

# Modules that contribute sub-commands, in the order --help lists them.
COMMAND_MODULES = (
    "helpline.ops.runner",
    "helpline.cli.callbacks",
    "helpline.cli.crises",
    "helpline.cli.sms",
    "helpline.cli.privacy",
    "helpline.cli.staff",
    "helpline.cli.export",
    "helpline.cli.webhooks",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpline",
        description="Helpline Intake: run the assistant and work the callback queue.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    from helpline.settings import SettingsError

    try:
        # Validates the settings too: command-line defaults come from them.
        parser = build_parser()
    except SettingsError as exc:  # a bad environment variable: say which, before any command runs
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    # Before any command creates a file: the databases, logs, pid files and
    # spool in the data directory are owner-only, and so is everything that
    # `helpline run`'s children (which inherit the umask) create.
    from helpline.store import file_modes

    file_modes.secure_process()
    from helpline.security.crypto import CryptoError

    try:
        return int(args.handler(args) or 0)
    except (CryptoError, SettingsError) as exc:  # wrong key, bad setting: one line, no traceback through a query
        print(f"error: {exc}", file=sys.stderr)
        return 1


"""Operator commands for the outbound webhook: ``helpline webhooks list|retry|deliver``.

``list`` shows deliveries (ids, the lead's reference, event, status, attempts,
times, the last HTTP status or error class): nothing of a lead's content, so it
is not a read of PHI. ``retry`` queues dead deliveries again with fresh attempts,
each recorded in the audit trail (``webhook_retried``) in the same transaction.
``deliver`` sends what is due now, as the every-minute job of ``helpline run``
does, recorded as done by ``--by`` (default: HELPLINE_STAFF_NAME or the login).
How the webhook works: :mod:`helpline.integrations.webhook`.
"""
from __future__ import annotations

import argparse
from typing import Any

from helpline.admissions import load_rules
from helpline.cli.callbacks import _error, _help, _table, _when, _with_database
from helpline.cli.terminal import json_text
from helpline.integrations import webhook
from helpline.security import audit
from helpline.settings import load_settings
from helpline.store.models import WEBHOOK_STATUSES


def _list(args: argparse.Namespace, session_factory: Any) -> int:
    deliveries = webhook.list_deliveries(session_factory, status=args.status, limit=args.limit)
    if args.json:
        print(json_text([d.to_dict() for d in deliveries], indent=2))
        return 0
    if not deliveries:
        print("No webhook deliveries" + (f" with status {args.status}." if args.status else "."))
        return 0
    rows = [
        (d.id, d.reference or f"(gone, id {d.lead_id})", d.event, d.status, d.attempts,
         _when(d.created_at.isoformat()), _when(d.next_attempt_at.isoformat() if d.next_attempt_at else None),
         _when(d.delivered_at.isoformat() if d.delivered_at else None), d.last_error)
        for d in deliveries
    ]
    print(_table(("ID", "LEAD", "EVENT", "STATUS", "TRIES", "QUEUED", "NEXT TRY", "DELIVERED", "LAST ERROR"), rows))
    return 0


def _retry(args: argparse.Namespace, session_factory: Any) -> int:
    if (args.id is None) == (not args.all_dead):
        return _error("give a delivery ID or --all-dead")
    retried = webhook.retry(session_factory, delivery_id=args.id, all_dead=args.all_dead,
                            actor=audit.cli_actor(args.by))
    if not retried:
        print("No dead webhook deliveries.")
        return 0
    print(f"Queued again: {len(retried)} deliver{'y' if len(retried) == 1 else 'ies'} "
          f"({', '.join(map(str, retried))}); `helpline run` sends them within a minute.")
    return 0


def _deliver(args: argparse.Namespace, session_factory: Any) -> int:
    settings = load_settings()
    rules = load_rules(settings.facility_file)
    if not rules.webhook.enabled:
        return _error("the webhook is off (facility.yml integrations.webhook.enabled)")
    summary = webhook.deliver_due(session_factory, rules=rules, secret=settings.webhook_secret,
                                  actor=audit.cli_actor(args.by), source="cli")
    if summary.refused:
        return _error(summary.refused)
    print(f"Webhook deliveries: {summary}")
    return 0


def register(subparsers: Any) -> None:
    """Add the ``webhooks`` command group to the ``helpline`` CLI."""
    group = subparsers.add_parser("webhooks", help="lead events sent to the facility's CRM or EHR (signed webhook)")
    group.set_defaults(handler=_help(group))
    commands = group.add_subparsers(dest="webhooks_command", metavar="ACTION")

    listing = commands.add_parser("list", help="list deliveries, newest first")
    listing.add_argument("--status", choices=WEBHOOK_STATUSES, help="only deliveries with this status")
    listing.add_argument("--limit", type=int, default=200, help="at most this many (default 200)")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(handler=_with_database(_list))

    retry = commands.add_parser("retry", help="queue dead deliveries again (audited)")
    retry.add_argument("id", nargs="?", type=int, metavar="ID", help="the delivery to queue again")
    retry.add_argument("--all-dead", action="store_true", help="every dead delivery")
    retry.add_argument("--by", help="your name for the audit trail (default: HELPLINE_STAFF_NAME or your login)")
    retry.set_defaults(handler=_with_database(_retry))

    deliver = commands.add_parser("deliver", help="send the deliveries that are due now (helpline run does every minute)")
    deliver.add_argument("--by", help="your name for the audit trail (default: HELPLINE_STAFF_NAME or your login)")
    deliver.set_defaults(handler=_with_database(_deliver))

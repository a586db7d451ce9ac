"""``helpline export --format fhir``: leads as FHIR R4 Bundles for an EHR or admissions CRM.

Writes NDJSON, one Bundle (:func:`helpline.integrations.fhir.lead_bundle`) per
line, as FHIR bulk data does, to ``--out FILE`` or standard output (``-``, the
default). Leads are chosen by ``--since`` (created since: ``7d``, ``24h`` or an
ISO date), ``--status`` and ``--lead REF ...``; every filter given applies.
Oldest lead first.

Off by default: the command refuses unless facility.yml says
``integrations.fhir_export.enabled: true``, as the provider decides which
system may receive leads. Every exported lead is an ``exported`` event in the
audit trail (``detail`` ``format=fhir``, actor ``--by``, else
``HELPLINE_STAFF_NAME``, else the OS user), recorded *before* its line is
written, as reads are: a failing audit write means nothing is written. A file
is written owner-only (0600) under a temporary name and renamed into place
when complete, so a reader never sees half an export and an existing file of
looser mode is replaced, not reused. Messages go to stderr (stdout may be the
export) and name counts and the file only, never a lead's details.
"""
from __future__ import annotations

import argparse
import os
import stat
import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence, TextIO

from alembic.util import CommandError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from helpline.admissions import load_rules
from helpline.composition import AppContext, app_context
from helpline.facility import Facility
from helpline.integrations.fhir import lead_bundle_json
from helpline.queues.callbacks import LEADS, CallbackNotFound
from helpline.queues.staff_queue import QueueError
from helpline.security import audit
from helpline.store import db
from helpline.store.models import CALLBACK_STATUSES, CallbackRequest

FORMATS = ("fhir",)
STDOUT = "-"
# Leads audited (one transaction) then written together: bounded memory, and one audit commit per chunk.
CHUNK = 200


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _check_target(target: str) -> None:
    """Refuse an ``--out`` that is not (or would not be) a regular file before anything is read."""
    if target == STDOUT:
        return
    path = Path(target)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        # A device, pipe or symlink: renaming over it could replace /dev/stdout itself.
        raise ValueError(f"--out {target}: not a regular file (use - for standard output)")
    if not path.parent.is_dir():
        raise ValueError(f"--out {target}: no such folder {path.parent}")


@contextmanager
def _output(target: str) -> Iterator[TextIO]:
    """Standard output, or an owner-only temporary file renamed to ``target`` once everything is in it."""
    if target == STDOUT:
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(target)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def select_leads(
    session_factory: sessionmaker, *, since: Optional[datetime] = None, status: Optional[str] = None,
    leads: Sequence[str] = (),
) -> List[CallbackRequest]:
    """The leads to export, oldest first; raises :class:`CallbackNotFound` for a ``leads`` entry that is no lead."""
    query = select(CallbackRequest).order_by(CallbackRequest.created_at, CallbackRequest.id)
    if since is not None:
        query = query.where(CallbackRequest.created_at >= since)
    if status is not None:
        query = query.where(CallbackRequest.status == status)
    with session_factory() as session:
        if leads:
            ids = set()
            for wanted in leads:
                found = LEADS.lookup(session, wanted)
                if found is None:
                    raise CallbackNotFound(f"no callback request {wanted}")
                ids.add(found.id)
            query = query.where(CallbackRequest.id.in_(sorted(ids)))
        return list(session.execute(query).scalars())


def export_fhir(
    session_factory: sessionmaker, records: Sequence[CallbackRequest], facility: Facility, out: TextIO, *, actor: str,
) -> int:
    """Write each record's Bundle as a line of ``out``, each audited first; returns how many."""
    for start in range(0, len(records), CHUNK):
        chunk = records[start:start + CHUNK]
        lines = [lead_bundle_json(LEADS.to_dict(record), facility) for record in chunk]
        audit.record_each(session_factory, [record.reference for record in chunk], actor=actor, action="exported",
                          record_type=LEADS.record_type, detail="format=fhir", source="cli")
        out.write("".join(line + "\n" for line in lines))
    return len(records)


def _export(args: argparse.Namespace, context: AppContext) -> int:
    try:
        enabled = load_rules(context.settings.facility_file).fhir_export
    except OSError as exc:  # not the --out file's error: say which file
        raise ValueError(f"facility file {context.settings.facility_file}: {exc.strerror or type(exc).__name__}") from exc
    if not enabled:
        return _error(f"FHIR export is off: set integrations.fhir_export.enabled: true in "
                      f"{context.settings.facility_file} to allow it")
    since = audit.parse_since(args.since) if args.since else None
    _check_target(args.out)
    actor = audit.cli_actor(args.by)
    session_factory = context.open_database()
    records = select_leads(session_factory, since=since, status=args.status, leads=args.lead or ())
    facility = context.facility()
    with _output(args.out) as out:
        count = export_fhir(session_factory, records, facility, out, actor=actor)
    where = "standard output" if args.out == STDOUT else args.out
    print(f"Exported {count} callback request{'' if count == 1 else 's'} as FHIR R4 NDJSON to {where}.",
          file=sys.stderr)
    return 0


def _handler(args: argparse.Namespace) -> int:
    context = app_context()
    url = context.database_url
    try:
        return _export(args, context)
    except (QueueError, audit.AuditError, ValueError) as exc:  # ValueError: also the facility file's errors
        return _error(str(exc))
    except SQLAlchemyError as exc:
        # The type only: SQLAlchemy messages can include row values.
        return _error(f"database {db.display_url(url)}: {type(exc).__name__}")
    except CommandError as exc:
        return _error(f"database {db.display_url(url)}: {exc}")
    except OSError as exc:
        return _error(f"--out {args.out}: {exc.strerror or type(exc).__name__}")


def register(subparsers: Any) -> None:
    """Add ``helpline export`` to the ``helpline`` CLI."""
    export = subparsers.add_parser(
        "export", help="write leads for another system (FHIR R4 NDJSON; off unless facility.yml enables it)",
        description="Write leads as FHIR R4 Bundles, one per line (NDJSON). Each exported lead is recorded "
                    "in the audit trail. Needs integrations.fhir_export.enabled: true in facility.yml.",
    )
    export.add_argument("--format", required=True, choices=FORMATS, help="fhir: one FHIR R4 Bundle per lead")
    export.add_argument("--since", help="only leads created since: 24h, 7d, 30m or an ISO date such as 2026-12-01")
    export.add_argument("--status", choices=CALLBACK_STATUSES, help="only leads with this status")
    export.add_argument("--lead", nargs="+", action="extend", metavar="REF",
                        help="only these leads (reference such as L-7Q2K9, or numeric id)")
    export.add_argument("--out", default=STDOUT, metavar="FILE",
                        help="file to write, created owner-only (default -: standard output)")
    export.add_argument("--by", help="your name for the audit trail (default: HELPLINE_STAFF_NAME or your login)")
    export.set_defaults(handler=_handler)

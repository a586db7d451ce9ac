"""A local, durable waiting room for leads while the callback database is down.

When :func:`helpline.intake.handoff.submit` cannot reach the database for a few
seconds it writes the lead here instead of losing it, and the caller is told
the reference the lead will keep. :func:`import_spooled` (run every minute by
``helpline run`` and on demand by ``helpline callbacks import-spool``) moves
each spooled lead into the database exactly once and then alerts staff.

One file per lead under ``$HELPLINE_DATA_DIR/spool/``, named by the lead's
idempotency key (a hash: the name says nothing about the caller). The content
is PHI, so it is sealed with :mod:`helpline.security.crypto` (the keys that seal the
database columns). Files are written to a temporary name, flushed to disk and
then linked into place, so a crash leaves either no file or a whole one, and a
second write of the same lead keeps the first (its reference was already told).

Exactly once: the database's unique idempotency key makes a repeated import a
no-op, and a file is removed only after its lead is committed. Only the
import that created the record alerts staff; an alert cut off by a crash is
sent by :func:`helpline.notify.staff_sms.retry_pending` like any other.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from helpline.security import crypto
from helpline.settings import Settings
from helpline.store.files import write_new

log = logging.getLogger(__name__)

SPOOL_DIR_NAME = "spool"
SUFFIX = ".lead"
FORMAT_VERSION = 1
_KEY = re.compile(r"^[0-9a-f]{64}$")


class SpoolError(Exception):
    """A spooled lead could not be written or read; the message names no caller detail."""


@dataclass(frozen=True)
class SpooledLead:
    key: str  # the handoff's idempotency key
    reference: str  # told to the caller; the record keeps it
    fields: Dict[str, Any]  # keyword arguments of helpline.queues.callbacks.store_callback, JSON-ready
    spooled_at: datetime


@dataclass
class ImportReport:
    imported: List[str] = field(default_factory=list)  # references now in the database
    already: List[str] = field(default_factory=list)  # were in the database before (file removed)
    unreadable: List[str] = field(default_factory=list)  # file names left in place for an operator
    remaining: int = 0  # still spooled afterwards
    error: Optional[str] = None  # why the import stopped early (database still down)


def spool_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / SPOOL_DIR_NAME


def _path(settings: Settings, key: str) -> Path:
    if not _KEY.match(key):
        raise SpoolError("a spooled lead is named by its 64-character idempotency key")
    return spool_dir(settings) / f"{key}{SUFFIX}"


def _encode(lead: SpooledLead) -> bytes:
    document = {
        "version": FORMAT_VERSION,
        "key": lead.key,
        "reference": lead.reference,
        "spooled_at": lead.spooled_at.isoformat(),
        "fields": {k: v.isoformat() if isinstance(v, datetime) else v for k, v in lead.fields.items()},
    }
    return crypto.encrypt(json.dumps(document, ensure_ascii=False)).encode("ascii")


def _decode(data: bytes) -> SpooledLead:
    document = json.loads(crypto.decrypt(data.decode("ascii")))
    if document.get("version") != FORMAT_VERSION:
        raise SpoolError(f"unknown spool format {document.get('version')!r}")
    return SpooledLead(
        key=document["key"],
        reference=document["reference"],
        fields=document["fields"],
        spooled_at=datetime.fromisoformat(document["spooled_at"]),
    )


def write(settings: Settings, lead: SpooledLead) -> SpooledLead:
    """Persist ``lead``; returns the lead as spooled (an earlier write of the same key wins)."""
    path = _path(settings, lead.key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_new(path, _encode(lead))  # never replaces a lead already spooled
    except OSError as exc:
        raise SpoolError(f"could not write to the lead spool: {type(exc).__name__}") from None
    stored = read(path)
    log.warning("lead %s kept in the local spool until the callback database is back", stored.reference)
    return stored


def read(path: Path) -> SpooledLead:
    try:
        return _decode(path.read_bytes())
    except (OSError, ValueError, KeyError, TypeError, crypto.CryptoError) as exc:
        raise SpoolError(f"spooled lead {path.name[:12]}... is unreadable: {type(exc).__name__}") from None


def find(settings: Settings, key: str) -> Optional[SpooledLead]:
    """The spooled lead with this idempotency key, if any (``None`` when unreadable too)."""
    path = _path(settings, key)
    if not path.exists():
        return None
    try:
        return read(path)
    except SpoolError:
        return None


def remove(settings: Settings, key: str) -> None:
    _path(settings, key).unlink(missing_ok=True)


def pending(settings: Settings) -> List[Path]:
    directory = spool_dir(settings)
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"*{SUFFIX}"), key=lambda p: (p.stat().st_mtime, p.name))


def import_spooled(
    settings: Settings,
    session_factory: Any,
    *,
    alert: Optional[Callable[[int], Any]] = None,
) -> ImportReport:
    """Move every spooled lead into the database, oldest first; alert staff for each new one.

    Stops at the first database error (it is most likely still down) and
    leaves the rest for the next run. ``alert(callback_id)`` is called after
    the commit of each lead this run created.
    """
    from helpline.queues import callbacks
    from helpline.store import db

    report = ImportReport()
    files = pending(settings)
    if not files:
        return report
    db.ensure_schema(settings.effective_database_url)
    for path in files:
        try:
            lead = read(path)
        except SpoolError as exc:
            # Sealed with a key that is no longer configured, or damaged: keep it for an operator.
            log.error("%s", exc)
            report.unreadable.append(path.name)
            continue
        try:
            fields = dict(lead.fields)
            if fields.get("consent_at"):
                fields["consent_at"] = datetime.fromisoformat(fields["consent_at"])
            record, created = callbacks.store_callback(
                session_factory, idempotency_key=lead.key, reference=lead.reference,
                created_at=lead.spooled_at, **fields,
            )
        except ValueError as exc:
            # Cannot happen for a lead that passed the same checks when spooled; keep it, loudly.
            log.error("spooled lead %s was refused by the queue: %s", lead.reference, exc)
            report.unreadable.append(path.name)
            continue
        except Exception as exc:
            report.error = type(exc).__name__
            log.warning("importing spooled leads stopped: database unavailable (%s)", report.error)
            break
        path.unlink(missing_ok=True)
        if created:
            log.info("spooled lead %s moved into the callback queue", record.reference)
            report.imported.append(record.reference)
            if alert is not None:
                alert(record.id)
        else:
            report.already.append(record.reference)
    report.remaining = len(pending(settings))
    return report


def import_and_alert(settings: Settings, *, max_attempts: Optional[int] = None) -> ImportReport:
    """:func:`import_spooled` on the configured database, alerting staff as :func:`notify.notify_staff` does."""
    from helpline.notify import staff_sms as notify
    from helpline.store import db

    sessions = db.session_factory(settings.effective_database_url)
    return import_spooled(
        settings, sessions,
        alert=lambda callback_id: notify.notify_staff(sessions, callback_id, settings, max_attempts=max_attempts),
    )


def describe(report: ImportReport) -> str:
    """One line for cron output and the supervisor's log: counts and references only."""
    parts = [f"imported {len(report.imported)}" + (f" ({', '.join(report.imported)})" if report.imported else "")]
    if report.already:
        parts.append(f"already in the queue {len(report.already)}")
    if report.unreadable:
        parts.append(f"unreadable {len(report.unreadable)} (left in {SPOOL_DIR_NAME}/)")
    if report.error:
        parts.append(f"stopped: database unavailable ({report.error})")
    parts.append(f"still spooled {report.remaining}")
    return "; ".join(parts)

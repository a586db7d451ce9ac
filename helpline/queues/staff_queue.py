"""What the two staff queues (callback leads, crisis follow-ups) share: finding a
record as staff name it, and moving it between states so that two people acting
at once cannot both win."""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Optional, Tuple, Type, TypeVar, Union

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from helpline.store.models import utcnow

log = logging.getLogger(__name__)

Record = TypeVar("Record")
RecordId = Union[int, str]
MAX_RECORD_ID = 2 ** 31 - 1  # PostgreSQL's INTEGER, what the id columns are
# Called inside the transition's transaction once the change is made (e.g. to
# add its audit event), so both commit or roll back together.
OnChange = Callable[[Session, Any], None]


def lookup(session: Session, model: Type[Record], record_id: RecordId) -> Optional[Record]:
    """By numeric id, or by reference ("L-7Q2K9", "C-7Q2K9", any case) as staff read it from an SMS."""
    if isinstance(record_id, int) or str(record_id).strip().isdigit():
        number = int(record_id)
        # Ids are 32-bit. A bigger number typed into a URL is simply not found;
        # SQLite's driver would raise OverflowError (a 500) above 2**63.
        return session.get(model, number) if 0 < number <= MAX_RECORD_ID else None
    reference = str(record_id).strip().upper()
    return session.execute(select(model).where(model.reference == reference)).scalar_one_or_none()  # type: ignore[attr-defined]


def transition(
    session_factory: sessionmaker,
    model: Type[Record],
    record_id: RecordId,
    *,
    allowed_from: Tuple[str, ...],
    values: Dict[str, Any],
    verb: str,
    noun: str,
    not_found: Type[Exception],
    invalid: Type[Exception],
    on_change: Optional[OnChange] = None,
) -> Record:
    """Apply ``values`` if the record's status is in ``allowed_from``; raise ``invalid`` otherwise.

    ``on_change(session, record)`` runs in the same transaction after the change.
    """
    with session_factory() as session:
        with session.begin():
            record: Any = lookup(session, model, record_id)
            if record is None:
                raise not_found(f"no {noun} {record_id}")
            # A conditional UPDATE, so two staff claiming at once cannot both win.
            result = session.execute(
                update(model)
                .where(model.id == record.id, model.status.in_(allowed_from))  # type: ignore[attr-defined]
                .values(**values, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                session.refresh(record)
                detail = f" by {record.claimed_by}" if record.status == "claimed" and record.claimed_by else ""
                raise invalid(f"cannot {verb} {noun} {record.id} ({record.reference}): it is {record.status}{detail}")
            if on_change is not None:
                on_change(session, record)
        session.refresh(record)
    log.info("%s %s %s", noun, record.reference, record.status)
    return record

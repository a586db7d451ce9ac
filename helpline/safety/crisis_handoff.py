"""Crisis handoff: flag a conversation with crisis language for follow-up and page staff.

Called by the crisis action after the bot has answered (the answer never waits
for this). Order as in :mod:`helpline.intake.handoff`: the follow-up is stored first,
synchronously (a few milliseconds), and only then are staff alerted, in a
background thread, so a slow or failing SMS provider neither delays the
conversation nor loses the flag; an alert that did not go out is retried by
:func:`helpline.notify.staff_sms.retry_pending`.

Staff are paged when the flag is new, when its severity rose to ``immediate``,
or when its earlier alert failed; not for every further crisis message in the
same conversation (see :mod:`helpline.queues.crisis_flags`). Pages are capped per
window across processes (:mod:`helpline.safety.crisis_pages`): over the cap the flag
is still stored and the answer unchanged, and one summary page reports it later.
"""
from __future__ import annotations

import logging
import threading
from typing import Optional

from helpline.language import LANGUAGES
from helpline.notify import staff_sms as notify
from helpline.queues import crisis_flags
from helpline.settings import Settings, load_settings
from helpline.store import db
from helpline.store.models import CRISIS_CATEGORIES, CRISIS_SEVERITIES

log = logging.getLogger(__name__)

UNSPECIFIED = "unspecified"
# A crisis turn whose severity is unknown is treated as the most severe: paging
# staff once too often costs less than once too few.
DEFAULT_SEVERITY = CRISIS_SEVERITIES[0]


def flag_and_alert(
    conversation_id: str,
    category: Optional[str],
    severity: Optional[str],
    channel: Optional[str],
    settings: Optional[Settings] = None,
    language: Optional[str] = None,
) -> Optional[threading.Thread]:
    """Flag ``conversation_id`` and, when needed, alert staff in a started background thread.

    Returns that thread (callers need not join it; it is not a daemon, so a
    shutting-down process finishes the alert), or ``None`` when no alert was
    needed or flagging failed. An unknown ``category`` is stored as
    ``unspecified``, an unknown ``severity`` as ``immediate`` and an unknown
    ``language`` (the conversation's slot) as None (English on a new flag, an
    open flag's kept): the flag matters more than any of them. Never raises: a failure is logged
    by error type only, without any user text.
    """
    try:
        settings = settings or load_settings()
        if category not in CRISIS_CATEGORIES:
            category = UNSPECIFIED
        if severity not in CRISIS_SEVERITIES:
            severity = DEFAULT_SEVERITY
        if language not in LANGUAGES:
            language = None
        url = settings.effective_database_url
        # The action server may be started on its own against a fresh database.
        db.ensure_schema(url)
        sessions = db.session_factory(url)
        flagged = crisis_flags.flag_crisis(
            sessions, conversation_id=conversation_id, category=category, severity=severity, channel=channel,
            language=language,
        )
        if not flagged.needs_alert:
            return None
        flag_id, reference = flagged.flag.id, flagged.flag.reference

        def _send() -> None:
            result = notify.notify_crisis(sessions, flag_id, settings)  # never raises
            log.info("staff alert for crisis follow-up %s: %s", reference, result.status)

        thread = threading.Thread(target=_send, name=f"crisis-alert-{flag_id}", daemon=False)
        thread.start()
        return thread
    except Exception as exc:  # the bot has already answered; this must not break the conversation
        log.error("crisis follow-up could not be recorded or alerted: %s", type(exc).__name__)
        return None

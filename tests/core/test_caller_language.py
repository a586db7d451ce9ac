"""The caller's language on every lead and crisis follow-up: stored, updated, alerted, listed.

Staff must know to call back in Spanish: revision 0012 stores the conversation's
``language`` slot ("en", "es"; None = English) on ``callback_requests`` and
``crisis_flags``; the staff SMS, the CLI and the JSON view say it. The console's
pages are tested in ``tests/channels/test_console_language.py``.
"""
from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Dict

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select

from helpline.cli import main
from helpline.intake import handoff
from helpline.notify.alerts import compose_crisis_sms, compose_staff_sms
from helpline.queues import callbacks, crisis_flags, lead_spool
from helpline.safety import crisis_handoff
from helpline.security import audit
from helpline.settings import load_settings
from helpline.store import db
from helpline.store.models import CallbackRequest, CrisisFlag, OutboxMessage

LINK = "https://c.example.org"
WHEN = datetime(2026, 12, 5, 15, 0, tzinfo=timezone.utc)
SLOTS = {"who_for": "self", "first_name": "Lupita", "best_time": "morning", "callback_phone": "+16025550134",
         "consent": True}


def lead(session_factory, key="k", **extra) -> CallbackRequest:
    record, _ = callbacks.store_callback(
        session_factory, idempotency_key=key, phone="602-555-0134", urgency="urgent", level_of_care="iop_fit",
        consent=True, first_name="Lupita", best_time="morning", **extra,
    )
    return record


def crisis(session_factory, conversation="conv-1", severity="urgent", **extra) -> CrisisFlag:
    return crisis_flags.flag_crisis(
        session_factory, conversation_id=conversation, category="overdose", severity=severity, **extra
    ).flag


def count(session_factory, model) -> int:
    with session_factory() as session:
        return len(session.execute(select(model)).scalars().all())


# -- storing -----------------------------------------------------------------------------------

@pytest.mark.parametrize("slot, stored", [("es", "es"), ("en", "en"), (None, "en")])
def test_a_lead_and_a_follow_up_store_the_conversations_language(session_factory, slot, stored):
    # None: no language decided yet, so the bot spoke English.
    record = callbacks.LEADS.get(session_factory, lead(session_factory, language=slot).id)
    flag = crisis_flags.CRISES.get(session_factory, crisis(session_factory, language=slot).id)
    assert record.language == flag.language == stored


@pytest.mark.parametrize("bad", ["fr", "ES", "Spanish", "", "es; call +1 602 555 0134"])
def test_anything_but_the_fixed_vocabulary_is_refused(session_factory, bad):
    with pytest.raises(ValueError, match="language must be one of"):
        lead(session_factory, language=bad)
    with pytest.raises(ValueError, match="language must be one of"):
        crisis(session_factory, language=bad)
    assert count(session_factory, CallbackRequest) == count(session_factory, CrisisFlag) == 0


def test_later_updates_keep_the_language_the_person_speaks_now(session_factory):
    record = lead(session_factory, language="en")
    update: Dict[str, Any] = dict(answers={}, answer_words={}, urgency="routine", level_of_care="iop_fit",
                                  screening_reasons=[])
    assert callbacks.update_answers(session_factory, record.reference, **update, language="es").record.language == "es"
    # Not given: left as it is.
    assert callbacks.update_answers(session_factory, record.reference, **update).record.language == "es"
    assert callbacks.raise_urgency(session_factory, record.id, "immediate", "crisis_follow_up",
                                   language="en").language == "en"
    with pytest.raises(ValueError):
        callbacks.update_answers(session_factory, record.reference, **update, language="xx")

    flag = crisis(session_factory, language=None)
    again = crisis_flags.flag_crisis(session_factory, conversation_id="conv-1", category="overdose",
                                     severity="urgent", language="es")
    assert again.flag.id == flag.id and again.flag.language == "es"
    assert not again.needs_alert  # a language is shown, not paged for
    # Not given: left as it is.
    assert crisis_flags.flag_crisis(session_factory, conversation_id="conv-1", category="overdose",
                                    severity="urgent").flag.language == "es"


def test_the_json_view_has_the_code_and_the_name(session_factory):
    spanish = callbacks.LEADS.to_dict(lead(session_factory, language="es"))
    assert (spanish["language"], spanish["language_name"]) == ("es", "Spanish")
    english = crisis_flags.CRISES.to_dict(crisis(session_factory))
    assert (english["language"], english["language_name"]) == ("en", "English")


def test_the_handoff_stores_the_slot_and_never_loses_a_lead_over_it(isolated_env):
    spanish = handoff.submit(SLOTS, conversation_id="c-es", turn_marker="1", channel="rest", consent_text="sí",
                             now=WHEN, language="es")
    # A value the slot can never hold is dropped (English), not a reason to lose the lead.
    odd = handoff.submit(SLOTS, conversation_id="c-xx", turn_marker="1", channel="rest", consent_text="yes",
                         now=WHEN, language="klingon")
    sessions = db.session_factory(load_settings().effective_database_url)
    assert callbacks.LEADS.get(sessions, spanish.reference).language == "es"
    assert callbacks.LEADS.get(sessions, odd.reference).language == "en"
    assert handoff.update(spanish.reference, SLOTS, language="en").stored
    assert callbacks.LEADS.get(sessions, spanish.reference).language == "en"
    assert handoff.escalate_for_crisis(spanish.reference, language="es") == handoff.ESCALATED
    assert callbacks.LEADS.get(sessions, spanish.reference).language == "es"


def test_a_spooled_lead_keeps_its_language_into_the_queue(isolated_env):
    settings = load_settings()
    fields = dict(phone="+16025550134", urgency="soon", level_of_care="iop_fit", consent=True, language="es")
    lead_spool.write(settings, lead_spool.SpooledLead(key="a" * 64, reference="L-SPANI", fields=fields,
                                                      spooled_at=WHEN))
    sessions = db.session_factory(settings.effective_database_url)
    assert lead_spool.import_spooled(settings, sessions).imported == ["L-SPANI"]
    assert callbacks.LEADS.get(sessions, "L-SPANI").language == "es"


def test_flag_and_alert_stores_the_language_and_pages_a_spanish_speaker(settings, db_url):
    handoff_settings = replace(settings, database_url=db_url, staff_sms_to=("+16025550101",))
    thread = crisis_handoff.flag_and_alert("web-es", "overdose", "urgent", "socketio", handoff_settings, language="es")
    assert isinstance(thread, threading.Thread)
    thread.join(timeout=30)
    # An unknown value is stored as English, like an unknown category as unspecified: the flag matters more.
    thread = crisis_handoff.flag_and_alert("web-xx", "overdose", "urgent", "socketio", handoff_settings, language="xx")
    assert thread is not None
    thread.join(timeout=30)
    sessions = db.session_factory(db_url)
    flags = {f.conversation_id: f.language for f in crisis_flags.CRISES.list(sessions)}
    assert flags == {"web-es": "es", "web-xx": "en"}
    with sessions() as session:
        bodies = sorted(m.body for m in session.execute(select(OutboxMessage)).scalars())
    assert ["Spanish speaker." in body for body in bodies].count(True) == 1


# -- revision 0012 -------------------------------------------------------------------------------

def _downgrade(url: str, revision: str) -> None:
    config = db._alembic_config(url)
    with db.engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _columns(url: str, table: str) -> set:
    return {column["name"] for column in sa.inspect(db.engine_for(url)).get_columns(table)}


def test_revision_0012_adds_the_language_unknown_for_older_rows_and_removes_it_keeping_them(db_url):
    assert db.upgrade(db_url, "0011") == "0011"
    with db.engine_for(db_url).begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO callback_requests (reference, idempotency_key, created_at, updated_at, status, urgency, "
            "level_of_care, screening_reasons, phone_e164, answers, permit_call, permit_voicemail, permit_text, "
            "consent, notification_status, notification_attempts, notified_recipients) VALUES ('L-OLD22', 'old', "
            "'2026-12-01 00:00:00', '2026-12-01 00:00:00', 'new', 'soon', 'iop_fit', '[]', '+16025550134', '{}', "
            "1, 0, 0, 1, 'sent', 1, '[]')"))
        connection.execute(sa.text(
            "INSERT INTO outbox_messages (created_at, \"to\", body, callback_id, kind) "
            "VALUES ('2026-12-01 00:00:00', '+16025550100', 'New lead', 1, 'staff_alert')"))
        connection.execute(sa.text(
            "INSERT INTO crisis_flags (reference, conversation_id, open_key, category, severity, created_at, "
            "updated_at, last_seen_at, occurrences, status, notification_status, notification_attempts, "
            "notified_recipients, alert_round) VALUES ('C-OLD22', 'conv-old', 'conv-old', 'overdose', 'urgent', "
            "'2026-12-01 00:00:00', '2026-12-01 00:00:00', '2026-12-01 00:00:00', 1, 'new', 'sent', 1, '[]', 1)"))

    assert db.upgrade(db_url, "0012") == "0012"
    with db.engine_for(db_url).connect() as connection:
        for table in ("callback_requests", "crisis_flags"):
            assert connection.execute(sa.text(f"SELECT language FROM {table}")).all() == [(None,)]
    # Through the models (at head: they may have columns of later revisions).
    assert db.upgrade(db_url) == db.head_revision()
    sessions = db.session_factory(db_url)
    old_lead = callbacks.LEADS.to_dict(callbacks.LEADS.get(sessions, "L-OLD22"))
    old_flag = crisis_flags.CRISES.to_dict(crisis_flags.CRISES.get(sessions, "C-OLD22"))
    # Stored before languages were: unknown, neither English nor Spanish, and the alert is the plain one.
    assert (old_lead["language"], old_lead["language_name"]) == (None, None)
    assert (old_flag["language"], old_flag["language_name"]) == (None, None)
    assert "Spanish" not in compose_staff_sms(callbacks.LEADS.get(sessions, "L-OLD22"), LINK)
    spanish = lead(sessions, key="new", language="es")

    _downgrade(db_url, "0011")
    assert "language" not in _columns(db_url, "callback_requests") | _columns(db_url, "crisis_flags")
    with db.engine_for(db_url).connect() as connection:
        assert connection.execute(sa.text("SELECT reference FROM callback_requests ORDER BY id")).scalars().all() == [
            "L-OLD22", spanish.reference]
        assert connection.execute(sa.text("SELECT reference FROM crisis_flags")).scalars().all() == ["C-OLD22"]
        # A plain DROP COLUMN, not a table rebuild: the outbox keeps its link to the lead.
        assert connection.execute(sa.text("SELECT callback_id FROM outbox_messages")).scalar_one() == 1
    assert db.upgrade(db_url) == db.head_revision()


# -- staff SMS --------------------------------------------------------------------------------

def test_an_english_lead_alert_is_unchanged(session_factory):
    record = lead(session_factory, language="en")
    assert compose_staff_sms(record, LINK) == (
        f"New helpline callback {record.reference}. Urgency: URGENT. Best time: morning. "
        f"Open: {LINK}/callbacks/{record.id}"
    )


def test_a_spanish_lead_alert_says_call_back_in_spanish(session_factory):
    record = lead(session_factory, language="es")
    body = compose_staff_sms(record, LINK)
    assert body == (
        f"New helpline callback {record.reference}. Urgency: URGENT. Best time: morning. Call back in Spanish. "
        f"Open: {LINK}/callbacks/{record.id}"
    )
    assert body.isascii() and len(body) <= 160  # still one plain SMS segment
    record.alert_round = 2
    assert compose_staff_sms(record, LINK) == (
        f"Helpline callback {record.reference} is now URGENT (update). Best time: morning. Call back in Spanish. "
        f"Open: {LINK}/callbacks/{record.id}"
    )
    assert "Lupita" not in body and "0134" not in body


def test_a_crisis_alert_says_spanish_speaker_and_never_more(session_factory):
    english = crisis(session_factory, conversation="c-en", language="en")
    assert compose_crisis_sms(english, LINK) == (
        f"URGENT helpline crisis follow-up {english.reference}. Open: {LINK}/crises/{english.id}"
    )
    spanish = crisis(session_factory, conversation="c-es", language="es")
    assert compose_crisis_sms(spanish, LINK) == (
        f"URGENT helpline crisis follow-up {spanish.reference}. Spanish speaker. Open: {LINK}/crises/{spanish.id}"
    )
    escalated = crisis_flags.flag_crisis(session_factory, conversation_id="c-es", category="overdose",
                                         severity="immediate", language="es")
    assert escalated.needs_alert
    body = compose_crisis_sms(escalated.flag, LINK)
    assert body == (
        f"URGENT helpline crisis follow-up {spanish.reference} (update). Spanish speaker. "
        f"Open: {LINK}/crises/{spanish.id}"
    )
    assert "overdose" not in body.lower()


# -- CLI -------------------------------------------------------------------------------------

@pytest.fixture
def factory(isolated_env, migrated_database):
    url = load_settings().effective_database_url
    migrated_database(url)
    return db.session_factory(url)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_lists_show_and_filter_the_language(factory, capsys):
    spanish = lead(factory, key="es", language="es")
    english = lead(factory, key="en", language="en")
    code, out, _ = run(capsys, "callbacks", "list")
    lines = out.splitlines()
    assert code == 0 and "LANG" in lines[0].split()
    by_reference = {line.split()[1]: line for line in lines[1:]}
    assert "Spanish" in by_reference[spanish.reference] and "English" in by_reference[english.reference]

    code, out, _ = run(capsys, "callbacks", "list", "--language", "es")
    assert code == 0 and spanish.reference in out and english.reference not in out
    code, out, _ = run(capsys, "callbacks", "list", "--language", "es", "--json")
    assert [(i["reference"], i["language"]) for i in json.loads(out)] == [(spanish.reference, "es")]
    code, out, _ = run(capsys, "callbacks", "list", "--status", "closed", "--language", "es")
    assert code == 0 and "No closed callback requests from Spanish speakers." in out
    listed = [e.detail for e in audit.list_events(factory, limit=None) if e.action == "listed"]
    assert "count=1 language=es" in listed

    code, out, _ = run(capsys, "callbacks", "show", spanish.reference)
    assert code == 0 and "Language:" in out and "Spanish — call back in Spanish" in out
    code, out, _ = run(capsys, "callbacks", "show", english.reference)
    assert code == 0 and "English" in out and "call back in Spanish" not in out

    flag = crisis(factory, language="es")
    code, out, _ = run(capsys, "crises", "list")
    assert code == 0 and "LANG" in out.splitlines()[0].split() and "Spanish" in out
    code, out, _ = run(capsys, "crises", "show", flag.reference)
    assert code == 0 and "Spanish — follow up in Spanish" in out
    code, out, _ = run(capsys, "crises", "list", "--language", "en")
    assert code == 0 and "No crisis follow-ups from English speakers." in out

    with pytest.raises(SystemExit) as exit_info:
        main(["callbacks", "list", "--language", "fr"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err

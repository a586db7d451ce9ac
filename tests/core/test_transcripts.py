"""Conversation transcripts for staff (helpline.store.transcripts): only messages, decrypted, capped, audited, never raising.

The tracker database is SQLite with Rasa's ``events`` layout, sealed as the
encrypted tracker store seals it (tests/tracker_events.py); the real store
writes it in tests/adapters/test_transcript_tracker_store.py.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet, MultiFernet

from helpline.cli import main
from helpline.queues import callbacks, crisis_flags
from helpline.security import audit, crypto
from helpline.store import transcripts
from tests import tracker_events as te

T0 = datetime(2026, 12, 1, 14, 30, 5, tzinfo=timezone.utc).timestamp()
SECRETS = ("Marisol", "+16025550134", "secret-metadata", "entity-value", "utter_secret", "RulePolicy", "0.97",
           "action_listen", "first_name")


@pytest.fixture(autouse=True)
def keys(isolated_env, monkeypatch):
    monkeypatch.setenv(crypto.KEYS_ENV, crypto.generate_key())
    crypto.reset_cache()
    yield isolated_env
    crypto.reset_cache()


@pytest.fixture
def tracker_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


def conversation(url: str, sender: str = "web-aaa") -> None:
    te.write(url, sender, [
        te.action("action_session_start", T0),
        te.action("action_listen", T0),
        te.user("I took all my pills", T0 + 1, intent="crisis"),
        te.slot("first_name", "Marisol", T0 + 1),
        te.bot("Please call 911 now.", T0 + 2),
        te.bot("Do you want us to call you?", T0 + 2, buttons=[("Yes, call me", "/affirm"), ("No", "/deny")]),
        te.action("action_listen", T0 + 2),
        te.user("/affirm", T0 + 3, intent="affirm"),
        te.slot("callback_phone", "+16025550134", T0 + 3),
        te.user("/affirm", T0 + 4, intent="affirm"),  # typed again after the buttons: shown as typed
        te.bot(None, T0 + 5),  # a custom payload only: nothing to show
    ])


def test_only_message_texts_times_and_button_titles_come_out(tracker_url):
    conversation(tracker_url)
    te.write(tracker_url, "web-other", [te.user("someone else", T0)])

    found = transcripts.read_transcript("web-aaa", tracker_url)

    assert found.status == "ok" and not found.truncated and found.unreadable == 0 and found.notes == ()
    assert [(m.speaker, m.text, m.buttons, m.chose_button) for m in found.messages] == [
        ("person", "I took all my pills", (), False),
        ("assistant", "Please call 911 now.", (), False),
        ("assistant", "Do you want us to call you?", ("Yes, call me", "No"), False),
        ("person", "Yes, call me", (), True),  # the button pressed, by the title the person saw
        ("person", "/affirm", (), False),
    ]
    assert found.total == 6 and found.messages[0].at == datetime(2026, 12, 1, 14, 30, 6, tzinfo=timezone.utc)
    as_json = json.dumps(found.to_dict())
    assert json.loads(as_json)["messages"][0] == {
        "at": "2026-12-01T14:30:06+00:00", "speaker": "person", "text": "I took all my pills", "buttons": [],
        "chose_button": False,
    }
    for secret in SECRETS + ("someone else",):
        assert secret not in as_json, secret


def test_rows_written_before_encryption_are_read_too(tracker_url):
    te.write(tracker_url, "web-old", [te.user("plain row", T0)], sealed=False)
    te.write(tracker_url, "web-old", [te.bot("sealed row", T0 + 1)])
    assert [m.text for m in transcripts.read_transcript("web-old", tracker_url).messages] == ["plain row", "sealed row"]


def test_the_latest_200_messages_are_shown_and_the_rest_counted(tracker_url):
    te.write(tracker_url, "web-long", [te.user(f"message {i}", T0 + i) for i in range(205)])
    found = transcripts.read_transcript("web-long", tracker_url)
    assert transcripts.MAX_MESSAGES == 200
    assert found.status == "ok" and len(found.messages) == 200 and found.total == 205 and found.omitted == 5
    assert found.truncated and found.messages[0].text == "message 5" and found.messages[-1].text == "message 204"
    assert found.notes == ("Showing the last 200 of 205 messages; the 5 earlier ones are not shown.",)
    assert found.audit_detail() == "status=ok messages=200 of=205"
    assert found.to_dict()["truncated"] is True and found.to_dict()["shown"] == 200


def test_a_runaway_text_is_cut(tracker_url):
    te.write(tracker_url, "web-big", [te.bot("x" * 10_000, T0)])
    [message] = transcripts.read_transcript("web-big", tracker_url).messages
    assert len(message.text) == transcripts.MAX_TEXT_CHARS + len(transcripts.CUT_MARK) and message.text.endswith("[…]")


def test_missing_conversations_are_a_status_not_an_error(tracker_url, tmp_path):
    assert transcripts.read_transcript("web-aaa", tracker_url).status == "missing"  # no tracker.db at all
    assert not (tmp_path / "tracker.db").exists()  # and reading did not create one
    conversation(tracker_url)
    assert transcripts.read_transcript("web-gone", tracker_url).status == "missing"
    te.write(tracker_url, "web-silent", [te.action("action_listen", T0)])
    assert transcripts.read_transcript("web-silent", tracker_url).status == "missing"
    for nothing in (None, ""):
        assert transcripts.read_transcript(nothing, tracker_url).status == "none"
    missing = transcripts.read_transcript("web-gone", tracker_url)
    assert "not stored any more" in missing.message and missing.messages == ()


def test_the_default_tracker_is_the_one_rasa_is_given(keys):
    te.write(f"sqlite:///{keys / 'tracker.db'}", "web-aaa", [te.user("found by default", T0)])
    assert [m.text for m in transcripts.read_transcript("web-aaa").messages] == ["found by default"]


def test_a_conversation_sealed_with_a_key_no_longer_configured(tracker_url):
    other = MultiFernet([Fernet(crypto.generate_key())])
    te.write(tracker_url, "web-lost", [te.user("sealed elsewhere", T0), te.bot("also elsewhere", T0 + 1)], box=other)
    found = transcripts.read_transcript("web-lost", tracker_url)
    assert (found.status, found.messages, found.unreadable) == ("unreadable", (), 2)
    assert "could not be decrypted" in found.message and found.audit_detail() == "status=unreadable"

    te.write(tracker_url, "web-lost", [te.user("sealed here", T0 + 2)])
    found = transcripts.read_transcript("web-lost", tracker_url)
    assert found.status == "ok" and [m.text for m in found.messages] == ["sealed here"]
    assert found.notes == ("2 messages could not be decrypted with the configured keys and are left out.",)
    assert found.audit_detail() == "status=ok messages=1 unreadable=2"


def test_an_unreachable_tracker_store_is_a_status_and_logs_no_text(caplog):
    caplog.set_level("DEBUG", logger="helpline")
    for url in ("nosuchdriver://x/y", "postgresql://nobody@127.0.0.1:1/none"):
        found = transcripts.read_transcript("web-aaa", url)
        assert found.status == "unavailable" and "try again" in found.message
    assert "web-aaa" not in caplog.text


def test_read_and_record_audits_every_read_without_phi(session_factory, tracker_url):
    conversation(tracker_url)
    kwargs = dict(record_type="crisis", reference="C-ABCDE", actor="sam", source="console", tracker_url=tracker_url)
    found = transcripts.read_and_record(session_factory, conversation_id="web-aaa", **kwargs)
    missing = transcripts.read_and_record(session_factory, conversation_id="web-gone", **kwargs)
    nothing = transcripts.read_and_record(session_factory, conversation_id=None, **kwargs)
    assert (found.status, missing.status, nothing.status) == ("ok", "missing", "none")
    events = [(e.actor, e.action, e.record_type, e.reference, e.detail, e.source)
              for e in reversed(audit.list_events(session_factory))]
    assert events == [  # nothing read for a record without a conversation, so nothing recorded
        ("sam", "viewed_transcript", "crisis", "C-ABCDE", "status=ok messages=5", "console"),
        ("sam", "viewed_transcript", "crisis", "C-ABCDE", "status=missing", "console"),
    ]
    assert "viewed_transcript" in audit.ACTIONS


# -- CLI: show --transcript ---------------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_crises_show_transcript_prints_and_audits(keys, capsys, monkeypatch):
    monkeypatch.setenv("HELPLINE_STAFF_NAME", "kim")
    url = f"sqlite:///{keys / 'tracker.db'}"
    conversation(url)
    te.write(url, "web-aaa", [te.user("line one\x1b[2Jline two\u202e", T0 + 9)])
    from helpline.settings import load_settings
    from helpline.store import db

    sessions = db.session_factory(load_settings().effective_database_url)
    db.upgrade(load_settings().effective_database_url)
    flag, _ = crisis_flags.flag_crisis(sessions, conversation_id="web-aaa", category="overdose", severity="immediate")

    code, plain, _ = run(capsys, "crises", "show", flag.reference)
    assert code == 0 and "pills" not in plain and "Transcript" not in plain
    code, out, _ = run(capsys, "crises", "show", flag.reference, "--transcript")
    assert code == 0 and "Transcript (times in UTC):" in out
    assert "2026-12-01 14:30:06Z  person     I took all my pills" in out
    assert "assistant  Do you want us to call you?" in out and "[buttons: Yes, call me | No]" in out
    assert "Yes, call me (button)" in out
    assert "\x1b" not in out and "\u202e" not in out and "\\x1b[2J" in out and "\\u202e" in out
    code, out, _ = run(capsys, "crises", "show", str(flag.id), "--transcript", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["reference"] == flag.reference and shown["transcript"]["status"] == "ok"
    assert [m["text"] for m in shown["transcript"]["messages"]][0] == "I took all my pills"

    trail = [(e.actor, e.action, e.reference, e.source) for e in reversed(audit.list_events(sessions))]
    assert trail == [
        ("kim", "viewed", flag.reference, "cli"),
        ("kim", "viewed", flag.reference, "cli"), ("kim", "viewed_transcript", flag.reference, "cli"),
        ("kim", "viewed", flag.reference, "cli"), ("kim", "viewed_transcript", flag.reference, "cli"),
    ]


def test_callbacks_show_transcript(keys, capsys):
    from helpline.settings import load_settings
    from helpline.store import db

    url = load_settings().effective_database_url
    db.upgrade(url)
    sessions = db.session_factory(url)
    with_conversation, _ = callbacks.store_callback(
        sessions, idempotency_key="a", phone="602-555-0134", urgency="soon", level_of_care="iop_fit", consent=True,
        conversation_id="web-aaa",
    )
    without, _ = callbacks.store_callback(
        sessions, idempotency_key="b", phone="602-555-0135", urgency="soon", level_of_care="iop_fit", consent=True,
    )
    code, out, _ = run(capsys, "callbacks", "show", with_conversation.reference, "--transcript")
    assert code == 0 and "Transcript (times in UTC):" in out and "not stored any more" in out  # nothing in the tracker yet
    conversation(f"sqlite:///{keys / 'tracker.db'}")
    code, out, _ = run(capsys, "callbacks", "show", with_conversation.reference, "--transcript")
    assert code == 0 and "I took all my pills" in out
    code, out, _ = run(capsys, "callbacks", "show", without.reference, "--transcript")
    assert code == 0 and "No conversation is linked to this record." in out
    actions = [(e.action, e.reference, e.detail) for e in reversed(audit.list_events(sessions))]
    assert actions == [
        ("viewed", with_conversation.reference, None),
        ("viewed_transcript", with_conversation.reference, "status=missing"),
        ("viewed", with_conversation.reference, None),
        ("viewed_transcript", with_conversation.reference, "status=ok messages=5"),
        ("viewed", without.reference, None),
    ]

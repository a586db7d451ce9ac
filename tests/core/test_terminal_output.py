"""Stored caller text never reaches a staff terminal as control characters (helpline.cli.terminal)."""
from __future__ import annotations

import json

import pytest

from helpline.cli import main
from helpline.cli.terminal import json_text, printable
from helpline.queues import callbacks
from helpline.queues.crisis_flags import flag_crisis
from helpline.settings import load_settings
from helpline.store import db

# Clear the screen, retitle the window, then a right-to-left override: the
# name would print as "Maria" followed by "exe.gnp" reversed on screen.
NAME = "\x1b[2J\x1b]0;owned\x07Maria\u202egnp.exe"
RAW = ("\x1b", "\x07", "\u202e", "\u2066", "\x9b", "\r")


@pytest.fixture
def factory(isolated_env, migrated_database):
    url = load_settings().effective_database_url
    migrated_database(url)  # a copy of the session's migrated template
    return db.session_factory(url)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def assert_clean(out: str) -> None:
    assert not [c for c in RAW if c in out], repr(out)


def test_printable_escapes_controls_and_bidi_and_keeps_letters():
    assert printable(NAME) == "\\x1b[2J\\x1b]0;owned\\x07Maria\\u202egnp.exe"
    assert printable("a\r\nb\tc\x00\x7f\x9b\u2066\u2069\u2028") == "a\\x0d\\x0ab\\x09c\\x00\\x7f\\x9b\\u2066\\u2069\\u2028"
    assert printable("José Nguyễn 李 مريم") == "José Nguyễn 李 مريم"
    assert printable("one\n\ntwo\r", keep_newlines=True) == "one\n\ntwo\\x0d"


def test_json_text_is_the_same_json_without_raw_controls():
    value = {"name": NAME + "\x85\u2066", "city": "Zürich"}
    text = json_text(value, indent=2)
    assert_clean(text)
    assert "\x85" not in text and "Zürich" in text
    assert json.loads(text) == value


def test_callback_list_show_and_json_escape_a_hostile_name(factory, capsys):
    record, _ = callbacks.store_callback(
        factory, idempotency_key="k", phone="602-555-0134", urgency="soon", level_of_care="iop_fit", consent=True,
        first_name=NAME, caller_relation="son\r\u2066x", best_time="morning", who_for="self\x9b1m",
        answers={"last_use": "today\x1b[1A\rfine", "substances": ["alcohol\u202e"]},
    )
    code, out = run(capsys, "callbacks", "show", str(record.id))
    assert code == 0
    assert_clean(out)
    assert "First name:" in out and "\\x1b[2J\\x1b]0;owned\\x07Maria\\u202egnp.exe" in out
    assert "son\\x0d\\u2066x" in out and "today\\x1b[1A\\x0dfine" in out and "alcohol\\u202e" in out

    code, out = run(capsys, "callbacks", "list")
    assert code == 0
    assert_clean(out)
    assert len(out.splitlines()) == 2 and "Maria\\u202egnp.exe" in out

    for argv in (("callbacks", "show", str(record.id), "--json"), ("callbacks", "list", "--json")):
        code, out = run(capsys, *argv)
        assert code == 0
        assert_clean(out)
        assert NAME in out.replace("\\u001b", "\x1b").replace("\\u0007", "\x07").replace("\\u202e", "\u202e")
        parsed = json.loads(out)
        assert (parsed[0] if isinstance(parsed, list) else parsed)["first_name"] == NAME

    code, out = run(capsys, "callbacks", "claim", str(record.id), "--by", "Sam\x1b[8m")
    assert code == 0
    assert_clean(out)
    assert "claimed by Sam\\x1b[8m" in out


def test_crisis_show_and_list_escape_a_hostile_conversation_id(factory, capsys):
    # A REST client chooses its own sender id, which becomes the conversation id.
    flag, _ = flag_crisis(factory, conversation_id="web-\x1b[31m\u202e1", category="suicide_self_harm", severity="urgent")
    for argv in (("crises", "show", str(flag.id)), ("crises", "list"), ("crises", "list", "--json")):
        code, out = run(capsys, *argv)
        assert code == 0
        assert_clean(out)
    code, out = run(capsys, "crises", "show", flag.reference)
    assert "web-\\x1b[31m\\u202e1" in out

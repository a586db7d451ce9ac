"""Web conversation ids: the one shape REST accepts, and the tagged ids socket.io issues."""
from __future__ import annotations

import pytest

from helpline.channels import sms, web_ids

KEY = web_ids.session_key("secret-a")


def test_a_new_web_id_is_web_and_16_random_bytes():
    ids = {web_ids.new_web_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in ids:
        assert web_ids.is_web_id(value) and len(value) == 4 + 32
        int(value[4:], 16)


@pytest.mark.parametrize("value", [
    None, 42, b"web-" + b"0" * 32, "", "web-", "me", "web-" + "0" * 31, "web-" + "0" * 33,
    "web-" + "A" * 32, "web-" + "0" * 31 + "\n", "web-" + "0" * 31 + "\u0660",  # an Arabic-Indic digit
    sms.conversation_key("+16025550134", "s"), web_ids.new_session_id(KEY),
])
def test_anything_else_is_not_a_web_id(value):
    assert not web_ids.is_web_id(value)


def test_a_session_id_is_recognised_only_under_the_key_that_issued_it():
    issued = web_ids.new_session_id(KEY)
    assert web_ids.SESSION_ID_PATTERN.fullmatch(issued)
    assert web_ids.is_issued_session_id(issued, KEY)
    assert not web_ids.is_issued_session_id(issued, web_ids.session_key("secret-b"))
    web_id, tag = issued.split(".")
    assert not web_ids.is_issued_session_id(web_id, KEY)
    assert not web_ids.is_issued_session_id(web_ids.new_web_id() + "." + tag, KEY)  # a tag moved to another id
    flipped = tag[:-1] + ("1" if tag[-1] == "0" else "0")
    assert not web_ids.is_issued_session_id(f"{web_id}.{flipped}", KEY)
    assert not web_ids.is_issued_session_id(f"{web_id}.{tag.upper()}", KEY)
    assert not web_ids.is_issued_session_id(issued + "\n", KEY)


@pytest.mark.parametrize("value", [None, 7, {"id": 1}, "", "é" * 69, "web-" + "0" * 32 + "." + "é" * 32])
def test_junk_is_refused_without_raising(value):
    assert web_ids.is_issued_session_id(value, KEY) is False


def test_the_session_key_depends_on_the_secret_and_is_not_the_secret():
    assert web_ids.session_key("secret-a") == KEY != web_ids.session_key("secret-b")
    assert b"secret-a" not in KEY

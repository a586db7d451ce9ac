"""Staff accounts: password hashing, sign-in with throttling, sessions, and the ``helpline staff`` commands."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from helpline import audit, db, staff_accounts
from helpline.cli import main
from helpline.config import load_settings
from helpline.models import utcnow
from helpline.staff_accounts import AccountError
from helpline.staff_models import AuditEvent, StaffAccount, StaffSession

PASSWORD = "correct horse battery staple"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- hashing -----------------------------------------------------------------------------------

def test_password_hash_is_salted_scrypt_with_its_parameters():
    first, second = staff_accounts.hash_password(PASSWORD), staff_accounts.hash_password(PASSWORD)
    assert first != second  # a salt per hash
    scheme, n, r, p, salt, key = first.split("$")
    assert scheme == "scrypt" and int(n) >= 2 ** 15 and int(r) == 8 and int(p) >= 1
    assert PASSWORD not in first
    assert staff_accounts.verify_password(PASSWORD, first) and staff_accounts.verify_password(PASSWORD, second)
    assert not staff_accounts.verify_password(PASSWORD + "!", first)
    assert not staff_accounts.verify_password(PASSWORD, "not-a-hash")
    assert not staff_accounts.verify_password(PASSWORD, "bcrypt$1$2$3$c2FsdA==$a2V5")


def test_generated_passwords_are_long_and_different():
    passwords = {staff_accounts.generate_password() for _ in range(20)}
    assert len(passwords) == 20 and all(len(p) >= 24 for p in passwords)


# -- accounts -----------------------------------------------------------------------------------

def test_add_normalises_the_name_and_refuses_duplicates_and_weak_input(session_factory):
    account = staff_accounts.add_account(session_factory, "  Sam.R ", PASSWORD)
    assert account.name == "sam.r" and not account.disabled
    with pytest.raises(AccountError, match="already exists"):
        staff_accounts.add_account(session_factory, "SAM.R", PASSWORD)
    for bad in ("", "a b", "<script>", "-sam", "x" * 65):
        with pytest.raises(AccountError):
            staff_accounts.add_account(session_factory, bad, PASSWORD)
    with pytest.raises(AccountError, match="at least"):
        staff_accounts.add_account(session_factory, "jo", "short")
    assert [a.name for a in staff_accounts.list_accounts(session_factory)] == ["sam.r"]


def test_repr_never_shows_the_hash(session_factory):
    account = staff_accounts.add_account(session_factory, "sam", PASSWORD)
    assert "scrypt" not in repr(account) and account.password_hash not in repr(account)


# -- sign-in --------------------------------------------------------------------------------------

def _events(session_factory, action):
    return [(e.actor, e.source) for e in audit.list_events(session_factory, action=action)]


def test_authenticate_accepts_the_right_password_and_audits_every_attempt(session_factory):
    staff_accounts.add_account(session_factory, "sam", PASSWORD)
    assert staff_accounts.authenticate(session_factory, "Sam", PASSWORD, source="console").account.name == "sam"
    wrong = staff_accounts.authenticate(session_factory, "sam", "wrong password!", source="console")
    unknown = staff_accounts.authenticate(session_factory, "nobody", PASSWORD, source="api")
    # Unknown name and wrong password look exactly alike to the caller.
    assert wrong == unknown == staff_accounts.LoginResult(None, throttled=False)
    assert _events(session_factory, "login") == [("sam", "console")]
    assert sorted(_events(session_factory, "login_failed")) == [("nobody", "api"), ("sam", "console")]


def test_a_password_typed_as_the_name_is_not_written_to_the_audit_trail(session_factory):
    staff_accounts.authenticate(session_factory, "my secret pw!", PASSWORD, source="console")
    assert _events(session_factory, "login_failed") == [("(invalid name)", "console")]


def test_disabled_accounts_cannot_sign_in(session_factory):
    staff_accounts.add_account(session_factory, "sam", PASSWORD)
    staff_accounts.set_disabled(session_factory, "sam", True)
    assert not staff_accounts.authenticate(session_factory, "sam", PASSWORD, source="console").ok
    staff_accounts.set_disabled(session_factory, "sam", False)
    assert staff_accounts.authenticate(session_factory, "sam", PASSWORD, source="console").ok


def test_five_failures_lock_the_name_for_fifteen_minutes_even_with_the_right_password(session_factory):
    staff_accounts.add_account(session_factory, "sam", PASSWORD)
    start = utcnow()
    for _ in range(staff_accounts.MAX_FAILURES):
        assert not staff_accounts.authenticate(session_factory, "sam", "guess guess guess", source="console",
                                               now=start).throttled
    locked = staff_accounts.authenticate(session_factory, "sam", PASSWORD, source="console", now=start)
    assert locked.throttled and not locked.ok
    assert _events(session_factory, "login_throttled") == [("sam", "console")]
    # Another name is not affected.
    staff_accounts.add_account(session_factory, "jo", PASSWORD)
    assert staff_accounts.authenticate(session_factory, "jo", PASSWORD, source="console", now=start).ok
    # The failures were recorded at the real clock; once the window has passed the name is free again.
    after_window = utcnow() + staff_accounts.FAILURE_WINDOW + timedelta(seconds=1)
    assert staff_accounts.authenticate(session_factory, "sam", PASSWORD, source="console", now=after_window).ok


def test_unknown_names_are_throttled_too(session_factory):
    for _ in range(staff_accounts.MAX_FAILURES):
        staff_accounts.authenticate(session_factory, "ghost", "whatever whatever", source="api")
    assert staff_accounts.authenticate(session_factory, "ghost", "whatever whatever", source="api").throttled


# -- sessions -----------------------------------------------------------------------------------------

def test_sessions_store_only_a_hash_and_expire(session_factory):
    account = staff_accounts.add_account(session_factory, "sam", PASSWORD)
    token, expires_at = staff_accounts.create_session(session_factory, account, kind="console")
    assert expires_at - utcnow() <= timedelta(hours=12) and expires_at - utcnow() > timedelta(hours=11)
    with session_factory() as session:
        stored = session.execute(select(StaffSession)).scalars().all()
    assert len(stored) == 1 and stored[0].token_hash != token and token not in stored[0].token_hash

    who = staff_accounts.resolve_session(session_factory, token)
    assert who.name == "sam" and who.kind == "console"
    assert staff_accounts.resolve_session(session_factory, token, kind="api") is None
    assert staff_accounts.resolve_session(session_factory, token + "x") is None
    assert staff_accounts.resolve_session(session_factory, token, now=expires_at) is None
    assert staff_accounts.end_session(session_factory, token)
    assert staff_accounts.resolve_session(session_factory, token) is None


def test_disabling_or_resetting_the_password_ends_every_session(session_factory):
    account = staff_accounts.add_account(session_factory, "sam", PASSWORD)
    console_token, _ = staff_accounts.create_session(session_factory, account, kind="console")
    api_token, _ = staff_accounts.create_session(session_factory, account, kind="api")
    staff_accounts.reset_password(session_factory, "sam", "a brand new passphrase")
    assert staff_accounts.resolve_session(session_factory, console_token) is None
    assert staff_accounts.resolve_session(session_factory, api_token) is None
    assert not staff_accounts.authenticate(session_factory, "sam", PASSWORD, source="cli").ok
    assert staff_accounts.authenticate(session_factory, "sam", "a brand new passphrase", source="cli").ok

    token, _ = staff_accounts.create_session(session_factory, account, kind="console")
    staff_accounts.set_disabled(session_factory, "sam", True)
    assert staff_accounts.resolve_session(session_factory, token) is None


def test_signing_in_clears_out_expired_sessions(session_factory):
    account = staff_accounts.add_account(session_factory, "sam", PASSWORD)
    staff_accounts.create_session(session_factory, account, kind="console", now=utcnow() - timedelta(days=2))
    staff_accounts.create_session(session_factory, account, kind="console")
    with session_factory() as session:
        assert len(session.execute(select(StaffSession)).scalars().all()) == 1


# -- the CLI ----------------------------------------------------------------------------------------

@pytest.fixture
def cli_factory(isolated_env, monkeypatch):
    monkeypatch.setenv("HELPLINE_STAFF_NAME", "admin.kim")
    url = load_settings().effective_database_url
    db.upgrade(url)
    return db.session_factory(url)


def test_staff_add_prints_a_generated_password_once_and_it_signs_in(cli_factory, capsys):
    code, out, _ = run(capsys, "staff", "add", "Sam")
    assert code == 0 and "Added staff account sam" in out
    password = out.strip().splitlines()[-1]
    assert len(password) >= 24
    assert staff_accounts.authenticate(cli_factory, "sam", password, source="cli").ok
    code, out, _ = run(capsys, "staff", "list")
    assert code == 0 and "sam" in out and "active" in out and password not in out
    code, out, _ = run(capsys, "staff", "list", "--json")
    [item] = json.loads(out)
    assert item["name"] == "sam" and set(item) == {"name", "created_at", "password_changed_at", "disabled"}
    with cli_factory() as session:
        stored = session.execute(select(StaffAccount.password_hash)).scalar_one()
    assert password not in stored
    assert ("admin.kim", "account_added", "sam", "cli") in {
        (e.actor, e.action, e.reference, e.source) for e in audit.list_events(cli_factory)
    }


def test_staff_add_with_password_stdin_and_the_other_commands(cli_factory, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a passphrase from my manager\n"))
    code, out, _ = run(capsys, "staff", "add", "jo", "--password-stdin")
    assert code == 0 and out.strip() == "Added staff account jo."
    assert staff_accounts.authenticate(cli_factory, "jo", "a passphrase from my manager", source="cli").ok

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = run(capsys, "staff", "add", "kim", "--password-stdin")
    assert code == 1 and "at least 12" in err

    code, _, err = run(capsys, "staff", "add", "JO")
    assert code == 1 and err.strip() == "error: staff account jo already exists"

    code, out, _ = run(capsys, "staff", "disable", "jo")
    assert code == 0 and "disabled" in out
    code, out, _ = run(capsys, "staff", "list")
    assert "disabled" in out
    assert not staff_accounts.authenticate(cli_factory, "jo", "a passphrase from my manager", source="cli").ok
    code, out, _ = run(capsys, "staff", "enable", "jo")
    assert code == 0

    code, out, _ = run(capsys, "staff", "reset-password", "jo")
    new_password = out.strip().splitlines()[-1]
    assert code == 0 and staff_accounts.authenticate(cli_factory, "jo", new_password, source="cli").ok
    code, _, err = run(capsys, "staff", "disable", "nobody")
    assert code == 1 and "no staff account nobody" in err

    actions = [e.action for e in audit.list_events(cli_factory, actor="admin.kim")]
    assert {"account_added", "account_disabled", "account_enabled", "password_reset"} <= set(actions)
    with cli_factory() as session:
        # Nothing in the trail ever holds a password.
        for row in session.execute(select(AuditEvent)).scalars():
            assert "passphrase" not in f"{row.actor} {row.reference} {row.detail}"
            assert new_password not in f"{row.actor} {row.reference} {row.detail}"

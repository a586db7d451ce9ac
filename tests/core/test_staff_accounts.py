"""Staff accounts: password hashing, sign-in with throttling, sessions, and the ``helpline staff`` commands."""
from __future__ import annotations

import io
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from helpline.cli import main
from helpline.security import audit, login_throttle, staff_accounts
from helpline.security.staff_accounts import AccountError
from helpline.settings import load_settings
from helpline.store import db
from helpline.store.models import utcnow
from helpline.store.staff_models import AuditEvent, LoginThrottle, StaffAccount, StaffSession

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
    # Only an existing account is named; an unknown name is an anonymous failure.
    assert sorted(_events(session_factory, "login_failed")) == [("(unknown name)", "api"), ("sam", "console")]


@pytest.mark.parametrize("typed", ["my secret pw!", "Xk3-vQ9_pL2mN8rT5wZ1aB7c"])
def test_a_password_typed_as_the_name_is_stored_nowhere(session_factory, typed):
    """Neither a password that is no valid name nor one that is (a generated one lower-cased is) is kept."""
    staff_accounts.add_account(session_factory, "sam", PASSWORD)
    for _ in range(3):
        staff_accounts.authenticate(session_factory, typed, PASSWORD, source="console", client_ip="203.0.113.5")
    assert _events(session_factory, "login_failed") == [("(unknown name)", "console")] * 3
    with session_factory() as session:
        stored = [" ".join(map(str, (r.actor, r.reference, r.detail))) for r in session.execute(select(AuditEvent)).scalars()]
        stored += [row.key for row in session.execute(select(LoginThrottle)).scalars()]
    assert stored and not [text for text in stored if typed.lower() in text.lower()]


def test_disabled_accounts_cannot_sign_in(session_factory):
    staff_accounts.add_account(session_factory, "sam", PASSWORD)
    staff_accounts.set_disabled(session_factory, "sam", True)
    assert not staff_accounts.authenticate(session_factory, "sam", PASSWORD, source="console").ok
    staff_accounts.set_disabled(session_factory, "sam", False)
    assert staff_accounts.authenticate(session_factory, "sam", PASSWORD, source="console").ok


def test_after_five_failures_a_name_waits_a_doubling_delay_then_the_right_password_signs_in(session_factory):
    staff_accounts.add_account(session_factory, "sam", PASSWORD)
    start = utcnow()

    def attempt(password, seconds, name="sam"):
        return staff_accounts.authenticate(session_factory, name, password, source="console",
                                           now=start + timedelta(seconds=seconds))

    for _ in range(login_throttle.NAME_FREE_FAILURES):
        assert attempt("guess guess guess", 0) == staff_accounts.LoginResult(None)
    locked = attempt(PASSWORD, 1)  # the right password, too soon
    assert locked.throttled and not locked.ok and locked.retry_after == 29
    assert _events(session_factory, "login_throttled") == [("sam", "console")]
    # Another name is not affected.
    staff_accounts.add_account(session_factory, "jo", PASSWORD)
    assert attempt(PASSWORD, 1, name="jo").ok
    # Each further failure doubles the wait: 30 s, 60 s, 120 s ...
    assert attempt("guess guess guess", 30) == staff_accounts.LoginResult(None)
    assert attempt(PASSWORD, 31).retry_after == 59
    assert attempt("guess guess guess", 90) == staff_accounts.LoginResult(None)
    assert attempt(PASSWORD, 91).retry_after == 119
    # Once the wait is over the right password signs in, and the failures are forgotten.
    assert attempt(PASSWORD, 210).ok
    for _ in range(login_throttle.NAME_FREE_FAILURES - 1):
        assert not attempt("guess guess guess", 211).throttled
    assert attempt(PASSWORD, 211).ok


def test_the_backoff_is_capped_at_fifteen_minutes_and_forgotten_after_fifteen_quiet_ones():
    waits = [login_throttle.backoff(n) for n in range(1, 20)]
    assert waits[:4] == [timedelta(0)] * 4
    assert waits[4:9] == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480)]
    assert set(waits[10:]) == {timedelta(minutes=15)}
    assert login_throttle.backoff(10 ** 6) == timedelta(minutes=15)


def test_failures_are_forgotten_after_fifteen_quiet_minutes(session_factory):
    staff_accounts.add_account(session_factory, "sam", PASSWORD)
    start = utcnow()
    for _ in range(login_throttle.NAME_FREE_FAILURES - 1):
        staff_accounts.authenticate(session_factory, "sam", "guess guess guess", source="api", now=start)
    later = start + login_throttle.NAME_FORGET_AFTER
    for _ in range(login_throttle.NAME_FREE_FAILURES - 1):  # four more are free again
        assert not staff_accounts.authenticate(session_factory, "sam", "guess guess", source="api", now=later).throttled
    assert not staff_accounts.authenticate(session_factory, "sam", "guess guess", source="api", now=later).throttled
    assert staff_accounts.authenticate(session_factory, "sam", PASSWORD, source="api", now=later).throttled


@pytest.fixture
def fast_unknown_names(monkeypatch):
    """Unknown names cost no scrypt time here: the limits, not the hashing, are under test."""
    monkeypatch.setattr(staff_accounts, "_burn_time", lambda password: None)


def test_unknown_names_have_no_counter_of_their_own_but_spend_the_address_budget(session_factory, fast_unknown_names):
    staff_accounts.add_account(session_factory, "sam", PASSWORD)
    for i in range(login_throttle.IP_LIMIT):
        result = staff_accounts.authenticate(session_factory, f"ghost{i % 3}", "whatever whatever", source="api",
                                             client_ip="198.51.100.7")
        assert result == staff_accounts.LoginResult(None)  # no name limit for names that are no account
    # The address is spent: even the right password for a real account is refused from there ...
    refused = staff_accounts.authenticate(session_factory, "sam", PASSWORD, source="api", client_ip="198.51.100.7")
    assert refused.throttled and 0 < refused.retry_after <= 15 * 60
    # ... but not from another address.
    assert staff_accounts.authenticate(session_factory, "sam", PASSWORD, source="api", client_ip="198.51.100.8").ok
    assert [e.detail for e in audit.list_events(session_factory, action="login_throttled")] == [
        "ip=198.51.100.7 limit=ip"]


def test_successful_sign_ins_do_not_use_up_the_address_budget(session_factory, monkeypatch):
    monkeypatch.setattr(login_throttle, "IP_LIMIT", 3)  # each success costs a real scrypt check
    staff_accounts.add_account(session_factory, "sam", PASSWORD)
    for _ in range(6):  # a whole office behind one address
        assert staff_accounts.authenticate(session_factory, "sam", PASSWORD, source="console",
                                           client_ip="192.0.2.1").ok
    assert staff_accounts.authenticate(session_factory, "nobody", "x" * 12, source="console", client_ip="192.0.2.1").ok \
        is False


def test_the_global_limit_stops_guessing_spread_over_many_addresses(session_factory, fast_unknown_names, monkeypatch):
    monkeypatch.setattr(login_throttle, "GLOBAL_LIMIT", 6)
    for i in range(6):
        assert not staff_accounts.authenticate(session_factory, "ghost", "guess guess guess", source="api",
                                               client_ip=f"203.0.113.{i}").throttled
    refused = staff_accounts.authenticate(session_factory, "ghost", "guess guess guess", source="api",
                                          client_ip="203.0.113.99")
    assert refused.throttled
    assert audit.list_events(session_factory, action="login_throttled")[0].detail == "ip=203.0.113.99 limit=global"
    # The window passes and sign-in works again.
    later = utcnow() + login_throttle.GLOBAL_WINDOW
    staff_accounts.add_account(session_factory, "sam", PASSWORD)
    assert staff_accounts.authenticate(session_factory, "sam", PASSWORD, source="api", client_ip="203.0.113.99",
                                       now=later).ok


def test_ipv6_addresses_count_per_64_and_junk_is_no_address():
    key = login_throttle.ip_key
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") == "ip:2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("::ffff:192.0.2.1") == key("192.0.2.1") == "ip:192.0.2.1"
    assert key(None) is None  # the CLI: no address at all
    assert key("unknown") == key("1.2.3.4, 5.6.7.8") == key("<script>") == "ip:unknown"


def _concurrent_wrong_attempts(factory, monkeypatch, attempts=10):
    """``attempts`` wrong passwords for sam at once; returns (passwords checked, results)."""
    from concurrent.futures import ThreadPoolExecutor

    checked = []
    real_verify = staff_accounts.verify_password

    def counting_verify(password, stored):
        checked.append(password)
        return real_verify(password, stored)

    monkeypatch.setattr(staff_accounts, "verify_password", counting_verify)
    staff_accounts.add_account(factory, "sam", PASSWORD)
    barrier = threading.Barrier(attempts)

    def attempt(i):
        barrier.wait()
        return staff_accounts.authenticate(factory, "sam", f"guess number {i}", source="api",
                                           client_ip=f"203.0.113.{i}")

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        results = list(pool.map(attempt, range(attempts)))
    return checked, results


def test_concurrent_attempts_cannot_slip_past_the_name_limit(session_factory, monkeypatch):
    checked, results = _concurrent_wrong_attempts(session_factory, monkeypatch)
    assert len(checked) == login_throttle.NAME_FREE_FAILURES
    assert sorted(r.throttled for r in results) == [False] * 5 + [True] * 5
    assert len(_events(session_factory, "login_failed")) == 5
    assert len(_events(session_factory, "login_throttled")) == 5


def test_on_postgresql_concurrent_attempts_cannot_slip_past_the_name_limit(postgres_url, monkeypatch):
    db.upgrade(postgres_url)
    factory = db.session_factory(postgres_url)
    try:
        checked, results = _concurrent_wrong_attempts(factory, monkeypatch)
        assert len(checked) == login_throttle.NAME_FREE_FAILURES
        assert sum(r.throttled for r in results) == 5
        # Waiting out the backoff, the right password signs in on PostgreSQL too.
        later = utcnow() + login_throttle.NAME_BACKOFF_START + timedelta(seconds=1)
        assert staff_accounts.authenticate(factory, "sam", PASSWORD, source="api", now=later).ok
    finally:
        db.dispose_all()


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


def test_signing_in_clears_out_expired_and_idle_sessions(session_factory):
    account = staff_accounts.add_account(session_factory, "sam", PASSWORD)
    staff_accounts.create_session(session_factory, account, kind="console", now=utcnow() - timedelta(days=2))
    staff_accounts.create_session(session_factory, account, kind="console", now=utcnow() - timedelta(minutes=31))
    staff_accounts.create_session(session_factory, account, kind="console")
    with session_factory() as session:
        assert len(session.execute(select(StaffSession)).scalars().all()) == 1


def test_a_session_unused_for_thirty_minutes_ends_and_each_use_moves_that_on(session_factory):
    account = staff_accounts.add_account(session_factory, "sam", PASSWORD)
    start = utcnow()
    token, expires_at = staff_accounts.create_session(session_factory, account, kind="api", now=start)

    def at(minutes):
        return staff_accounts.resolve_session(session_factory, token, now=start + timedelta(minutes=minutes))

    assert timedelta(minutes=30) == staff_accounts.IDLE_TIMEOUT
    assert at(29) is not None  # used: the idle clock starts again
    assert at(58) is not None  # 29 minutes after that use
    assert at(87) is not None
    assert at(117.5) is None  # 30.5 idle minutes
    assert at(118) is None  # and it stays ended


def test_a_session_in_constant_use_still_ends_after_twelve_hours(session_factory):
    account = staff_accounts.add_account(session_factory, "sam", PASSWORD)
    start = utcnow()
    token, expires_at = staff_accounts.create_session(session_factory, account, kind="console", now=start)
    for minutes in range(20, 12 * 60, 20):
        assert staff_accounts.resolve_session(session_factory, token, now=start + timedelta(minutes=minutes))
    assert staff_accounts.resolve_session(session_factory, token, now=expires_at) is None


def test_using_a_session_writes_at_most_once_a_minute(session_factory):
    account = staff_accounts.add_account(session_factory, "sam", PASSWORD)
    start = utcnow()
    token, _ = staff_accounts.create_session(session_factory, account, kind="console", now=start)

    def last_seen():
        with session_factory() as session:
            return session.execute(select(StaffSession.last_seen_at)).scalar_one()

    staff_accounts.resolve_session(session_factory, token, now=start + timedelta(seconds=30))
    assert last_seen() == start
    staff_accounts.resolve_session(session_factory, token, now=start + timedelta(seconds=61))
    assert last_seen() == start + timedelta(seconds=61)


# -- roles ---------------------------------------------------------------------------------------------

def test_accounts_are_staff_unless_made_admin_and_the_role_shows_on_the_session(session_factory):
    sam = staff_accounts.add_account(session_factory, "sam", PASSWORD)
    kim = staff_accounts.add_account(session_factory, "kim", PASSWORD, role="admin")
    assert (sam.role, kim.role) == ("staff", "admin")
    token, _ = staff_accounts.create_session(session_factory, sam, kind="console")
    who = staff_accounts.resolve_session(session_factory, token)
    assert who.role == "staff" and not who.is_admin
    staff_accounts.set_role(session_factory, "SAM", "admin")
    assert staff_accounts.resolve_session(session_factory, token).is_admin  # no new sign-in needed
    staff_accounts.set_role(session_factory, "sam", "staff")
    assert not staff_accounts.resolve_session(session_factory, token).is_admin
    with pytest.raises(AccountError, match="a role is one of staff, admin"):
        staff_accounts.set_role(session_factory, "sam", "root")
    with pytest.raises(AccountError, match="a role is one of"):
        staff_accounts.add_account(session_factory, "lee", PASSWORD, role="superuser")
    with pytest.raises(AccountError, match="no staff account"):
        staff_accounts.set_role(session_factory, "nobody", "admin")


# -- the CLI ----------------------------------------------------------------------------------------

@pytest.fixture
def cli_factory(isolated_env, migrated_database, monkeypatch):
    monkeypatch.setenv("HELPLINE_STAFF_NAME", "admin.kim")
    url = load_settings().effective_database_url
    migrated_database(url)  # a copy of the session's migrated template
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
    assert item["name"] == "sam" and set(item) == {"name", "created_at", "password_changed_at", "disabled", "role"}
    assert item["role"] == "staff"  # least privilege unless --admin
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


def test_staff_add_admin_and_role_commands(cli_factory, capsys):
    code, out, _ = run(capsys, "staff", "add", "kim", "--admin")
    assert code == 0 and "Added admin account kim" in out
    run(capsys, "staff", "add", "sam")
    code, out, _ = run(capsys, "staff", "list")
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:]}
    assert out.splitlines()[0].split()[:2] == ["NAME", "ROLE"] and rows == {"kim": "admin", "sam": "staff"}

    code, out, _ = run(capsys, "staff", "role", "Sam", "admin")
    assert code == 0 and out.strip() == "Staff account sam is now admin."
    assert staff_accounts.get_account(cli_factory, "sam").role == "admin"
    code, out, _ = run(capsys, "staff", "role", "kim", "staff")
    assert code == 0 and staff_accounts.get_account(cli_factory, "kim").role == "staff"
    code, _, err = run(capsys, "staff", "role", "nobody", "admin")
    assert code == 1 and "no staff account nobody" in err
    with pytest.raises(SystemExit):  # argparse: only the two roles
        main(["staff", "role", "sam", "root"])
    capsys.readouterr()

    trail = {(e.action, e.reference, e.detail) for e in audit.list_events(cli_factory, actor="admin.kim")}
    assert {("account_added", "kim", "role=admin"), ("account_added", "sam", "role=staff"),
            ("role_changed", "sam", "role=admin"), ("role_changed", "kim", "role=staff")} <= trail


def test_staff_clear_throttle_lets_a_name_sign_in_at_once(cli_factory, capsys):
    staff_accounts.add_account(cli_factory, "sam", PASSWORD)
    for _ in range(login_throttle.NAME_FREE_FAILURES):
        staff_accounts.authenticate(cli_factory, "sam", "guess guess guess", source="console")
    assert staff_accounts.authenticate(cli_factory, "sam", PASSWORD, source="console").throttled
    code, out, _ = run(capsys, "staff", "clear-throttle", "sam")
    assert code == 0 and "cleared for sam (1 counter(s))" in out
    assert staff_accounts.authenticate(cli_factory, "sam", PASSWORD, source="console").ok
    code, out, _ = run(capsys, "staff", "clear-throttle")
    assert code == 0 and "every name and address" in out
    assert ("throttle_cleared", "sam") in {(e.action, e.reference) for e in audit.list_events(cli_factory)}
    code, _, err = run(capsys, "staff", "clear-throttle", "ghost")
    assert code == 1 and "no staff account ghost" in err


# -- revision 0006 ------------------------------------------------------------------------------------

def _migrate_existing_account_and_session(url):
    from sqlalchemy import text

    db.upgrade(url, "0005")
    created = "2026-12-01 08:00:00"
    with db.engine_for(url).begin() as connection:
        connection.execute(text(
            "INSERT INTO staff_accounts (id, name, password_hash, created_at, password_changed_at, disabled) "
            "VALUES (1, 'sam', 'scrypt$x', :at, :at, :no)"), {"at": created, "no": False})
        connection.execute(text(
            "INSERT INTO staff_sessions (token_hash, account_id, kind, created_at, expires_at) "
            "VALUES ('abc', 1, 'console', :at, :at)"), {"at": created})
    assert db.upgrade(url) == db.head_revision()
    factory = db.session_factory(url)
    with factory() as session:
        account = session.execute(select(StaffAccount)).scalar_one()
        stored = session.execute(select(StaffSession)).scalar_one()
    return account, stored


def test_revision_0006_makes_existing_accounts_staff_and_keeps_their_sessions(db_url, caplog):
    account, stored = _migrate_existing_account_and_session(db_url)
    assert account.role == "staff"
    assert stored.last_seen_at == stored.created_at  # an old session is as idle as it is old
    assert "helpline staff role NAME admin" in caplog.text

    from alembic import command

    config = db._alembic_config(db_url)
    with db.engine_for(db_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    assert "login_throttle" not in db.table_names(db_url)
    assert db.upgrade(db_url) == db.head_revision()


def test_revision_0006_on_postgresql(postgres_url):
    try:
        account, stored = _migrate_existing_account_and_session(postgres_url)
        assert account.role == "staff" and stored.last_seen_at == stored.created_at
    finally:
        db.dispose_all()

"""A callback database that is briefly away loses no lead: retry, then the local spool, then import once."""
from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, List

import pytest
from sqlalchemy.exc import OperationalError

from helpline.intake import handoff
from helpline.queues import callbacks, lead_spool
from helpline.security import crypto
from helpline.settings import load_settings
from helpline.store import db

ROOT = Path(__file__).resolve().parents[2]
LEAD = {
    "who_for": "self", "first_name": "Samantha", "substances": ["alcohol"], "last_use": "today",
    "withdrawal_signs": ["shaking"], "prior_treatment": [], "insurance": "Aetna", "state": "AZ",
    "callback_phone": "+16025550134", "best_time": "evening",
    "contact_permissions": {"call": True, "voicemail": False, "text": False}, "consent": True,
}
PHI = (b"Samantha", b"0134", b"alcohol", b"Aetna", b"shaking")
WHEN = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


DOWN_URL = f"postgresql://postgres@127.0.0.1:{closed_port()}/nowhere"


def submit(turn: str = "1", sleeps: List[float] = None, **kwargs) -> handoff.Handoff:
    return handoff.submit(
        LEAD, conversation_id="conv-spool", turn_marker=turn, channel="rest", consent_text="yes", now=WHEN,
        sleep=(sleeps.append if sleeps is not None else lambda _s: None), **kwargs,
    )


def queue() -> list:
    return callbacks.LEADS.list(db.session_factory(load_settings().effective_database_url))


@pytest.fixture
def down(isolated_env, monkeypatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", DOWN_URL)
    return isolated_env


def database_back(monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_URL")  # the embedded SQLite in the data directory


def test_a_database_that_stays_down_is_retried_with_backoff_then_the_lead_is_spooled(down):
    sleeps: List[float] = []
    lead = submit(sleeps=sleeps)
    assert sleeps == list(handoff.STORE_RETRY_DELAYS) and sum(sleeps) <= 5
    assert lead.spooled and lead.callback_id is None and not lead.created
    assert lead.reference.startswith("L-") and lead.phone_last4 == "0134"
    [path] = lead_spool.pending(load_settings())
    assert path.parent == down / "spool"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    assert content.startswith(crypto.TOKEN_PREFIX.encode())  # sealed, not plain JSON
    for secret in PHI:
        assert secret not in content
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_the_same_turn_retried_while_down_keeps_one_file_and_one_reference(down):
    first = submit()
    second = submit()
    assert second.reference == first.reference
    assert len(lead_spool.pending(load_settings())) == 1
    assert submit(turn="2").reference != first.reference  # a different submitting turn is another lead


def test_import_moves_the_lead_in_once_with_its_reference_and_alerts_staff_once(down, monkeypatch):
    told = submit().reference
    database_back(monkeypatch)
    settings = load_settings()
    alerted: List[int] = []
    sessions = db.session_factory(settings.effective_database_url)
    report = lead_spool.import_spooled(settings, sessions, alert=alerted.append)
    assert report.imported == [told] and report.remaining == 0 and report.error is None
    [record] = queue()
    assert record.reference == told
    assert record.phone_e164 == "+16025550134" and record.first_name == "Samantha"
    assert record.answers["substances"] == ["alcohol"] and record.urgency == "urgent"
    assert record.created_at == WHEN  # waits in the queue as long as the caller has
    assert record.consent_at == WHEN and record.source_channel == "rest"
    assert alerted == [record.id]
    again = lead_spool.import_spooled(settings, sessions, alert=alerted.append)
    assert again.imported == [] and alerted == [record.id] and len(queue()) == 1


def test_an_import_cut_off_after_the_commit_does_not_store_or_alert_twice(down, monkeypatch):
    told = submit().reference
    database_back(monkeypatch)
    settings = load_settings()
    [path] = lead_spool.pending(settings)
    kept = path.read_bytes()
    sessions = db.session_factory(settings.effective_database_url)
    lead_spool.import_spooled(settings, sessions)
    path.write_bytes(kept)  # as if the process died between the commit and the unlink
    alerted: List[int] = []
    report = lead_spool.import_spooled(settings, sessions, alert=alerted.append)
    assert report.already == [told] and report.imported == [] and alerted == []
    assert len(queue()) == 1 and lead_spool.pending(settings) == []


def test_the_turn_retried_after_the_database_is_back_stores_the_spooled_reference(down, monkeypatch):
    told = submit().reference
    database_back(monkeypatch)
    lead = submit()
    assert (lead.reference, lead.created, lead.spooled) == (told, True, False)
    assert [r.reference for r in queue()] == [told]
    assert lead_spool.pending(load_settings()) == []


def test_a_database_back_within_the_retries_stores_directly(isolated_env, monkeypatch):
    real = callbacks.store_callback
    failures = [OperationalError("connect", {}, ConnectionRefusedError())] * 2

    def flaky(*args, **kwargs):
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)

    monkeypatch.setattr(callbacks, "store_callback", flaky)
    sleeps: List[float] = []
    lead = submit(sleeps=sleeps)
    assert sleeps == [0.25, 0.5]
    assert lead.created and not lead.spooled and lead.callback_id is not None
    assert lead_spool.pending(load_settings()) == []


def test_an_unusable_lead_is_refused_not_retried_or_spooled(down):
    sleeps: List[float] = []
    with pytest.raises(ValueError):
        handoff.submit({**LEAD, "callback_phone": "12345"}, conversation_id="c", turn_marker="1", channel=None,
                       consent_text="yes", sleep=sleeps.append)
    assert lead_spool.pending(load_settings()) == []


def test_when_the_spool_cannot_be_written_either_submit_raises(down):
    (down / "spool").write_text("not a directory")
    with pytest.raises(lead_spool.SpoolError):
        submit()


def test_a_lead_sealed_with_a_lost_key_stays_in_the_spool_for_an_operator(down, monkeypatch):
    submit()
    (down / crypto.KEY_FILE_NAME).write_text(crypto.generate_key() + "\n")  # the key was replaced
    crypto.reset_cache()
    database_back(monkeypatch)
    settings = load_settings()
    report = lead_spool.import_spooled(settings, db.session_factory(settings.effective_database_url))
    assert len(report.unreadable) == 1 and report.remaining == 1 and queue() == []


def test_import_stops_while_the_database_is_still_down(down):
    submit()
    settings = load_settings()
    with pytest.raises(OperationalError):
        lead_spool.import_and_alert(settings)  # cannot even migrate: the caller (runner, CLI) reports it
    assert len(lead_spool.pending(settings)) == 1


def test_cli_import_spool_moves_leads_and_alerts_staff(down, monkeypatch):
    told = submit().reference
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    command = [sys.executable, "-m", "helpline.cli", "callbacks", "import-spool"]
    still_down = subprocess.run(command, cwd=ROOT, env={**env, "DATABASE_URL": DOWN_URL},
                                capture_output=True, text=True, timeout=60)
    assert still_down.returncode == 1 and "OperationalError" in still_down.stderr
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert told in done.stdout and "imported 1" in done.stdout
    for secret in ("Samantha", "0134", "alcohol"):
        assert secret not in done.stdout + done.stderr
    outbox = subprocess.run([sys.executable, "-m", "helpline.cli", "outbox", "list", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    assert [m["body"].split()[3] for m in json.loads(outbox.stdout)] == [told + "."]
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "No spooled leads" in again.stdout


# -- PostgreSQL behind a TCP proxy that the test closes and reopens ---------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL; ``close()`` drops every connection and refuses new ones."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = closed_port()
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.writers: set = set()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def _pipe(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _client(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _open(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _close(self) -> None:
        self.server.close()
        await self.server.wait_closed()
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()

    def open(self) -> None:
        self._call(self._open())

    def close(self) -> None:
        self._call(self._close())


@pytest.fixture
def proxied_postgres(postgres_url, isolated_env, monkeypatch) -> Iterator[TcpProxy]:
    from sqlalchemy.engine import make_url

    target = make_url(postgres_url)
    proxy = TcpProxy(target.port or 5432)
    proxy.open()
    monkeypatch.setenv("DATABASE_URL", str(target.set(port=proxy.port)))
    yield proxy
    db.dispose_all()
    proxy.close()
    proxy.loop.call_soon_threadsafe(proxy.loop.stop)


def test_postgres_going_away_mid_conversation_loses_no_lead(proxied_postgres, monkeypatch):
    settings = load_settings()
    db.upgrade(settings.effective_database_url)
    first = submit(turn="before")  # pooled connections exist, as in a running action server
    assert first.created
    proxied_postgres.close()
    sleeps: List[float] = []
    during = submit(turn="during", sleeps=sleeps)
    assert during.spooled and len(sleeps) == len(handoff.STORE_RETRY_DELAYS)
    stopped = lead_spool.import_and_alert(settings)  # the periodic job while it is still down
    assert (stopped.imported, stopped.error, stopped.remaining) == ([], "OperationalError", 1)
    proxied_postgres.open()
    alerted: List[int] = []
    report = lead_spool.import_spooled(settings, db.session_factory(settings.effective_database_url),
                                       alert=alerted.append)
    assert report.imported == [during.reference] and len(alerted) == 1
    assert sorted(r.reference for r in queue()) == sorted([first.reference, during.reference])

"""Both staff queues are one :class:`StaffQueue`; its declaration of what staff see drives the CLI, console and API."""
from __future__ import annotations

import argparse
import copy
from datetime import datetime, timezone
from pathlib import Path

import pytest

from helpline.cli import build_parser
from helpline.cli import callbacks as cli
from helpline.queues import callbacks, crisis_flags
from helpline.queues.staff_queue import CLI, CONSOLE, Column, StaffQueue
from helpline.web import console

ROOT = Path(__file__).resolve().parents[2]
QUEUES = (callbacks.LEADS, crisis_flags.CRISES)


def add_lead(session_factory, **extra):
    record, _ = callbacks.store_callback(
        session_factory, idempotency_key="k", phone="602-555-0134", urgency="soon", level_of_care="iop_fit",
        consent=True, first_name="Maria", who_for="self", **extra,
    )
    return record


@pytest.mark.parametrize("queue", QUEUES, ids=lambda q: q.name)
def test_tables_and_pages_show_keys_of_the_json_view(queue):
    keys = [f.key for f in queue.fields]
    assert len(keys) == len(set(keys))
    assert {c.key for c in queue.columns} <= set(keys)
    assert {r.value for r in queue.rows if isinstance(r.value, str)} <= set(keys)
    for surface in (CLI, CONSOLE):
        labels = [r.label for r in queue.rows_on(surface)]
        assert len(labels) == len(set(labels)), f"a label twice on the {surface} page"


def test_both_queues_are_staff_queues_and_the_surfaces_use_them():
    assert all(isinstance(q, StaffQueue) for q in QUEUES)
    assert console.QUEUES == {"callbacks": callbacks.LEADS, "crises": crisis_flags.CRISES}
    parser = build_parser()
    for queue in QUEUES:
        for argv in (["list"], ["show", "1"], ["claim", "1", "--by", "sam"], ["close", "1", "--outcome", "reached"]):
            assert parser.parse_args([queue.name, *argv]).handler.__name__ == "handler"


def test_no_queue_is_passed_around_as_a_module():
    found = [str(p.relative_to(ROOT)) for p in (ROOT / "helpline").rglob("*.py") if "ModuleType" in p.read_text()]
    assert found == []


def test_the_json_view_is_the_declared_fields_in_order(session_factory):
    item = callbacks.LEADS.to_dict(add_lead(session_factory))
    assert list(item) == [f.key for f in callbacks.LEADS.fields]
    assert item["phone"] == "+16025550134" and item["permissions"] == {"call": True, "voicemail": False, "text": False}
    assert datetime.fromisoformat(item["created_at"]).tzinfo == timezone.utc and item["closed_at"] is None


def test_the_crisis_queue_frees_the_conversation_on_close(session_factory):
    flag = crisis_flags.flag_crisis(session_factory, conversation_id="c-1", category="overdose", severity="urgent").flag
    crisis_flags.CRISES.close(session_factory, flag.reference, "reached")
    again = crisis_flags.flag_crisis(session_factory, conversation_id="c-1", category="overdose", severity="urgent")
    assert again.created and again.flag.id != flag.id


def test_one_declared_column_reaches_the_cli(session_factory, capsys):
    """The change-walk for showing staff one more value on a terminal: the queue's declaration, nothing else.
    (The console's pages are made for acting on, from a phone too: helpline/web/queue_view.py.)"""
    add_lead(session_factory)
    queue = copy.copy(callbacks.LEADS)
    queue.columns = (*queue.columns, Column("who_for", "Calling for", "FOR"))

    cli._lister(queue)(argparse.Namespace(status=None, json=False), session_factory)
    header = capsys.readouterr().out.splitlines()[0]
    assert header.split()[-1] == "FOR"

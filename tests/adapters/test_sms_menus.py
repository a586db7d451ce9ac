"""By text, the main menu's numbers mean the same wherever the main menu is offered.

Every SMS menu states its numbers ("Reply 1 for ...") and stays valid until the next
one (helpline/channels/sms.py); the greeting and the fallback both offer the main
topics, and a texter who learnt "3 for a call" in one must get a call in the other.
"""
from __future__ import annotations

from typing import Dict

from tests.core.test_intake_questions import load_domain

MAIN_MENU = ("What is an intensive outpatient program?", "Does insurance cover it?", "/request_callback")


def test_the_main_menus_choices_have_the_same_number_in_every_main_menu():
    numbers: Dict[str, Dict[int, str]] = {}
    menus = 0
    for name, variations in load_domain()["responses"].items():
        for variation in variations:
            payloads = [button["payload"] for button in variation.get("buttons") or []]
            if sum(payload in MAIN_MENU for payload in payloads) < 2:
                continue  # a yes/no or a question's own options, not the main menu
            menus += 1
            for number, payload in enumerate(payloads, start=1):
                if payload in MAIN_MENU:
                    numbers.setdefault(payload, {})[number] = name
    assert menus >= 2, "the greeting and the fallback offer the main menu"
    moved = {payload: where for payload, where in numbers.items() if len(where) > 1}
    assert not moved, f"a main-menu choice has different numbers: {moved}"

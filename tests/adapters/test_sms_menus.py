"""By text, the main menu's numbers mean the same wherever the main menu is offered.

Every SMS menu states its numbers ("Reply 1 for ...") and stays valid until the next
one (helpline/channels/sms.py); the greeting and the fallback both offer the main
topics, and a texter who learnt "3 for a call" in one must get a call in the other.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import yaml

from helpline.channels import sms
from tests.core.test_intake_questions import load_domain

ROOT = Path(__file__).resolve().parents[2]

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


def _main_menus(responses: Dict[str, list]) -> Dict[str, List[str]]:
    """Each response that offers the main menu, as its payloads in order."""
    found = {}
    for name, variations in responses.items():
        for variation in variations:
            payloads = [button["payload"] for button in variation.get("buttons") or []]
            if sum(payload in MAIN_MENU for payload in payloads) >= 2:
                found[name] = payloads
    return found


def test_the_main_menu_has_the_same_numbers_in_spanish_and_by_text():
    # A texter who reads the menu in Spanish picks by the same numbers: the Spanish
    # responses keep the English payloads in the English order, and so does the
    # SMS layer's own main menu (its titles are worded per language).
    spanish = yaml.safe_load((ROOT / "locale" / "es.yml").read_text(encoding="utf-8"))["responses"]
    assert _main_menus(spanish) == _main_menus(load_domain()["responses"])
    assert tuple(sms.MAIN_MENU_PAYLOADS.values()) == MAIN_MENU
    for language in ("en", "es"):
        assert [choice.payload for choice in sms.main_menu(language)] == list(MAIN_MENU)
    assert [c.title for c in sms.main_menu("es")] != [c.title for c in sms.main_menu("en")]

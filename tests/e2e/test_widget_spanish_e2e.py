"""The chat widget in Spanish, in a real headless Chromium, against the real servers.

Same set-up as tests/e2e/test_browser.py (Debian's chromium driven by Playwright;
its fixtures and helpers are used from there). Needs a model trained with the
``switch_language`` intent. Screenshots go to test-artifacts/ (git-ignored).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from helpline import language
from helpline.facility import load_facility
from tests.e2e.test_browser import (
    ARTIFACTS, bot_texts, offered_buttons, open_widget, stored_conversations, type_message,
    wait_for_reply,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FACILITY = load_facility()
# The bot's confirmation of a switch to Spanish, up to its first fact.
SWITCHED_ES = yaml.safe_load((ROOT / "locale" / "es.yml").read_text(encoding="utf-8"))[
    "responses"]["utter_language_switched"][0]["text"].split("{")[0].strip()
SPANISH_QUESTION = "¿Cuántas horas a la semana dura el programa?"




def stored_state(page) -> dict:
    stored = stored_conversations(page, "sessionStorage")
    assert stored, "the widget stored no conversation in sessionStorage"
    return json.loads(stored[0][1])


def assert_labels(page, lang: str) -> None:
    words = {
        "en": ("Type your message", "Send", "Clear", "Crisis: call or text 988", "English"),
        "es": ("Escriba su mensaje", "Enviar", "Borrar", "oprima el 2 para español", "Español"),
    }[lang]
    placeholder, send, clear, crisis, pressed = words
    assert page.locator(".hc-input").get_attribute("placeholder") == placeholder
    assert page.locator(".hc-send").inner_text() == send
    assert page.locator(".hc-clear").inner_text() == clear
    assert crisis in page.locator(".hc-notice").inner_text()
    assert page.locator(".hc-language[aria-pressed='true']").inner_text() == pressed
    assert page.evaluate("() => document.querySelector('#helpline-chat').getAttribute('lang')") == lang
    # The demo page follows the widget, for readers and screen readers alike.
    assert page.evaluate("() => document.documentElement.lang") == lang


def is_spanish(text: str) -> bool:
    found = language.guess(text)
    return found is not None and found.language == language.SPANISH


def test_espanol_switches_the_labels_the_bot_and_the_page(assistant, page):
    greeting = open_widget(page, assistant.web_url)
    assert FACILITY.name in greeting
    assert_labels(page, "en")
    assert page.get_by_role("heading", name="Recovery that fits around your life").is_visible()

    before = len(bot_texts(page))
    page.get_by_role("button", name="Español").click()
    assert_labels(page, "es")  # at once, before the bot answers
    confirmation = wait_for_reply(page, before, whole_turn=True)
    assert SWITCHED_ES in confirmation, confirmation
    # The person sees the button they pressed, never the payload.
    assert page.locator(".hc-msg.hc-user .hc-bubble").last.inner_text() == "Español"
    assert "switch_language" not in page.locator(".hc-log").inner_text()
    assert page.get_by_role("heading", name="Una recuperación que se adapta a su vida").is_visible()
    assert not page.get_by_role("heading", name="Recovery that fits around your life").is_visible()

    answer = type_message(page, SPANISH_QUESTION, whole_turn=True)
    assert is_spanish(answer), answer
    assert "9" in answer and "19" in answer
    assert stored_state(page)["language"] == "es"
    assert stored_state(page)["messages"][-1]["language"] == "es"
    assert_labels(page, "es")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".hc-panel").screenshot(path=str(ARTIFACTS / "browser-spanish-panel.png"))

    # A reload keeps the language with the conversation.
    page.reload()
    page.locator(".hc-log").wait_for()
    assert_labels(page, "es")

    # And back: the bot confirms in English, the labels follow.
    before = len(bot_texts(page))
    page.get_by_role("button", name="English").click()
    back = wait_for_reply(page, before, whole_turn=True)
    assert not is_spanish(back), back
    assert_labels(page, "en")
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_visitor_who_writes_spanish_gets_spanish_labels_without_asking(assistant, page):
    open_widget(page, assistant.web_url)
    answer = type_message(page, "Hola, necesito información sobre el programa para mi hijo, por favor", whole_turn=True)
    assert is_spanish(answer), answer
    assert_labels(page, "es")
    assert offered_buttons(page).count() == 0 or page.locator(".hc-replies").get_attribute("aria-label") == "Respuestas sugeridas"
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_the_spanish_demo_page_opens_the_chat_in_spanish(assistant, page):
    # Needs actions/language.py to take the `language` entity the widget puts on its opening payload.
    page.goto(assistant.web_url + "/?lang=es")
    page.get_by_role("button", name="Chatee con nosotros").click()
    greeting = wait_for_reply(page, 0, whole_turn=True)
    assert is_spanish(greeting), greeting
    assert_labels(page, "es")
    assert page.js_errors == []  # type: ignore[attr-defined]

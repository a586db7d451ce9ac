"""The chat widget in a real headless Chromium, against the real servers.

Needs Debian's chromium (`apt-get install -y chromium`; .ci/run installs it) and
Playwright for Python, which drives it: Playwright's own browser download is
not used. Screenshots go to test-artifacts/ (git-ignored).
"""
from __future__ import annotations

import json
import re
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from helpline.channels import web_ids
from helpline.facility import load_facility
from tests.cors import cors_problems

FACILITY = load_facility()

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
REPLY_TIMEOUT_S = 60
PHONE = "602-555-0134"




# --- reading and driving the widget (its DOM is in an open shadow root; locators pierce it) ---

def bot_texts(page) -> list[str]:
    return page.locator(".hc-msg.hc-bot:not(.hc-typing) .hc-bubble").all_inner_texts()


def offered_buttons(page):
    return page.locator(".hc-replies .hc-reply")


def wait_for_reply(page, bots_before: int, whole_turn: bool = False) -> str:
    """Wait until the bot has answered (typing indicator gone, new messages) and return its last
    text, or with ``whole_turn`` all of the turn's texts, one per line (an FAQ answer is followed
    by the offer of a call)."""
    deadline = time.monotonic() + REPLY_TIMEOUT_S
    while time.monotonic() < deadline:
        if page.locator(".hc-typing").count() == 0 and len(bot_texts(page)) > bots_before:
            return "\n".join(bot_texts(page)[bots_before:]) if whole_turn else bot_texts(page)[-1]
        if page.locator(".hc-system").count():
            raise AssertionError(f"the widget could not reach Rasa: {page.locator('.hc-system').last.inner_text()}")
        page.wait_for_timeout(100)
    raise AssertionError(f"no reply within {REPLY_TIMEOUT_S}s; the bot said: {bot_texts(page)[-3:]}")


def type_message(page, text: str, whole_turn: bool = False) -> str:
    before = len(bot_texts(page))
    page.locator(".hc-input").fill(text)
    page.locator(".hc-input").press("Enter")
    return wait_for_reply(page, before, whole_turn)


def click_button(page, index: int = 0) -> str:
    before = len(bot_texts(page))
    offered_buttons(page).nth(index).click()
    return wait_for_reply(page, before)


def open_widget(page, url: str) -> str:
    page.goto(url)
    page.get_by_role("button", name="Chat with us").click()
    return wait_for_reply(page, 0)


def watch_for_typing_indicator(page) -> None:
    page.evaluate(
        """() => {
          const log = document.querySelector('#helpline-chat').shadowRoot.querySelector('.hc-log');
          window.__typingSeen = false;
          new MutationObserver(records => {
            for (const r of records) for (const n of r.addedNodes)
              if (n.classList && n.classList.contains('hc-typing')) window.__typingSeen = true;
          }).observe(log, {childList: true});
        }"""
    )


def typed_answer(question: str) -> str:
    """What a visitor types to a question that offers no buttons."""
    q = question.lower()
    if "phone" in q or "number should we call" in q:
        return PHONE
    if "first name" in q or "name should we use" in q:
        return "Sam"
    if "state" in q:
        return "Arizona"
    if "agree" in q or "consent" in q or "yes or no" in q:
        return "yes"
    if "member id" in q:
        return "skip"
    return "skip"


def stored_conversations(page, storage: str) -> list:
    return page.evaluate(f"() => Object.entries({storage}).filter(([k]) => k.startsWith('helpline-chat:'))")


def sender_id(page) -> str:
    stored = stored_conversations(page, "sessionStorage")
    assert stored, "the widget stored no conversation in sessionStorage"
    sender = json.loads(stored[0][1])["senderId"]
    assert web_ids.is_web_id(sender), sender
    return sender


# --- the visitor's path ------------------------------------------------------------------------

def test_faq_button_reload_and_the_whole_intake_in_the_browser(assistant, page):
    ARTIFACTS.mkdir(exist_ok=True)
    greeting = open_widget(page, assistant.web_url)
    assert FACILITY.name in greeting and "{" not in greeting
    assert offered_buttons(page).count() >= 2, "the greeting offers quick replies"
    # Links: the emergency number in the greeting is a tel: link.
    assert page.locator(".hc-bot a[href='tel:911']").count() >= 1

    # An FAQ, typed; the typing indicator shows while the bot thinks and goes after.
    watch_for_typing_indicator(page)
    answer = type_message(page, "how many hours a week is the program?", whole_turn=True)
    assert "9" in answer and "19" in answer
    assert page.evaluate("() => window.__typingSeen") is True
    assert page.locator(".hc-typing").count() == 0

    # Ask for a call; the first question comes with buttons: click the first one.
    question = type_message(page, "can someone call me about my drinking?")
    assert offered_buttons(page).count() >= 1, f"the first intake question offers no buttons: {question!r}"
    first_title = offered_buttons(page).nth(0).inner_text()
    question = click_button(page, 0)
    assert page.locator(".hc-msg.hc-user .hc-bubble").last.inner_text() == first_title

    # A reload keeps the conversation: same sender, same transcript, panel open, form goes on.
    sender = sender_id(page)
    transcript = bot_texts(page)
    page.reload()
    page.locator(".hc-log").wait_for()
    assert sender_id(page) == sender
    assert bot_texts(page) == transcript
    # Nothing outlives the tab: the transcript is not in localStorage.
    assert stored_conversations(page, "localStorage") == []

    confirmation = ""
    for _ in range(30):
        # The confirmation is followed, in the same turn, by the offer of the screening.
        found = [text for text in bot_texts(page) if re.search(r"call-back request L-\w+ is saved", text)]
        if found:
            confirmation = found[-1]
            break
        if offered_buttons(page).count():
            # The suicide-risk screen's buttons are Yes / No / Prefer not to say: this visitor says no.
            question = click_button(page, 1 if "in the past month" in question.lower() else 0)
        else:
            question = type_message(page, typed_answer(question))
    assert confirmation, f"the intake did not finish; the bot last said: {question!r}"
    page.screenshot(path=str(ARTIFACTS / "browser-intake.png"))
    page.locator(".hc-panel").screenshot(path=str(ARTIFACTS / "browser-intake-panel.png"))

    records = json.loads(assistant.helpline("callbacks", "list", "--json").stdout)
    stored = [r for r in records if r["phone"] == "+16025550134" and r["reference"] in confirmation]
    assert stored, "no callback record carries the reference the visitor was shown"
    assert stored[0]["conversation_id"] == sender  # the browser's conversation, kept across the reload
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_clear_forgets_the_conversation_on_this_device(assistant, page):
    open_widget(page, assistant.web_url)
    first_sender = sender_id(page)
    type_message(page, "what is IOP?")
    before = len(bot_texts(page))
    page.get_by_role("button", name="Clear").click()
    wait_for_reply(page, 0)  # a fresh greeting
    assert sender_id(page) != first_sender
    assert len(bot_texts(page)) < before
    assert page.locator(".hc-msg.hc-user").count() == 0


def test_the_conversation_stays_in_its_tab_and_an_old_local_copy_is_deleted(assistant, page):
    # What an earlier version of the widget left behind: a transcript in localStorage.
    page.goto(assistant.web_url)
    legacy_key = f"helpline-chat:v1:{assistant.rasa_url}"
    page.evaluate("key => localStorage.setItem(key, JSON.stringify({senderId: 'web-old', messages: []}))", legacy_key)
    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    wait_for_reply(page, 0)
    assert page.evaluate("key => localStorage.getItem(key)", legacy_key) is None
    type_message(page, "what is IOP?")
    sender = sender_id(page)

    other_tab = page.context.new_page()  # same browser profile, another tab
    try:
        other_tab.goto(assistant.web_url)
        assert stored_conversations(other_tab, "sessionStorage") == []
        other_tab.get_by_role("button", name="Chat with us").click()
        wait_for_reply(other_tab, 0)
        assert sender_id(other_tab) != sender
        assert other_tab.locator(".hc-msg.hc-user").count() == 0
    finally:
        other_tab.close()


def test_text_is_rendered_as_text_and_only_safe_links_are_made(assistant, page):
    hostile = '<img src=x onerror="window.__owned=1"><script>window.__owned=2</script>'
    bot_reply = [{
        "recipient_id": "x",
        "text": "<b>bold?</b> <img src=x onerror=\"window.__owned=3\"> Read https://example.org/iop?a=1&b=2. "
                "Call (877) 224-0761, 1-800-662-4357 or 988. Not links: javascript:alert(1) "
                "and member 123456789012.",
        "buttons": [{"title": "<i>Yes</i>", "payload": "/affirm"}],
    }]

    def fake_rasa(route):
        if route.request.method == "POST" and "__owned" in (route.request.post_data or ""):
            route.fulfill(status=200, content_type="application/json", body=json.dumps(bot_reply),
                          headers={"Access-Control-Allow-Origin": "*"})
        else:
            route.continue_()

    page.route("**/webhooks/rest/webhook", fake_rasa)
    open_widget(page, assistant.web_url)
    type_message(page, hostile)

    assert page.locator(".hc-msg.hc-user .hc-bubble").last.inner_text() == hostile
    assert page.evaluate("() => window.__owned") is None
    log_html = page.evaluate("() => document.querySelector('#helpline-chat').shadowRoot.querySelector('.hc-log').innerHTML")
    assert "<img" not in log_html and "<b>" not in log_html and "<script" not in log_html and "<i>" not in log_html
    last_bot = page.locator(".hc-msg.hc-bot .hc-bubble").last
    hrefs = [a.get_attribute("href") for a in last_bot.locator("a").all()]
    assert hrefs == ["https://example.org/iop?a=1&b=2", "tel:8772240761", "tel:18006624357", "tel:988"]
    assert last_bot.locator("a").first.get_attribute("rel") == "noopener noreferrer nofollow"
    assert offered_buttons(page).first.inner_text() == "<i>Yes</i>"


def test_a_rate_limited_message_shows_the_servers_notice_and_keeps_the_text(assistant, page):
    notice = "You're sending messages quickly; please wait a moment. In an emergency call 911, or 988."

    def limited(route):
        if route.request.method == "POST" and "one more thing" in (route.request.post_data or ""):
            route.fulfill(status=429, content_type="application/json", headers={
                "Access-Control-Allow-Origin": "*", "Retry-After": "30"}, body=json.dumps(
                {"error": "too many messages", "retry_after": 30, "messages": [{"recipient_id": "x", "text": notice}]}))
        else:
            route.continue_()

    page.route("**/webhooks/rest/webhook", limited)
    open_widget(page, assistant.web_url)
    assert type_message(page, "one more thing") == notice
    assert page.locator(".hc-system").count() == 0
    assert page.locator(".hc-input").input_value() == "one more thing"


def test_the_chat_fills_a_phone_screen(assistant, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_widget(page, assistant.web_url)
        box = page.locator(".hc-panel").bounding_box()
        assert box and box["width"] == 390 and box["height"] >= 800
        assert page.locator(".hc-input").evaluate("e => getComputedStyle(e).fontSize") == "16px"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-mobile.png"))
    finally:
        context.close()


# --- CORS: the demo page by either name and configured sites may use the assistant, no other ------

@contextmanager
def partner_site(assistant) -> Iterator[None]:
    """Another site (its own port, so its own origin) that embeds the widget as docs/channels.md says."""
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>A partner clinic</title></head>"
        "<body><h1>A partner clinic</h1>"
        f"<script src='{assistant.web_url}/widget/helpline-chat.js' data-server='{assistant.rasa_url}'"
        f" data-phone='{FACILITY.helpline_phone}' defer></script></body></html>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", assistant.partner_port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def hold_a_short_conversation(page, url: str) -> None:
    greeting = open_widget(page, url)
    assert FACILITY.name in greeting
    answer = type_message(page, "how many hours a week is the program?", whole_turn=True)
    assert "9" in answer and "19" in answer
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_the_demo_page_opened_as_localhost_holds_a_conversation(assistant, page):
    hold_a_short_conversation(page, f"http://localhost:{assistant.web_port}/")


def test_the_widget_on_a_configured_second_site_holds_a_conversation(assistant, page):
    with partner_site(assistant):
        hold_a_short_conversation(page, assistant.partner_origins[0] + "/")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-partner-site.png"))


def test_cors_answers_every_configured_origin_and_no_other(assistant):
    allowed = [assistant.web_url, f"http://localhost:{assistant.web_port}", *assistant.partner_origins]
    for origin in allowed:
        assert cors_problems(assistant.rasa_url, origin, allowed=True) == []
    assert cors_problems(assistant.rasa_url, "https://evil.example", allowed=False) == []
    assert cors_problems(assistant.rasa_url, "http://localhost:1", allowed=False) == []


def test_web_process_health_and_demo_page_headers(assistant):
    assert httpx.get(f"{assistant.web_url}/health", timeout=10).json() == {"status": "ok"}
    page = httpx.get(assistant.web_url + "/", timeout=10)
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and f"connect-src http://127.0.0.1:{assistant.rasa_port}" in csp
    assert "data-server=\"http://127.0.0.1:%d\"" % assistant.rasa_port in page.text
    assert httpx.get(f"{assistant.web_url}/widget/../web.py", timeout=10).status_code == 404

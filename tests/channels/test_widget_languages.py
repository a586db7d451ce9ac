"""The chat widget's words, per language, and the demo page that follows them.

Read from the source (no browser; tests/e2e/test_widget_spanish_e2e.py drives one):
the widget's LABELS table is plain JSON between two markers, so a label added
in one language only, or a word left outside the table, fails here.
"""
from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Dict

import pytest

from helpline.channels import turn_replies
from helpline.language import LANGUAGES
from helpline.web import app as web
from tests.channels.test_web import fetch

SCRIPT = (Path(web.STATIC_DIR) / "helpline-chat.js").read_text(encoding="utf-8")
TABLE = re.search(r"/\* labels:begin \*/(.*?)/\* labels:end \*/", SCRIPT, re.S)


def labels() -> Dict[str, Dict[str, str]]:
    assert TABLE, "helpline-chat.js has no /* labels:begin */ ... /* labels:end */ table"
    return json.loads(TABLE.group(1))


def fields(text: str) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def code_outside_the_table() -> str:
    assert TABLE
    code = SCRIPT[: TABLE.start()] + SCRIPT[TABLE.end():]
    return "\n".join(line for line in code.splitlines() if not line.strip().startswith(("*", "//", "/*")))


def test_the_widget_speaks_the_helplines_languages():
    assert sorted(labels()) == sorted(LANGUAGES)


def test_every_label_is_in_every_language_with_the_same_fields():
    table = labels()
    english = table["en"]
    for language, words in table.items():
        missing, extra = sorted(set(english) - set(words)), sorted(set(words) - set(english))
        assert not missing and not extra, f"{language}: missing {missing}, not in English {extra}"
        for key, text in words.items():
            assert isinstance(text, str) and text.strip(), f"{language}.{key} is empty"
            assert fields(text) == fields(english[key]), f"{language}.{key}: fields differ from English"
            assert fields(text) <= {"phone", "emergency"}, f"{language}.{key}: only {{phone}} and {{emergency}} are filled"


def test_every_label_is_used_and_no_word_is_written_outside_the_table():
    code = code_outside_the_table()
    for key in labels()["en"]:
        assert f".{key}" in code, f"the label {key!r} is never shown"
    for language, words in labels().items():
        for key, text in words.items():
            if key != "name":
                assert f'"{text}"' not in code, f"{language}.{key} is also written out in the code: {text!r}"


def test_the_spanish_crisis_bar_names_911_and_988_with_its_spanish_option():
    crisis = labels()["es"]["crisisBar"]
    assert "{emergency}" in crisis  # 911 by default, from the tag's data-emergency
    assert "988" in crisis and "oprima el 2 para español" in crisis


def test_the_language_switch_sends_the_payload_the_bot_expects():
    code = code_outside_the_table()
    assert '"/switch_language" + JSON.stringify({ language: language })' in code
    domain = (Path(web.STATIC_DIR).parents[2] / "domain.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+- switch_language\s*$", domain, re.M), "domain.yml has no switch_language intent"
    assert re.search(r"^\s+- language\s*$", domain, re.M), "domain.yml has no language entity"


def test_the_widget_sends_its_language_with_each_message():
    assert "metadata: { language: state.language }" in code_outside_the_table()


# --- the demo page ----------------------------------------------------------------------------------------------------

def test_the_demo_page_has_both_languages_and_starts_in_english():
    status, headers, page = fetch(web.create_app(rasa_port=5005), "/")
    assert status == 200 and "{{" not in page
    assert '<html lang="en"' in page
    english, spanish = turn_replies.facility_facts("en"), turn_replies.facility_facts("es")
    assert "Recovery that fits around your life" in page and "Una recuperación que se adapta a su vida" in page
    assert english["program_name"] in page and spanish["program_name"] in page
    assert f'data-title-es="{spanish["facility_name"]}: {spanish["program_name"]} (demostración del chat)"' in page
    # Its script follows the widget's language; the CSP lets only our own scripts run.
    assert '<script src="/widget/demo.js"></script>' in page
    assert "script-src 'self'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize(("query", "lang"), [("?lang=es", "es"), ("?lang=en", "en"), ("?lang=fr", "en"),
                                               ('?lang="><script>', "en")])
def test_the_demo_page_can_start_in_spanish_and_takes_no_other_value(query, lang):
    _, _, page = fetch(web.create_app(rasa_port=5005), "/" + query)
    assert f'<html lang="{lang}"' in page and "<script>" not in page


def test_the_demo_pages_script_and_styles_are_served():
    status, headers, body = fetch(web.create_app(), "/widget/demo.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert "helpline-chat:language" in body and "helpline-chat:language" in SCRIPT
    css = fetch(web.create_app(), "/widget/demo.css")[2]
    assert 'html[lang="es"] [data-lang="en"]' in css

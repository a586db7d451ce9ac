"""The SMS rules on their own: keywords, keys, numbered choices, length, TwiML."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from helpline.channels import sms
from helpline.channels.sms import BotMessage, Choice
from helpline.facility import load_facility

FACTS = load_facility().placeholders()


# --- conversation keys ---------------------------------------------------------------------

def test_conversation_key_is_a_keyed_hash_not_the_number():
    key = sms.conversation_key("+16025550134", "secret-a")
    assert key.startswith("sms-") and re.fullmatch(r"sms-[0-9a-f]{64}", key)
    assert "6025550134" not in key and "0134" not in key[:8]
    assert key == sms.conversation_key(" +1 602 555 0134 ", "secret-a")  # stable per texter
    assert key != sms.conversation_key("+16025550135", "secret-a")
    # Keyed: without the secret nobody can hash all numbers and look the key up.
    assert key != sms.conversation_key("+16025550134", "secret-b")
    import hashlib

    assert key[4:] != hashlib.sha256(b"+16025550134").hexdigest()


def test_secrets_come_from_the_environment_else_from_files_of_this_install(tmp_path):
    assert sms.id_secret({"HELPLINE_ID_SECRET": "s3cret"}).value == "s3cret"
    assert not sms.id_secret({"HELPLINE_ID_SECRET": "s3cret"}).is_local
    assert sms.auth_token({"TWILIO_AUTH_TOKEN": "tok"}).value == "tok"
    here, elsewhere = {"HELPLINE_DATA_DIR": str(tmp_path / "a")}, {"HELPLINE_DATA_DIR": str(tmp_path / "b")}
    secret, token = sms.id_secret(here), sms.auth_token(here)
    assert secret.is_local and token.is_local and secret.value != token.value
    assert (secret.path, token.path) == (tmp_path / "a" / sms.ID_SECRET_FILE, tmp_path / "a" / sms.LOCAL_AUTH_TOKEN_FILE)
    assert sms.id_secret(here) == secret and sms.auth_token(here) == token  # created once, then reused
    assert sms.id_secret(elsewhere).value != secret.value  # another install, another secret


# --- keywords -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["STOP", "stop", " Stop. ", "STOPALL", "unsubscribe", "Cancel", "END", "quit!", "REVOKE", "optout"])
def test_opt_out_keywords(text):
    assert sms.keyword_of(text) in sms.OPT_OUT_KEYWORDS


@pytest.mark.parametrize("text", ["please stop texting me", "stop the form please", "I want to quit drinking", "the end?"])
def test_sentences_with_a_keyword_in_them_are_not_keywords(text):
    assert sms.keyword_of(text) is None


def test_opt_in_and_help_keywords():
    assert sms.keyword_of("start") == "START"
    assert sms.keyword_of("Yes") == "YES"
    assert sms.keyword_of("UNSTOP") == "UNSTOP"
    assert sms.keyword_of("help") == "HELP"
    assert sms.keyword_of("Info") == "INFO"
    assert sms.keyword_of("yes I agree") is None


def test_help_text_names_the_facility_phone_frequency_rates_and_opt_out():
    text = sms.help_text(FACTS)
    assert FACTS["facility_name"] in text and FACTS["helpline_phone"] in text
    assert "Msg & data rates may apply" in text
    assert "frequency" in text.lower()
    assert "STOP" in text
    assert "911" in text and "988" in text  # someone texting HELP may be in crisis
    assert sms.fits(text)


# --- numbered choices -------------------------------------------------------------------------------

CHOICES = [Choice("Myself", "myself"), Choice("Someone I care about", "someone I care about"), Choice("Call me", "/request_callback")]


def test_buttons_become_a_numbered_line():
    assert sms.numbered_line(CHOICES) == "Reply 1 for Myself, 2 for Someone I care about, 3 for Call me."


@pytest.mark.parametrize("reply,payload", [("1", "myself"), (" 2 ", "someone I care about"), ("#3", "/request_callback"),
                                           ("3.", "/request_callback"), ("myself", "myself"), ("CALL ME", "/request_callback")])
def test_a_number_or_a_title_picks_the_button(reply, payload):
    assert sms.resolve_choice(reply, CHOICES) == payload


@pytest.mark.parametrize("reply", ["0", "4", "12", "1 or 2", "602-555-0134", "my son"])
def test_other_replies_pass_through(reply):
    assert sms.resolve_choice(reply, CHOICES) is None


def test_no_choices_means_numbers_are_just_text():
    assert sms.resolve_choice("1", []) is None


def test_render_numbers_the_last_buttons_of_the_turn():
    turn = [
        BotMessage("Our IOP meets 3 to 5 days a week.", [{"title": "Ignored", "payload": "/x"}]),
        BotMessage("Who are you looking for help for?", [{"title": "Myself", "payload": "myself"},
                                                          {"title": "Someone I care about", "payload": "someone"}]),
    ]
    rendered = sms.render(turn)
    assert rendered.bodies == [
        "Our IOP meets 3 to 5 days a week.\n\nWho are you looking for help for?\n\n"
        "Reply 1 for Myself, 2 for Someone I care about."
    ]
    assert rendered.choices == [Choice("Myself", "myself"), Choice("Someone I care about", "someone")]
    assert "Ignored" not in rendered.bodies[0]


def test_render_without_buttons_offers_no_new_choices():
    # The service then keeps the menu already open (tests/channels/test_sms_service.py).
    assert sms.render([BotMessage("What phone number should we call?")]).choices == []


def test_a_bare_number_is_a_number_reply_and_a_sentence_is_not():
    assert all(sms.is_number_reply(t) for t in ("3", " #12 ", "7.", "0"))
    assert not any(sms.is_number_reply(t) for t in ("123", "1 or 2", "602-555-0134", "I'm 17", ""))


def test_the_main_menu_is_the_web_greetings_buttons():
    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))
    greeting = domain["responses"]["utter_greet"][0]["buttons"]
    assert [c.payload for c in sms.main_menu()] == [b["payload"] for b in greeting]
    assert sms.numbered_line(sms.main_menu()) == "Reply 1 for What is IOP, 2 for Cost & insurance, 3 for Have someone call me."


# --- "this number" ---------------------------------------------------------------------------------------

THIS_NUMBER_MENU = [Choice("This number", "this number"), Choice("Skip", "/skip")]


@pytest.mark.parametrize("reply", [
    "this one", "This number", "this number!", "the number I'm texting from", "the number I\u2019m texting from",
    "same number", "use this", "this phone", "text this number", "yes this one", "Yes, this one please",
    "call me at this number", "this one works", "same", "It's this one",
])
def test_replies_that_mean_the_senders_number(reply):
    assert sms.means_this_number(reply)
    assert sms.answer_for_bot(reply, THIS_NUMBER_MENU, "+16025550134") == "+16025550134"


@pytest.mark.parametrize("reply", [
    "no", "not this one", "my work phone", "the other one", "this number is wrong", "yes", "ok",
    "this one is my mom's, 480-555-0101", "call my wife", "",
])
def test_replies_that_do_not(reply):
    assert not sms.means_this_number(reply)
    assert sms.answer_for_bot(reply, THIS_NUMBER_MENU, "+16025550134") == reply


@pytest.mark.parametrize("reply", [
    "este mismo número", "a este numero", "el mismo de donde le escribo", "sí, a este número por favor",
    "el número desde el que les mando mensajes",
])
def test_spanish_replies_that_mean_the_senders_number(reply):
    # Read as the intake's parsers read them (helpline.intake.parsers.means_this_number).
    assert sms.means_this_number(reply)
    assert sms.answer_for_bot(reply, THIS_NUMBER_MENU, "+16025550134") == "+16025550134"


@pytest.mark.parametrize("reply", ["no este no", "mi número es otro", "el de mi esposa, 480-555-0101"])
def test_spanish_replies_that_do_not(reply):
    assert not sms.means_this_number(reply)
    assert sms.answer_for_bot(reply, THIS_NUMBER_MENU, "+16025550134") == reply


def test_the_this_number_button_picked_by_number_or_title_sends_the_number():
    assert sms.answer_for_bot("1", THIS_NUMBER_MENU, "+16025550134") == "+16025550134"
    assert sms.answer_for_bot("this number", THIS_NUMBER_MENU, "+16025550134") == "+16025550134"
    assert sms.answer_for_bot("2", THIS_NUMBER_MENU, "+16025550134") == "/skip"


def test_without_the_this_number_choice_the_reply_is_the_answer():
    assert sms.answer_for_bot("this one", CHOICES, "+16025550134") == "this one"
    assert sms.answer_for_bot("this one", [], "+16025550134") == "this one"


def test_the_this_number_title_shows_the_last_four_digits_only():
    line = sms.numbered_line(THIS_NUMBER_MENU, "+16025550134")
    assert line == "Reply 1 for This number (ending 0134), 2 for Skip."
    rendered = sms.render([BotMessage("What phone number should we call?", [{"title": "This number", "payload": "this number"}])],
                          "+16025550134")
    assert rendered.bodies == ["What phone number should we call?\n\nReply 1 for This number (ending 0134)."]
    assert rendered.choices == [Choice("This number", "this number")]  # what is stored: the bot's title
    assert sms.numbered_line(THIS_NUMBER_MENU) == "Reply 1 for This number, 2 for Skip."  # no number known


def test_own_number_is_e164_whatever_the_twilio_channel():
    assert sms.own_number(" +1 602 555 0134") == "+16025550134"
    assert sms.own_number("whatsapp:+16025550134") == "+16025550134"


# --- length -------------------------------------------------------------------------------------------

LONG_ANSWER = (
    "Our Intensive Outpatient Program (IOP) is care for drug or alcohol problems that need more than a weekly "
    "session but not a stay in rehab. You come in 3 to 5 days a week, about 9 to 19 hours in all, and live at home. "
    "Therapies include the Matrix Model, cognitive behavioral therapy (CBT), dialectical behavior therapy (DBT), "
    "community reinforcement approach (CRA) with vouchers, contingency management, 12-step facilitation and "
    "motivational enhancement therapy. Most people stay about 90 days, from a few weeks to a year or more, "
    "depending on progress. We work with private insurance, and in many cases Medicare and Medicaid. "
    "Want someone to call you?"
)


def test_long_answers_are_split_at_sentence_ends_into_numbered_sms():
    parts = sms.split_message(LONG_ANSWER)
    assert len(parts) >= 2
    for n, part in enumerate(parts, start=1):
        assert len(part) <= sms.MAX_MESSAGE_CHARS and sms.segments(part) <= sms.MAX_SEGMENTS
        assert part.endswith(f"({n}/{len(parts)})")
        body = part.rsplit(" (", 1)[0]
        assert body.endswith((".", "?", ")")), f"cut mid-sentence: {body[-30:]!r}"
    rejoined = " ".join(p.rsplit(" (", 1)[0] for p in parts)
    assert rejoined == LONG_ANSWER  # nothing lost, nothing added


def test_short_answers_stay_whole_and_unnumbered():
    assert sms.split_message("Yes, you can attend virtually.") == ["Yes, you can attend virtually."]


def test_a_sentence_longer_than_a_message_is_cut_between_words():
    sentence = " ".join(["word"] * 200) + "."
    parts = sms.split_message(sentence)
    assert all(len(p) <= sms.MAX_MESSAGE_CHARS for p in parts)
    assert all(not re.search(r"\bwor\b|\bw\b", p) for p in parts)


def test_typography_is_made_gsm_so_a_segment_holds_160_characters():
    text = "We\u2019re here \u2014 \u201cany time\u201d\u2026"
    assert sms.plain_text(text) == "We're here - \"any time\"..."
    assert sms.segments("a" * 160) == 1 and sms.segments("a" * 161) == 2 and sms.segments("a" * 459) == 3
    assert sms.segments("\u2764" + "a" * 69) == 1 and sms.segments("\u2764" + "a" * 70) == 2  # UCS-2
    assert sms.segments("{" * 80) == 1 and sms.segments("{" * 81) == 2  # extension characters count twice


def test_unicode_text_is_kept_within_three_segments():
    text = "Emoji \U0001F600 mean UCS-2. " * 20
    parts = sms.split_message(text)
    assert len(parts) > 1 and all(sms.segments(p) <= 3 for p in parts)


# --- TwiML ----------------------------------------------------------------------------------------------

def test_twiml_escapes_and_round_trips():
    bodies = ["Reply 1 for <Yes> & 2 for \"No\"", "second"]
    document = sms.twiml(bodies)
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert "<Yes>" not in document
    assert sms.parse_twiml(document) == bodies
    assert sms.parse_twiml(sms.twiml([])) == []

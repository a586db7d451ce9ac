"""SMS in the texter's language: Spanish keywords, the remembered language, the switch keyword.

The SMS layer writes some texts itself (keyword replies, menus, notices); they are
in the language of the bot's last reply, remembered with the texter's menu, and
on a first message in the language the bot's own rule finds in it.
"""
from __future__ import annotations

import asyncio
import uuid
from typing import List, Optional

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from helpline import messages
from helpline.channels import sms, turn_replies
from helpline.channels.rate_limit import RateLimiter
from helpline.channels.sms import BotMessage, Inbound, SmsService
from helpline_rasa.channels.sms import HelplineSmsInput
from tests.channels.conftest import FakeBot
from tests.channels.test_sms_channel import NUMBER, SECRET, TOKEN, Harness, replies

FACTS_ES = turn_replies.facility_facts("es")
FACTS_EN = turn_replies.facility_facts("en")


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    # Several Sanic apps in one process: test mode keeps Sanic from re-patching its own class.
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
def service(store) -> SmsService:
    return SmsService(store=store, secret=SECRET, facts=turn_replies.facility_facts)


def text(service: SmsService, bot, body: str, sender: str = NUMBER) -> sms.Outcome:
    return asyncio.run(service.handle(Inbound("SM" + uuid.uuid4().hex, sender, body), bot))


def key(number: str = NUMBER) -> str:
    return sms.conversation_key(number, SECRET)


def spanish_bot(buttons=()) -> FakeBot:
    """A bot that answers in Spanish (as helpline_rasa/nlg.py marks it) whatever it hears."""
    return FakeBot(lambda body: [BotMessage("Con gusto le ayudo.", buttons, language="es")])


def english_bot() -> FakeBot:
    return FakeBot(lambda body: [BotMessage("Happy to help.", language="en")])


def spanish(key_: str, **values) -> str:
    return messages.text(key_, FACTS_ES, language="es", **values)


def english(key_: str, **values) -> str:
    return messages.text(key_, FACTS_EN, **values)


def becomes_spanish(service: SmsService) -> None:
    """One turn in which the bot answers in Spanish: the texter's language is then remembered."""
    text(service, spanish_bot(), "hola, ¿me pueden ayudar?")


# --- keywords in Spanish ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["ALTO", "alto", "Alto.", "¡Alto!", "PARAR", "cancelar", "Baja"])
def test_spanish_opt_out_words_opt_out_and_confirm_in_spanish(service, store, bot, body):
    outcome = text(service, bot, body)
    assert outcome.kind == "opt_out" and store.is_opted_out(key())
    assert " ".join(outcome.bodies) == sms.plain_text(spanish("texter_sms.opted_out"))
    assert "COMENZAR" in outcome.bodies[0]
    assert bot.heard == []
    assert store.opt_outs()[0].opt_out_keyword == sms.keyword_of(body)


@pytest.mark.parametrize("body", ["COMENZAR", "comenzar", "Iniciar"])
def test_spanish_opt_in_words_resubscribe_and_confirm_in_spanish(service, store, bot, body):
    text(service, bot, "STOP")
    outcome = text(service, bot, body)
    assert outcome.kind == "opt_in" and not store.is_opted_out(key())
    assert " ".join(outcome.bodies) == sms.plain_text(spanish("texter_sms.opted_in"))


@pytest.mark.parametrize("body", ["si", "Sí", "SI."])
def test_si_never_resubscribes_an_opted_out_texter(service, store, bot, body):
    # A "sí" sent before ALTO can be delivered after it: it must not undo the opt-out.
    text(service, bot, "ALTO")
    assert text(service, bot, body).kind == "silenced"
    assert store.is_opted_out(key())


def test_si_and_comenzar_are_ordinary_answers_for_a_subscribed_texter(service, bot):
    assert text(service, bot, "sí").kind == "bot"
    assert text(service, bot, "comenzar").kind == "bot"
    assert bot.texts == ["sí", "comenzar"]


@pytest.mark.parametrize("body", ["AYUDA", "ayuda", "Ayuda."])
def test_ayuda_answers_in_spanish_without_the_bot(service, bot, body):
    outcome = text(service, bot, body)
    assert outcome.kind == "help" and bot.heard == []
    assert " ".join(outcome.bodies) == sms.plain_text(spanish("texter_sms.help"))
    assert FACTS_ES["helpline_phone"] in outcome.bodies[0]


def test_a_sentence_with_a_keyword_in_it_goes_to_the_bot(service, bot):
    for body in ("alto ahí, tengo una pregunta", "necesito ayuda con mi hijo"):
        assert text(service, bot, body).kind == "bot"
    assert len(bot.heard) == 2


# --- English keywords from a Spanish texter ----------------------------------------------------------------------

def test_a_spanish_texter_who_sends_stop_gets_the_spanish_confirmation(service, store):
    becomes_spanish(service)
    outcome = text(service, FakeBot(), "STOP")
    assert outcome.kind == "opt_out"
    assert " ".join(outcome.bodies) == sms.plain_text(spanish("texter_sms.opted_out"))
    # START (the carrier word) is confirmed in Spanish too: the language outlives the opt-out.
    assert " ".join(text(service, FakeBot(), "START").bodies) == sms.plain_text(spanish("texter_sms.opted_in"))
    assert " ".join(text(service, FakeBot(), "HELP").bodies) == sms.plain_text(spanish("texter_sms.help"))


def test_english_keywords_from_a_new_or_english_texter_are_answered_in_english(service):
    assert " ".join(text(service, FakeBot(), "HELP").bodies) == sms.plain_text(english("texter_sms.help"))
    text(service, english_bot(), "hello there, how does this work?")
    assert " ".join(text(service, FakeBot(), "STOP").bodies) == sms.plain_text(english("texter_sms.opted_out"))


def test_a_spanish_keyword_from_an_english_texter_is_answered_in_spanish(service):
    text(service, english_bot(), "hello there, how does this work?")
    assert " ".join(text(service, FakeBot(), "AYUDA").bodies) == sms.plain_text(spanish("texter_sms.help"))


# --- the remembered language -------------------------------------------------------------------------------------

def test_the_language_of_the_bots_last_reply_is_remembered(service, store):
    assert store.get_language(key()) is None
    becomes_spanish(service)
    assert store.get_language(key()) == "es"
    text(service, english_bot(), "can we talk in English please?")
    assert store.get_language(key()) == "en"
    # A turn whose messages say no language (a channel notice) changes nothing.
    text(service, FakeBot(), "anything")
    assert store.get_language(key()) == "en"


def test_a_spanish_texter_gets_the_main_menu_in_spanish(service, store):
    becomes_spanish(service)
    outcome = text(service, FakeBot(), "7")
    menu = "Responda 1 para Qué es el IOP, 2 para Costo y seguro, 3 para Que me llamen."
    assert outcome.kind == "menu_again"
    assert outcome.bodies == [sms.plain_text(spanish("texter_sms.main_menu_again", menu=menu))]
    # The payloads are the greeting's, whatever the language of the titles.
    bot = FakeBot()
    text(service, bot, "3")
    assert bot.texts == ["/request_callback"]


def test_a_spanish_menu_is_numbered_in_spanish_and_offered_again_in_spanish(service):
    who = [{"title": "Yo", "payload": "myself"}, {"title": "Alguien que me importa", "payload": "someone I care about"}]
    asked = text(service, spanish_bot(who), "hola, quiero que me llamen")
    assert asked.bodies == ["Con gusto le ayudo.\n\nResponda 1 para Yo, 2 para Alguien que me importa."]
    again = text(service, FakeBot(), "5")
    line = "Responda 1 para Yo, 2 para Alguien que me importa."
    assert again.bodies == [sms.plain_text(spanish("texter_sms.menu_again", menu=line))]


def test_the_this_number_choice_is_titled_in_spanish(service):
    this_number = [{"title": "Este número", "payload": "this number"}]
    asked = text(service, spanish_bot(this_number), "quiero que me llamen")
    assert asked.bodies == ["Con gusto le ayudo.\n\nResponda 1 para Este número (termina en 0134)."]


def test_a_spanish_texter_over_the_rate_limit_is_told_in_spanish(store):
    service = SmsService(store=store, secret=SECRET, facts=turn_replies.facility_facts, limiter=RateLimiter(2, 60))
    becomes_spanish(service)
    text(service, spanish_bot(), "otra pregunta, por favor")
    refused = text(service, spanish_bot(), "y una más")
    assert refused.kind == "rate_limited"
    assert " ".join(refused.bodies) == sms.plain_text(turn_replies.too_many_text(language="es"))


# --- the first message -------------------------------------------------------------------------------------------

def test_a_new_texter_writing_spanish_gets_the_sms_layers_texts_in_spanish_on_the_first_turn(service):
    bot = FakeBot()
    text(service, bot, "hola, mi hijo está tomando mucho y no sé qué hacer")
    assert bot.asked[0].language == "es"  # the channel's notices on this turn would be Spanish

    async def failing(conversation_key, asked):
        raise RuntimeError("action server away")

    failed = text(service, failing, "buenas noches, necesito información del programa", sender="+16025550199")
    assert failed.kind == "error"
    assert " ".join(failed.bodies) == sms.plain_text(spanish("texter_sms.error"))


def test_a_new_texter_writing_english_or_only_a_number_is_answered_in_english(service):
    bot = FakeBot()
    text(service, bot, "hi, what does the program cost?")
    assert bot.asked[0].language == "en"
    assert "Reply 1 for What is IOP" in text(service, FakeBot(), "4", sender="+16025550199").bodies[0]


# --- "Español" / "English" ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "language"), [
    ("ESPAÑOL", "es"), ("espanol", "es"), ("Español.", "es"), ("Spanish", "es"),
    ("ENGLISH", "en"), ("inglés", "en"), ("Ingles", "en"),
])
def test_a_bare_language_name_asks_the_bot_to_switch(service, body, language):
    bot = FakeBot()
    assert text(service, bot, body).kind == "bot"
    assert bot.texts == [f'/switch_language{{"language":"{language}"}}']
    assert bot.asked[0].language == language


def test_a_switch_is_remembered_from_the_bots_confirmation(service, store):
    confirming = FakeBot(lambda body: [BotMessage("Claro, podemos seguir en español.", language="es")])
    text(service, confirming, "español")
    assert store.get_language(key()) == "es"


def test_a_sentence_naming_a_language_goes_to_the_bot_as_typed(service):
    bot = FakeBot()
    text(service, bot, "do you speak spanish?")
    assert bot.texts == ["do you speak spanish?"]


# --- the store -----------------------------------------------------------------------------------------------------

def test_the_language_lives_with_the_menu_and_outlives_an_opt_out(store):
    store.set_language("sms-a", "es")
    assert store.get_choices("sms-a") == [] and store.get_language("sms-a") == "es"
    store.set_choices("sms-a", [sms.Choice("Sí", "/affirm")])
    store.set_choices("sms-a", [])  # no menu any more; the language stays
    assert store.get_choices("sms-a") == [] and store.get_language("sms-a") == "es"
    store.set_choices("sms-a", [sms.Choice("Sí", "/affirm")])
    store.opt_out("sms-a", "+1******0134", "ALTO")
    assert store.get_choices("sms-a") == [] and store.get_language("sms-a") == "es"
    assert store.get_language("sms-b") is None


# --- over HTTP: the language arrives with Rasa's messages ---------------------------------------------------------

class SpanishHarness(Harness):
    """The SMS channel with a bot that answers through Rasa's send_response, as the NLG marks it."""

    def __init__(self, store, answer_language: Optional[str] = "es") -> None:
        super().__init__(store, {})
        self.answer_language = answer_language

    async def on_new_message(self, message: UserMessage) -> None:
        self.heard.append(message)
        if message.text == "silence":
            return
        response = {"text": "¿Quién necesita ayuda?", "buttons": [
            {"title": "Yo", "payload": "myself"}, {"title": "Alguien que me importa", "payload": "someone"}]}
        if self.answer_language:
            response["language"] = self.answer_language
        await message.output_channel.send_response(message.sender_id, response)


def test_the_sms_channel_remembers_the_language_rasa_says_and_uses_it(store):
    harness = SpanishHarness(store)
    assert replies(harness.text("hola")) == ["¿Quién necesita ayuda?\n\nResponda 1 para Yo, 2 para Alguien que me importa."]
    assert store.get_language(sms.conversation_key(NUMBER, SECRET)) == "es"
    # A turn the bot leaves silent gets the resend notice in the texter's language.
    assert " ".join(replies(harness.text("silence"))) == sms.plain_text(turn_replies.not_saved_text(language="es"))
    assert " ".join(replies(harness.text("x" * (turn_replies.MAX_MESSAGE_CHARS + 1)))) == sms.plain_text(
        turn_replies.too_long_text(language="es"))


def test_a_spanish_sms_while_the_database_is_away_gets_the_spanish_error(store, monkeypatch):
    harness = SpanishHarness(store)
    monkeypatch.setattr(store, "is_opted_out", lambda key: (_ for _ in ()).throw(RuntimeError("db away")))
    got: List[str] = replies(harness.text("hola, ¿me puede llamar alguien mañana?"))
    assert " ".join(got) == sms.plain_text(spanish("texter_sms.error"))


def test_the_webhook_reads_the_spanish_facts(store):
    channel = HelplineSmsInput(env={"TWILIO_AUTH_TOKEN": TOKEN, "HELPLINE_ID_SECRET": SECRET}, store=store)
    assert channel.service.facts("es") == FACTS_ES

"""The SMS flow over the real SQL store, with a fake bot in place of Rasa."""
from __future__ import annotations

import asyncio
import sqlite3
import uuid

import pytest

from helpline.channels import sms, turn_replies
from helpline.channels.sms import BotMessage, Inbound, SmsService
from helpline.facility import load_facility
from tests.channels.conftest import FakeBot

NUMBER = "+16025550134"
SECRET = "test-secret"


@pytest.fixture
def service(store) -> SmsService:
    return SmsService(store=store, secret=SECRET, facts=turn_replies.facility_facts)


def text(service: SmsService, bot, body: str, sender: str = NUMBER, sid: str | None = None) -> sms.Outcome:
    inbound = Inbound(message_sid=sid or "SM" + uuid.uuid4().hex, sender=sender, body=body)
    return asyncio.run(service.handle(inbound, bot))


def key(number: str = NUMBER) -> str:
    return sms.conversation_key(number, SECRET)


# --- the bot gets the conversation key, never the number -----------------------------------------

def test_the_bot_hears_the_text_under_the_keyed_hash(service, bot):
    outcome = text(service, bot, "what is IOP?")
    assert outcome.kind == "bot" and outcome.bodies == ["You said: what is IOP?"]
    assert bot.heard == [(key(), "what is IOP?")]


# --- opt-out and opt-in ------------------------------------------------------------------------------

def test_stop_opts_out_confirms_once_and_silences_the_bot(service, bot, store):
    outcome = text(service, bot, "STOP")
    assert outcome.kind == "opt_out" and "START" in outcome.bodies[0] and "unsubscribed" in outcome.bodies[0]
    assert bot.heard == []  # the keyword is not a message for the bot
    assert store.is_opted_out(key())
    for body in ("hello?", "I need help", "1"):
        silenced = text(service, bot, body)
        assert silenced.kind == "silenced" and silenced.bodies == []
    assert bot.heard == []
    assert text(service, bot, "HELP").bodies == []  # nothing at all goes to an opted-out number


def test_a_second_stop_gets_no_second_confirmation(service, bot, store):
    assert text(service, bot, "STOP").bodies
    assert text(service, bot, "stop").bodies == []
    assert store.opt_outs()[0].opt_out_keyword == "STOP"  # the first opt-out's record stands


@pytest.mark.parametrize("keyword", ["STOPALL", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"])
def test_every_opt_out_keyword_opts_out(service, bot, store, keyword):
    assert text(service, bot, keyword).kind == "opt_out"
    assert store.is_opted_out(key())


@pytest.mark.parametrize("keyword", ["START", "unstop", "yes", "Yes."])
def test_opt_in_keywords_resubscribe_an_opted_out_number(service, bot, store, keyword):
    text(service, bot, "STOP")
    outcome = text(service, bot, keyword)
    assert outcome.kind == "opt_in" and "STOP" in outcome.bodies[0]
    assert not store.is_opted_out(key())
    assert bot.heard == []
    assert text(service, bot, "hi").kind == "bot"


def test_yes_is_an_ordinary_answer_for_a_number_that_never_opted_out(service, bot, store):
    outcome = text(service, bot, "yes")
    assert outcome.kind == "bot" and bot.texts == ["yes"]
    assert text(service, bot, "START").kind == "bot"  # nothing to undo: the bot gets it
    assert not store.is_opted_out(key())


def test_opt_out_is_per_number(service, bot):
    text(service, bot, "STOP")
    assert text(service, bot, "hi", sender="+16025550199").kind == "bot"


def test_staff_see_masked_numbers_and_dates(service, bot, store):
    text(service, bot, "STOP")
    text(service, bot, "END", sender="+14805550123")
    text(service, bot, "START", sender="+14805550123")
    current = store.opt_outs()
    assert [e.masked_number for e in current] == ["+1******0134"]
    assert current[0].opt_out_keyword == "STOP" and current[0].opted_out_at.tzinfo is not None
    everyone = {e.masked_number: e for e in store.opt_outs(include_opted_in=True)}
    assert set(everyone) == {"+1******0134", "+1******0123"}
    assert everyone["+1******0123"].opted_out is False and everyone["+1******0123"].opted_in_at is not None


def test_a_stop_that_lands_while_the_bot_thinks_silences_its_answer(service, store):
    async def slow_bot(conversation_key, body):
        # The texter's STOP is handled (by another request) while this answer is made.
        store.opt_out(conversation_key, "+1******0134", "STOP")
        return [BotMessage("an answer that must not be sent")]

    assert text(service, slow_bot, "what does it cost?").kind == "silenced"


# --- HELP -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("keyword", ["HELP", "help", "INFO"])
def test_help_answers_with_the_facility_and_rules_without_the_bot(service, bot, keyword):
    outcome = text(service, bot, keyword)
    facts = load_facility().placeholders()
    assert outcome.kind == "help" and len(outcome.bodies) == 1
    body = outcome.bodies[0]
    assert facts["facility_name"] in body and facts["helpline_phone"] in body
    assert "Msg & data rates may apply" in body and "STOP" in body
    assert bot.heard == []


# --- numbered choices ---------------------------------------------------------------------------------------

WHO_FOR = [{"title": "Myself", "payload": "myself"}, {"title": "Someone I care about", "payload": "someone I care about"}]
WHO_FOR_LINE = "Reply 1 for Myself, 2 for Someone I care about."


def intake_bot() -> FakeBot:
    def answer(body):
        if body == "/request_callback" or body == "call me":
            return [BotMessage("Who are you looking for help for?", WHO_FOR)]
        return [BotMessage("What first name should we use when we call?")]

    return FakeBot(answer)


def test_numbered_reply_sends_the_buttons_payload(service):
    bot = intake_bot()
    asked = text(service, bot, "call me")
    assert asked.bodies == ["Who are you looking for help for?\n\nReply 1 for Myself, 2 for Someone I care about."]
    text(service, bot, "2")
    assert bot.texts == ["call me", "someone I care about"]


def test_choices_survive_a_turn_without_buttons(service, store):
    bot = intake_bot()
    text(service, bot, "call me")
    text(service, bot, "1")  # -> "myself"; the next question has no buttons
    assert store.get_choices(key()) == sms.choices_from_buttons(WHO_FOR)  # the menu is still open
    text(service, bot, "2")
    assert bot.texts == ["call me", "myself", "someone I care about"]


def test_a_turn_with_buttons_replaces_the_menu(service, store):
    bot = FakeBot(lambda body: [BotMessage("Who?", WHO_FOR)] if body == "call me"
                  else [BotMessage("When?", [{"title": "Morning", "payload": "morning"}])])
    text(service, bot, "call me")
    text(service, bot, "2")
    assert store.get_choices(key()) == [sms.Choice("Morning", "morning")]
    text(service, bot, "1")
    assert bot.texts == ["call me", "someone I care about", "morning"]


def test_a_bare_number_without_a_menu_gets_the_main_menu_and_not_the_bot(service, bot):
    outcome = text(service, bot, "3")
    assert outcome.kind == "menu_again" and bot.heard == []
    assert len(outcome.bodies) == 1
    assert "Reply 1 for What is IOP, 2 for Cost & insurance, 3 for Have someone call me." in outcome.bodies[0]
    # The main menu is now open: a number picks the web greeting's button.
    text(service, bot, "3")
    assert bot.texts == ["/request_callback"]


def test_an_out_of_range_number_gets_the_same_menu_again(service):
    bot = intake_bot()
    text(service, bot, "call me")
    for body in ("7", "0", "#12"):
        outcome = text(service, bot, body)
        assert outcome.kind == "menu_again"
        assert outcome.bodies == [f"Please reply with one of these numbers: {WHO_FOR_LINE}"]
    assert bot.texts == ["call me"]
    text(service, bot, "1")  # the menu is still the one offered
    assert bot.texts == ["call me", "myself"]


def test_an_out_of_range_number_after_a_question_without_buttons_gets_the_open_menu(service):
    bot = intake_bot()
    text(service, bot, "call me")
    text(service, bot, "1")  # "What first name ...?" has no buttons
    assert text(service, bot, "5").bodies == [f"Please reply with one of these numbers: {WHO_FOR_LINE}"]
    assert bot.texts == ["call me", "myself"]


def test_numbers_inside_a_sentence_still_go_to_the_bot(service, bot):
    text(service, bot, "I'm 17, can I come?")
    text(service, bot, "602-555-0134")
    assert bot.texts == ["I'm 17, can I come?", "602-555-0134"]


def test_choices_are_per_texter(service):
    bot = intake_bot()
    text(service, bot, "call me")
    other = text(service, bot, "2", sender="+16025550199")
    assert other.kind == "menu_again" and "Someone I care about" not in other.bodies[0]
    assert bot.texts == ["call me"]


# --- "this number" -------------------------------------------------------------------------------------------

CALLBACK_PHONE = [{"title": "This number", "payload": "this number"}]


def phone_bot() -> FakeBot:
    def answer(body):
        if body == "call me":
            return [BotMessage("What phone number should we call?", CALLBACK_PHONE)]
        return [BotMessage("When is the best time to call?")]

    return FakeBot(answer)


@pytest.mark.parametrize("reply", ["this one", "This number.", "the number I\u2019m texting from", "yes this one",
                                   "same number", "use this", "text this number", "1", "this number please"])
def test_this_one_sends_the_senders_number_while_the_bot_offers_this_number(service, reply):
    bot = phone_bot()
    text(service, bot, "call me")
    assert text(service, bot, reply).kind == "bot"
    assert bot.texts == ["call me", NUMBER]


def test_this_one_is_just_text_without_the_this_number_menu(service):
    bot = intake_bot()
    text(service, bot, "call me")  # a menu is open, but not one with "This number"
    text(service, bot, "this one")
    text(service, FakeBot(), "this one", sender="+16025550199")  # no menu at all
    assert bot.texts == ["call me", "this one"]


def test_a_whatsapp_sender_is_sent_as_its_e164_number(service):
    bot = phone_bot()
    text(service, bot, "call me", sender="whatsapp:+16025550134")
    text(service, bot, "this one", sender="whatsapp:+16025550134")
    assert bot.texts == ["call me", NUMBER]


def test_the_this_number_choice_shows_only_the_last_four_digits(service, store):
    bot = phone_bot()
    asked = text(service, bot, "call me")
    assert asked.bodies == ["What phone number should we call?\n\nReply 1 for This number (ending 0134)."]
    again = text(service, bot, "4")
    assert again.bodies == ["Please reply with one of these numbers: Reply 1 for This number (ending 0134)."]
    for body in asked.bodies + again.bodies:
        assert "602555" not in body and "6025550134" not in body
    assert store.get_choices(key()) == [sms.Choice("This number", "this number")]  # stored as the bot's button


# --- long answers ------------------------------------------------------------------------------------------------

def test_a_long_answer_arrives_as_ordered_sms_within_the_limit(service):
    long = " ".join(f"Sentence number {n} tells you something useful about the program." for n in range(1, 16))
    bot = FakeBot(lambda body: [BotMessage(long), BotMessage("Anything else?", [{"title": "Call me", "payload": "/request_callback"}])])
    outcome = text(service, bot, "tell me everything")
    assert len(outcome.bodies) >= 3
    assert all(len(b) <= 320 and sms.segments(b) <= 3 for b in outcome.bodies)
    assert outcome.bodies[-1].startswith("Anything else?") or "Reply 1 for Call me." in outcome.bodies[-1]
    assert [b[-5:] for b in outcome.bodies][-1] == f"({len(outcome.bodies)}/{len(outcome.bodies)})"


# --- redelivery (MessageSid) ----------------------------------------------------------------------------------------

def test_a_redelivered_message_is_not_handled_twice(service, bot):
    first = text(service, bot, "what is IOP?", sid="SM-same")
    again = text(service, bot, "what is IOP?", sid="SM-same")
    assert bot.texts == ["what is IOP?"]
    assert again.kind == "duplicate"
    # Twilio dropped the first answer when it timed out; the redelivery gets it instead.
    assert again.bodies == first.bodies


def test_a_redelivery_during_a_slow_answer_waits_for_it(service):
    calls = []

    async def slow_bot(conversation_key, asked):
        calls.append(asked.text)
        await asyncio.sleep(0.3)
        return [BotMessage("the one answer")]

    async def both():
        inbound = Inbound("SM-slow", NUMBER, "hello")
        return await asyncio.gather(service.handle(inbound, slow_bot), service.handle(inbound, slow_bot))

    first, second = asyncio.run(both())
    assert calls == ["hello"]
    assert first.bodies == second.bodies == ["the one answer"]
    assert {first.kind, second.kind} == {"bot", "duplicate"}


def test_a_turn_survives_its_request_being_cancelled_and_is_replayed(service):
    calls = []

    async def slow_bot(conversation_key, asked):
        calls.append(asked.text)
        await asyncio.sleep(0.3)
        return [BotMessage("the answer")]

    async def scenario():
        inbound = Inbound("SM-cancelled", NUMBER, "hello")
        first = asyncio.ensure_future(service.handle(inbound, slow_bot))
        await asyncio.sleep(0.1)
        first.cancel()  # Twilio hung up; the server drops the request
        await asyncio.sleep(0.4)
        return await service.handle(inbound, slow_bot)  # the redelivery

    replay = asyncio.run(scenario())
    assert calls == ["hello"]
    assert replay.kind == "duplicate" and replay.bodies == ["the answer"]


def test_a_redelivery_seen_by_another_process_sends_nothing(store, bot):
    facts = turn_replies.facility_facts
    one, other = SmsService(store, SECRET, facts), SmsService(store, SECRET, facts)
    asyncio.run(one.handle(Inbound("SM-x", NUMBER, "hi"), bot))
    outcome = asyncio.run(other.handle(Inbound("SM-x", NUMBER, "hi"), bot))
    assert outcome.kind == "duplicate" and outcome.bodies == []
    assert bot.texts == ["hi"]


def test_a_message_sid_is_remembered_for_30_days(db_url):
    # A carrier's late duplicate can come days after the first delivery.
    from datetime import timedelta

    from sqlalchemy import update

    from helpline.store import db
    from helpline.store.models import utcnow
    from helpline.store.sms_models import SmsMessageSid, SqlSmsStore

    factory = db.session_factory(db_url)

    def claimed_again_after(days: int, sid: str) -> bool:
        assert SqlSmsStore(factory).claim_message(sid)
        with factory() as session, session.begin():
            session.execute(update(SmsMessageSid).where(SmsMessageSid.message_sid == sid)
                            .values(received_at=utcnow() - timedelta(days=days)))
        return SqlSmsStore(factory).claim_message(sid)  # a fresh store purges expired ids first

    assert claimed_again_after(29, "SM-late") is False
    assert claimed_again_after(31, "SM-later") is True


def test_when_the_bot_fails_the_texter_gets_the_phone_number(service):
    async def broken(conversation_key, body):
        raise RuntimeError("action server down")

    outcome = text(service, broken, "hi", sid="SM-broken")
    assert outcome.kind == "error"
    assert load_facility().placeholders()["helpline_phone"] in outcome.bodies[0]


def test_a_crash_before_answering_lets_the_redelivery_try_again(service, store, bot, monkeypatch):
    monkeypatch.setattr(store, "get_choices", lambda key: (_ for _ in ()).throw(RuntimeError("db away")))
    with pytest.raises(RuntimeError):
        text(service, bot, "hi", sid="SM-retry")
    monkeypatch.undo()
    assert text(service, bot, "hi", sid="SM-retry").kind == "bot"


# --- what is stored ------------------------------------------------------------------------------------------------------

def test_no_table_holds_the_phone_number(service, bot, db_url):
    intake = intake_bot()
    text(service, intake, "call me")
    text(service, phone_bot(), "call me", sender="+16025550199")  # the "This number" menu
    text(service, bot, "STOP")
    text(service, bot, "START")
    connection = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    dump = "\n".join(connection.iterdump())
    assert "6025550134" not in dump and "602555" not in dump and "0199" not in dump
    assert "+1******0134" in dump  # the masked form, for staff

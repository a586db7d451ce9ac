"""ValidateIntakeForm (the contact questions) and ValidateScreeningForm (the optional screening after the
lead is stored): answers in any shape become clean slots; anything else gets a kind re-ask."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.intake_form import ValidateIntakeForm, ValidateScreeningForm
from helpline.intake.questions import FORM_OF_STAGE, question
from tests.adapters.conftest import make_tracker, responses

# Each form's validation action; a question is validated by the form it belongs to.
VALIDATORS = {"intake_form": ValidateIntakeForm, "screening_form": ValidateScreeningForm}


def form_of(slot: str) -> str:
    return FORM_OF_STAGE[question(slot).stage]


def asking(text, intent="inform", *, requested_slot, **kwargs):
    """A tracker with ``requested_slot``'s form active, as Rasa runs its validation action."""
    return make_tracker(text, intent, requested_slot=requested_slot, active_loop=form_of(requested_slot), **kwargs)


def run_events(tracker, dispatcher, domain) -> list:
    form = tracker.active_loop["name"]
    return asyncio.run(VALIDATORS[form]().run(dispatcher, tracker, domain))


def run_form(tracker, dispatcher, domain) -> dict:
    events = run_events(tracker, dispatcher, domain)
    return {e["name"]: e["value"] for e in events if e["event"] == "slot" and e["name"] != "requested_slot"}


def test_the_contact_questions_come_first_and_the_screening_after(domain):
    assert VALIDATORS["screening_form"]().name() == "validate_screening_form"
    assert domain["forms"]["intake_form"]["required_slots"] == [
        "who_for", "first_name", "callback_phone", "best_time", "consent"]
    assert "substances" in domain["forms"]["screening_form"]["required_slots"]


@pytest.mark.parametrize("slot, text, intent, expected", [
    ("callback_phone", "my number is (602) 555-0134 thanks", "inform", "+16025550134"),
    ("who_for", "myself", "inform", "self"),
    ("substances", "mostly beer and some xanax", "inform", ["alcohol", "benzodiazepines"]),
    ("state", "arizona", "inform", "AZ"),
    ("best_time", "after 5pm", "inform", "evening"),
    ("consent", "yes I agree", "affirm", True),
    ("consent", "no", "deny", False),
    # A one-word answer the classifier mistakes for an FAQ is still an answer.
    ("prior_treatment", "detox", "faq", ["detox"]),
    ("insurance", "aetna", "faq", "Aetna"),
])
def test_answers_are_normalised_and_keep_the_persons_words(slot, text, intent, expected, dispatcher, domain):
    filled = run_form(asking(text, intent, requested_slot=slot), dispatcher, domain)
    assert filled[slot] == expected
    assert filled["answer_words"] == {slot: text}  # shown to staff beside the parsed answer
    assert not any(r and r.startswith("utter_reask") for r in responses(dispatcher))


def test_the_persons_words_are_added_to_those_already_given(dispatcher, domain):
    earlier = {"who_for": "for me", "first_name": "its sam"}
    tracker = asking("after 5pm", requested_slot="best_time", slots={"answer_words": earlier})
    assert run_form(tracker, dispatcher, domain)["answer_words"] == {**earlier, "best_time": "after 5pm"}


def test_an_answer_asked_again_keeps_no_words(dispatcher, domain):
    filled = run_form(asking("call me maybe", requested_slot="callback_phone"), dispatcher, domain)
    assert filled["callback_phone"] is None and "answer_words" not in filled


def test_consent_that_names_call_only_also_fills_the_contact_permissions(dispatcher, domain):
    tracker = asking("yes I agree, call only", "affirm", requested_slot="consent")
    filled = run_form(tracker, dispatcher, domain)
    assert filled["consent"] is True
    assert filled["contact_permissions"] == {"call": True, "voicemail": False, "text": False}
    # So the screening does not ask about voicemail and text again.
    screening = asyncio.run(ValidateScreeningForm().required_slots(
        domain["forms"]["screening_form"]["required_slots"], dispatcher,
        make_tracker("x", slots=filled, active_loop="screening_form"), domain))
    assert "contact_permissions" not in screening and "substances" in screening


def test_a_plain_yes_to_consent_leaves_the_permissions_to_the_screening(dispatcher, domain):
    filled = run_form(asking("yes I agree", "affirm", requested_slot="consent"), dispatcher, domain)
    assert filled["consent"] is True and "contact_permissions" not in filled


def test_loved_one_answer_also_fills_the_relation(dispatcher, domain):
    filled = run_form(asking("my son", requested_slot="who_for"), dispatcher, domain)
    assert filled["who_for"] == "loved_one"
    assert filled["caller_relation"] == "parent"


@pytest.mark.parametrize("slot, text, reask", [
    ("callback_phone", "12345", "utter_reask_phone"),
    ("callback_phone", "call me maybe", "utter_reask_phone"),
    ("callback_phone", "   ", "utter_reask_empty"),
    ("last_use", "x" * 600, "utter_reask_too_long"),
    ("first_name", "12345", "utter_reask_digits_only"),
    ("consent", "maybe", "utter_reask_unclear"),
    ("state", "the moon", "utter_reask_unrecognized"),
    ("last_use", "he's been using for months", "utter_reask_last_use_duration"),
])
def test_bad_answers_get_a_clear_reask_and_no_value(slot, text, reask, dispatcher, domain):
    filled = run_form(asking(text, requested_slot=slot), dispatcher, domain)
    assert filled[slot] is None
    assert responses(dispatcher) == [reask]


# -- a message that fills not the question asked: a word before the question comes again ------------

def test_the_answer_to_another_contact_question_is_kept_for_it(dispatcher, domain):
    filled = run_form(asking("evenings", requested_slot="first_name"), dispatcher, domain)
    assert filled == {"best_time": "evening", "answer_words": {"best_time": "evenings"}}
    assert responses(dispatcher) == ["utter_other_answer_noted"]


def test_a_phone_number_given_for_the_name_fills_the_phone(dispatcher, domain):
    filled = run_form(asking("6025550134", requested_slot="first_name"), dispatcher, domain)
    assert filled["callback_phone"] == "+16025550134" and "first_name" not in filled
    assert responses(dispatcher) == ["utter_other_answer_noted"]


def test_evenings_asked_the_insurance_question_is_not_an_insurer(dispatcher, domain):
    # The best time is a contact question, answered already: not kept, and insurance is asked again.
    tracker = asking("evenings", requested_slot="insurance", slots={"best_time": "morning"})
    events = run_events(tracker, dispatcher, domain)
    assert responses(dispatcher) == ["utter_other_answer_not_this"]
    filled = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert filled["insurance"] is None and "best_time" not in filled
    # The form keeps the turn and asks insurance again, rather than leaving it to the policies.
    assert {"event": "slot", "name": "insurance", "value": None, "timestamp": None} in events


@pytest.mark.parametrize("slot, text, reply", [
    ("insurance", "hold on let me find the card", "utter_take_your_time"),
    ("insurance", "is that required?", "utter_question_in_form"),
    ("first_name", "why do u need my name", "utter_question_in_form"),
])
def test_a_question_or_a_wait_in_place_of_the_answer_is_answered_then_asked_again(slot, text, reply, dispatcher, domain):
    filled = run_form(asking(text, requested_slot=slot), dispatcher, domain)
    assert filled.get(slot) is None and "answer_words" not in filled
    assert responses(dispatcher) == [reply]


@pytest.mark.parametrize("slot, text, intent", [
    ("first_name", "how much does it cost?", "faq"),
    ("insurance", "how long is the program", "faq"),
    ("last_use", "never mind", "stop"),
    ("callback_phone", "i want to end my life", "crisis"),
    ("state", "arizona", "crisis"),  # crisis wins even over an understood answer
    ("insurance", "do you take aetna?", "faq"),  # a question, even where a word of it answers
    ("consent", "maybe later", "stop"),
    ("first_name", "representative please", "request_human"),
])
def test_questions_stops_and_crises_are_left_to_the_rules(slot, text, intent, dispatcher, domain):
    filled = run_form(asking(text, intent, requested_slot=slot), dispatcher, domain)
    assert slot not in filled
    assert dispatcher.messages == []


def test_skip_fills_optional_slots_only(dispatcher, domain):
    filled = run_form(asking("/skip", "skip", requested_slot="insurance"), dispatcher, domain)
    assert filled["insurance"] == "skipped"
    filled = run_form(asking("/skip", "skip", requested_slot="callback_phone"), dispatcher, domain)
    assert filled["callback_phone"] is None
    assert "utter_reask_required_callback_phone" in responses(dispatcher)


def test_phone_can_be_corrected_while_another_question_is_open(dispatcher, domain):
    tracker = asking(
        "actually my number is 480 555 0199", "correct",
        requested_slot="best_time", slots={"callback_phone": "+16025550134"},
    )
    filled = run_form(tracker, dispatcher, domain)
    assert filled["callback_phone"] == "+14805550199"
    assert "utter_phone_updated" in responses(dispatcher)


def test_dangerous_withdrawal_signs_get_urgent_medical_advice(dispatcher, domain):
    filled = run_form(asking("he had a seizure last time", requested_slot="withdrawal_signs"), dispatcher, domain)
    assert "seizures" in filled["withdrawal_signs"]
    assert "utter_withdrawal_danger" in responses(dispatcher)


@pytest.mark.parametrize("substances, danger", [
    (["alcohol"], True),  # shaking in alcohol withdrawal can turn dangerous
    (["benzodiazepines"], True),
    (["cannabis"], False),
])
def test_shaking_is_a_danger_with_alcohol_or_benzos(substances, danger, dispatcher, domain):
    slots = {"substances": substances, "last_use": "today"}
    filled = run_form(asking("shaking", requested_slot="withdrawal_signs", slots=slots), dispatcher, domain)
    assert filled["withdrawal_signs"] == ["shaking"]
    assert ("utter_withdrawal_danger" in responses(dispatcher)) is danger


def screening_slots(slots, dispatcher, domain) -> list:
    return asyncio.run(ValidateScreeningForm().required_slots(
        domain["forms"]["screening_form"]["required_slots"], dispatcher,
        make_tracker("x", slots=slots, active_loop="screening_form"), domain))


@pytest.mark.parametrize("slots, asked", [
    ({"who_for": "self"}, False),
    ({"who_for": "loved_one"}, True),
])
def test_relation_is_asked_only_for_a_loved_one(slots, asked, dispatcher, domain):
    assert ("caller_relation" in screening_slots(slots, dispatcher, domain)) is asked


@pytest.mark.parametrize("insurance, asked", [("none", False), ("Aetna", True)])
def test_member_id_is_asked_only_with_insurance(insurance, asked, dispatcher, domain):
    assert ("insurance_member_id" in screening_slots({"insurance": insurance}, dispatcher, domain)) is asked


@pytest.mark.parametrize("slot, text", [
    ("substances", "no idea honestly"),
    ("insurance_member_id", "i don't have it"),
])
def test_dont_know_moves_on_for_optional_questions(slot, text, dispatcher, domain):
    filled = run_form(asking(text, requested_slot=slot), dispatcher, domain)
    assert filled[slot] == "skipped"
    assert dispatcher.messages == []


def crisis_entities(category: str, severity: str) -> list:
    return [{"entity": "crisis_category", "value": category}, {"entity": "crisis_severity", "value": severity}]


def test_seizures_as_an_answer_to_the_withdrawal_question_is_recorded_with_advice(dispatcher, domain):
    tracker = asking("seizures", "crisis", requested_slot="withdrawal_signs",
                     entities=crisis_entities("medical_emergency", "urgent"))
    filled = run_form(tracker, dispatcher, domain)
    assert filled["withdrawal_signs"] == ["seizures"]
    assert "utter_withdrawal_danger" in responses(dispatcher)


@pytest.mark.parametrize("slot, text, category, severity", [
    ("withdrawal_signs", "he is having a seizure right now", "medical_emergency", "immediate"),
    ("withdrawal_signs", "shaking and i want to die", "suicide_self_harm", "urgent"),
    ("substances", "seizures", "medical_emergency", "urgent"),
])
def test_other_crises_in_the_form_still_go_to_the_crisis_rules(slot, text, category, severity, dispatcher, domain):
    tracker = asking(text, "crisis", requested_slot=slot, entities=crisis_entities(category, severity))
    assert slot not in run_form(tracker, dispatcher, domain)
    assert dispatcher.messages == []


# -- every form slot in every list that needs it ------------------------------------------------

def test_every_form_slot_is_extracted_validated_stored_and_cleared(domain):
    """A slot missing from one of these lists is silently dropped: not asked, not kept, or never cleared."""
    from actions.handoff import FORM_SLOTS
    from helpline.intake.handoff import ANSWER_KEYS
    from helpline.intake.questions import PARSERS

    for name, validator in VALIDATORS.items():
        form = validator()
        assert form.name() in domain["actions"], name
        for slot in domain["forms"][name]["required_slots"]:
            assert form_of(slot) == name, slot
            assert slot in domain["slots"] and domain["slots"][slot]["mappings"] == [{"type": "custom"}], slot
            assert hasattr(form, f"extract_{slot}") and hasattr(form, f"validate_{slot}"), slot
            assert slot in ANSWER_KEYS or slot in ("callback_phone", "consent"), slot
            assert slot in PARSERS or slot == "callback_phone", slot
            assert slot in FORM_SLOTS, slot
    assert "answer_words" in FORM_SLOTS and domain["slots"]["answer_words"]["mappings"] == [{"type": "custom"}]


# -- the suicide-risk screen ---------------------------------------------------------------------

SCREEN = ("suicide_wish", "suicide_thoughts", "loved_one_suicide_risk")
BEFORE_SCREEN = {"who_for": "self", "first_name": "Sam", "substances": ["alcohol"], "last_use": "today",
                 "withdrawal_signs": []}


def required(slots, dispatcher, domain):
    return screening_slots(slots, dispatcher, domain)


def requested_next(events) -> list:
    return [e["value"] for e in events if e["event"] == "slot" and e["name"] == "requested_slot"]


@pytest.mark.parametrize("who_for, asked", [
    ("self", ["suicide_wish", "suicide_thoughts"]),
    ("loved_one", ["loved_one_suicide_risk"]),
    (None, ["suicide_wish", "suicide_thoughts"]),  # not known yet: the screen, as for everyone
    ("skipped", ["suicide_wish", "suicide_thoughts"]),
])
def test_the_screen_asked_depends_on_who_the_intake_is_for(who_for, asked, dispatcher, domain):
    slots = required({"who_for": who_for}, dispatcher, domain)
    assert [s for s in slots if s in SCREEN] == asked
    # Right after the withdrawal question.
    assert slots[slots.index("withdrawal_signs") + 1] == asked[0]


@pytest.mark.parametrize("text, intent, expected", [
    ("no", "deny", "no"),
    ("nope, never", "deny", "no"),
    ("prefer not to say", "inform", "declined"),
    ("I'd rather not say", "stop", "declined"),  # an answer, not a request to stop
    ("/skip", "skip", "declined"),  # skipping declines; it is never a "no"
])
def test_screen_answers_are_normalised(text, intent, expected, dispatcher, domain):
    tracker = asking(text, intent, slots=BEFORE_SCREEN, requested_slot="suicide_wish")
    assert run_form(tracker, dispatcher, domain)["suicide_wish"] == expected
    assert dispatcher.messages == []


def test_an_unclear_screen_answer_is_asked_once_more_then_stored_as_unclear(dispatcher, domain):
    first = run_form(asking("not anymore", slots=BEFORE_SCREEN, requested_slot="suicide_wish"), dispatcher, domain)
    assert first["suicide_wish"] is None and first["screen_reasked"] == "suicide_wish"
    assert responses(dispatcher) == ["utter_reask_suicide_screen"]
    second = run_form(asking("idk", slots={**BEFORE_SCREEN, "screen_reasked": "suicide_wish"},
                             requested_slot="suicide_wish"), dispatcher, domain)
    assert second["suicide_wish"] == "unclear"
    assert responses(dispatcher) == ["utter_reask_suicide_screen"]  # no second re-ask


def test_the_re_ask_of_the_second_question_is_its_own(dispatcher, domain):
    slots = {**BEFORE_SCREEN, "suicide_wish": "no", "screen_reasked": "suicide_wish"}
    filled = run_form(asking("maybe", slots=slots, requested_slot="suicide_thoughts"), dispatcher, domain)
    assert filled["suicide_thoughts"] is None and filled["screen_reasked"] == "suicide_thoughts"


def flags():
    from helpline.queues import crisis_flags
    from helpline.settings import load_settings
    from helpline.store import db

    return crisis_flags.CRISES.list(db.session_factory(load_settings().effective_database_url))


def wait_for_alerts():
    import time

    deadline = time.monotonic() + 30
    while any(f.notification_status == "pending" for f in flags()) and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.mark.parametrize("slot, text", [("suicide_wish", "yes"), ("suicide_thoughts", "kinda, sometimes")])
def test_a_yes_gets_988_a_crisis_flag_and_ends_the_screening(slot, text, isolated_data, dispatcher, domain):
    slots = {**BEFORE_SCREEN, "suicide_wish": "no"} if slot == "suicide_thoughts" else BEFORE_SCREEN
    tracker = asking(text, "affirm", slots=slots, requested_slot=slot, sender_id="web-screen")
    events = run_events(tracker, dispatcher, domain)
    assert {"event": "slot", "name": slot, "value": "yes", "timestamp": None} in events
    # The crisis answer first (it names 988 and 911), then what happens next.
    assert responses(dispatcher) == ["utter_crisis_suicide_self_harm", "utter_suicide_screen_positive"]
    # The lead is stored already and every screening question is optional: nothing more is asked.
    assert requested_next(events) == [None]
    wait_for_alerts()
    [flag] = flags()
    assert (flag.conversation_id, flag.category) == ("web-screen", "suicide_self_harm")
    after = required({**slots, slot: "yes"}, dispatcher, domain)
    assert [s for s in after if s not in SCREEN] == []


# -- each screening answer updates the lead stored after the contact questions -----------------------

CONTACT = {"who_for": "self", "first_name": "Sam", "callback_phone": "+16025550134", "best_time": "evening",
           "consent": True}


def stored_lead():
    from helpline.queues import callbacks
    from helpline.settings import load_settings
    from helpline.store import db

    [record] = callbacks.LEADS.list(db.session_factory(load_settings().effective_database_url))
    return record


def wait_for_lead_alerts():
    import time

    deadline = time.monotonic() + 30
    while stored_lead().notification_status == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)


def store_contact_lead(domain) -> dict:
    """The lead as action_submit_intake stores it; the slots the screening then starts with."""
    from actions.handoff import ActionSubmitIntake

    words = {"first_name": "sam"}
    tracker = make_tracker("yes I agree", "affirm", slots={**CONTACT, "answer_words": words}, active_loop=None)
    events = asyncio.run(ActionSubmitIntake().run(CollectingDispatcher(), tracker, domain))
    wait_for_lead_alerts()
    return {**CONTACT, "answer_words": words, **{e["name"]: e["value"] for e in events if e["event"] == "slot"}}


def test_a_screening_answer_updates_the_stored_lead_at_once(isolated_data, dispatcher, domain):
    slots = store_contact_lead(domain)
    tracker = asking("mostly beer and some xanax", requested_slot="substances", slots=slots)
    filled = run_form(tracker, dispatcher, domain)
    assert filled["substances"] == ["alcohol", "benzodiazepines"]
    record = stored_lead()
    assert record.reference == slots["lead_reference"]
    assert record.answers["substances"] == ["alcohol", "benzodiazepines"]
    assert record.answers["first_name"] == "Sam"  # the contact answers stay
    assert record.answer_words == {"first_name": "sam", "substances": "mostly beer and some xanax"}
    # Nothing urgent yet: no second alert, nothing more said.
    assert (record.urgency, record.alert_round) == ("routine", 1)
    assert dispatcher.messages == []


def test_a_phone_number_corrected_during_the_screening_corrects_the_stored_lead(isolated_data, dispatcher, domain):
    slots = store_contact_lead(domain)
    events = run_events(asking("sorry wrong number! its 602-555-0202", requested_slot="substances", slots=slots),
                        dispatcher, domain)
    assert stored_lead().phone_e164 == "+16025550202"
    assert responses(dispatcher) == ["utter_phone_updated"]
    # The question asked comes back; nothing else is filled.
    assert [(e["name"], e["value"]) for e in events if e["event"] == "slot"] == [("substances", None)]


def test_a_contact_answer_does_not_touch_the_stored_lead(isolated_data, dispatcher, domain):
    slots = store_contact_lead(domain)
    # A second intake in the same conversation: the first lead's reference is still in the slots.
    filled = run_form(asking("mornings", requested_slot="best_time", slots=slots), dispatcher, domain)
    assert filled["best_time"] == "morning"
    assert stored_lead().answers["best_time"] == "evening"


def test_a_screening_answer_that_makes_the_lead_urgent_alerts_staff_again_and_says_when(
    isolated_data, dispatcher, domain
):
    slots = {**store_contact_lead(domain), "substances": ["alcohol"], "last_use": "today"}
    tracker = asking("shaking", requested_slot="withdrawal_signs", slots=slots)
    run_form(tracker, dispatcher, domain)
    assert responses(dispatcher)[0] == "utter_withdrawal_danger"
    promise = dispatcher.messages[1]["text"]  # when someone will call now (helpline.intake.callback_times)
    assert promise and len(dispatcher.messages) == 2
    wait_for_lead_alerts()
    record = stored_lead()
    assert (record.urgency, record.alert_round) == ("urgent", 2)
    assert "alcohol_benzo_withdrawal" in record.screening_reasons


def test_a_yes_on_the_screen_makes_the_stored_lead_immediate_and_says_only_the_crisis_answer(
    isolated_data, dispatcher, domain
):
    slots = {**store_contact_lead(domain), "substances": ["alcohol"], "last_use": "this week", "withdrawal_signs": []}
    events = run_events(asking("yes", "affirm", requested_slot="suicide_wish", slots=slots), dispatcher, domain)
    # The crisis answer and what happens next; no second "someone will call" sentence.
    assert responses(dispatcher) == ["utter_crisis_suicide_self_harm", "utter_suicide_screen_positive"]
    assert requested_next(events) == [None]
    wait_for_alerts()
    wait_for_lead_alerts()
    record = stored_lead()
    assert record.urgency == "immediate" and record.answers["suicide_wish"] == "yes"
    assert "suicide_screen_positive" in record.screening_reasons


def test_a_yes_about_a_loved_one_gets_the_answer_for_someone_worried_about_them(isolated_data, dispatcher, domain):
    slots = {**BEFORE_SCREEN, "who_for": "loved_one", "caller_relation": "parent"}
    tracker = asking("yes", "affirm", slots=slots, requested_slot="loved_one_suicide_risk")
    assert run_form(tracker, dispatcher, domain)["loved_one_suicide_risk"] == "yes"
    assert responses(dispatcher) == ["utter_crisis_suicide_loved_one", "utter_suicide_screen_positive"]
    wait_for_alerts()
    assert [f.category for f in flags()] == ["suicide_self_harm"]


def test_suicidal_thoughts_given_as_the_answer_are_a_yes(isolated_data, dispatcher, domain):
    tracker = asking("yeah i think about killing myself a lot", "crisis", slots=BEFORE_SCREEN,
                     requested_slot="suicide_thoughts", entities=crisis_entities("suicide_self_harm", "urgent"))
    assert run_form(tracker, dispatcher, domain)["suicide_thoughts"] == "yes"
    assert responses(dispatcher)[0] == "utter_crisis_suicide_self_harm"
    wait_for_alerts()


@pytest.mark.parametrize("text, category, severity", [
    ("yes and i'm going to do it tonight", "suicide_self_harm", "immediate"),  # danger now: the crisis rules
    ("no but my brother just overdosed", "overdose", "urgent"),
])
def test_other_crises_on_a_screen_question_go_to_the_crisis_rules(text, category, severity, dispatcher, domain):
    tracker = asking(text, "crisis", slots=BEFORE_SCREEN, requested_slot="suicide_wish",
                     entities=crisis_entities(category, severity))
    assert "suicide_wish" not in run_form(tracker, dispatcher, domain)
    assert dispatcher.messages == []


def test_a_possible_risk_message_that_answers_the_question_is_the_answer(dispatcher, domain):
    tracker = asking("sometimes", "possible_risk", slots=BEFORE_SCREEN, requested_slot="suicide_wish")
    extracted = asyncio.run(ValidateScreeningForm().extract_suicide_wish(dispatcher, tracker, domain))
    assert extracted == {"suicide_wish": "sometimes"}
    unclear = asking("i just feel empty", "possible_risk", slots=BEFORE_SCREEN, requested_slot="suicide_wish")
    assert asyncio.run(ValidateScreeningForm().extract_suicide_wish(dispatcher, unclear, domain)) == {}


def test_the_screen_is_introduced_once_with_its_published_wording(dispatcher, domain):
    from actions.intake_form import ActionAskSuicideWish

    asyncio.run(ActionAskSuicideWish().run(dispatcher, make_tracker("none", slots=BEFORE_SCREEN), domain))
    assert responses(dispatcher) == ["utter_suicide_screen_intro", "utter_ask_suicide_wish"]
    again = CollectingDispatcher()
    asyncio.run(ActionAskSuicideWish().run(again, make_tracker("x", slots={"screen_reasked": "suicide_wish"}), domain))
    assert responses(again) == ["utter_ask_suicide_wish"]
    texts = {name: domain["responses"][name][0] for name in ("utter_ask_suicide_wish", "utter_ask_suicide_thoughts")}
    assert texts["utter_ask_suicide_wish"]["text"] == (
        "In the past month, have you wished you were dead or wished you could go to sleep and not wake up?")
    assert texts["utter_ask_suicide_thoughts"]["text"] == (
        "In the past month, have you had any actual thoughts of killing yourself?")
    for name in ("utter_ask_suicide_wish", "utter_ask_suicide_thoughts", "utter_ask_loved_one_suicide_risk"):
        buttons = domain["responses"][name][0]["buttons"]
        assert [b["title"] for b in buttons] == ["Yes", "No", "Prefer not to say"], name
    intro = domain["responses"]["utter_suicide_screen_intro"][0]["text"]
    assert "everyone" in intro and "optional" in intro


@pytest.mark.parametrize("relation, person", [
    ("parent", "your child"), ("partner", "your partner"), (None, "the person you're worried about"),
])
def test_the_loved_one_question_names_the_person_by_relation_not_the_callers_name(relation, person, dispatcher, domain):
    from actions.intake_form import ActionAskLovedOneSuicideRisk

    slots = {"who_for": "loved_one", "caller_relation": relation, "first_name": "Maria"}
    asyncio.run(ActionAskLovedOneSuicideRisk().run(dispatcher, make_tracker("x", slots=slots), domain))
    assert responses(dispatcher) == ["utter_suicide_screen_intro_loved_one", "utter_ask_loved_one_suicide_risk"]
    assert dispatcher.messages[1]["person"] == person


@pytest.mark.parametrize("relation, person", [
    ("parent", "su hijo(a)"), ("partner", "su pareja"), ("child", "su papá o su mamá"), ("sibling", "su hermano(a)"),
    ("friend", "su amigo(a)"), ("other", "la persona que le preocupa"), (None, "la persona que le preocupa"),
])
def test_the_loved_one_question_names_the_person_in_the_conversations_language(relation, person, dispatcher, domain):
    """"¿your child ha dicho...?" mixed the languages: the words come from the wording file of the language slot."""
    from actions.intake_form import ActionAskLovedOneSuicideRisk

    slots = {"who_for": "loved_one", "caller_relation": relation, "language": "es"}
    asyncio.run(ActionAskLovedOneSuicideRisk().run(dispatcher, make_tracker("x", slots=slots), domain))
    assert dispatcher.messages[1]["person"] == person


@pytest.mark.parametrize("text", ["español", "/switch_language"])
def test_a_request_for_the_other_language_answers_no_question(text, dispatcher, domain):
    """Not a name, nor anything else: the rules confirm the switch and the question is asked again."""
    for slot in ("first_name", "who_for", "prior_treatment"):
        filled = run_form(asking(text, "switch_language", requested_slot=slot), dispatcher, domain)
        assert filled.get(slot) is None, slot


@pytest.mark.parametrize("intent", ["inform", "faq"])
def test_the_best_time_given_to_the_name_question_is_noted_whatever_the_intent(intent, dispatcher, domain):
    """The persona answers_best_time_when_asked_name: kept for the best time, and said so."""
    tracker = asking("evenings after 6 work best for me", intent, requested_slot="first_name", slots={"who_for": "self"})
    filled = run_form(tracker, dispatcher, domain)
    assert filled["best_time"] == "evening"
    assert filled.get("first_name") is None
    assert responses(dispatcher) == ["utter_other_answer_noted"]

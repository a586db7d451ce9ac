"""The intake form for Rasa: the question table (helpline.intake.questions) as a form validation action.

rasa-sdk looks up ``extract_<slot>`` and ``validate_<slot>`` methods by name; they
are generated below for every question of the table, so a new question needs no
code here. Which questions are asked, when a message is an answer and what it
means are decided in :mod:`helpline.intake.policy`; this module turns those
decisions into slot events and responses, and raises the crisis flag after a
"yes" on the suicide-risk screen.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from helpline import messages
from helpline.intake import handoff, parsers, policy
from helpline.intake.questions import QUESTIONS, question
from helpline.phone import normalize_phone
from helpline.safety import crisis_handoff

REASK_RESPONSES = {
    parsers.EMPTY: "utter_reask_empty",
    parsers.TOO_LONG: "utter_reask_too_long",
    parsers.DIGITS_ONLY: "utter_reask_digits_only",
    parsers.UNCLEAR: "utter_reask_unclear",
    parsers.INVALID: "utter_reask_invalid",
    parsers.BAD_PHONE: "utter_reask_phone",
    parsers.DURATION: "utter_reask_last_use_duration",
}
# A message that filled nothing: what is said before the question is asked again.
UNFILLED_RESPONSES = {
    policy.QUESTION: "utter_question_in_form",
    policy.OTHER_ANSWER_NOTED: "utter_other_answer_noted",
    policy.OTHER_ANSWER: "utter_other_answer_not_this",
    policy.WAIT: "utter_take_your_time",
}
# The screen's own re-ask explains the question again; only these keep the general wording.
SCREEN_GENERAL_REASKS = frozenset({parsers.EMPTY, parsers.TOO_LONG})

Slots = Dict[Text, Any]


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def latest_message(tracker: Tracker) -> policy.Message:
    entities = {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities", [])}
    return policy.Message(text=latest_text(tracker), intent=latest_intent(tracker), entities=entities)


class ValidateIntakeForm(FormValidationAction):
    """The contact questions (``intake_form``); the screening form below shares everything."""

    def name(self) -> Text:
        return "validate_intake_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        return policy.questions_to_ask(domain_slots, tracker.current_slot_values())

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        """rasa-sdk's extraction and validation, plus a word for a message that answered a different question."""
        requested = tracker.get_slot("requested_slot")
        phone_before = tracker.get_slot("callback_phone")
        events = await super().run(dispatcher, tracker, domain)
        if requested and tracker.latest_message.get("text") is not None:
            filled = {e.get("name") for e in events if e.get("event") == "slot" and e.get("value") is not None}
            if requested not in filled:
                # The question is asked again: say first why, when the message was a
                # question, or the answer to another one (kept if that one is this form's).
                noted_slots = filled - {"requested_slot", "answer_words"}
                noted = bool(noted_slots)
                kind = policy.unfilled_reply(requested, latest_message(tracker), noted=noted)
                if noted_slots == {"callback_phone"} and phone_before:
                    kind = None  # a correction: the extraction said "I've updated your phone number"
                if kind is not None:
                    dispatcher.utter_message(response=UNFILLED_RESPONSES[kind])
                    if not noted:
                        # Filling nothing would hand the turn to the dialogue policies, which
                        # have no answer for it: the form keeps it and asks its question again.
                        events.append(SlotSet(requested, None))
        return events

    # --- extraction: one entry point, called per slot by rasa-sdk -----------------

    def answer_for(self, slot: str, tracker: Tracker) -> Slots:
        """The latest message as a candidate answer for ``slot``, or nothing.

        Usually ``slot`` is the question asked. A message that plainly answers
        another, still open question of this form ("evenings" when asked about
        insurance) is kept for that one (:func:`helpline.intake.policy.other_answer`).
        """
        requested = tracker.get_slot("requested_slot")
        if not requested or tracker.latest_message.get("text") is None:
            return {}
        message = latest_message(tracker)
        if requested != slot:
            if tracker.get_slot(slot) is None and policy.other_answer(requested, message) == slot:
                return {slot: message.text}
            return {}
        answer = policy.answer_in(slot, message)
        return {} if answer is None else {slot: answer}

    async def extract_callback_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        answer = self.answer_for("callback_phone", tracker)
        if answer or tracker.get_slot("requested_slot") == "callback_phone":
            return answer
        # A correction at any point: "actually my number is 480 555 0199", "sorry, wrong
        # number! it's 602-555-0202" when asked something else.
        message = latest_message(tracker)
        requested = tracker.get_slot("requested_slot")
        corrects = requested and policy.other_answer(requested, message) == "callback_phone"
        if corrects or (latest_intent(tracker) in ("correct", "inform") and not policy.not_an_answer(message.text or "")):
            phone = normalize_phone(latest_text(tracker))
            if phone and phone != tracker.get_slot("callback_phone"):
                dispatcher.utter_message(response="utter_phone_updated")
                return {"callback_phone": phone}
        return {}

    # --- validation: parse, or say kindly why not and ask again -------------------

    async def validated(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Slots:
        slots = tracker.current_slot_values()
        checked = policy.check(slot, value, latest_message(tracker), slots)
        if checked.positive_screen:
            await self._positive_screen(slot, dispatcher, tracker)
        elif checked.reask == policy.REQUIRED:
            dispatcher.utter_message(response=f"utter_reask_required_{slot}")
        elif checked.reask and question(slot).suicide_screen:
            general = checked.reask in SCREEN_GENERAL_REASKS
            dispatcher.utter_message(response=REASK_RESPONSES[checked.reask] if general else "utter_reask_suicide_screen")
        elif checked.reask:
            dispatcher.utter_message(response=REASK_RESPONSES.get(checked.reask, "utter_reask_unrecognized"))
        if checked.danger_signs:
            dispatcher.utter_message(response="utter_withdrawal_danger")
        filled = {slot: checked.value, **checked.also}
        if checked.value is None:
            return filled
        words = {**(tracker.get_slot("answer_words") or {}), slot: latest_text(tracker)[: parsers.MAX_ANSWER_CHARS]}
        filled["answer_words"] = words
        reference = tracker.get_slot("lead_reference")
        if reference and question(slot).stage == "screening":
            # The lead is stored already: each screening answer updates it at once,
            # so a person who stops later still leaves what they gave.
            update = await asyncio.to_thread(
                handoff.update, reference, {**slots, **filled}, words=words, language=tracker.get_slot("language")
            )
            if update.realerted and not checked.positive_screen:
                dispatcher.utter_message(text=update.promise)
        return filled

    async def _positive_screen(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """The crisis answer first, then what happens next; then the flag for staff (it never delays the answer)."""
        about_loved_one = slot == "loved_one_suicide_risk"
        dispatcher.utter_message(response="utter_crisis_suicide_loved_one" if about_loved_one else "utter_crisis_suicide_self_harm")
        dispatcher.utter_message(response="utter_suicide_screen_positive")
        await asyncio.to_thread(
            crisis_handoff.flag_and_alert,  # never raises
            tracker.sender_id,
            "suicide_self_harm",
            "urgent",
            tracker.get_latest_input_channel(),
            language=tracker.get_slot("language"),
        )


class ValidateScreeningForm(ValidateIntakeForm):
    """The optional screening (``screening_form``), asked after the lead is stored."""

    def name(self) -> Text:
        return "validate_screening_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        """The screening's validation; a new phone number given meanwhile corrects the stored lead's."""
        requested = tracker.get_slot("requested_slot")
        reference = tracker.get_slot("lead_reference")
        message = latest_message(tracker)
        if requested and reference and policy.other_answer(requested, message) == "callback_phone":
            phone = normalize_phone(message.text or "")
            updated: bool = phone is not None and await asyncio.to_thread(handoff.update_phone, reference, phone)
            if updated:
                dispatcher.utter_message(response="utter_phone_updated")
                # The question asked is asked again (filling nothing would end the form's turn).
                return [SlotSet(requested, None)]
        return await super().run(dispatcher, tracker, domain)


# --- one extract_<slot> and validate_<slot> per question (unless written out above) ---------

Extractor = Callable[[ValidateIntakeForm, CollectingDispatcher, Tracker, DomainDict], Awaitable[Slots]]
Validator = Callable[[ValidateIntakeForm, Any, CollectingDispatcher, Tracker, DomainDict], Awaitable[Slots]]


def _extractor(slot: str) -> Extractor:
    async def extract(self: ValidateIntakeForm, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        return self.answer_for(slot, tracker)

    extract.__name__ = extract.__qualname__ = f"extract_{slot}"
    return extract


def _validator(slot: str) -> Validator:
    async def validate(
        self: ValidateIntakeForm, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return await self.validated(slot, value, dispatcher, tracker)

    validate.__name__ = validate.__qualname__ = f"validate_{slot}"
    return validate


for _question in QUESTIONS:
    if f"extract_{_question.slot}" not in vars(ValidateIntakeForm):
        setattr(ValidateIntakeForm, f"extract_{_question.slot}", _extractor(_question.slot))
    setattr(ValidateIntakeForm, f"validate_{_question.slot}", _validator(_question.slot))
del _question


# --- asking the screen: a one-sentence introduction the first time -----------------

def person_by_relation(relation: Optional[str], language: Optional[str]) -> str:
    """How the adapted question names the person the caller is worried about ("your child",
    "su hijo(a)"), in the conversation's language. We do not ask the loved one's name
    (``first_name`` is the caller's, for the call back); an unknown relation, or "other",
    is "the person you're worried about"."""
    words = messages.table("person_by_relation", language=messages.resolve(language))
    return words.get(relation or "", words["someone"])


class ActionAskSuicideWish(Action):
    """C-SSRS Screener item 1, introduced once: we ask everyone, and answering is optional."""

    def name(self) -> Text:
        return "action_ask_suicide_wish"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if tracker.get_slot(policy.SCREEN_REASKED) != "suicide_wish":
            dispatcher.utter_message(response="utter_suicide_screen_intro")
        dispatcher.utter_message(response="utter_ask_suicide_wish")
        return []


class ActionAskLovedOneSuicideRisk(Action):
    """Our adapted question about a loved one (not the validated wording), introduced once."""

    def name(self) -> Text:
        return "action_ask_loved_one_suicide_risk"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if tracker.get_slot(policy.SCREEN_REASKED) != "loved_one_suicide_risk":
            dispatcher.utter_message(response="utter_suicide_screen_intro_loved_one")
        person = person_by_relation(tracker.get_slot("caller_relation"), tracker.get_slot("language"))
        dispatcher.utter_message(response="utter_ask_loved_one_suicide_risk", person=person)
        return []

"""Validation for the intake form: free text or buttons in, normalised answers out.

Every form slot uses a ``custom`` mapping, extracted here from the latest message
for the slot the form asked about. What the caller typed wins over the intent
classifier when the slot's parser understands it ("detox" answering "any prior
treatment?" is an answer, not an FAQ), while a message the parser does not
understand and that the classifier reads as a question or a request to stop is
left to the rules (answer, then come back; or stop). Crisis language always goes
to the rules, whatever the slot, except two answers that are answers: danger
signs given to the withdrawal question, and suicidal thoughts given to the
suicide-risk screen (which the form itself answers with 988/911).

The suicide-risk screen (after the withdrawal question): items 1 and 2 of the
C-SSRS Screener, recent version, when the intake is for the person themselves
(or we do not know for whom); our adapted question when it is for a loved one.
A "yes" gets the crisis answer, a crisis flag for staff, and the rest of the
form asks only what is needed to call back (phone, consent); the lead is then
immediate (helpline.intake.screening). An unclear answer is asked once more, then
stored as "unclear"; "prefer not to say" is stored as "declined".
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from helpline.safety import crisis_handoff

from helpline.intake import parsers as intake
from helpline.phone import normalize_phone
from helpline.intake.screening import DANGER_SIGNS

# Intents that, when the answer is not understood, mean "not an answer".
INTERRUPTIONS = frozenset({"faq", "faq_clarify", "choose_faq_topic", "stop", "bot_challenge", "out_of_scope",
                           "request_callback", "greet"})
ALWAYS_INTERRUPTS = frozenset({"crisis", "possible_risk"})
# A caller may decline these; the rest are needed to call back at all.
OPTIONAL_SLOTS = frozenset({
    "who_for", "contact_permissions", "caller_relation", "first_name", "substances", "last_use", "withdrawal_signs",
    "prior_treatment", "insurance", "insurance_member_id", "state", "best_time",
})
NO_MEMBER_ID_FOR = frozenset({"none", "self-pay", "unknown"})

# The suicide-risk screen: C-SSRS Screener items 1-2 about oneself, or one adapted question about a loved one.
SELF_SCREEN = ("suicide_wish", "suicide_thoughts")
LOVED_ONE_SCREEN = ("loved_one_suicide_risk",)
SCREEN_SLOTS = SELF_SCREEN + LOVED_ONE_SCREEN
# Which screen question was already asked a second time (one re-ask, then "unclear").
SCREEN_REASKED = "screen_reasked"
# After a "yes" on the screen, all that is still asked: what we need to call back.
AFTER_POSITIVE_SCREEN = ("callback_phone", "consent")
# Crisis language that answers a screen question: "yes" (an immediate danger still goes to the crisis rules).
SCREEN_CRISIS_CATEGORIES = frozenset({"suicide_self_harm", "unspecified"})

BAD_PHONE = "bad_phone"
REASK_RESPONSES = {
    intake.EMPTY: "utter_reask_empty",
    intake.TOO_LONG: "utter_reask_too_long",
    intake.DIGITS_ONLY: "utter_reask_digits_only",
    intake.UNCLEAR: "utter_reask_unclear",
    intake.INVALID: "utter_reask_invalid",
}


def understood_despite_intent(slot: str, parsed: intake.Parsed) -> bool:
    """Whether an answer is specific enough to outvote the classifier.

    Names, member IDs and unknown insurers accept almost any text, so a question
    asked in their place ("what is iop?") must not be taken as the answer.
    """
    if not parsed.ok or slot in ("first_name", "insurance_member_id"):
        return False
    return not (slot == "insurance" and str(parsed.value).startswith("other:"))


def withdrawal_history_answer(slot: str, text: str, tracker: Tracker) -> bool:
    """"Seizures" answering the withdrawal question is history, not an emergency now.

    The safety net flags any mention of seizures or hallucinations; when that is
    the answer to "are there signs like seizures...?" the form records it and
    gives the urgent medical advice itself (call 911 if it is happening now).
    Anything the net rates as immediate danger still goes to the crisis rules.
    """
    if slot != "withdrawal_signs" or not intake.parse_withdrawal_signs(text).ok:
        return False
    if latest_intent(tracker) == "possible_risk":
        # The detector was unsure, and the person was answering the question
        # about these very signs: an answer, not a reason for a safety check-in.
        return True
    entities = {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities", [])}
    return entities.get("crisis_category") == "medical_emergency" and entities.get("crisis_severity") == "urgent"


def screen_answer_in_crisis_words(slot: str, text: str, tracker: Tracker) -> bool:
    """"Yes, I think about killing myself" answering a screen question is its answer: yes.

    The form gives the crisis answer and flags the conversation itself, and then
    asks only for a phone number and consent. Crisis language rated immediate
    danger ("...tonight"), of another kind, or with a clear "no" in it still goes
    to the crisis rules.
    """
    if slot not in SCREEN_SLOTS or latest_intent(tracker) != "crisis":
        return False
    entities = {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities", [])}
    if entities.get("crisis_category") not in SCREEN_CRISIS_CATEGORIES or entities.get("crisis_severity") != "urgent":
        return False
    return intake.parse_suicide_screen(text).value in (None, intake.SCREEN_YES)


def screen_positive(tracker: Tracker) -> bool:
    return any(tracker.get_slot(slot) == intake.SCREEN_YES for slot in SCREEN_SLOTS)


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def parse_answer(slot: str, text: str) -> intake.Parsed:
    if slot == "callback_phone":
        if not text.strip():
            return intake.Parsed(reason=intake.EMPTY)
        if len(text) > intake.MAX_ANSWER_CHARS:
            return intake.Parsed(reason=intake.TOO_LONG)
        phone = normalize_phone(text)
        return intake.Parsed(value=phone) if phone else intake.Parsed(reason=BAD_PHONE)
    return intake.parse_slot(slot, text)


class ValidateIntakeForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_intake_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        slots = list(domain_slots)
        who_for = tracker.get_slot("who_for")
        if who_for not in (None, "loved_one"):
            slots.remove("caller_relation")
        # The validated screen is about oneself; someone calling for a loved one gets
        # our adapted question instead. Not known for whom: the screen, as for everyone.
        for slot in SELF_SCREEN if who_for == "loved_one" else LOVED_ONE_SCREEN:
            slots.remove(slot)
        insurance = tracker.get_slot("insurance")
        if insurance in NO_MEMBER_ID_FOR or insurance == intake.SKIPPED:
            slots.remove("insurance_member_id")
        if screen_positive(tracker):
            # Only what we need to call back. The screen questions already answered
            # stay on the list, so that this turn's answer is still validated.
            slots = [s for s in slots if s in AFTER_POSITIVE_SCREEN or (s in SCREEN_SLOTS and tracker.get_slot(s) is not None)]
        return slots

    # --- extraction: one entry point, called per slot by rasa-sdk -----------------

    def _answer_for(self, slot: str, tracker: Tracker) -> Dict[Text, Any]:
        """The latest message as a candidate answer for ``slot``, or nothing."""
        if tracker.get_slot("requested_slot") != slot or tracker.latest_message.get("text") is None:
            return {}
        intent = latest_intent(tracker)
        text = latest_text(tracker)
        if intent == "possible_risk" and understood_despite_intent(slot, parse_answer(slot, text)):
            # The detector was only unsure, and the text is a clear answer to the
            # question asked ("last night" to "when was the last use?").
            return {slot: text}
        if (
            intent in ALWAYS_INTERRUPTS
            and not withdrawal_history_answer(slot, text, tracker)
            and not screen_answer_in_crisis_words(slot, text, tracker)
        ):
            return {}
        if intent == "skip":
            return {slot: intake.SKIPPED}
        if intent in INTERRUPTIONS and not understood_despite_intent(slot, parse_answer(slot, text)):
            return {}
        return {slot: text}

    async def extract_who_for(self, dispatcher, tracker, domain):
        return self._answer_for("who_for", tracker)

    async def extract_caller_relation(self, dispatcher, tracker, domain):
        return self._answer_for("caller_relation", tracker)

    async def extract_first_name(self, dispatcher, tracker, domain):
        return self._answer_for("first_name", tracker)

    async def extract_substances(self, dispatcher, tracker, domain):
        return self._answer_for("substances", tracker)

    async def extract_last_use(self, dispatcher, tracker, domain):
        return self._answer_for("last_use", tracker)

    async def extract_withdrawal_signs(self, dispatcher, tracker, domain):
        return self._answer_for("withdrawal_signs", tracker)

    async def extract_suicide_wish(self, dispatcher, tracker, domain):
        return self._answer_for("suicide_wish", tracker)

    async def extract_suicide_thoughts(self, dispatcher, tracker, domain):
        return self._answer_for("suicide_thoughts", tracker)

    async def extract_loved_one_suicide_risk(self, dispatcher, tracker, domain):
        return self._answer_for("loved_one_suicide_risk", tracker)

    async def extract_prior_treatment(self, dispatcher, tracker, domain):
        return self._answer_for("prior_treatment", tracker)

    async def extract_insurance(self, dispatcher, tracker, domain):
        return self._answer_for("insurance", tracker)

    async def extract_insurance_member_id(self, dispatcher, tracker, domain):
        return self._answer_for("insurance_member_id", tracker)

    async def extract_state(self, dispatcher, tracker, domain):
        return self._answer_for("state", tracker)

    async def extract_callback_phone(self, dispatcher, tracker, domain):
        answer = self._answer_for("callback_phone", tracker)
        if answer or tracker.get_slot("requested_slot") == "callback_phone":
            return answer
        # A correction at any point: "actually my number is 480 555 0199".
        if latest_intent(tracker) in ("correct", "inform"):
            phone = normalize_phone(latest_text(tracker))
            if phone and phone != tracker.get_slot("callback_phone"):
                dispatcher.utter_message(response="utter_phone_updated")
                return {"callback_phone": phone}
        return {}

    async def extract_best_time(self, dispatcher, tracker, domain):
        return self._answer_for("best_time", tracker)

    async def extract_contact_permissions(self, dispatcher, tracker, domain):
        return self._answer_for("contact_permissions", tracker)

    async def extract_consent(self, dispatcher, tracker, domain):
        return self._answer_for("consent", tracker)

    # --- validation: parse, or say kindly why not and ask again -------------------

    def _validated(self, slot: str, value: Any, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
        if value == intake.SKIPPED:
            if slot in OPTIONAL_SLOTS:
                return {slot: intake.SKIPPED}
            dispatcher.utter_message(response=f"utter_reask_required_{slot}")
            return {slot: None}
        if not isinstance(value, str):
            return {slot: value}  # already normalised (a correction, or a re-run)
        parsed = parse_answer(slot, value)
        if parsed.ok:
            return {slot: parsed.value}
        if parsed.reason in (intake.SKIPPED, intake.DONT_KNOW) and slot in OPTIONAL_SLOTS:
            # "I don't have it" / "no idea" answer the question: move on, asking no more.
            return {slot: intake.SKIPPED}
        if parsed.reason == BAD_PHONE:
            dispatcher.utter_message(response="utter_reask_phone")
        else:
            dispatcher.utter_message(response=REASK_RESPONSES.get(parsed.reason, "utter_reask_unrecognized"))
        return {slot: None}

    def validate_who_for(self, value, dispatcher, tracker, domain):
        validated = self._validated("who_for", value, dispatcher)
        if validated["who_for"] == "loved_one":
            # "my son" answers both questions at once.
            relation = intake.parse_caller_relation(latest_text(tracker))
            if relation.ok and relation.value != "other":
                validated["caller_relation"] = relation.value
        return validated

    def validate_caller_relation(self, value, dispatcher, tracker, domain):
        return self._validated("caller_relation", value, dispatcher)

    def validate_first_name(self, value, dispatcher, tracker, domain):
        return self._validated("first_name", value, dispatcher)

    def validate_substances(self, value, dispatcher, tracker, domain):
        return self._validated("substances", value, dispatcher)

    def validate_last_use(self, value, dispatcher, tracker, domain):
        return self._validated("last_use", value, dispatcher)

    def validate_withdrawal_signs(self, value, dispatcher, tracker, domain):
        validated = self._validated("withdrawal_signs", value, dispatcher)
        signs = validated["withdrawal_signs"]
        if isinstance(signs, list) and DANGER_SIGNS.intersection(signs):
            dispatcher.utter_message(response="utter_withdrawal_danger")
        return validated

    async def _validated_screen(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[Text, Any]:
        if value == intake.SKIPPED:
            return {slot: intake.SCREEN_DECLINED}  # "skip" declines; it is not a "no"
        parsed = intake.parse_suicide_screen(value) if isinstance(value, str) else intake.Parsed(reason=intake.UNCLEAR)
        if parsed.value == intake.SCREEN_YES or latest_intent(tracker) == "crisis":
            await self._positive_screen(slot, dispatcher, tracker)
            return {slot: intake.SCREEN_YES}
        if parsed.ok:
            return {slot: parsed.value}
        if tracker.get_slot(SCREEN_REASKED) == slot:
            return {slot: intake.SCREEN_UNCLEAR}  # asked twice: staff ask on the call
        reask = REASK_RESPONSES[parsed.reason] if parsed.reason in (intake.EMPTY, intake.TOO_LONG) else "utter_reask_suicide_screen"
        dispatcher.utter_message(response=reask)
        return {slot: None, SCREEN_REASKED: slot}

    async def _positive_screen(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """The crisis answer first, then what happens next; then the flag for staff (it never delays the answer)."""
        about_loved_one = slot in LOVED_ONE_SCREEN
        dispatcher.utter_message(response="utter_crisis_suicide_loved_one" if about_loved_one else "utter_crisis_suicide_self_harm")
        dispatcher.utter_message(response="utter_suicide_screen_positive")
        await asyncio.to_thread(
            crisis_handoff.flag_and_alert,  # never raises
            tracker.sender_id,
            "suicide_self_harm",
            "urgent",
            tracker.get_latest_input_channel(),
        )

    async def validate_suicide_wish(self, value, dispatcher, tracker, domain):
        return await self._validated_screen("suicide_wish", value, dispatcher, tracker)

    async def validate_suicide_thoughts(self, value, dispatcher, tracker, domain):
        return await self._validated_screen("suicide_thoughts", value, dispatcher, tracker)

    async def validate_loved_one_suicide_risk(self, value, dispatcher, tracker, domain):
        return await self._validated_screen("loved_one_suicide_risk", value, dispatcher, tracker)

    def validate_prior_treatment(self, value, dispatcher, tracker, domain):
        return self._validated("prior_treatment", value, dispatcher)

    def validate_insurance(self, value, dispatcher, tracker, domain):
        return self._validated("insurance", value, dispatcher)

    def validate_insurance_member_id(self, value, dispatcher, tracker, domain):
        return self._validated("insurance_member_id", value, dispatcher)

    def validate_state(self, value, dispatcher, tracker, domain):
        return self._validated("state", value, dispatcher)

    def validate_callback_phone(self, value, dispatcher, tracker, domain):
        return self._validated("callback_phone", value, dispatcher)

    def validate_best_time(self, value, dispatcher, tracker, domain):
        return self._validated("best_time", value, dispatcher)

    def validate_contact_permissions(self, value, dispatcher, tracker, domain):
        return self._validated("contact_permissions", value, dispatcher)

    def validate_consent(self, value, dispatcher, tracker, domain):
        return self._validated("consent", value, dispatcher)


# --- asking the screen: a one-sentence introduction the first time -----------------

# How the adapted question names the person the caller is worried about. We do not
# ask the loved one's name (``first_name`` is the caller's, for the call back).
PERSON_BY_RELATION = {
    "parent": "your child",
    "partner": "your partner",
    "child": "your parent",
    "sibling": "your brother or sister",
    "friend": "your friend",
}
SOMEONE = "the person you're worried about"


class ActionAskSuicideWish(Action):
    """C-SSRS Screener item 1, introduced once: we ask everyone, and answering is optional."""

    def name(self) -> Text:
        return "action_ask_suicide_wish"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if tracker.get_slot(SCREEN_REASKED) != "suicide_wish":
            dispatcher.utter_message(response="utter_suicide_screen_intro")
        dispatcher.utter_message(response="utter_ask_suicide_wish")
        return []


class ActionAskLovedOneSuicideRisk(Action):
    """Our adapted question about a loved one (not the validated wording), introduced once."""

    def name(self) -> Text:
        return "action_ask_loved_one_suicide_risk"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if tracker.get_slot(SCREEN_REASKED) != "loved_one_suicide_risk":
            dispatcher.utter_message(response="utter_suicide_screen_intro_loved_one")
        person = PERSON_BY_RELATION.get(tracker.get_slot("caller_relation"), SOMEONE)
        dispatcher.utter_message(response="utter_ask_loved_one_suicide_risk", person=person)
        return []

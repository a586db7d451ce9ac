"""End of the intake (and of the crisis path's callback form): store the lead and alert staff, or stop without storing anything."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from helpline.intake import handoff
from helpline.intake.policy import SCREEN_REASKED
from helpline.intake.questions import ANSWER_KEYS, QUESTIONS
from helpline.intake.screening import suicide_screen_positive

log = logging.getLogger(__name__)

# Every slot the forms fill, cleared once the screening is over (or the form stopped).
FORM_SLOTS = (*ANSWER_KEYS, *(q.slot for q in QUESTIONS if not q.in_answers), SCREEN_REASKED, "answer_words")


# Contact answers the screening asks by: which screen, whether to ask the relation, and
# whether voicemail and text are still to be asked (the consent answer may have said).
SCREENING_NEEDS = ("who_for", "caller_relation", "contact_permissions")


def cleared_form_slots() -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


def submitting_turn(tracker: Tracker) -> str:
    """Marks the user message that completed the form; a retried action sees the same one."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return str(event.get("timestamp"))
    return "no-user-turn"


async def store_lead(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, crisis_follow_up: bool = False
) -> List[Dict[Text, Any]]:
    """Store the lead from the slots, alert staff, and tell the person what happens next.

    ``crisis_follow_up``: asked for on the crisis path; the lead is immediate.
    """
    try:
        # In a worker thread: while the database is away, submit retries for a
        # few seconds, and other conversations must not wait on that.
        lead = await asyncio.to_thread(
            handoff.submit,
            tracker.current_slot_values(),
            conversation_id=tracker.sender_id,
            turn_marker=submitting_turn(tracker),
            channel=(tracker.get_latest_input_channel() or None),
            consent_text=f"utter_ask_consent answered: {tracker.latest_message.get('text', '')[:200]}",
            crisis_follow_up=crisis_follow_up,
            words=tracker.get_slot("answer_words"),
            language=tracker.get_slot("language"),
        )
    except Exception as exc:
        # Neither the database (after a few seconds of retries) nor the local
        # spool could keep the lead. Keep the answers in the slots so nothing
        # is lost from the conversation, and give the person a way to reach us
        # that does not depend on us. The type only: database errors can quote
        # the row, which is PHI.
        log.error("storing a callback failed for conversation %s: %s", tracker.sender_id, type(exc).__name__)
        dispatcher.utter_message(response="utter_handoff_failed")
        return [SlotSet("lead_on_file", False)]
    # A spooled lead is alerted when it moves into the queue (helpline.queues.lead_spool).
    if lead.created and lead.callback_id is not None:
        handoff.alert_staff_in_background(lead.callback_id)
    if crisis_follow_up:
        response = "utter_crisis_callback_confirmed"
    elif lead.screening.urgency == "immediate":
        response = "utter_handoff_confirmed_immediate"  # a positive suicide-risk screen
    else:
        response = "utter_handoff_confirmed"
    dispatcher.utter_message(response=response, reference=lead.reference, promise=lead.promise, phone_last4=lead.phone_last4)
    if crisis_follow_up:
        return [*cleared_form_slots(), SlotSet("lead_reference", lead.reference)]
    # Stored: the contact answers are cleared (a later request for a call asks again and
    # stores a new lead, never this one twice), except who it is for, which the screening
    # that may follow asks by.
    return [
        *(SlotSet(slot, None) for slot in FORM_SLOTS if slot not in SCREENING_NEEDS),
        SlotSet("lead_reference", lead.reference),
        SlotSet("lead_on_file", True),
    ]


class ActionSubmitIntake(Action):
    def name(self) -> Text:
        return "action_submit_intake"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if tracker.get_slot("consent") is not True:
            dispatcher.utter_message(response="utter_no_consent")
            return [*cleared_form_slots(), SlotSet("lead_on_file", False)]
        return await store_lead(dispatcher, tracker)


class ActionSubmitScreening(Action):
    """The screening is over: its answers are on the lead already (one update per answer); this is the last, and the thanks."""

    def name(self) -> Text:
        return "action_submit_screening"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        slots = tracker.current_slot_values()
        reference = tracker.get_slot("lead_reference")
        if reference:
            # Again, in case an update failed on the way (it never raises; a retried action writes the same).
            await asyncio.to_thread(
                handoff.update, reference, slots, words=tracker.get_slot("answer_words"),
                language=tracker.get_slot("language"),
            )
        positive = suicide_screen_positive(slots)
        dispatcher.utter_message(response="utter_screening_done_immediate" if positive else "utter_screening_done")
        return cleared_form_slots()


class ActionStopIntake(Action):
    def name(self) -> Text:
        return "action_stop_intake"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return [ActiveLoop(None), SlotSet("requested_slot", None), *cleared_form_slots()]

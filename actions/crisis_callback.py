"""The short callback form on the crisis path: only a phone number and consent.

After a crisis answer the person is asked whether they are safe, then offered a
call. A yes (the button, "yes", "ok", "please call me", or a phone number typed
straight away) runs ``action_crisis_callback``, then ``crisis_callback_form``,
which reuses the intake's slots, parsers and validation for ``callback_phone``
and ``consent``; answers the conversation already has (an intake the crisis
interrupted) stay in the slots and go into the lead. The lead is immediate
(``helpline.intake.screening``, R0b). If the conversation already stored a lead that
is still open, no second one is made: it is marked immediate instead.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import cleared_form_slots, store_lead
from actions.intake_form import ValidateIntakeForm, latest_text
from helpline.intake import handoff
from helpline.phone import normalize_phone

log = logging.getLogger(__name__)


class ActionCrisisCallback(Action):
    """The person accepted the offer of a call: mark their stored lead, or start the short form.

    Sets ``lead_on_file`` (a featurized slot the rules branch on): true when the
    conversation's lead is on file and now marked to be called first (or cannot
    be checked: it may wait in the spool), false when the short form must run.
    """

    def name(self) -> Text:
        return "action_crisis_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        reference = tracker.get_slot("lead_reference")
        if reference:
            outcome = await asyncio.to_thread(
                handoff.escalate_for_crisis, reference, language=tracker.get_slot("language")
            )
            if outcome != handoff.CLOSED:
                # Only claim the lead was marked when it was: it may still wait in the spool.
                response = "utter_crisis_callback_on_file" if outcome == handoff.ESCALATED else "utter_crisis_callback_on_file_unchanged"
                dispatcher.utter_message(response=response, reference=reference)
                return [SlotSet("lead_on_file", True)]
            # Staff already closed that one: this is a new request.
        dispatcher.utter_message(response="utter_crisis_callback_start")
        return [SlotSet("lead_on_file", False)]


class ValidateCrisisCallbackForm(ValidateIntakeForm):
    """The intake's extraction and validation, for the two slots of the short form."""

    def name(self) -> Text:
        return "validate_crisis_callback_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        return list(domain_slots)  # callback_phone, consent

    async def extract_callback_phone(self, dispatcher, tracker, domain):
        if tracker.get_slot("requested_slot") is None:
            # Activation: the reply to the offer of a call may itself be the number.
            phone = normalize_phone(latest_text(tracker))
            return {"callback_phone": phone} if phone else {}
        return await super().extract_callback_phone(dispatcher, tracker, domain)


class ActionSubmitCrisisCallback(Action):
    def name(self) -> Text:
        return "action_submit_crisis_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if tracker.get_slot("consent") is not True:
            dispatcher.utter_message(response="utter_crisis_callback_no_consent")
            return cleared_form_slots()
        return await store_lead(dispatcher, tracker, crisis_follow_up=True)

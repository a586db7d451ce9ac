"""Fills facility facts into responses when the bot speaks.

Responses keep Rasa's own format (domain.yml, data/faq_responses.yml, channel
variations and all); this generator only adds the facts from facility.yml as
values for their ``{placeholders}``. The file is re-read when it changes, so a
provider's edit needs neither retraining nor a restart.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Text

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from helpline.facility import FacilityConfigError, load_facility

logger = logging.getLogger(__name__)


class FacilityResponseGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)
        # Fail at start-up, not in the middle of someone's conversation.
        self._last_good_facts = load_facility().placeholders()

    def _facts(self) -> Dict[Text, Text]:
        try:
            self._last_good_facts = load_facility().placeholders()
        except (OSError, FacilityConfigError):
            # A broken edit of the file must not silence the bot: keep answering
            # with the facts that last loaded.
            logger.exception("facility file could not be read; using the facts last loaded")
        return self._last_good_facts

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        values = {**self._facts(), **kwargs}
        return self.generate_from_slots(utter_action, tracker.current_slot_values(), output_channel, **values)

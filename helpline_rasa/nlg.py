"""Fills facility facts into responses when the bot speaks, in the conversation's language.

Responses keep Rasa's own format (domain.yml, data/faq_responses.yml, channel
variations and all); this generator only adds the facts from facility.yml as
values for their ``{placeholders}``. The file is re-read when it changes, so a
provider's edit needs neither retraining nor a restart.

English responses are Rasa's (the domain); another language's live in
``locale/<language>.yml``, same keys and format, and are used when the
conversation's ``language`` slot names that language. A response missing there
falls back to English rather than to silence (``tests/adapters/test_locale.py``
fails the build when one is missing). Each message carries its language
(``"language": "es"``) to the channel.
"""
from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any, Dict, Optional, Text

import yaml
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from helpline import language, messages
from helpline.facility import FacilityConfigError, load_facility

logger = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGE_SLOT = "language"


@cache
def locale_responses(lang: str) -> Dict[Text, Any]:
    """The responses of ``locale/<lang>.yml`` (read once: they ship with the code)."""
    with (LOCALE_DIR / f"{lang}.yml").open(encoding="utf-8") as handle:
        return dict((yaml.safe_load(handle) or {}).get("responses") or {})


class FacilityResponseGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)
        self._by_language: Dict[str, TemplatedNaturalLanguageGenerator] = {
            lang: TemplatedNaturalLanguageGenerator(locale_responses(lang))
            for lang in language.LANGUAGES if lang != language.DEFAULT_LANGUAGE
        }
        # Fail at start-up, not in the middle of someone's conversation.
        self._last_good_facts = {lang: load_facility().placeholders(lang) for lang in language.LANGUAGES}

    def _facts(self, lang: str) -> Dict[Text, Text]:
        try:
            self._last_good_facts[lang] = load_facility().placeholders(lang)
        except (OSError, FacilityConfigError):
            # A broken edit of the file must not silence the bot: keep answering
            # with the facts that last loaded.
            logger.exception("facility file could not be read; using the facts last loaded")
        return self._last_good_facts[lang]

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        lang = tracker.get_slot(LANGUAGE_SLOT)
        generator: TemplatedNaturalLanguageGenerator = self
        if lang in self._by_language and utter_action in self._by_language[lang].responses:
            generator = self._by_language[lang]
        else:
            if lang in self._by_language:
                logger.warning("no %s wording for %s; answering in English", lang, utter_action)
            lang = language.DEFAULT_LANGUAGE
        values = {**self._facts(lang), **kwargs}
        response = generator.generate_from_slots(utter_action, tracker.current_slot_values(), output_channel, **values)
        if response is None:
            return None
        if isinstance(response.get("text"), str):
            # A fact that ends in "p. m." before the sentence's own full stop.
            response["text"] = messages.single_stops(response["text"])
        # Rasa passes keys it does not know to the output channel with the message:
        # the widget switches its own labels, and the SMS channel its keyword replies,
        # to the language the bot speaks.
        response["language"] = lang
        return response

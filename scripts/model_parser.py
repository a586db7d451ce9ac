"""Parse messages with trained models exactly as the Rasa server does (for the report scripts)."""
from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Callable, Dict, Optional

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from helpline import language  # noqa: E402


def pipeline_parser(model: Path) -> Callable[..., dict]:
    """``parse(text, current=None)`` -> Rasa's parse result (intent, ranking, entities, response selector).

    ``model`` is the served archive: each message is read by the model of the language
    its conversation is in after it (``current``: the language before it; None, a first
    message), as helpline_rasa/nlu_router.py does. An archive without a Spanish NLU
    beside it (an older bilingual model, or a language's archive given on its own)
    reads every message.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Rasa's structlog would print every parsed text at debug level.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)

    model = Path(model)
    archives = {lang: language.model_archive(model, lang) for lang in language.LANGUAGES}
    if language.is_language_archive(model) or not all(path.exists() for path in archives.values()):
        print(f"[model_parser] {model.name} reads every message (no per-language archives beside it)", file=sys.stderr)
        archives = {lang: model for lang in language.LANGUAGES}
    agents: Dict[Path, Agent] = {}
    for path in archives.values():
        if path not in agents:
            agents[path] = Agent.load(str(path))
    loop = asyncio.new_event_loop()

    from helpline_rasa.nlu_router import surer_reading

    def parse(text: str, current: Optional[str] = None) -> dict:
        paths = dict.fromkeys(archives[lang] for lang in language.parsing_languages(current, text))
        return surer_reading([loop.run_until_complete(agents[path].parse_message(text)) for path in paths])

    return parse

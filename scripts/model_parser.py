"""Parse messages with a trained model exactly as the Rasa server does (for the report scripts)."""
from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Callable


def pipeline_parser(model: Path) -> Callable[[str], dict]:
    """``parse(text)`` -> Rasa's parse result (intent, ranking, entities, response selector)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Rasa's structlog would print every parsed text at debug level.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    return lambda text: loop.run_until_complete(agent.parse_message(text))

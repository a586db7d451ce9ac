"""``rasa run``, reading messages with the served model when the NLU server cannot.

Rasa builds its message processor in ``rasa.core.agent`` and offers no setting
to choose another class, so this entry point puts
:class:`helpline_rasa.resilient_nlu.ProcessorReadingLocally` in its place and
then runs Rasa's own command line unchanged. Rasa is pinned (3.6.21);
``tests/adapters/test_resilient_nlu.py`` fails if the names it relies on move.

    python -m helpline_rasa.rasa_server run --model models/current.tar.gz ...
"""
from __future__ import annotations

import rasa.core.agent

from helpline_rasa.resilient_nlu import ProcessorReadingLocally


def install() -> None:
    """Rasa's agent builds :class:`ProcessorReadingLocally` from now on."""
    rasa.core.agent.MessageProcessor = ProcessorReadingLocally


def main() -> None:
    from rasa.__main__ import main as rasa_main

    install()
    rasa_main()


if __name__ == "__main__":
    main()

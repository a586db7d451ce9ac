"""Rasa's HTTP layer exactly as ``rasa run`` builds it from an argv, with a stand-in agent.

    python -m tests.adapters.rasa_http_server PORT run --model ... --cors ...

parses the argv with Rasa's own command-line parser, creates the input channels
from its ``--credentials`` and the app with ``rasa.core.run.configure_app``
(CORS, routes, channels: what ``rasa run`` serves), and answers every message
with "<n>: <text>" (n: how many messages its conversation has heard) instead of
loading a model, so CORS and channel wiring, and which conversation a message
landed in, can be tested in seconds.
"""
from __future__ import annotations

import sys
from collections import Counter

from rasa.__main__ import create_argument_parser
from rasa.core import run
from rasa.core.channels.channel import UserMessage


class EchoAgent:
    def __init__(self) -> None:
        self.heard: Counter = Counter()  # conversation id -> messages, a tracker's length in miniature

    async def handle_message(self, message: UserMessage) -> None:
        self.heard[message.sender_id] += 1
        await message.output_channel.send_text_message(message.sender_id, f"{self.heard[message.sender_id]}: {message.text}")


def main() -> None:
    port, argv = int(sys.argv[1]), sys.argv[2:]
    args = create_argument_parser().parse_args(argv)
    channels = run.create_http_input_channels(args.connector, args.credentials)
    app = run.configure_app(channels, cors=args.cors, enable_api=args.enable_api, port=port)
    app.ctx.agent = EchoAgent()
    app.run(host="127.0.0.1", port=port, workers=1, access_log=False)


if __name__ == "__main__":
    main()

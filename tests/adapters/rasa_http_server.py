"""Rasa's HTTP layer exactly as ``rasa run`` builds it from an argv, with a stand-in agent.

    python -m tests.adapters.rasa_http_server PORT run --model ... --cors ...

parses the argv with Rasa's own command-line parser, creates the input channels
from its ``--credentials`` and the app with ``rasa.core.run.configure_app``
(CORS, routes, channels: what ``rasa run`` serves), and answers every message
with "ok" instead of loading a model, so CORS and channel wiring can be tested
in seconds.
"""
from __future__ import annotations

import sys

from rasa.__main__ import create_argument_parser
from rasa.core import run
from rasa.core.channels.channel import UserMessage


class EchoAgent:
    async def handle_message(self, message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "ok")


def main() -> None:
    port, argv = int(sys.argv[1]), sys.argv[2:]
    args = create_argument_parser().parse_args(argv)
    channels = run.create_http_input_channels(args.connector, args.credentials)
    app = run.configure_app(channels, cors=args.cors, enable_api=args.enable_api, port=port)
    app.ctx.agent = EchoAgent()
    app.run(host="127.0.0.1", port=port, workers=1, access_log=False)


if __name__ == "__main__":
    main()

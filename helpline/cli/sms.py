"""SMS commands: ``helpline sms send`` (try texting without Twilio), ``helpline sms opt-outs``.

``sms send`` plays Twilio: it posts the webhook Twilio would post for an
incoming text, signed with the configured auth token (when ``TWILIO_AUTH_TOKEN``
is unset: this install's local secret in ``$HELPLINE_DATA_DIR``, which is then
all the server accepts), and prints the TwiML reply's messages.
"""
from __future__ import annotations

import argparse
import json
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, Optional

from helpline.channels import sms
from helpline.cli.terminal import printable
from helpline.settings import load_settings

WEBHOOK_PATH = "/webhooks/sms/webhook"
# Twilio's magic test number; only used as the "To" of a fake webhook.
DEFAULT_TO = "+15005550006"


def fake_webhook(sender: str, to: str, body: str, message_sid: Optional[str] = None) -> Dict[str, str]:
    """The form fields Twilio posts for an incoming SMS (the ones that matter here)."""
    sid = message_sid or "SM" + secrets.token_hex(16)
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }


def sign(url: str, params: Dict[str, str], token: str) -> str:
    from twilio.request_validator import RequestValidator

    return RequestValidator(token).compute_signature(url, params)


def post_webhook(url: str, params: Dict[str, str], signature: Optional[str], timeout: float = 60) -> tuple[int, str]:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "TwilioProxy/1.1 (helpline sms send)"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", errors="replace")


def send(args: argparse.Namespace) -> int:
    server = args.to_server.rstrip("/")
    signed_base = (args.public_url or server).rstrip("/")
    token = args.auth_token or sms.auth_token().value
    params = fake_webhook(args.sender, args.to, args.text, args.message_sid)
    try:
        status, body = post_webhook(server + WEBHOOK_PATH, params, sign(signed_base + WEBHOOK_PATH, params, token))
    except (urllib.error.URLError, OSError) as exc:
        print(f"error: cannot reach {server}: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return 1
    if status == 403:
        print("error: the server refused the signature (403). Does it have the same TWILIO_AUTH_TOKEN "
              "(or, without one, the same HELPLINE_DATA_DIR), and does --public-url match its "
              "HELPLINE_PUBLIC_URL?", file=sys.stderr)
        return 1
    if status != 200:
        print(f"error: the server answered {status}: {printable(body[:200])}", file=sys.stderr)
        return 1
    # The bot's replies may repeat what a caller typed: no control characters reach the terminal.
    if args.raw:
        print(printable(body, keep_newlines=True))
        return 0
    replies = sms.parse_twiml(body)
    if args.json:
        print(json.dumps({"message_sid": params["MessageSid"], "replies": replies}))
    elif not replies:
        print("(no reply)")
    else:
        print("\n\n".join(printable(reply, keep_newlines=True) for reply in replies))
    return 0


def opt_outs(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from helpline.composition import app_context
    from helpline.store import db
    from helpline.store.sms_models import SqlSmsStore

    context = app_context()
    url = context.database_url
    try:
        store = SqlSmsStore(context.open_database())
        if args.check:
            key = sms.conversation_key(args.check, sms.id_secret().value)
            opted_out = store.is_opted_out(key)
            print("opted out" if opted_out else "not opted out")
            return 0
        entries = store.opt_outs(include_opted_in=args.all)
    except SQLAlchemyError as exc:  # the type only: messages can carry row values
        print(f"error: database {db.display_url(url)}: {type(exc).__name__}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([
            {
                "number": e.masked_number,
                "opted_out": e.opted_out,
                "opted_out_at": e.opted_out_at.isoformat(),
                "opt_out_keyword": e.opt_out_keyword,
                "opted_in_at": e.opted_in_at.isoformat() if e.opted_in_at else None,
                "opt_in_keyword": e.opt_in_keyword,
            }
            for e in entries
        ], indent=2))
        return 0
    if not entries:
        print("No opted-out numbers." if not args.all else "No opt-outs recorded.")
        return 0
    print(f"{'number':<16} {'state':<10} {'opted out (UTC)':<18} {'keyword':<12} {'opted in (UTC)':<18}")
    for e in entries:
        state = "opted out" if e.opted_out else "opted in"
        back_in = e.opted_in_at.strftime("%Y-%m-%d %H:%M") if e.opted_in_at else "-"
        print(f"{printable(e.masked_number):<16} {state:<10} {e.opted_out_at.strftime('%Y-%m-%d %H:%M'):<18} {e.opt_out_keyword:<12} {back_in:<18}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sms", help="try the SMS channel locally; see who opted out of texts")
    commands = parser.add_subparsers(dest="sms_command", metavar="SMS_COMMAND")
    parser.set_defaults(handler=lambda _args: (parser.print_help(), 2)[1])

    settings = load_settings()
    default_server = f"http://localhost:{settings.rasa_port}"
    send_parser = commands.add_parser("send", help="text the bot through a signed fake Twilio webhook and print the reply")
    send_parser.add_argument("text", help="the message, as a texter would type it")
    send_parser.add_argument("--from", dest="sender", required=True, help="the texter's number, e.g. +16025550134")
    send_parser.add_argument("--to-server", default=default_server, help=f"the Rasa server (default {default_server})")
    send_parser.add_argument("--to", default=settings.twilio_from_number or DEFAULT_TO, help="the helpline's SMS number")
    send_parser.add_argument("--public-url", default=settings.public_url,
                             help="the base URL the server checks signatures against (its HELPLINE_PUBLIC_URL)")
    send_parser.add_argument("--auth-token", help="sign with this token (default: TWILIO_AUTH_TOKEN, else this install's local secret)")
    send_parser.add_argument("--message-sid", help="reuse a MessageSid, to see a redelivery de-duplicated")
    send_parser.add_argument("--raw", action="store_true", help="print the TwiML as received")
    send_parser.add_argument("--json", action="store_true", help="print the MessageSid and replies as JSON")
    send_parser.set_defaults(handler=send)

    list_parser = commands.add_parser("opt-outs", help="numbers (masked) that texted STOP, with dates")
    list_parser.add_argument("--all", action="store_true", help="also those who opted back in")
    list_parser.add_argument("--json", action="store_true")
    list_parser.add_argument("--check", metavar="NUMBER", help="only say whether this number is opted out")
    list_parser.set_defaults(handler=opt_outs)

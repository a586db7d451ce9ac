"""How a staff alert reaches a phone: Twilio, or the local outbox, with rounds of retries.

What an alert says is :mod:`helpline.notify.alerts`; which record it is for and
what is recorded afterwards is :mod:`helpline.notify.staff_sms`. This module
knows only numbers and message bodies, so nothing here can leak a record's
details into a log: errors are kept as short summaries without message text
or numbers, and numbers are logged masked.

Without Twilio credentials (or with no staff numbers configured) alerts are
written to the local outbox table instead (``helpline outbox list``).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Protocol, Sequence, Tuple

from sqlalchemy.orm import sessionmaker

from helpline.phone import mask_phone, normalize_phone
from helpline.settings import Settings
from helpline.store.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

ON_CALL = "on-call"  # outbox recipient when no staff numbers are configured
MAX_ERROR_CHARS = 200


class NotifyError(Exception):
    """One send failed. ``summary`` is safe to store (no message text, no numbers)."""

    def __init__(self, summary: str, *, retryable: bool) -> None:
        super().__init__(summary)
        self.summary = summary[:MAX_ERROR_CHARS]
        self.retryable = retryable


class Notifier(Protocol):
    # Value for the record's notification_status once every recipient got it.
    success_status: str

    def send(self, to: str, body: str, *, callback_id: Optional[int] = None) -> str:
        """Deliver ``body`` to ``to``; returns a provider id. Raises :class:`NotifyError`."""
        ...


class TwilioNotifier:
    """SMS through Twilio's REST API (``twilio.rest.Client``)."""

    success_status = "sent"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        http_client: Any = None,
        timeout: float = 10.0,
        api_base_url: str = "",
    ) -> None:
        from twilio.rest import Client

        # The default Twilio client has no timeout: a hung connection would hang the alert.
        http_client = http_client or _twilio_http_client(timeout, api_base_url)
        self._client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number = from_number

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> TwilioNotifier:
        if not settings.twilio_enabled:
            raise ValueError("Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER)")
        kwargs.setdefault("timeout", settings.twilio_timeout_seconds)
        kwargs.setdefault("api_base_url", settings.twilio_api_base_url)
        # twilio_enabled (checked above) means all three are set; mypy cannot see through the property.
        return cls(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from_number, **kwargs)  # type: ignore[arg-type]

    def send(self, to: str, body: str, *, callback_id: Optional[int] = None) -> str:
        import requests
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = self._client.messages.create(to=to, from_=self.from_number, body=body)
        except TwilioRestException as exc:
            # 5xx and 429 are Twilio's or the network's trouble and pass; other 4xx
            # (bad number, bad credentials) will fail the same way every time.
            retryable = exc.status >= 500 or exc.status == 429
            raise NotifyError(f"twilio http {exc.status} code {exc.code}", retryable=retryable) from None
        except requests.RequestException as exc:
            raise NotifyError(f"twilio network error: {type(exc).__name__}", retryable=True) from None
        except TwilioException as exc:
            raise NotifyError(f"twilio error: {type(exc).__name__}", retryable=False) from None
        return str(message.sid)


def _twilio_http_client(timeout: float, api_base_url: str = "") -> Any:
    """Twilio's own HTTP client, optionally sending to ``api_base_url`` instead of Twilio's hosts.

    twilio 8.2 builds every URL from a fixed ``https://<product>.twilio.com``
    base (``twilio.base.domain.Domain``); swapping scheme and host just before
    the request keeps the path, the form body and the auth exactly as Twilio
    would get them, so a stand-in server sees the real traffic.
    """
    from urllib.parse import urlsplit, urlunsplit

    from twilio.http.http_client import TwilioHttpClient

    if not api_base_url:
        return TwilioHttpClient(timeout=timeout)
    base = urlsplit(api_base_url)

    class RebasedHttpClient(TwilioHttpClient):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            parts = urlsplit(url)
            path = base.path.rstrip("/") + parts.path
            return super().request(method, urlunsplit((base.scheme, base.netloc, path, parts.query, "")), *args, **kwargs)

    return RebasedHttpClient(timeout=timeout)


class OutboxNotifier:
    """Keeps the message in the ``outbox_messages`` table instead of sending it."""

    success_status = "outbox"

    def __init__(self, session_factory: sessionmaker, kind: str = "staff_alert") -> None:
        self._session_factory = session_factory
        self.kind = kind

    def send(self, to: str, body: str, *, callback_id: Optional[int] = None) -> str:
        with self._session_factory() as session, session.begin():
            message = OutboxMessage(to=to, body=body, callback_id=callback_id, kind=self.kind, created_at=utcnow())
            session.add(message)
            session.flush()
            return f"outbox-{message.id}"


def usable_numbers(configured: Sequence[str], what: str) -> List[str]:
    """Configured numbers in E.164, each once; unusable entries are skipped (and logged, masked, as ``what``)."""
    numbers: List[str] = []
    for raw in configured:
        number = normalize_phone(raw)
        if number is None:
            log.warning("ignoring %s number %s: not a valid phone number", what, mask_phone(raw))
        elif number not in numbers:
            numbers.append(number)
    return numbers


def staff_recipients(settings: Settings) -> List[str]:
    """Configured staff numbers in E.164; unusable entries are skipped (and logged, masked)."""
    return usable_numbers(settings.staff_sms_to, "staff")


def error_summary(exc: BaseException) -> str:
    """What may be stored and logged about a failed send: never the exception's text, which may quote the message."""
    if isinstance(exc, NotifyError):
        return exc.summary
    return type(exc).__name__[:MAX_ERROR_CHARS]


def recipients_and_notifier(
    settings: Settings, session_factory: sessionmaker, outbox_kind: str, notifier: Optional[Notifier]
) -> Tuple[List[str], Notifier]:
    """Who gets an alert and how: Twilio when configured, else the outbox (addressed to on-call without numbers)."""
    recipients = staff_recipients(settings)
    if not recipients:
        return [ON_CALL], OutboxNotifier(session_factory, outbox_kind)
    if notifier is None:
        notifier = (
            TwilioNotifier.from_settings(settings)
            if settings.twilio_enabled
            else OutboxNotifier(session_factory, outbox_kind)
        )
    return recipients, notifier


@dataclass
class Delivery:
    """What :func:`send_rounds` achieved."""

    delivered: List[str] = field(default_factory=list)
    attempts: int = 0  # rounds made
    last_error: Optional[str] = None
    # Some number failed for a reason that may pass (network, Twilio 5xx/429, an
    # unexpected error); a later run should try it again.
    retryable: bool = False


def send_rounds(
    notifier: Notifier,
    recipients: Sequence[str],
    body: str,
    *,
    what: str,
    rounds: int = 1,
    base_delay: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    callback_id: Optional[int] = None,
) -> Delivery:
    """Send ``body`` to each recipient, retrying those that failed for a passing reason; never raises.

    Up to ``rounds`` rounds, the n-th after ``base_delay * 2**(n-2)`` seconds.
    A permanent error (e.g. an invalid number) drops that number at once.
    ``what`` names the alert in logs ("staff alert for callback CB-..."); it
    must hold no caller details.
    """
    remaining = list(recipients)
    done = Delivery()
    while remaining and done.attempts < rounds:
        if done.attempts:
            sleep(base_delay * 2 ** (done.attempts - 1))
        done.attempts += 1
        retry: List[str] = []
        for to in remaining:
            try:
                notifier.send(to, body, callback_id=callback_id)
            except NotifyError as exc:
                done.last_error = exc.summary
                log.warning("%s to %s failed: %s", what, mask_phone(to) or to, exc.summary)
                if exc.retryable:
                    retry.append(to)
            except Exception as exc:  # a notifier bug or an unexpected library error: retry like a network error
                done.last_error = error_summary(exc)
                log.warning("%s failed: %s", what, done.last_error)
                retry.append(to)
            else:
                done.delivered.append(to)
        remaining = retry
    done.retryable = bool(remaining)
    return done

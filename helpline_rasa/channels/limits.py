"""Rate limits of the public channels on the HTTP side: one :class:`ChannelLimits` per channel.

The counting is :mod:`helpline.channels.rate_limit` (plain Python, why the numbers are
what they are, and why per process is enough behind HAProxy); this module only
finds the keys in a Sanic request or a socket.io connection and answers a
refusal:

- REST: per ``sender`` and per client address; over the limit a **429** with
  ``Retry-After`` and a JSON body whose ``messages`` carry, in the shape of a
  normal reply, the kind notice of :func:`helpline.channels.turn_guard.refusal_notice`
  (helpline, 911, 988);
- socket.io: per connection, per session and per client address; the first
  refused message of a run gets the same notice, later ones nothing;
- SMS: per texter, in :class:`helpline.channels.sms.SmsService` (Twilio's addresses are
  shared by every texter, so no per-address limit there).

The client address is the TCP peer, or, when ``HELPLINE_TRUSTED_PROXY_HOPS``
says proxies of ours sit in front, the one they wrote into X-Forwarded-For
(:func:`helpline.channels.rate_limit.client_ip`).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from helpline.channels import rate_limit, turn_guard
from helpline.settings import Settings, load_settings
from helpline_rasa.channels.collecting import metadata_language


class ChannelLimits:
    """The per-sender and per-address limiters of one channel in this process."""

    def __init__(
        self,
        per_sender: int = rate_limit.PER_SENDER_PER_MINUTE,
        per_ip: int = rate_limit.PER_IP_PER_MINUTE,
        trusted_proxy_hops: int = 0,
        *,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        kwargs: Dict[str, Any] = {"clock": clock} if clock is not None else {}
        self.per_sender = rate_limit.RateLimiter(per_sender, rate_limit.WINDOW_SECONDS, **kwargs)
        self.per_ip = rate_limit.RateLimiter(per_ip, rate_limit.WINDOW_SECONDS, **kwargs)
        self.trusted_proxy_hops = trusted_proxy_hops

    @classmethod
    def from_settings(cls, settings: Optional[Settings] = None) -> ChannelLimits:
        settings = settings or load_settings()
        return cls(settings.rate_limit_per_sender, settings.rate_limit_per_ip, settings.trusted_proxy_hops)

    def client_ip(self, request: Request) -> str:
        forwarded = ",".join(request.headers.getall("x-forwarded-for", []))
        return rate_limit.client_ip(request.ip, forwarded, self.trusted_proxy_hops)

    def check(self, *, ip: Optional[str], senders: tuple = ()) -> rate_limit.Decision:
        """One message from ``ip`` for each of the sender keys (sender id, connection, ...)."""
        checks = [(self.per_sender, key) for key in senders] + [(self.per_ip, ip)]
        return rate_limit.hit_all(checks)


def too_many_response(sender: str, decision: rate_limit.Decision, language: Optional[str] = None) -> HTTPResponse:
    """The REST channel's 429: machine-readable, and a notice a person can read (in ``language``, the widget's)."""
    seconds = decision.retry_after_seconds
    notice = turn_guard.refusal_notice("rest", decision, every_time=True, language=language)
    body = {
        "error": "too many messages; wait before sending again",
        "retry_after": seconds,
        # Shaped like a normal reply, so a client can show it as the bot's answer.
        "messages": [{"recipient_id": sender, "text": notice}],
    }
    return response.json(body, status=429, headers={"Retry-After": str(seconds)})


def guard_socketio(channel: Any, sio: Any, limits: ChannelLimits) -> None:
    """Wrap the socket.io channel's user-message handler, whatever it is, with the limits.

    Keys: the connection (``sid``), the conversation it is bound to (the
    channel's ``sessions``, when it keeps them), and the client address of the
    connection's handshake.
    """
    namespace = channel.namespace or "/"
    event = channel.user_message_evt
    handlers = sio.handlers.setdefault(namespace, {})
    inner: Callable[..., Awaitable[Any]] = handlers[event]

    def address(sid: Text) -> Optional[str]:
        environ = sio.get_environ(sid, namespace=namespace) or {}
        # engine.io's Sanic driver writes REMOTE_ADDR as 127.0.0.1 whatever the
        # peer; the handshake's own request knows better.
        request = environ.get("sanic.request")
        if request is None:
            return environ.get("REMOTE_ADDR")
        return limits.client_ip(request)

    async def limited(sid: Text, data: Any) -> Any:
        session = (getattr(channel, "sessions", None) or {}).get(sid)
        senders = (f"socket:{sid}",) + ((f"session:{session}",) if session else ())
        decision = limits.check(ip=address(sid), senders=senders)
        if not decision.allowed:
            language = metadata_language(data.get(channel.metadata_key)) if isinstance(data, dict) else None
            notice = turn_guard.refusal_notice("socketio", decision, language=language)
            if notice is not None:
                await sio.emit(channel.bot_message_evt, {"text": notice}, room=sid, namespace=namespace)
            return None
        return await inner(sid, data)

    handlers[event] = limited

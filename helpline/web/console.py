"""The staff console (HTML pages) and staff API (JSON), mounted on the web process.

Pages: ``/login``, ``/logout``, ``/callbacks``, ``/callbacks/{id}``, ``/crises``,
``/crises/{id}``, ``/audit``; the claim and close forms post to
``/{queue}/{id}/claim|close``. API under ``/api/staff/``: ``login``, ``logout``,
``callbacks``, ``callbacks/{id}``, ``callbacks/{id}/claim|close``, the same for
``crises``, and ``audit``. ``{id}`` is the numeric id or the reference that
staff SMS carry.

Authentication. Pages use a session cookie set at sign-in: a random token
whose SHA-256 is stored server-side (:mod:`helpline.security.staff_accounts`), so
signing out, disabling an account or resetting its password ends it at once;
HttpOnly, SameSite=Strict, Secure on https, 12 hours. The API takes a bearer
token from ``POST /api/staff/login`` (or the console's cookie). Bearer rather
than HTTP basic auth: with basic auth every call would carry the password and
pay for a deliberately slow scrypt check, browsers would cache and replay it
on their own (a CSRF risk with no way to sign out), and a token can expire and
be revoked without touching the password.

CSRF. Besides SameSite, a state-changing request is refused unless its
``Origin`` (or, lacking that, ``Referer``) is the console's own origin: the
configured ``HELPLINE_CONSOLE_URL`` or the host the request was addressed to. A
request with neither header is accepted only with a bearer token, which no
browser attaches on its own. Pages send ``Referrer-Policy: same-origin``: under
``no-referrer`` browsers send ``Origin: null`` on form posts, which this check
(rightly) refuses.

Pages are Jinja2 templates (``helpline/web/templates``, :mod:`helpline.web.templating`) that
escape every value and run no script at all (CSP ``default-src 'none'``); responses are
``no-store`` since they carry PHI. Times are in the facility's time zone.
Every list, view, claim and close goes into the audit trail as the signed-in
account (:mod:`helpline.security.audit`), source ``console`` or ``api``.

Transcripts. A record's conversation (:mod:`helpline.store.transcripts`: the user and
bot messages from the tracker store, decrypted) is shown only when asked for,
``?transcript=1`` on a detail page or on ``GET /api/staff/{queue}/{id}``, so
opening a record to claim it does not put the whole conversation on screen;
each such read is recorded as ``viewed_transcript`` before it is shown.

Roles. Both ``staff`` and ``admin`` work the queues; the audit trail (``/audit``,
``/api/staff/audit``) is for ``admin`` only (403 otherwise): it tells who
looked at which caller's record when. Sessions end after 30 idle minutes
(:data:`helpline.security.staff_accounts.IDLE_TIMEOUT`); pages also send the browser to
``/login`` after that long, so a console left open does not keep PHI on screen.

Sign-in is throttled per name, per client address and globally
(:mod:`helpline.security.login_throttle`); a refusal is 429 with ``Retry-After``. The
client address is the TCP peer, or with ``HELPLINE_CONSOLE_PROXY_HOPS`` set the
address our own proxies put in ``X-Forwarded-For``.

Language. Each lead and crisis follow-up shows the caller's language (a
Language column, and "Spanish — call back in Spanish" on its page), and both
queues, pages and API alike, filter by it: ``?language=es`` (or ``en``) beside
``?status=``. Records stored before languages were recorded match neither.

Query values and ids that do not parse, or are out of range, are 400 (or 404
for an id), never a 500.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, TypeVar, cast
from urllib.parse import quote, urlsplit

from aiohttp import web
from sqlalchemy.orm import sessionmaker

from helpline.admissions import load_rules
from helpline.channels import rate_limit
from helpline.facility import load_facility
from helpline.integrations import fhir
from helpline.language import LANGUAGES
from helpline.phone import display_phone, mask_phone
from helpline.queues import escalation, labels, lead_work
from helpline.queues.callbacks import LEADS
from helpline.queues.caller_language import LANGUAGE_NAMES
from helpline.queues.crisis_flags import CRISES
from helpline.queues.staff_queue import InvalidTransition, NotFound, QueueError, StaffQueue
from helpline.security import audit, staff_accounts
from helpline.security.staff_accounts import SignedIn
from helpline.settings import load_settings
from helpline.store import db, transcripts
from helpline.store.models import ATTEMPT_OUTCOMES, utcnow
from helpline.store.staff_models import MAX_NAME_CHARS
from helpline.web import queue_view, templating

log = logging.getLogger(__name__)

COOKIE_NAME = "helpline_staff"
DEFAULT_PAGE = "/callbacks"
STATIC_DIR = Path(__file__).resolve().parent / "static"
_SAFE_NEXT = re.compile(r"^/[A-Za-z0-9/_.~%?=&-]*$")
_ID = "{id:[A-Za-z0-9-]{1,20}}"
_UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


Queue = StaffQueue[Any]
# By path: /callbacks, /crises. What each shows is declared with the queue (helpline.queues).
QUEUES: Dict[str, Queue] = {queue.name: queue for queue in (LEADS, CRISES)}


class Console:
    """Where the console's data lives and what its own origin is."""

    def __init__(self, database_url: str, console_url: str, proxy_hops: int = 0, tracker_url: str = "") -> None:
        self.database_url = database_url
        self.console_url = console_url.rstrip("/")
        self.proxy_hops = proxy_hops
        # Where Rasa keeps conversations (transcripts); empty = the settings' default.
        self.tracker_url = tracker_url

    def sessions(self) -> sessionmaker:
        """The session factory, migrating first (once per process); call from a worker thread."""
        db.ensure_schema(self.database_url)
        return db.session_factory(self.database_url)

    async def run(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``func(session_factory, *args, **kwargs)`` in a worker thread: SQLAlchemy and scrypt block."""
        def call() -> Any:
            return func(self.sessions(), *args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(None, call)

    @property
    def https(self) -> bool:
        return self.console_url.startswith("https://")


CONSOLE = web.AppKey("helpline_console", Console)


def _console(request: web.Request) -> Console:
    return request.app[CONSOLE]


# -- origins, cookies, redirects ------------------------------------------------------------------

def _origin_of(url: str) -> Optional[str]:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def own_origins(request: web.Request) -> set:
    origins = {f"{request.scheme}://{request.host}".lower()}
    configured = _origin_of(_console(request).console_url)
    if configured:
        origins.add(configured)
    return origins


def same_origin(request: web.Request, *, bearer: bool) -> bool:
    """CSRF check for a state-changing request; see the module docstring."""
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        if referer is None:
            return bearer
        origin = _origin_of(referer) or "null"
    return origin.strip().lower() in own_origins(request)


def safe_next(value: Optional[str]) -> str:
    """A local path to return to after sign-in; anything else (``//evil``, ``https:...``) becomes the queue."""
    if not value or len(value) > 512 or not _SAFE_NEXT.match(value) or value.startswith("//"):
        return DEFAULT_PAGE
    if value.split("?")[0] in ("/login", "/logout") or value.startswith("/api/"):
        return DEFAULT_PAGE
    return value


def _secure(request: web.Request) -> bool:
    return request.secure or _console(request).https


def _set_cookie(response: web.StreamResponse, request: web.Request, token: str) -> None:
    response.set_cookie(
        COOKIE_NAME, token, max_age=int(staff_accounts.SESSION_LIFETIME.total_seconds()), path="/",
        httponly=True, samesite="Strict", secure=_secure(request),
    )


def _clear_cookie(response: web.StreamResponse, request: web.Request) -> None:
    response.set_cookie(COOKIE_NAME, "", max_age=0, path="/", httponly=True, samesite="Strict",
                        secure=_secure(request))


def client_ip(request: web.Request) -> str:
    """The address sign-in attempts are counted under (see the module docstring)."""
    return rate_limit.client_ip(request.remote, request.headers.get("X-Forwarded-For"),
                                _console(request).proxy_hops)


def _bearer(request: web.Request) -> Optional[str]:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


_ResponseT = TypeVar("_ResponseT", bound=web.StreamResponse)


def _no_store(response: _ResponseT) -> _ResponseT:
    return cast(_ResponseT, templating.no_store(response))


def _redirect(location: str, status: int = 303) -> web.Response:
    response = web.Response(status=status, headers={"Location": location})
    return _no_store(response)


def _login_redirect(request: web.Request) -> web.Response:
    target = request.path_qs
    if request.method != "GET":
        # A form posted to /callbacks/3/claim came from /callbacks/3: go back there.
        target = re.sub(r"/(claim|close|note|attempt|assign|reopen)$", "", request.path)
    return _redirect(f"/login?next={quote(safe_next(target), safe='/')}")


async def _signed_in(request: web.Request, *, api: bool) -> Tuple[Optional[SignedIn], bool]:
    """``(who, by_bearer)``: a bearer token on the API, else the console cookie."""
    console = _console(request)
    token = _bearer(request) if api else None
    if token is not None:
        return await console.run(staff_accounts.resolve_session, token, kind="api"), True
    cookie = request.cookies.get(COOKIE_NAME)
    if cookie:
        return await console.run(staff_accounts.resolve_session, cookie, kind="console"), False
    return None, False


# -- pages (Jinja2 templates, helpline/web/templates) -----------------------------------------------

def _render(request: web.Request, template: str, *, title: str, staff: Optional[SignedIn] = None,
            status: int = 200, **context: Any) -> web.Response:
    return templating.render(template, request, {"title": title, "staff": staff, **context}, status=status)


def _login_form(request: web.Request, next_path: str, *, name: str = "", error: Optional[str] = None,
                status: int = 200) -> web.Response:
    return _render(request, "login.html", title="Sign in", status=status, next_path=next_path, name=name,
                   error=error)


def _message_page(request: web.Request, title: str, message: str, staff: Optional[SignedIn],
                  status: int) -> web.Response:
    return _render(request, "message.html", title=title, staff=staff, status=status, message=message)


def _clock() -> queue_view.Clock:
    return queue_view.Clock(now=utcnow(), facility=load_facility(), rules=load_rules())


_DONE = {
    "claimed": "Claimed. It is yours now.", "closed": "Closed.", "noted": "Note saved.", "called": "Call logged.",
    "assigned": "Assigned.", "reopened": "Reopened: it is back in the queue as new.",
}
_SPEAKER_LABELS = {"person": "Person", "assistant": "Assistant"}


def _history(found: Dict[str, list], clock: queue_view.Clock) -> List[Dict[str, Any]]:
    """Notes and calls in one list, oldest first, as the page shows them."""
    entries = [{"kind": "note", "sort": n.at, "at": clock.local(n.at), "who": n.author, "text": n.body}
               for n in found["notes"]]
    entries += [{"kind": "attempt", "sort": a.at, "at": clock.local(a.at), "who": a.by,
                 "text": labels.words("attempt_outcome", a.outcome)} for a in found["attempts"]]
    return sorted(entries, key=lambda entry: entry["sort"])


def _transcript_view(found: Optional[Dict[str, Any]], clock: queue_view.Clock) -> Optional[Dict[str, Any]]:
    if found is None:
        return None
    messages = [{**m, "at_local": clock.local(datetime.fromisoformat(m["at"]), "%b %-d, %-I:%M:%S %p")
                 if m.get("at") else "-", "speaker_label": _SPEAKER_LABELS.get(m["speaker"], m["speaker"])}
                for m in found.get("messages", [])]
    return {**found, "messages": messages}


async def _detail(
    request: web.Request, queue: Queue, staff: SignedIn, *, transcript: bool = False, done: Optional[str] = None,
    error: Optional[str] = None, status: int = 200,
) -> web.Response:
    """A record's page; the view is audited (``viewed``, and ``viewed_transcript`` when asked for)."""
    try:
        loaded = await _load_detail(request, queue, staff, "console", transcript=transcript)
    except NotFound:
        return _message_page(request, "Not found", f"No {queue.noun} {request.match_info['id']}.", staff, 404)
    record, item = loaded["record"], loaded["item"]
    clock = _clock()
    overdue = escalation.minutes_overdue(record, clock.now, rules=clock.rules, facility=clock.facility)
    is_lead = queue.record_type == "callback"
    phone = getattr(record, "phone_e164", None)
    heading = f"{queue.noun.capitalize()} {item['reference']}"
    return _render(
        request, "detail.html", title=heading, staff=staff, status=status, queue=queue, item=item,
        heading=heading, base=f"/{queue.name}/{item['id']}", done=_DONE.get(done or ""), error=error,
        status_words=labels.words("status", item["status"]), outcome_words=labels.words("outcome", item["outcome"]),
        waiting=queue_view.waiting_text(record, clock, overdue), overdue_minutes=overdue,
        phone=phone, masked_phone=mask_phone(phone), phone_display=display_phone(phone),
        first_name=getattr(record, "first_name", None),
        lines=queue_view.record_lines(queue, record, clock),
        reasons=labels.reasons(item.get("screening_reasons") or []) if is_lead else [],
        answers=queue_view.answer_rows(record) if is_lead else [],
        history=_history(loaded["history"], clock), staff_names=loaded["staff_names"],
        related_leads=loaded["related_leads"], attempt_outcomes=[(o, labels.words("attempt_outcome", o))
                                                                  for o in ATTEMPT_OUTCOMES],
        outcomes=[(o, labels.words("outcome", o)) for o in queue.outcomes],
        max_call_attempts=clock.rules.max_call_attempts, max_note_chars=lead_work.MAX_NOTE_CHARS,
        transcript=_transcript_view(item.get("transcript"), clock), zone=clock.zone_name(),
        no_conversation=transcripts.STATUS_MESSAGES[transcripts.NO_CONVERSATION],
        fhir_enabled=is_lead and clock.rules.fhir_export,
    )


# -- decorators -------------------------------------------------------------------------------------

def page(handler: Callable[[web.Request, SignedIn], Awaitable[web.StreamResponse]]) -> Handler:
    """A console page: signed-in staff only (else to /login), same-origin posts only."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        staff, _ = await _signed_in(request, api=False)
        if staff is None:
            return _login_redirect(request)
        if request.method in _UNSAFE_METHODS and not same_origin(request, bearer=False):
            return _message_page(request, "Refused", "This form was not sent from the staff console.", staff, 403)
        return await handler(request, staff)

    return wrapper


def _json_error(status: int, message: str) -> web.Response:
    response = web.json_response({"error": message}, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="helpline-staff"'
    return _no_store(response)


def api(handler: Callable[[web.Request, SignedIn], Awaitable[web.StreamResponse]]) -> Handler:
    """A staff API call: bearer token or console cookie (else 401 JSON), same-origin when a browser sends it."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        staff, by_bearer = await _signed_in(request, api=True)
        if staff is None:
            return _json_error(401, "authentication required")
        if request.method in _UNSAFE_METHODS and not same_origin(request, bearer=by_bearer):
            return _json_error(403, "cross-origin request refused")
        try:
            return _no_store(await handler(request, staff))
        except NotFound as exc:
            return _json_error(404, str(exc))
        except InvalidTransition as exc:
            return _json_error(409, str(exc))
        except (QueueError, ValueError) as exc:
            return _json_error(400, str(exc))

    return wrapper


# -- the work both the pages and the API do (always audited) -------------------------------------------

async def _list(
    request: web.Request, queue: Queue, staff: SignedIn, source: str
) -> Tuple[List[Dict[str, Any]], Optional[str], Optional[str]]:
    """The queue as the query filters it, audited as ``listed``: ``(items, status, language)``."""
    status = request.query.get("status") or None
    if status is not None and status not in queue.statuses:
        raise ValueError(f"status must be one of {', '.join(queue.statuses)}")
    language = request.query.get("language") or None
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")

    def work(factory: sessionmaker) -> List[Dict[str, Any]]:
        items = [queue.to_dict(r) for r in queue.list(factory, status=status)]
        if language is not None:
            # Here rather than in the query: StaffQueue.list filters by status only, and a
            # working queue is short.
            items = [item for item in items if item["language"] == language]
        detail = f"count={len(items)}" + (f" status={status}" if status else "") + (
            f" language={language}" if language else "")
        audit.record(factory, actor=staff.name, action="listed", record_type=queue.record_type,
                     detail=detail, source=source)
        return items

    return await _console(request).run(work), status, language


_YES = ("1", "true", "yes")
_NO = ("", "0", "false", "no")


def _wants_transcript(request: web.Request) -> bool:
    value = request.query.get("transcript", "").strip().lower()
    if value not in _YES + _NO:
        raise ValueError("transcript must be 1 (show the conversation) or 0")
    return value in _YES


async def _show(
    request: web.Request, queue: Queue, staff: SignedIn, source: str, *, transcript: bool = False
) -> Dict[str, Any]:
    """The record (audited as ``viewed``) and, with ``transcript``, its conversation (audited as ``viewed_transcript``)."""
    tracker_url = _console(request).tracker_url or None

    def work(factory: sessionmaker) -> Dict[str, Any]:
        item = queue.to_dict(queue.get(factory, request.match_info["id"]))
        audit.record(factory, actor=staff.name, action="viewed", record_type=queue.record_type,
                     reference=item["reference"], source=source)
        if transcript:
            item["transcript"] = transcripts.read_and_record(
                factory, conversation_id=item.get("conversation_id"), record_type=queue.record_type,
                reference=item["reference"], actor=staff.name, source=source, tracker_url=tracker_url,
            ).to_dict()
        return item

    return await _console(request).run(work)


async def _claim(request: web.Request, queue: Queue, staff: SignedIn, source: str) -> Dict[str, Any]:
    def work(factory: sessionmaker) -> Dict[str, Any]:
        record = audit.transition(queue.claim, factory, request.match_info["id"], staff.name,
                                  actor=staff.name, action="claimed", record_type=queue.record_type, source=source)
        return queue.to_dict(record)

    return await _console(request).run(work)


async def _close(request: web.Request, queue: Queue, staff: SignedIn, source: str, outcome: str) -> Dict[str, Any]:
    if outcome not in queue.outcomes:
        raise ValueError(f"outcome must be one of {', '.join(queue.outcomes)}")

    def work(factory: sessionmaker) -> Dict[str, Any]:
        record = audit.transition(queue.close, factory, request.match_info["id"], outcome,
                                  actor=staff.name, action="closed", record_type=queue.record_type, source=source,
                                  detail=f"outcome={outcome}")
        return queue.to_dict(record)

    return await _console(request).run(work)


async def _load_detail(request: web.Request, queue: Queue, staff: SignedIn, source: str, *,
                       transcript: bool) -> Dict[str, Any]:
    """Everything a record's page shows, read in one worker call; audited as :func:`_show` is."""
    tracker_url = _console(request).tracker_url or None
    record_id = request.match_info["id"]

    def work(factory: sessionmaker) -> Dict[str, Any]:
        record = queue.get(factory, record_id)
        audit.record(factory, actor=staff.name, action="viewed", record_type=queue.record_type,
                     reference=record.reference, source=source)
        item = queue.to_dict(record)
        if transcript:
            item["transcript"] = transcripts.read_and_record(
                factory, conversation_id=item.get("conversation_id"), record_type=queue.record_type,
                reference=item["reference"], actor=staff.name, source=source, tracker_url=tracker_url,
            ).to_dict()
        return {
            "record": record, "item": item, "history": lead_work.history(factory, queue, record.id),
            "staff_names": _active_staff(factory),
            "related_leads": queue_view.related_leads(factory, record) if queue is CRISES else [],
        }

    return await _console(request).run(work)


def _active_staff(factory: sessionmaker) -> List[str]:
    return [account.name for account in staff_accounts.list_accounts(factory) if not account.disabled]


async def _work(request: web.Request, queue: Queue, change: Callable[[sessionmaker], Any]) -> Dict[str, Any]:
    def work(factory: sessionmaker) -> Dict[str, Any]:
        return queue.to_dict(change(factory))

    return await _console(request).run(work)


async def _note(request: web.Request, queue: Queue, staff: SignedIn, source: str, body: str) -> Dict[str, Any]:
    return await _work(request, queue, lambda factory: lead_work.add_note(
        factory, queue, request.match_info["id"], body, author=staff.name, source=source))


async def _attempt(request: web.Request, queue: Queue, staff: SignedIn, source: str, outcome: str) -> Dict[str, Any]:
    rules = load_rules()
    return await _work(request, queue, lambda factory: lead_work.log_attempt(
        factory, queue, request.match_info["id"], outcome, by=staff.name, rules=rules, source=source))


async def _assign(request: web.Request, queue: Queue, staff: SignedIn, source: str, to: str) -> Dict[str, Any]:
    # Account names are lower case; "Ana" is ana, as at sign-in (and in the CLI).
    name = to.strip().lower()
    return await _work(request, queue, lambda factory: lead_work.assign(
        factory, queue, request.match_info["id"], name, by=staff.name, known_staff=_active_staff(factory),
        source=source))


async def _reopen(request: web.Request, queue: Queue, staff: SignedIn, source: str) -> Dict[str, Any]:
    return await _work(request, queue, lambda factory: lead_work.reopen(
        factory, queue, request.match_info["id"], by=staff.name, source=source))


# -- pages ------------------------------------------------------------------------------------------

async def login_page(request: web.Request) -> web.StreamResponse:
    next_path = safe_next(request.query.get("next"))
    staff, _ = await _signed_in(request, api=False)
    if staff is not None:
        return _redirect(next_path)
    return _login_form(request, next_path)


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"


async def login_submit(request: web.Request) -> web.StreamResponse:
    if not same_origin(request, bearer=False):
        return _message_page(request, "Refused", "This form was not sent from the staff console.", None, 403)
    form = await request.post()
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")))
    console = _console(request)
    result = await console.run(staff_accounts.authenticate, name, password, source="console",
                               client_ip=client_ip(request))
    if result.throttled:
        response = _login_form(request, next_path, name=name, status=429,
                               error=f"Too many sign-in attempts. Try again in {_wait_text(result.retry_after)}.")
        response.headers["Retry-After"] = str(result.retry_after)
        return response
    if not result.ok:
        return _login_form(request, next_path, name=name, status=401, error="That name and password do not match an account.")
    old = request.cookies.get(COOKIE_NAME)
    if old:  # never keep a session that existed before sign-in (fixation)
        await console.run(staff_accounts.end_session, old)
    token, _ = await console.run(staff_accounts.create_session, result.account, kind="console")
    response = _redirect(next_path)
    _set_cookie(response, request, token)
    return response


async def logout_page(request: web.Request) -> web.StreamResponse:
    staff, _ = await _signed_in(request, api=False)
    if staff is None:
        return _redirect("/login")
    return _render(request, "logout.html", title="Sign out", staff=staff)


async def logout_submit(request: web.Request) -> web.StreamResponse:
    if not same_origin(request, bearer=False):
        return _message_page(request, "Refused", "This form was not sent from the staff console.", None, 403)
    console = _console(request)
    token = request.cookies.get(COOKIE_NAME)
    staff, _ = await _signed_in(request, api=False)
    if staff is not None:
        await console.run(staff_accounts.end_session, token)
        await console.run(audit.record, actor=staff.name, action="logout", record_type="staff_account",
                          source="console")
    response = _redirect("/login")
    _clear_cookie(response, request)
    return response


def _queue_of(request: web.Request) -> Queue:
    return QUEUES[request.match_info["queue"]]


@page
async def queue_page(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    queue = _queue_of(request)
    try:
        filters = queue_view.Filters.from_query(request.query, queue)
    except ValueError as exc:
        return _message_page(request, "Bad filter", str(exc), staff, 400)
    clock = _clock()

    def work(factory: sessionmaker) -> Tuple[queue_view.QueuePage, int]:
        found = queue_view.queue_page(factory, queue, filters, staff.name, clock)
        audit.record(factory, actor=staff.name, action="listed", record_type=queue.record_type,
                     detail=f"count={len(found.rows)} {filters.audit_detail()}", source="console")
        # As in the CLI: open records of the queue worked first (crisis follow-ups before leads).
        return found, queue.behind.count_open(factory) if queue.behind is not None else 0

    found, open_first = await _console(request).run(work)
    pressing_key, pressing_values = queue.pressing
    return _render(
        request, "queue.html", title=queue.title, staff=staff, queue=queue, page=found, open_first=open_first,
        status_filters=queue_view.STATUS_FILTERS, pressing_label=pressing_key.capitalize(),
        pressing_choices=[(v, labels.words(pressing_key, v)) for v in pressing_values],
        channel_choices=list(queue_view.CHANNEL_NAMES.items()),
        language_choices=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES], zone=clock.zone_name(),
    )


@page
async def detail_page(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    queue = _queue_of(request)
    try:
        transcript = _wants_transcript(request)
    except ValueError as exc:
        return _message_page(request, "Bad request", str(exc), staff, 400)
    return await _detail(request, queue, staff, transcript=transcript, done=request.query.get("done"))


async def _after_change(request: web.Request, staff: SignedIn, change: Callable[[], Awaitable[Dict[str, Any]]],
                        done: str) -> web.StreamResponse:
    queue = _queue_of(request)
    try:
        item = await change()
    except NotFound:
        return _message_page(request, "Not found", f"No {queue.noun} {request.match_info['id']}.", staff, 404)
    except (QueueError, ValueError) as exc:
        return await _detail(request, queue, staff, error=str(exc),
                             status=409 if isinstance(exc, QueueError) else 400)
    # Post/redirect/get: a reload does not post the form again.
    return _redirect(f"/{queue.name}/{item['id']}?done={done}")


async def _form_value(request: web.Request, key: str) -> str:
    return str((await request.post()).get(key, ""))


@page
async def claim_submit(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    return await _after_change(request, staff, lambda: _claim(request, _queue_of(request), staff, "console"), "claimed")


@page
async def close_submit(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    outcome = await _form_value(request, "outcome")
    return await _after_change(
        request, staff, lambda: _close(request, _queue_of(request), staff, "console", outcome), "closed"
    )


@page
async def note_submit(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    body = await _form_value(request, "body")
    return await _after_change(request, staff, lambda: _note(request, _queue_of(request), staff, "console", body),
                               "noted")


@page
async def attempt_submit(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    outcome = await _form_value(request, "outcome")
    return await _after_change(
        request, staff, lambda: _attempt(request, _queue_of(request), staff, "console", outcome), "called")


@page
async def assign_submit(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    to = await _form_value(request, "to")
    return await _after_change(request, staff, lambda: _assign(request, _queue_of(request), staff, "console", to),
                               "assigned")


@page
async def reopen_submit(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    return await _after_change(request, staff, lambda: _reopen(request, _queue_of(request), staff, "console"),
                               "reopened")


def _audit_limit(value: Optional[str]) -> int:
    if not value:
        return audit.DEFAULT_LIMIT
    # Only ASCII digits: str.isdigit() also takes "²", which int() refuses.
    if not re.fullmatch(r"[0-9]{1,6}", value) or not 1 <= int(value) <= audit.MAX_LIMIT:
        raise ValueError(f"limit must be a whole number from 1 to {audit.MAX_LIMIT}")
    return int(value)


def _short_filter(query: Any, key: str) -> Optional[str]:
    value = query.get(key) or None
    if value is not None and len(value) > MAX_NAME_CHARS:
        # Nothing longer is ever stored (actor and reference are at most this long).
        raise ValueError(f"{key} must be at most {MAX_NAME_CHARS} characters")
    return value


def _admin_only(staff: SignedIn) -> Optional[str]:
    """Why ``staff`` may not read the audit trail, or ``None`` if they may."""
    return None if staff.is_admin else "the audit trail is for administrators"


async def _audit_events(request: web.Request, staff: SignedIn, source: str) -> List[audit.Event]:
    query = request.query
    since = audit.parse_since(query["since"]) if query.get("since") else None
    action = query.get("action") or None
    if action is not None and action not in audit.ACTIONS:
        raise ValueError(f"action must be one of {', '.join(audit.ACTIONS)}")
    record_type = query.get("record_type") or None
    if record_type is not None and record_type not in audit.ALL_RECORD_TYPES:
        raise ValueError(f"record_type must be one of {', '.join(audit.ALL_RECORD_TYPES)}")
    limit = _audit_limit(query.get("limit"))
    actor, reference = _short_filter(query, "actor"), _short_filter(query, "reference")

    def work(factory: sessionmaker) -> List[audit.Event]:
        events = audit.list_events(factory, since=since, actor=actor, action=action, record_type=record_type,
                                   reference=reference, limit=limit)
        audit.record(factory, actor=staff.name, action="listed", record_type="audit",
                     detail=f"count={len(events)}", source=source)
        return events

    return await _console(request).run(work)


@page
async def audit_page(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    refusal = _admin_only(staff)
    if refusal:
        return _message_page(request, "Not allowed", f"Sorry, {refusal}.", staff, 403)
    try:
        events = await _audit_events(request, staff, "console")
    except ValueError as exc:
        return _message_page(request, "Bad filter", str(exc), staff, 400)
    clock = _clock()
    shown = [{**ev.to_dict(), "at": clock.local(ev.at, "%Y-%m-%d %-I:%M:%S %p")} for ev in events]
    query = {key: request.query.get(key, "") for key in ("since", "actor", "reference")}
    return _render(request, "audit.html", title="Audit trail", staff=staff, events=shown, query=query,
                   zone=clock.zone_name())


async def stylesheet(_: web.Request) -> web.Response:
    response = web.Response(body=(STATIC_DIR / "console.css").read_bytes(), content_type="text/css", charset="utf-8")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


async def no_icon(_: web.Request) -> web.Response:
    # Browsers ask for it on every page; an empty answer keeps a 404 out of their consoles.
    return web.Response(status=204, headers={"Cache-Control": "public, max-age=86400"})


# -- API --------------------------------------------------------------------------------------------

async def _body(request: web.Request) -> Dict[str, Any]:
    if request.content_type == "application/json":
        try:
            value = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ValueError("the body is not valid JSON") from None
        if not isinstance(value, dict):
            raise ValueError("the body must be a JSON object")
        return value
    return dict(await request.post())


async def api_login(request: web.Request) -> web.StreamResponse:
    # No cookie is involved, but a browser page elsewhere must not sign in here either.
    if not same_origin(request, bearer=True):
        return _json_error(403, "cross-origin request refused")
    try:
        body = await _body(request)
    except ValueError as exc:
        return _json_error(400, str(exc))
    console = _console(request)
    result = await console.run(staff_accounts.authenticate, str(body.get("name", "")),
                               str(body.get("password", "")), source="api", client_ip=client_ip(request))
    if result.throttled:
        response = _json_error(429, f"too many sign-in attempts; try again in {_wait_text(result.retry_after)}")
        response.headers["Retry-After"] = str(result.retry_after)
        return response
    if not result.ok:
        return _json_error(401, "name or password is incorrect")
    token, expires_at = await console.run(staff_accounts.create_session, result.account, kind="api")
    return _no_store(web.json_response({
        "token": token, "token_type": "Bearer", "name": result.account.name, "role": result.account.role,
        "expires_at": expires_at.isoformat(timespec="seconds"),
        "idle_timeout_seconds": int(staff_accounts.IDLE_TIMEOUT.total_seconds()),
    }))


@api
async def api_logout(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    console = _console(request)
    await console.run(staff_accounts.end_session, _bearer(request) or request.cookies.get(COOKIE_NAME))
    await console.run(audit.record, actor=staff.name, action="logout", record_type="staff_account", source="api")
    return web.json_response({"status": "signed out"})


@api
async def api_list(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    items, _, _ = await _list(request, _queue_of(request), staff, "api")
    return web.json_response(items)


@api
async def api_show(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    return web.json_response(
        await _show(request, _queue_of(request), staff, "api", transcript=_wants_transcript(request))
    )


@api
async def api_claim(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    return web.json_response(await _claim(request, _queue_of(request), staff, "api"))


@api
async def api_close(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    body = await _body(request)
    return web.json_response(await _close(request, _queue_of(request), staff, "api", str(body.get("outcome", ""))))


@api
async def api_note(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    body = await _body(request)
    return web.json_response(await _note(request, _queue_of(request), staff, "api", str(body.get("body", ""))))


@api
async def api_attempt(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    body = await _body(request)
    return web.json_response(
        await _attempt(request, _queue_of(request), staff, "api", str(body.get("outcome", ""))))


@api
async def api_assign(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    body = await _body(request)
    return web.json_response(await _assign(request, _queue_of(request), staff, "api", str(body.get("to", ""))))


@api
async def api_reopen(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    return web.json_response(await _reopen(request, _queue_of(request), staff, "api"))


@api
async def api_fhir(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    """A lead as a FHIR R4 Bundle (helpline.integrations.fhir); off unless facility.yml turns FHIR export on."""
    if not load_rules().fhir_export:
        return _json_error(404, "FHIR export is off for this facility (facility.yml integrations.fhir_export)")
    record_id = request.match_info["id"]

    def work(factory: sessionmaker) -> str:
        item = LEADS.to_dict(LEADS.get(factory, record_id))
        # Recorded before it is handed out, as every read is.
        audit.record(factory, actor=staff.name, action="exported", record_type=LEADS.record_type,
                     reference=item["reference"], detail="format=fhir", source="api")
        return fhir.lead_bundle_json(item)

    body = await _console(request).run(work)
    return web.Response(text=body, content_type="application/fhir+json", headers={
        "Content-Disposition": f'attachment; filename="lead-{record_id}.fhir.json"'})


@api
async def api_audit(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    refusal = _admin_only(staff)
    if refusal:
        return _json_error(403, refusal)
    events = await _audit_events(request, staff, "api")
    return web.json_response([ev.to_dict() for ev in events])


def setup(
    app: web.Application, *, database_url: Optional[str] = None, console_url: Optional[str] = None,
    tracker_url: Optional[str] = None,
) -> None:
    """Add the console and API routes to ``app`` (the web process); nothing touches the database until used.

    ``tracker_url`` is where the Rasa server keeps conversations (``HELPLINE_TRACKER_URL``, by default
    ``tracker.db`` in the data directory): the same setting on the web process as on the Rasa server.
    """
    settings = load_settings()
    app[CONSOLE] = Console(database_url or settings.effective_database_url, console_url or settings.console_base_url,
                           settings.console_proxy_hops, tracker_url or settings.effective_tracker_url)
    queues = "{queue:" + "|".join(QUEUES) + "}"
    from helpline.web import reports_page  # it builds on this module's sign-in (page)

    templating.setup(app)
    reports_page.setup(app)
    router = app.router
    router.add_get("/login", login_page)
    router.add_post("/login", login_submit)
    router.add_get("/logout", logout_page)
    router.add_post("/logout", logout_submit)
    router.add_get("/audit", audit_page)
    router.add_get("/static/console.css", stylesheet)
    router.add_get("/favicon.ico", no_icon)
    router.add_get(f"/{queues}", queue_page)
    router.add_get(f"/{queues}/{_ID}", detail_page)
    router.add_post(f"/{queues}/{_ID}/claim", claim_submit)
    router.add_post(f"/{queues}/{_ID}/close", close_submit)
    for action, handler in (("note", note_submit), ("attempt", attempt_submit), ("assign", assign_submit),
                            ("reopen", reopen_submit)):
        router.add_post(f"/{queues}/{_ID}/{action}", handler)
    router.add_post("/api/staff/login", api_login)
    router.add_post("/api/staff/logout", api_logout)
    router.add_get("/api/staff/audit", api_audit)
    router.add_get(f"/api/staff/{queues}", api_list)
    router.add_get(f"/api/staff/{queues}/{_ID}", api_show)
    router.add_get(f"/api/staff/callbacks/{_ID}/fhir", api_fhir)
    router.add_post(f"/api/staff/{queues}/{_ID}/claim", api_claim)
    router.add_post(f"/api/staff/{queues}/{_ID}/close", api_close)
    for action, handler in (("notes", api_note), ("attempts", api_attempt), ("assign", api_assign),
                            ("reopen", api_reopen)):
        router.add_post(f"/api/staff/{queues}/{_ID}/{action}", handler)

"""The support console's web routes, on the same aiohttp app as the chat page
(``/console``): signing in and out, the session cookie, CSRF tokens, roles, and
the supervisor's audit log. Server-rendered Jinja2 templates
(``web/templates/console/``, autoescaped), no JavaScript.

- Every route but the sign-in page needs a live session (:func:`require_session`):
  a page redirects to the sign-in page, anything else gets 401.
- Every POST carries the session's CSRF token in a ``csrf_token`` field (the
  sign-in form, before there is a session, a double-submit token kept in a
  short-lived cookie); a missing or wrong one gets 403 and changes nothing.
- The session cookie is HttpOnly, SameSite=Strict, path ``/console``, and Secure
  when the request came over TLS (directly or as ``X-Forwarded-Proto: https``
  from the proxy in front).
- A route needs a :class:`~bot.console.accounts.Permission`; an agent asking for a
  supervisor's page gets 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import sessionmaker

from bot import handoff
from bot.console import accounts, analytics, conversations, exports, nlu_inbox, relay
from bot.console.accounts import Permission
from bot.db.engine import create_async_engine_for
from bot.db.models import (
    AuditEntry,
    HandoffMessageKind,
    HandoffRequest,
    HandoffStatus,
    StaffRole,
    utcnow,
)

log = logging.getLogger(__name__)

SESSION_COOKIE = "msaidizi_console"
LOGIN_CSRF_COOKIE = "msaidizi_console_login"
PREFIX = "/console"

TEMPLATES_KEY = web.AppKey("console_templates", jinja2.Environment)
DATABASES_KEY = web.AppKey("console_databases", object)
RELAY_KEY = web.AppKey("console_relay", relay.RasaRelay)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
routes = web.RouteTableDef()


def is_secure(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


#: Proxies whose X-Real-IP header is believed (make run-prod's nginx runs on this
#: machine and sets it to the address it was connected from).
TRUSTED_PROXIES = frozenset({"127.0.0.1", "::1"})


def client_address(request: web.Request) -> str | None:
    """The signing-in client's address, for throttling: behind a proxy on this
    machine, the address the proxy saw (its X-Real-IP), else the connection's. A
    client talking to the app directly cannot choose its address this way."""
    remote = request.remote
    forwarded = request.headers.get("X-Real-IP", "").strip()
    if remote in TRUSTED_PROXIES and forwarded:
        return forwarded[:64]
    return remote


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    console_session = request.get("console_session")
    page = (
        request.app[TEMPLATES_KEY]
        .get_template(f"console/{template}")
        .render(
            account=console_session.account if console_session else None,
            role=getattr(console_session.account.role, "value", console_session.account.role)
            if console_session
            else "",
            csrf_token=context.pop("csrf_token", None)
            or (console_session.csrf_token if console_session else ""),
            can=lambda permission: (
                console_session is not None and accounts.can(console_session.account, permission)
            ),
            **context,
        )
    )
    response = web.Response(text=page, content_type="text/html", status=status)
    # Pages with officers' data or a session's token are never cached.
    response.headers["Cache-Control"] = "no-store"
    return response


async def _form(request: web.Request) -> dict[str, str]:
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}


@web.middleware
async def console_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sessions and CSRF for everything under /console."""
    if request.path != PREFIX and not request.path.startswith(f"{PREFIX}/"):
        return await handler(request)
    if request.path == f"{PREFIX}/login":
        return await handler(request)
    async with _sessions(request.app)() as db:
        console_session = await accounts.session_for(db, request.cookies.get(SESSION_COOKIE))
        await db.commit()
    if console_session is None:
        if request.method == "GET":
            raise web.HTTPSeeOther(f"{PREFIX}/login")
        raise web.HTTPUnauthorized(text="Sign in first.")
    if request.method == "POST":
        form = await _form(request)
        if not accounts.check_csrf(console_session, form.get("csrf_token")):
            raise web.HTTPForbidden(text="This form has expired. Reload the page and try again.")
        request["form"] = form
    request["console_session"] = console_session
    return await handler(request)


def require(permission: Permission) -> Callable[[Handler], Handler]:
    """A route only for accounts with ``permission`` (403 for the others)."""

    def decorate(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            console_session = request.get("console_session")
            if console_session is None or not accounts.can(console_session.account, permission):
                raise web.HTTPForbidden(text="Your role cannot open this page.")
            return await handler(request)

        return guarded

    return decorate


@routes.get(f"{PREFIX}/login")
async def login_page(request: web.Request) -> web.Response:
    return _login_form(request)


def _login_form(
    request: web.Request, status: int = 200, error: str | None = None, username: str = ""
) -> web.Response:
    """The sign-in page with a fresh double-submit CSRF token (field and cookie)."""
    token = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", status=status, csrf_token=token, error=error, username=username
    )
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=1800)
    return response


@routes.post(f"{PREFIX}/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    submitted = form.get("csrf_token") or ""
    if not cookie or not secrets.compare_digest(cookie.encode(), submitted.encode()):
        raise web.HTTPForbidden(text="This form has expired. Reload the page and try again.")
    username = form.get("username", "")
    async with _sessions(request.app)() as db:
        result = await accounts.authenticate(
            db, username, form.get("password", ""), client_address(request)
        )
        new = await accounts.create_session(db, result.account) if result.ok else None
        await db.commit()
    if new is None:
        status = 429 if result.retry_after_minutes else 401
        return _login_form(request, status, result.error, username[:64])
    response = web.HTTPSeeOther(f"{PREFIX}/")
    _set_cookie(request, response, SESSION_COOKIE, new.token)
    response.del_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    raise response


@routes.post(f"{PREFIX}/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    async with _sessions(request.app)() as db:
        await accounts.revoke_session(db, request.cookies.get(SESSION_COOKIE))
        await accounts.audit(db, request["console_session"].account_id, "logout")
        await db.commit()
    response = web.HTTPSeeOther(f"{PREFIX}/login")
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    raise response


@routes.get(PREFIX)
@routes.get(f"{PREFIX}/")
async def home(request: web.Request) -> web.Response:
    return render(request, "home.html")


@routes.get(f"{PREFIX}/audit")
@require(Permission.AUDIT)
async def audit_log(request: web.Request) -> web.Response:
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        raise web.HTTPBadRequest(text="page must be a number") from None
    async with _sessions(request.app)() as db:
        entries = await accounts.audit_entries(db, request["console_session"].account, page=page)
    return render(request, "audit.html", audit=entries)


# ---------------------------------------------------------------- conversations

_YES_NO = {"yes": True, "no": False, "": None}


def _filters(query: Any) -> tuple[conversations.Filters, list[str]]:
    """The list's filters from the query string, and what was wrong with it."""
    problems: list[str] = []

    def day(name: str) -> date | None:
        value = query.get(name, "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            problems.append(f"{name}: use a date like 2026-11-29")
            return None

    def flag(name: str) -> bool | None:
        value = query.get(name, "").strip().lower()
        if value not in _YES_NO:
            problems.append(f"{name}: yes, no or empty")
            return None
        return _YES_NO[value]

    until = day("until")
    filters = conversations.Filters(
        since=day("since"),
        # The form's "until" day is inclusive; the query's bound is not.
        until=until + timedelta(days=1) if until else None,
        channel=query.get("channel", "").strip() or None,
        language=query.get("language", "").strip() or None,
        intent=query.get("intent", "").strip() or None,
        had_fallback=flag("fallback"),
        had_handoff=flag("handoff"),
        registered=flag("registered"),
        text=query.get("q", "").strip()[:200] or None,
    )
    return filters, problems


def conversation_target(sender_id: str) -> str:
    """How the audit log names a conversation: a digest, never the sender id (a
    WhatsApp sender id is a phone number)."""
    return "conversation:" + hashlib.sha256(sender_id.encode("utf-8")).hexdigest()[:16]


@routes.get(f"{PREFIX}/conversations")
@require(Permission.CONVERSATIONS)
async def conversation_list(request: web.Request) -> web.Response:
    filters, problems = _filters(request.query)
    engine = _tracker_engine(request.app)
    await conversations.refresh(engine)
    try:
        page = await conversations.list_conversations(
            engine, filters, page_size=50, before=request.query.get("before") or None
        )
    except ValueError:
        raise web.HTTPBadRequest(
            text="That page link is broken: start from the first page."
        ) from None

    query = {k: v for k, v in request.query.items() if k != "before"}
    return render(
        request,
        "conversations.html",
        status=400 if problems else 200,
        page=page,
        problems=problems,
        query=query,
        next_query=urlencode({**query, "before": page.next_cursor}) if page.has_more else None,
    )


async def _show_transcript(request: web.Request, reveal: bool) -> web.Response:
    sender_id = request.match_info["sender_id"]
    found = await conversations.transcript(_tracker_engine(request.app), sender_id, reveal)
    if found is None:
        raise web.HTTPNotFound(text="No such conversation.")
    async with _sessions(request.app)() as db:
        await accounts.audit(
            db,
            request["console_session"].account_id,
            "reveal" if reveal else "view_transcript",
            conversation_target(sender_id),
        )
        await db.commit()
    return render(request, "transcript.html", transcript=found, sender_id=sender_id)


@routes.get(f"{PREFIX}/conversations/{{sender_id}}")
@require(Permission.CONVERSATIONS)
async def conversation(request: web.Request) -> web.Response:
    return await _show_transcript(request, reveal=False)


@routes.post(f"{PREFIX}/conversations/{{sender_id}}/reveal")
@require(Permission.REVEAL)
async def reveal(request: web.Request) -> web.Response:
    return await _show_transcript(request, reveal=True)


# ---------------------------------------------------------------- accounts


@routes.get(f"{PREFIX}/accounts")
@require(Permission.ACCOUNTS)
async def accounts_page(request: web.Request) -> web.Response:
    async with _sessions(request.app)() as db:
        staff = await accounts.list_accounts(db)
    return render(
        request,
        "accounts.html",
        staff=staff,
        roles=[role.value for role in StaffRole],
        message=request.query.get("message"),
        error=request.query.get("error"),
    )


def _to_accounts(message: str, *, error: bool = False) -> web.HTTPSeeOther:
    return _see_other("accounts", **{"error" if error else "message": message})


def _see_other(page: str, **query: str) -> web.HTTPSeeOther:
    """A redirect to a console page, with a note for it to show (a POST's outcome)."""
    return web.HTTPSeeOther(f"{PREFIX}/{page}?{urlencode(query)}")


@routes.post(f"{PREFIX}/accounts")
@require(Permission.ACCOUNTS)
async def account_create(request: web.Request) -> web.StreamResponse:
    """A supervisor creates an account with a first password (policy checked),
    to be handed over privately; audited as ``account_created``."""
    form = request["form"]
    async with _sessions(request.app)() as db:
        try:
            created = await accounts.create_account(
                db,
                form.get("username", ""),
                form.get("password", ""),
                form.get("role", ""),
                display_name=form.get("display_name"),
                actor=request["console_session"].account_id,
            )
        except accounts.AccountError as error:
            await db.rollback()
            raise _to_accounts(f"Not created: {error}", error=True) from None
        await db.commit()
    raise _to_accounts(f"Account {created.username} ({created.role.value}) created.")


@routes.post(f"{PREFIX}/accounts/{{username}}/{{change:disable|enable|password}}")
@require(Permission.ACCOUNTS)
async def account_change(request: web.Request) -> web.StreamResponse:
    """Disable (signs it out everywhere), enable, or set a new password (signs it
    out everywhere). A supervisor cannot disable their own account: the last
    supervisor would lock everyone out of account management."""
    username, change = request.match_info["username"], request.match_info["change"]
    console_session = request["console_session"]
    actor = console_session.account_id
    if change == "disable" and username == console_session.account.username:
        raise _to_accounts("You cannot disable your own account.", error=True)
    async with _sessions(request.app)() as db:
        try:
            if change == "disable":
                await accounts.disable_account(db, username, actor=actor)
                done = f"{username} disabled and signed out."
            elif change == "enable":
                await accounts.enable_account(db, username, actor=actor)
                done = f"{username} can sign in again."
            else:
                await accounts.set_password(
                    db, username, request["form"].get("password", ""), actor=actor
                )
                done = f"New password set for {username}; their sessions were ended."
        except accounts.AccountError as error:
            await db.rollback()
            raise _to_accounts(f"Not changed: {error}", error=True) from None
        await db.commit()
    if change == "password" and username == console_session.account.username:
        raise web.HTTPSeeOther(f"{PREFIX}/login")  # their own sessions just ended
    raise _to_accounts(done)


# ---------------------------------------------------------------- hand-offs


@routes.get(f"{PREFIX}/handoffs")
@require(Permission.HANDOFFS)
async def handoff_inbox(request: web.Request) -> web.Response:
    async with _sessions(request.app)() as db:
        live = await handoff.live_requests(db)
    return render(
        request,
        "handoffs.html",
        requests=live,
        mask=conversations.mask_sender,
        message=request.query.get("message"),
    )


def _request_id(request: web.Request) -> int:
    try:
        return int(request.match_info["request_id"])
    except ValueError:
        raise web.HTTPNotFound() from None


def _to_request_page(request_id: int, message: str) -> web.HTTPSeeOther:
    return _see_other(f"handoffs/{request_id}", message=message)


def _to_inbox(message: str) -> web.HTTPSeeOther:
    return _see_other("handoffs", message=message)


REFRESH_AUDIT_WINDOW = timedelta(minutes=15)


async def _viewed_recently(db: AsyncSession, account_id: int, target: str) -> bool:
    since = utcnow() - REFRESH_AUDIT_WINDOW
    return (
        await db.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.account_id == account_id,
                AuditEntry.action == "view_transcript",
                AuditEntry.target == target,
                AuditEntry.at >= since,
            )
            .limit(1)
        )
    ) is not None


async def _push(request: web.Request, found: Any) -> str:
    """Sends the request's pending messages now if its channel can push; what to
    tell the agent about it."""
    if not relay.can_push(found.channel):
        return (
            f"The officer is on {found.channel}, which cannot push: they get it with "
            "the reply to their next message."
        )
    try:
        await request.app[RELAY_KEY].deliver(found.sender_id)
    except relay.RasaUnavailable as error:
        return f"Not sent yet ({error}); it goes out with the officer's next message."
    return "Sent."


@routes.get(f"{PREFIX}/handoffs/{{request_id}}")
@require(Permission.HANDOFFS)
async def handoff_page(request: web.Request) -> web.Response:
    """One request: the conversation so far (masked), what staff sent, the reply
    box for the agent who holds it, and the hand-back button."""
    request_id = _request_id(request)
    console_session = request["console_session"]
    async with _sessions(request.app)() as db:
        found = await db.get(HandoffRequest, request_id)
        if found is None:
            raise web.HTTPNotFound(text="No such hand-off request.")
        outbox = await handoff.messages_of(db, request_id)
        target = conversation_target(found.sender_id)
        # The page refreshes itself while open (static/console-refresh.js): one
        # audit entry per agent and conversation within REFRESH_AUDIT_WINDOW.
        refresh = request.query.get("refresh") == "1"
        if not refresh or not await _viewed_recently(db, console_session.account_id, target):
            await accounts.audit(db, console_session.account_id, "view_transcript", target)
        await db.commit()
    so_far = await conversations.transcript(_tracker_engine(request.app), found.sender_id)
    return render(
        request,
        "handoff.html",
        r=found,
        transcript=so_far,
        outbox=outbox,
        mine=found.status is HandoffStatus.ASSIGNED
        and found.assigned_to == console_session.account.username,
        mask=conversations.mask_sender,
        max_reply=handoff.MAX_REPLY_CHARS,
        message=request.query.get("message"),
    )


@routes.post(f"{PREFIX}/handoffs/{{request_id}}/claim")
@require(Permission.HANDOFFS)
async def handoff_claim(request: web.Request) -> web.StreamResponse:
    """Claims the request, tells the officer who joined, and silences the bot for
    them. If Rasa cannot be told to stay quiet, nothing is claimed."""
    request_id = _request_id(request)
    account = request["console_session"].account
    async with _sessions(request.app)() as db:
        try:
            found, newly = await handoff.claim(db, request_id, account.username)
            if newly:
                await handoff.queue_message(
                    db, found, HandoffMessageKind.JOINED, account.display_name
                )
                await request.app[RELAY_KEY].hold(found.sender_id, account.display_name)
        except handoff.HandoffConflict as error:
            await db.rollback()
            raise _to_inbox(f"Not done: {error}.") from None
        except relay.RasaUnavailable as error:
            await db.rollback()
            raise _to_inbox(f"Not claimed: {error}. Try again shortly.") from None
        await accounts.audit(
            db, request["console_session"].account_id, "handoff_claim", f"handoff:{found.reference}"
        )
        try:
            await db.commit()
        except Exception:
            # The bot was told to stay quiet for a claim that did not happen.
            await _release_quietly(request, found.sender_id)
            raise
    sent = await _push(request, found) if newly else ""
    raise _to_request_page(request_id, f"{found.reference} claimed. {sent}".strip())


async def _release_quietly(request: web.Request, sender_id: str) -> None:
    try:
        await request.app[RELAY_KEY].hold(sender_id, None)
    except relay.RasaUnavailable:
        log.error("a failed claim left the bot quiet for one conversation")


@routes.post(f"{PREFIX}/handoffs/{{request_id}}/reply")
@require(Permission.HANDOFFS)
async def handoff_reply(request: web.Request) -> web.StreamResponse:
    """Queues the agent's reply and sends it now where the channel can push."""
    request_id = _request_id(request)
    console_session = request["console_session"]
    account = console_session.account
    async with _sessions(request.app)() as db:
        found = await db.get(HandoffRequest, request_id)
        if found is None:
            raise web.HTTPNotFound(text="No such hand-off request.")
        if found.assigned_to != account.username:
            raise _to_request_page(request_id, "Not sent: claim the request before replying.")
        try:
            await handoff.queue_message(
                db, found, HandoffMessageKind.REPLY, account.display_name,
                request["form"].get("text"),
            )  # fmt: skip
        except (handoff.HandoffConflict, ValueError) as error:
            await db.rollback()
            raise _to_request_page(request_id, f"Not sent: {error}") from None
        await accounts.audit(
            db, console_session.account_id, "handoff_reply", f"handoff:{found.reference}"
        )
        await db.commit()
    raise _to_request_page(request_id, f"Reply queued. {await _push(request, found)}")


@routes.post(f"{PREFIX}/handoffs/{{request_id}}/close")
@require(Permission.HANDOFFS)
async def handoff_close(request: web.Request) -> web.StreamResponse:
    """Hands the conversation back to the bot: the request closes now; the bot
    speaks again once the officer has been told (at once where the channel can
    push, with the reply to their next message on REST)."""
    request_id = _request_id(request)
    console_session = request["console_session"]
    account = console_session.account
    async with _sessions(request.app)() as db:
        try:
            found, held = await handoff.close(
                db,
                request_id,
                account.username,
                any_agent=accounts.can(account, Permission.ACCOUNTS),
            )
            if held:
                # Signed by the agent the officer met, also when a supervisor closes.
                holder = await accounts.get_account(db, found.assigned_to)
                await handoff.queue_message(
                    db, found, HandoffMessageKind.LEFT, (holder or account).display_name
                )
        except handoff.HandoffConflict as error:
            await db.rollback()
            raise _to_inbox(f"Not done: {error}.") from None
        await accounts.audit(
            db, console_session.account_id, "handoff_close", f"handoff:{found.reference}"
        )
        await db.commit()
    sent = f" {await _push(request, found)}" if held else ""
    raise _to_inbox(f"{found.reference} closed: the bot has the conversation again.{sent}")


# ---------------------------------------------------------------- NLU inbox


@routes.get(f"{PREFIX}/nlu")
@require(Permission.NLU_INBOX)
async def nlu_inbox_page(request: web.Request) -> web.Response:
    try:
        before = int(request.query["before"]) if request.query.get("before") else None
    except ValueError:
        raise web.HTTPBadRequest(
            text="That page link is broken: start from the first page."
        ) from None
    show_all = request.query.get("all") == "1"
    page = await nlu_inbox.inbox(
        _tracker_engine(request.app), before=before, unlabelled_only=not show_all
    )
    return render(
        request,
        "nlu_inbox.html",
        page=page,
        intents=nlu_inbox.domain_intents(),
        show_all=show_all,
        saved=request.query.get("saved"),
    )


@routes.post(f"{PREFIX}/nlu/label")
@require(Permission.NLU_INBOX)
async def nlu_label(request: web.Request) -> web.StreamResponse:
    form = request["form"]
    try:
        event_id = int(form.get("event_id", ""))
        await nlu_inbox.label(
            _tracker_engine(request.app),
            event_id,
            form.get("intent", ""),
            request["console_session"].account.username,
        )
    except ValueError as error:
        raise web.HTTPBadRequest(text=f"Not saved: {error}.") from None
    async with _sessions(request.app)() as db:
        await accounts.audit(
            db,
            request["console_session"].account_id,
            "nlu_label",
            f"event:{event_id}",
            form.get("intent", "")[:100],
        )
        await db.commit()
    raise web.HTTPSeeOther(f"{PREFIX}/nlu?saved={event_id}")


@routes.get(f"{PREFIX}/nlu/export.yml")
@require(Permission.NLU_INBOX)
async def nlu_export(request: web.Request) -> web.Response:
    content = await nlu_inbox.export(_tracker_engine(request.app))
    async with _sessions(request.app)() as db:
        await accounts.audit(db, request["console_session"].account_id, "export", "nlu_labels")
        await db.commit()
    return web.Response(
        text=content,
        content_type="application/x-yaml",
        headers={
            "Content-Disposition": 'attachment; filename="nlu-inbox.yml"',
            "Cache-Control": "no-store",
        },
    )


# ---------------------------------------------------------------- analytics


@routes.get(f"{PREFIX}/analytics")
@require(Permission.ANALYTICS)
async def analytics_page(request: web.Request) -> web.Response:
    try:
        days = min(max(int(request.query.get("days", "30")), 1), 366)
        until = date.fromisoformat(request.query["until"]) if request.query.get("until") else None
    except ValueError:
        raise web.HTTPBadRequest(text="days is a number, until a date like 2026-11-30") from None
    async with _sessions(request.app)() as db:
        summary = await analytics.summarise(_tracker_engine(request.app), db, days, until)
    charts = [
        analytics.bar_chart("Conversations per day", summary.per_day),
        analytics.bar_chart("Officers' messages per channel", summary.messages_per_channel),
        analytics.bar_chart("Officers' messages per language", summary.messages_per_language),
        analytics.bar_chart("Top intents (conversations)", summary.top_intents),
        analytics.bar_chart(
            "Registrations per course and cohort (all time)", summary.registrations
        ),
    ]
    return render(
        request,
        "analytics.html",
        summary=summary,
        days=days,
        charts=[Markup(chart) for chart in charts],
    )


# ---------------------------------------------------------------- exports


@routes.get(f"{PREFIX}/export")
@require(Permission.EXPORTS)
async def export_conversations(request: web.Request) -> web.Response:
    query = request.query
    if not query.get("since") and not query.get("until"):
        return render(request, "export.html", error=None, query={})
    try:
        since = date.fromisoformat(query.get("since", ""))
        until = date.fromisoformat(query.get("until", ""))
    except ValueError:
        return render(
            request,
            "export.html",
            status=400,
            query=dict(query),
            error="Give both dates, like 2026-11-01 and 2026-11-30.",
        )
    kind = query.get("format", "csv")
    if kind not in ("csv", "json") or until < since:
        return render(
            request,
            "export.html",
            status=400,
            query=dict(query),
            error="The format is CSV or JSON, and the range must not end before it starts.",
        )
    try:
        found = await exports.collect(_tracker_engine(request.app), since, until)
    except exports.TooLarge as error:
        return render(request, "export.html", status=400, query=dict(query), error=str(error))
    async with _sessions(request.app)() as db:
        await accounts.audit(
            db,
            request["console_session"].account_id,
            "export",
            f"conversations:{since.isoformat()}..{until.isoformat()}",
            f"{len(found)} conversations as {kind}",
        )
        await db.commit()
    name = f"conversations-{since.isoformat()}-{until.isoformat()}.{kind}"
    body = exports.to_csv(found) if kind == "csv" else exports.to_json(found, since, until)
    return web.Response(
        text=body,
        content_type="text/csv" if kind == "csv" else "application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _set_cookie(
    request: web.Request,
    response: web.StreamResponse,
    name: str,
    value: str,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        path=PREFIX,
        httponly=True,
        samesite="Strict",
        secure=is_secure(request),
        max_age=max_age,
    )


def add_console(
    app: web.Application,
    database_url: str,
    tracker_store_url: str,
    templates: jinja2.Environment,
    rasa: relay.RasaRelay,
) -> None:
    """Mounts the console on ``app``: its routes, its middleware, and an engine on
    the enrolment database (``DATABASE_URL``), opened by the first console request."""
    app[TEMPLATES_KEY] = templates
    app[RELAY_KEY] = rasa
    app.middlewares.append(console_guard)
    app.add_routes(routes)

    app[DATABASES_KEY] = _Databases(database_url, tracker_store_url)

    async def close_database(app: web.Application) -> Any:
        pruning = asyncio.create_task(_prune_login_attempts(app))
        yield
        pruning.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pruning
        databases = app[DATABASES_KEY]
        for engine in (databases.engine, databases.tracker_engine):
            if engine is not None:
                await engine.dispose()

    app.cleanup_ctx.append(close_database)


PRUNE_EVERY_SECONDS = 6 * 3600


async def _prune_login_attempts(app: web.Application) -> None:
    """Sign-in attempts older than 30 days go (throttling needs 15 minutes; the
    audit log keeps the history): a few minutes after start, then every 6 hours.
    A failure is logged and retried next time; it never stops the web app."""
    await asyncio.sleep(300)
    while True:
        try:
            async with _sessions(app)() as db:
                pruned = await accounts.prune_login_attempts(db)
                await db.commit()
            if pruned:
                log.info("pruned %d old sign-in attempts", pruned)
        except Exception as error:  # noqa: BLE001 - logged, retried
            log.warning("could not prune sign-in attempts (%s)", type(error).__name__)
        await asyncio.sleep(PRUNE_EVERY_SECONDS)


@dataclass
class _Databases:
    """The console's engines, opened on first use (the chat page alone never
    touches a database) and closed with the app."""

    database_url: str
    tracker_store_url: str
    engine: AsyncEngine | None = None
    sessions: sessionmaker | None = None
    tracker_engine: AsyncEngine | None = None


def _tracker_engine(app: web.Application) -> AsyncEngine:
    """The tracker store's engine (``TRACKER_STORE_URL``)."""
    databases = app[DATABASES_KEY]
    if databases.tracker_engine is None:
        databases.tracker_engine = conversations.create_engine(databases.tracker_store_url)
    return databases.tracker_engine


def _sessions(app: web.Application) -> sessionmaker:
    """Sessions on the enrolment database (``DATABASE_URL``)."""
    databases = app[DATABASES_KEY]
    if databases.sessions is None:
        databases.engine = create_async_engine_for(databases.database_url)
        databases.sessions = sessionmaker(
            databases.engine, class_=AsyncSession, expire_on_commit=False
        )
    return databases.sessions

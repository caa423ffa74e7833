"""Hand-off requests: an officer asks for a person; the support console picks it up.

While an agent holds a request, what the agent writes waits in an outbox
(:class:`HandoffMessage`) until the bot's ``action_deliver_agent_messages``
takes it (:func:`take_pending`) and sends it in the officer's channel.

Plain async Python, no Rasa; runs in the caller's transaction and never commits.
One chat sender has at most one live (open or assigned) request: asking again
returns the same request and queue position instead of queueing twice. The
partial unique index ``uq_handoff_requests_live_sender`` enforces that when two
messages from the same sender race; the loser re-reads the winner's request.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import replies
from bot.db.models import (
    LIVE_HANDOFF_STATUSES,
    HandoffMessage,
    HandoffMessageKind,
    HandoffRequest,
    HandoffStatus,
    utcnow,
)
from bot.reference import HANDOFF_PREFIX, new_reference

REFERENCE_ATTEMPTS = 5


async def live_request(
    session: AsyncSession, *, channel: str, sender_id: str
) -> HandoffRequest | None:
    """The sender's open or assigned request, if any."""
    return (
        await session.execute(
            select(HandoffRequest)
            .where(
                HandoffRequest.channel == channel,
                HandoffRequest.sender_id == sender_id,
                HandoffRequest.status.in_(LIVE_HANDOFF_STATUSES),
            )
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def queue_position(session: AsyncSession, request: HandoffRequest) -> int:
    """1 for the oldest open request, 2 for the next…; 0 once a person has it."""
    if request.status is not HandoffStatus.OPEN:
        return 0
    ahead_or_same = or_(
        HandoffRequest.created_at < request.created_at,
        and_(HandoffRequest.created_at == request.created_at, HandoffRequest.id <= request.id),
    )
    return await session.scalar(
        select(func.count())
        .select_from(HandoffRequest)
        .where(HandoffRequest.status == HandoffStatus.OPEN, ahead_or_same)
    )


async def request_handoff(
    session: AsyncSession, *, channel: str, sender_id: str, language: str, reason: str
) -> tuple[HandoffRequest, bool, int]:
    """Queues a request for a member of staff, or finds the sender's live one.

    Returns ``(request, created, position_in_queue)``; ``reason`` is a short code
    (the intent that led here), never the officer's own words.
    """
    request = await live_request(session, channel=channel, sender_id=sender_id)
    created = False
    attempts = 0
    while request is None:
        attempts += 1
        reference = new_reference(HANDOFF_PREFIX)
        try:
            async with session.begin_nested():
                request = HandoffRequest(
                    reference=reference,
                    channel=channel,
                    sender_id=sender_id,
                    language=language,
                    reason=reason,
                    status=HandoffStatus.OPEN,
                    created_at=utcnow(),
                )
                session.add(request)
                await session.flush()
            created = True
        except IntegrityError:
            request = await live_request(session, channel=channel, sender_id=sender_id)
            if request is not None:  # the same sender won a race: use theirs
                break
            used = await session.scalar(
                select(HandoffRequest.id).where(HandoffRequest.reference == reference)
            )
            if used is None or attempts >= REFERENCE_ATTEMPTS:
                raise
    return request, created, await queue_position(session, request)


# --- the support console's inbox ---------------------------------------------------------


class HandoffConflict(ValueError):
    """The request is not in a state that allows this (claimed by someone else,
    already closed)."""


async def live_requests(session: AsyncSession, limit: int = 200) -> list[HandoffRequest]:
    """Open and assigned requests, oldest first (the queue's order)."""
    return list(
        (
            await session.scalars(
                select(HandoffRequest)
                .where(HandoffRequest.status.in_(LIVE_HANDOFF_STATUSES))
                .order_by(HandoffRequest.created_at, HandoffRequest.id)
                .limit(limit)
            )
        ).all()
    )


async def claim(session: AsyncSession, request_id: int, agent: str) -> tuple[HandoffRequest, bool]:
    """Gives an open request to ``agent``: ``(request, newly)``, ``newly`` False when
    the agent already held it. A conditional UPDATE: of two agents claiming at
    once, one gets it and the other :class:`HandoffConflict`."""
    done = await session.execute(
        HandoffRequest.__table__.update()
        .where(HandoffRequest.id == request_id, HandoffRequest.status == HandoffStatus.OPEN)
        .values(status=HandoffStatus.ASSIGNED, assigned_to=agent)
    )
    request = await session.get(HandoffRequest, request_id, populate_existing=True)
    if request is None:
        raise HandoffConflict("no such request")
    newly = done.rowcount == 1
    if not newly and request.assigned_to != agent:
        raise HandoffConflict(f"already taken by {request.assigned_to or 'someone'}")
    return request, newly


async def close(
    session: AsyncSession, request_id: int, agent: str, *, any_agent: bool = False
) -> tuple[HandoffRequest, bool]:
    """Closes a request (the conversation goes back to the bot): ``(request,
    held)``, ``held`` True when an agent had it (the officer must be told). Only
    the agent who holds it may, unless ``any_agent`` (a supervisor); an open one can
    be closed too (the officer no longer needs a person)."""
    request = await session.get(HandoffRequest, request_id, populate_existing=True)
    if request is None or request.status is HandoffStatus.CLOSED:
        raise HandoffConflict("no such live request")
    held = request.status is HandoffStatus.ASSIGNED
    if held and request.assigned_to != agent and not any_agent:
        raise HandoffConflict(f"held by {request.assigned_to}")
    request.status = HandoffStatus.CLOSED
    request.closed_at = utcnow()
    await session.flush()
    return request, held


# --- the console's outbox to the officer -----------------------------------------------

#: The longest reply an agent may send in one message (WhatsApp allows 4,096).
MAX_REPLY_CHARS = 2000


@dataclass(frozen=True)
class Outgoing:
    """A message taken from the outbox for delivery."""

    kind: HandoffMessageKind
    author: str
    text: str | None
    language: str


async def queue_message(
    session: AsyncSession,
    request: HandoffRequest,
    kind: HandoffMessageKind,
    author: str,
    text: str | None = None,
) -> HandoffMessage:
    """Puts a message for the request's officer in the outbox.

    A reply must be from the agent who holds the request, non-blank and at most
    :data:`MAX_REPLY_CHARS`; :class:`HandoffConflict` or :class:`ValueError` says
    why not."""
    if kind is HandoffMessageKind.REPLY:
        text = (text or "").strip()
        if not text:
            raise ValueError("Write a reply first.")
        if len(text) > MAX_REPLY_CHARS:
            raise ValueError(f"A reply can be at most {MAX_REPLY_CHARS:,} characters.")
        if request.status is not HandoffStatus.ASSIGNED:
            raise HandoffConflict("claim the request before replying")
    message = HandoffMessage(
        request_id=request.id, kind=kind, author=author, text=text, created_at=utcnow()
    )
    session.add(message)
    await session.flush()
    return message


async def take_pending(session: AsyncSession, *, channel: str, sender_id: str) -> list[Outgoing]:
    """The sender's undelivered messages, oldest first, marked delivered.

    Each row is claimed with a conditional UPDATE, so two deliveries running at
    once (a push from the console and the officer's own message) never send one
    message twice. A reply's text is cleared once taken: the tracker keeps the
    conversation's copy."""
    rows = (
        await session.execute(
            select(HandoffMessage, HandoffRequest.language)
            .join(HandoffRequest, HandoffRequest.id == HandoffMessage.request_id)
            .where(
                HandoffRequest.channel == channel,
                HandoffRequest.sender_id == sender_id,
                HandoffMessage.delivered_at.is_(None),
            )
            .order_by(HandoffMessage.id)
        )
    ).all()
    taken: list[Outgoing] = []
    for message, language in rows:
        done = await session.execute(
            update(HandoffMessage)
            .where(HandoffMessage.id == message.id, HandoffMessage.delivered_at.is_(None))
            .values(delivered_at=utcnow(), text=None)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 1:
            taken.append(Outgoing(message.kind, message.author, message.text, language))
    return taken


async def messages_of(session: AsyncSession, request_id: int) -> list[HandoffMessage]:
    """Everything queued for a request, oldest first (delivered ones without text)."""
    return list(
        (
            await session.scalars(
                select(HandoffMessage)
                .where(HandoffMessage.request_id == request_id)
                .order_by(HandoffMessage.id)
                .execution_options(populate_existing=True)
            )
        ).all()
    )


def wording(message: Outgoing, language: str | None) -> str:
    """What the officer reads: ``language`` is the conversation's current one
    (the language of the request when the bot no longer knows it)."""
    key = {
        HandoffMessageKind.JOINED: "handoff_agent_joined",
        HandoffMessageKind.REPLY: "handoff_agent_reply",
        HandoffMessageKind.LEFT: "handoff_agent_left",
    }[message.kind]
    return replies.render(
        key, language or message.language, agent=message.author, text=message.text
    )

"""Hand-off requests: an officer asks for a person; the support console picks it up.

Plain async Python, no Rasa; runs in the caller's transaction and never commits.
One chat sender has at most one live (open or assigned) request: asking again
returns the same request and queue position instead of queueing twice. The
partial unique index ``uq_handoff_requests_live_sender`` enforces that when two
messages from the same sender race; the loser re-reads the winner's request.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import LIVE_HANDOFF_STATUSES, HandoffRequest, HandoffStatus, utcnow
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


async def claim(session: AsyncSession, request_id: int, agent: str) -> HandoffRequest:
    """Gives an open request to ``agent``. A conditional UPDATE: of two agents
    claiming at once, one gets it and the other :class:`HandoffConflict`."""
    done = await session.execute(
        HandoffRequest.__table__.update()
        .where(HandoffRequest.id == request_id, HandoffRequest.status == HandoffStatus.OPEN)
        .values(status=HandoffStatus.ASSIGNED, assigned_to=agent)
    )
    request = await session.get(HandoffRequest, request_id, populate_existing=True)
    if request is None:
        raise HandoffConflict("no such request")
    if done.rowcount != 1 and request.assigned_to != agent:
        raise HandoffConflict(f"already taken by {request.assigned_to or 'someone'}")
    return request


async def close(
    session: AsyncSession, request_id: int, agent: str, *, any_agent: bool = False
) -> HandoffRequest:
    """Closes a request (the conversation goes back to the bot). Only the agent who
    holds it may, unless ``any_agent`` (a supervisor); an open one can be closed
    too (the officer no longer needs a person)."""
    request = await session.get(HandoffRequest, request_id, populate_existing=True)
    if request is None or request.status is HandoffStatus.CLOSED:
        raise HandoffConflict("no such live request")
    if request.status is HandoffStatus.ASSIGNED and request.assigned_to != agent and not any_agent:
        raise HandoffConflict(f"held by {request.assigned_to}")
    request.status = HandoffStatus.CLOSED
    request.closed_at = utcnow()
    await session.flush()
    return request

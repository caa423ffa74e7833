"""Hand-off requests: one live request per sender, a queue position, and the race
between two messages from the same sender settled by the database."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker

from bot import handoff as handoff_module
from bot.db.models import HandoffRequest, HandoffStatus
from bot.handoff import request_handoff
from bot.reference import ALPHABET


async def ask(async_sessions: sessionmaker, sender: str, channel: str = "rest", language="en"):
    async with async_sessions() as session, session.begin():
        return await request_handoff(
            session, channel=channel, sender_id=sender, language=language, reason="human_handoff"
        )


async def count(async_sessions: sessionmaker) -> int:
    async with async_sessions() as session:
        return await session.scalar(select(func.count()).select_from(HandoffRequest))


async def set_status(async_sessions: sessionmaker, reference: str, status: HandoffStatus) -> None:
    async with async_sessions() as session, session.begin():
        await session.execute(
            update(HandoffRequest)
            .where(HandoffRequest.reference == reference)
            .values(status=status)
        )


async def test_asking_twice_gives_the_same_request(async_sessions) -> None:
    first, created, position = await ask(async_sessions, "officer-1", language="sw")
    assert created and position == 1 and first.status is HandoffStatus.OPEN
    assert re.fullmatch(rf"HLP-[{ALPHABET}]{{6}}", first.reference)
    assert first.language == "sw" and first.reason == "human_handoff"
    again, created, position = await ask(async_sessions, "officer-1")
    assert not created and position == 1 and again.reference == first.reference
    assert await count(async_sessions) == 1


async def test_queue_positions_follow_arrival(async_sessions) -> None:
    positions = [(await ask(async_sessions, f"officer-{i}"))[2] for i in range(3)]
    assert positions == [1, 2, 3]
    # the same sender id on another channel is another person
    assert (await ask(async_sessions, "officer-0", channel="telegram"))[1:] == (True, 4)


async def test_an_assigned_request_is_returned_not_requeued(async_sessions) -> None:
    first, _, _ = await ask(async_sessions, "officer-1")
    second, _, _ = await ask(async_sessions, "officer-2")
    await set_status(async_sessions, first.reference, HandoffStatus.ASSIGNED)
    again, created, position = await ask(async_sessions, "officer-1")
    assert (again.reference, created, position) == (first.reference, False, 0)
    assert (await ask(async_sessions, "officer-2"))[2] == 1  # moved up the queue


async def test_after_closing_a_new_request_is_opened(async_sessions) -> None:
    first, _, _ = await ask(async_sessions, "officer-1")
    await set_status(async_sessions, first.reference, HandoffStatus.CLOSED)
    second, created, position = await ask(async_sessions, "officer-1")
    assert created and position == 1 and second.reference != first.reference
    assert await count(async_sessions) == 2


async def test_simultaneous_messages_from_one_sender_make_one_request(async_sessions) -> None:
    results = await asyncio.gather(*(ask(async_sessions, "officer-1") for _ in range(10)))
    assert len({request.reference for request, _, _ in results}) == 1
    assert sum(created for _, created, _ in results) == 1
    assert await count(async_sessions) == 1


async def test_a_reference_collision_is_retried(async_sessions, monkeypatch) -> None:
    taken = (await ask(async_sessions, "officer-1"))[0].reference
    offered = iter([taken, "HLP-FRESH2"])
    monkeypatch.setattr(handoff_module, "new_reference", lambda prefix: next(offered))
    request, created, position = await ask(async_sessions, "officer-2")
    assert (request.reference, created, position) == ("HLP-FRESH2", True, 2)

"""Hand-off requests: one live request per sender, a queue position, and the race
between two messages from the same sender settled by the database."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker

from bot import handoff as handoff_module
from bot.db.models import HandoffMessage, HandoffMessageKind, HandoffRequest, HandoffStatus
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


# --- the console's outbox -------------------------------------------------------------


async def _claimed(async_sessions: sessionmaker, sender: str, channel: str = "socketio") -> int:
    request, _, _ = await ask(async_sessions, sender, channel=channel, language="sw")
    async with async_sessions() as session, session.begin():
        await handoff_module.claim(session, request.id, "wanjiku")
    return request.id


async def queue(async_sessions, request_id: int, kind: HandoffMessageKind, text=None) -> None:
    async with async_sessions() as session, session.begin():
        request = await session.get(HandoffRequest, request_id)
        await handoff_module.queue_message(session, request, kind, "Wanjiku", text)


async def take(async_sessions, sender: str, channel: str = "socketio") -> list:
    async with async_sessions() as session, session.begin():
        return await handoff_module.take_pending(session, channel=channel, sender_id=sender)


async def test_messages_go_out_once_in_order_and_their_text_is_then_dropped(
    async_sessions,
) -> None:
    request_id = await _claimed(async_sessions, "officer-1")
    other = await _claimed(async_sessions, "officer-2")
    await queue(async_sessions, request_id, HandoffMessageKind.JOINED)
    await queue(async_sessions, request_id, HandoffMessageKind.REPLY, "  Habari Amina  ")
    await queue(async_sessions, other, HandoffMessageKind.REPLY, "not for officer-1")

    taken = await take(async_sessions, "officer-1")
    assert [(m.kind, m.author, m.text, m.language) for m in taken] == [
        (HandoffMessageKind.JOINED, "Wanjiku", None, "sw"),
        (HandoffMessageKind.REPLY, "Wanjiku", "Habari Amina", "sw"),
    ]
    assert await take(async_sessions, "officer-1") == []
    assert await take(async_sessions, "officer-1", channel="rest") == []  # another chat
    async with async_sessions() as session:
        texts = (
            await session.scalars(
                select(HandoffMessage.text).where(HandoffMessage.request_id == request_id)
            )
        ).all()
    assert texts == [None, None]  # the tracker keeps the conversation's copy
    assert [m.text for m in await take(async_sessions, "officer-2")] == ["not for officer-1"]


async def test_two_deliveries_at_once_send_each_message_once(async_sessions) -> None:
    request_id = await _claimed(async_sessions, "officer-1")
    for n in range(5):
        await queue(async_sessions, request_id, HandoffMessageKind.REPLY, f"reply {n}")
    results = await asyncio.gather(*(take(async_sessions, "officer-1") for _ in range(4)))
    sent = sorted(m.text for taken in results for m in taken)
    assert sent == [f"reply {n}" for n in range(5)]


async def test_a_reply_needs_a_claim_and_words(async_sessions) -> None:
    request, _, _ = await ask(async_sessions, "officer-1")
    with pytest.raises(handoff_module.HandoffConflict, match="claim the request"):
        await queue(async_sessions, request.id, HandoffMessageKind.REPLY, "hello")
    request_id = await _claimed(async_sessions, "officer-3")
    for text in (None, "", " \n "):
        with pytest.raises(ValueError, match="Write a reply first"):
            await queue(async_sessions, request_id, HandoffMessageKind.REPLY, text)
    with pytest.raises(ValueError, match="at most 2,000"):
        await queue(async_sessions, request_id, HandoffMessageKind.REPLY, "x" * 2001)
    await queue(async_sessions, request_id, HandoffMessageKind.REPLY, "x" * 2000)


@pytest.mark.parametrize(
    ("kind", "language", "expected"),
    [
        (HandoffMessageKind.JOINED, "en", "Wanjiku from the support team has joined"),
        (HandoffMessageKind.JOINED, "sw", "Wanjiku kutoka timu ya msaada amejiunga"),
        (HandoffMessageKind.REPLY, "en", "Wanjiku (support team): {not a placeholder}"),
        (HandoffMessageKind.REPLY, "sw", "Wanjiku (timu ya msaada): {not a placeholder}"),
        (HandoffMessageKind.LEFT, "en", "Wanjiku has handed you back to me, Msaidizi."),
        (HandoffMessageKind.LEFT, "sw", "Wanjiku amekurudisha kwangu, Msaidizi."),
        (HandoffMessageKind.LEFT, None, "Wanjiku amekurudisha kwangu"),  # the request's
    ],
)
def test_what_the_officer_reads(kind, language, expected) -> None:
    text = "{not a placeholder}" if kind is HandoffMessageKind.REPLY else None
    message = handoff_module.Outgoing(kind, "Wanjiku", text, "sw")
    assert handoff_module.wording(message, language).startswith(expected)

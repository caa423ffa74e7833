"""The socketio channel on a real Rasa server: a reconnecting page gets its
conversation back, and the limits hold for any client, not only the widget."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import socketio

from bot.web import MAX_MESSAGE_CHARS
from bot.web.socketio_channel import TOO_LONG
from tests.conftest import Stack

pytestmark = pytest.mark.integration


async def connect(stack: Stack, session_id: str | None) -> tuple[socketio.AsyncClient, list, str]:
    client = socketio.AsyncClient()
    received: list = []
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
    client.on("bot_uttered", received.append)
    client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
    await client.connect(stack.url, socketio_path="/socket.io", transports=["websocket"])
    await client.emit("session_request", {"session_id": session_id})
    return client, received, await asyncio.wait_for(confirmed, 30)


async def wait_for(received: list, count: int) -> None:
    for _ in range(600):
        if len(received) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {count} messages, got {received}")


def test_limits_and_session_ids_hold_on_the_real_server(stack: Stack) -> None:
    async def converse() -> tuple[str, str]:
        # A guessable id is replaced by a random one.
        client, received, session = await connect(stack, "1")
        assert session != "1" and len(session) == 32

        await client.emit(
            "user_uttered", {"message": "a" * (MAX_MESSAGE_CHARS + 1), "session_id": session}
        )
        await wait_for(received, 1)
        assert received == [{"text": TOO_LONG}]

        # A message for a conversation this socket never asked for goes nowhere.
        other = uuid.uuid4().hex
        await client.emit("user_uttered", {"message": "habari yako", "session_id": other})
        await client.emit("user_uttered", {"message": "habari yako", "session_id": session})
        await wait_for(received, 2)
        await client.disconnect()

        # Reconnecting with the same id continues the same conversation.
        again, received_again, same = await connect(stack, session)
        assert same == session
        await again.emit("user_uttered", {"message": "asante sana", "session_id": session})
        await wait_for(received_again, 1)
        await again.disconnect()
        return session, other

    session, other = asyncio.run(converse())
    said = [e["text"] for e in stack.tracker(session)["events"] if e["event"] == "user"]
    assert said == ["habari yako", "asante sana"]
    assert not [e for e in stack.tracker(other)["events"] if e["event"] == "user"]

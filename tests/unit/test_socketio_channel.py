"""The socketio channel the widget talks to: what Rasa 3.6.21's stock channel got
wrong (see bot/web/socketio_channel.py) is right here."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.web import MAX_MESSAGE_CHARS
from bot.web.socketio_channel import TOO_LONG, SocketIOInput, SocketIOOutput, is_session_id

SESSION = uuid.uuid4().hex


class FakeServer:
    """The parts of socketio.AsyncServer the channel uses, recording emits."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, str | None]] = []
        self.joined: dict[str, set[str]] = {}

    async def emit(self, event: str, data: Any = None, room: str | None = None, **_: Any) -> None:
        self.emitted.append((event, data, room))

    def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        self.joined.setdefault(sid, {sid}).add(room)

    def rooms(self, sid: str, namespace: str | None = None) -> list[str]:
        return sorted(self.joined.get(sid, {sid}))


@pytest.fixture
def channel() -> SocketIOInput:
    channel = SocketIOInput(session_persistence=True)
    channel.sio = FakeServer()
    return channel


@pytest.fixture
def received() -> list:
    return []


@pytest.fixture
def handle(channel: SocketIOInput, received: list):
    async def on_new_message(message) -> None:
        received.append(message)

    return channel._message_handler(on_new_message)


async def test_a_session_request_with_a_random_id_keeps_it(channel: SocketIOInput) -> None:
    await channel._session_request("sid-1", {"session_id": SESSION})
    assert channel.sio.emitted == [("session_confirm", SESSION, "sid-1")]
    assert SESSION in channel.sio.rooms("sid-1")


@pytest.mark.parametrize(
    "data", [None, {}, {"session_id": None}, {"session_id": "1"}, {"session_id": 42}, "x"]
)
async def test_a_missing_or_guessable_session_id_gets_a_fresh_one(
    channel: SocketIOInput, data: Any
) -> None:
    await channel._session_request("sid-1", data)
    ((event, confirmed, room),) = channel.sio.emitted
    assert event == "session_confirm" and room == "sid-1"
    assert is_session_id(confirmed) and len(confirmed) == 32


async def test_a_message_reaches_rasa_under_the_session_id(
    channel: SocketIOInput, handle, received: list
) -> None:
    await channel._session_request("sid-1", {"session_id": SESSION})
    await handle("sid-1", {"message": "habari", "session_id": SESSION, "metadata": '{"a": 1}'})
    (message,) = received
    assert (message.text, message.sender_id, message.input_channel) == (
        "habari",
        SESSION,
        "socketio",
    )
    assert message.metadata == {"a": 1}
    assert isinstance(message.output_channel, SocketIOOutput)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "habari",
        ["habari"],
        {"message": "habari"},  # no session
        {"message": "habari", "session_id": uuid.uuid4().hex},  # a session never requested
        {"message": "   ", "session_id": SESSION},
        {"message": 7, "session_id": SESSION},
    ],
)
async def test_malformed_or_foreign_messages_are_ignored(
    channel: SocketIOInput, handle, received: list, data: Any
) -> None:
    await channel._session_request("sid-1", {"session_id": SESSION})
    await handle("sid-1", data)
    assert received == []


async def test_bad_metadata_does_not_lose_the_message(
    channel: SocketIOInput, handle, received: list
) -> None:
    await channel._session_request("sid-1", {"session_id": SESSION})
    await handle("sid-1", {"message": "habari", "session_id": SESSION, "metadata": "{not json"})
    await handle("sid-1", {"message": "hello", "session_id": SESSION, "metadata": [1]})
    assert [(m.text, m.metadata) for m in received] == [("habari", {}), ("hello", {})]


async def test_a_message_over_the_limit_is_refused_in_both_languages(
    channel: SocketIOInput, handle, received: list
) -> None:
    await channel._session_request("sid-1", {"session_id": SESSION})
    await handle("sid-1", {"message": "a" * MAX_MESSAGE_CHARS, "session_id": SESSION})
    await handle("sid-1", {"message": "a" * (MAX_MESSAGE_CHARS + 1), "session_id": SESSION})
    assert len(received) == 1
    assert channel.sio.emitted[-1] == ("bot_uttered", {"text": TOO_LONG}, SESSION)
    assert "4,096" in TOO_LONG and "Ujumbe huo ni mrefu mno" in TOO_LONG


async def test_a_file_message_is_sent_whole_under_custom() -> None:
    server = FakeServer()
    file = {"type": "file", "filename": "my-data.json", "mime_type": "application/json"}
    await SocketIOOutput(server, "bot_uttered").send_response(
        SESSION, {"text": "Your data:", "custom": dict(file, content="{}")}
    )
    assert server.emitted == [
        ("bot_uttered", {"text": "Your data:"}, SESSION),
        ("bot_uttered", {"custom": dict(file, content="{}")}, SESSION),
    ]


async def test_buttons_without_text_are_sent() -> None:
    server = FakeServer()
    await SocketIOOutput(server, "bot_uttered").send_response(
        SESSION, {"text": None, "buttons": [{"title": "Ndiyo", "payload": "/affirm"}]}
    )
    ((_, message, _),) = server.emitted
    assert message["quick_replies"] == [
        {"content_type": "text", "title": "Ndiyo", "payload": "/affirm"}
    ]


def test_credentials_yml_uses_this_channel_under_the_name_socketio() -> None:
    from rasa.core.run import create_http_input_channels

    (socketio,) = [
        c
        for c in create_http_input_channels(None, str(PROJECT_ROOT / "credentials.yml"))
        if c.name() == "socketio"
    ]
    assert isinstance(socketio, SocketIOInput)
    assert socketio.session_persistence is True
    assert (socketio.user_message_evt, socketio.bot_message_evt) == ("user_uttered", "bot_uttered")
    assert socketio.socketio_path == "/socket.io"


def test_the_blueprint_puts_our_handlers_in_place_of_rasa_s() -> None:
    channel = SocketIOInput(session_persistence=True)

    async def on_new_message(_message) -> None:
        return None

    channel.blueprint(on_new_message)
    handlers = channel.sio.handlers["/"]
    assert handlers["session_request"] == channel._session_request
    assert handlers["user_uttered"].__qualname__.startswith("SocketIOInput._message_handler")

"""Rasa's socket.io channel, with what Rasa 3.6.21 gets wrong put right.

``credentials.yml`` names this class instead of ``socketio:``; the channel keeps
the name ``socketio`` (contract §1), its settings and its webhook ``/socket.io``.

What the stock channel does, and what this one does instead:

- A ``custom`` payload (our data export's file message) was emitted as
  ``sio.emit(event, **payload)``, so its keys became arguments of ``emit`` and the
  reply crashed with a TypeError. Here it is sent as ``{"custom": payload}``, the
  shape the REST channel returns.
- Buttons or quick replies without a text crashed on ``None.strip()``.
- ``session_request`` took any value as a session id, including none at all or a
  short guessable one; the session id is the conversation's key (and, for data
  rights, the chat identity that proves an officer), so here it must look like a
  random token or the client gets a fresh one.
- ``user_uttered`` crashed on a payload that is not an object, or on metadata that
  is not JSON, and accepted a message under a session id the socket had never
  asked for. Here such messages are refused, as are empty ones and ones longer
  than ``MAX_MESSAGE_CHARS`` (the sender is told, in both languages), and
  messages from a session over the per-sender rate limit (``bot.channels.rate_limit``).
- Replies ignored a configured namespace.
- A page that was closed or offline never got what was said meanwhile (a support
  agent's reply, say). Here every message carries its bot event's time (``at``),
  and a ``session_request`` with ``since`` (the newest ``at`` the page showed)
  is answered with the conversation's newer bot messages, to that socket only.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from rasa.shared.core.events import BotUttered
from sanic import Blueprint
from socketio import AsyncServer

from bot.channels.webhook import hand_to_rasa
from bot.web import MAX_MESSAGE_CHARS

logger = logging.getLogger(__name__)

# uuid4().hex (what Rasa and our widget make) is 32 characters; anything shorter is
# too easy to guess, anything else has no business being a conversation key.
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

#: The most messages a reconnecting page is sent again.
REPLAY_LIMIT = 50

TOO_LONG = (
    f"That message is too long: please keep it under {MAX_MESSAGE_CHARS:,} characters. / "
    f"Ujumbe huo ni mrefu mno: tafadhali usizidi herufi {MAX_MESSAGE_CHARS:,}."
)


def is_session_id(value: Any) -> bool:
    return isinstance(value, str) and bool(SESSION_ID.match(value))


class SocketIOOutput(RasaSocketIOOutput):
    def __init__(self, sio: AsyncServer, bot_message_evt: str, namespace: str | None = None):
        super().__init__(sio, bot_message_evt)
        self.namespace = namespace
        self._at: float | None = None

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        # The bot event's time travels with each part as "at", so a page that
        # reconnects can ask for what it missed since the last one it showed.
        stamp = message.get("timestamp")
        self._at = float(stamp) if isinstance(stamp, (int, float)) else None
        try:
            await super().send_response(recipient_id, message)
        finally:
            self._at = None

    async def _send_message(self, socket_id: str, response: Any) -> None:
        if self._at is not None and isinstance(response, dict):
            response = {**response, "at": self._at}
        await self.sio.emit(
            self.bot_message_evt, response, room=socket_id, namespace=self.namespace
        )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str | None, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await super().send_text_with_buttons(recipient_id, text or "", buttons, **kwargs)

    async def send_quick_replies(
        self, recipient_id: str, text: str | None, quick_replies: list[dict[str, Any]], **kwargs
    ) -> None:
        await super().send_quick_replies(recipient_id, text or "", quick_replies, **kwargs)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class SocketIOInput(RasaSocketIOInput):
    """The ``socketio`` channel (see the module's docstring for what differs)."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is None:
            return super().get_output_channel()
        return SocketIOOutput(self.sio, self.bot_message_evt, self.namespace)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        sio: AsyncServer = self.sio
        # Replace the stock handlers of these two events (registered by the call
        # above) with ours; connect, disconnect and JWT checks stay Rasa's.
        sio.on("session_request", self._session_request, namespace=self.namespace)
        sio.on(
            self.user_message_evt, self._message_handler(on_new_message), namespace=self.namespace
        )

        @webhook.listener("after_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            self._app = app

        return webhook

    async def _session_request(self, sid: str, data: Any = None) -> None:
        requested = data.get("session_id") if isinstance(data, dict) else None
        session_id = requested if is_session_id(requested) else uuid.uuid4().hex
        if self.session_persistence:
            self.sio.enter_room(sid, session_id, namespace=self.namespace)
        await self.sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
        since = data.get("since") if isinstance(data, dict) else None
        if (
            self.session_persistence
            and session_id == requested
            and isinstance(since, (int, float))
            and not isinstance(since, bool)
        ):
            await self._replay(sid, session_id, float(since))

    async def _replay(self, sid: str, session_id: str, since: float) -> None:
        """Sends this socket (only) the bot's messages in the conversation newer
        than ``since``: what was said while the page was closed or offline — a
        support agent's reply, typically. At most :data:`REPLAY_LIMIT`."""
        agent = getattr(getattr(getattr(self, "_app", None), "ctx", None), "agent", None)
        store = getattr(agent, "tracker_store", None)
        if store is None:
            return
        try:
            tracker = await store.retrieve(session_id)
        except Exception:  # noqa: BLE001 - a replay must not break the connection
            logger.warning("Could not read a conversation to replay it", exc_info=True)
            return
        if tracker is None:
            return
        missed = [
            event
            for event in tracker.events
            if isinstance(event, BotUttered) and (event.timestamp or 0) > since
        ][-REPLAY_LIMIT:]
        output = SocketIOOutput(self.sio, self.bot_message_evt, self.namespace)
        for event in missed:
            await output.send_response(sid, event.message())

    def _message_handler(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Callable[[str, Any], Awaitable[None]]:
        async def handle_message(sid: str, data: Any = None) -> None:
            if not isinstance(data, dict):
                logger.warning("socket.io message that is not an object; ignored")
                return
            text = data.get("message")
            if not isinstance(text, str) or not text.strip():
                return
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not is_session_id(sender_id) or sender_id not in self.sio.rooms(
                    sid, namespace=self.namespace
                ):
                    logger.warning(
                        "socket.io message for a session this socket did not request "
                        "(send session_request first); ignored"
                    )
                    return
            else:
                sender_id = sid
            output = SocketIOOutput(self.sio, self.bot_message_evt, self.namespace)
            if len(text) > MAX_MESSAGE_CHARS:
                await output.send_text_message(sender_id, TOO_LONG)
                return
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            message = UserMessage(
                text, output, sender_id, input_channel=self.name(), metadata=metadata
            )
            # The rate limit, and "please send it again" if the bot fails on it.
            await hand_to_rasa(on_new_message, message)

        return handle_message

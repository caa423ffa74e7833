"""WhatsApp through Meta's WhatsApp Cloud API (channel ``whatsapp``, webhook
``/webhooks/whatsapp/webhook``).

- ``GET`` answers Meta's verification handshake (``hub.mode=subscribe``,
  ``hub.verify_token``, ``hub.challenge``).
- Every ``POST`` must carry ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw
  body with the app secret>``; anything else is refused with 401/403 before it is
  read.
- Text messages and interactive replies (``button_reply``, ``list_reply``, and a
  template's quick-reply ``button``) become bot turns; images, stickers, voice
  notes get a kind "I read text only"; delivery statuses and other changes are
  acknowledged and ignored.
- Replies: text (in parts of at most 4,096 characters), up to 3 buttons as reply
  buttons (titles ≤ 20 characters), up to 10 as a list (row titles ≤ 24, the full
  title as the row's description), more as numbered text answered by number;
  a data export as a document (uploaded to the Cloud API's media endpoint).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import (
    MAX_TEXT_CHARS,
    OfferedChoices,
    RecentIds,
    channel_reply,
    language_of_text,
    numbered_choices,
    officer_language,
    same_secret,
    shared_redis,
    shorten,
    split_text,
)
from bot.channels.webhook import body_too_large, conversation_slots, hand_to_rasa
from bot.config import get_settings
from bot.replies import render

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"
# The Cloud API's limits on messages (developers.facebook.com/docs/whatsapp/cloud-api).
TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
MAX_REPLY_BUTTONS, REPLY_BUTTON_TITLE_LIMIT = 3, 20
MAX_LIST_ROWS, LIST_ROW_TITLE_LIMIT, LIST_ROW_DESCRIPTION_LIMIT = 10, 24, 72
LIST_BUTTON_LIMIT, ID_LIMIT = 20, 200
NON_TEXT_TYPES = {
    "image", "sticker", "audio", "video", "document", "location", "contacts", "reaction",
}  # fmt: skip


# --- Signatures and the handshake ---------------------------------------------------


def signature(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends with ``body``."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def is_signed(body: bytes, header: str | None, app_secret: str) -> bool:
    return header is not None and same_secret(header.strip(), signature(body, app_secret))


def handshake_challenge(query: Mapping[str, str], verify_token: str) -> str | None:
    """The challenge to echo when Meta verifies the webhook with our token; None
    for anyone else."""
    if query.get("hub.mode") != "subscribe" or not query.get("hub.challenge"):
        return None
    if not same_secret(query.get("hub.verify_token"), verify_token):
        return None
    return query["hub.challenge"]


# --- Reading notifications ----------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """One message in a notification. ``kind``: ``text``, ``button`` (an
    interactive reply; ``text`` is its payload) or ``not_text``."""

    kind: str
    sender: str
    text: str = ""
    message_id: str | None = None


def read_notification(notification: Any, phone_number_id: str) -> list[Incoming]:
    """The messages a webhook notification carries for our phone number; statuses,
    other numbers' messages and unknown changes give nothing."""
    found: list[Incoming] = []
    if not isinstance(notification, Mapping):
        return found
    for entry in _objects(notification.get("entry")):
        for change in _objects(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, Mapping):
                continue
            metadata = value.get("metadata") if isinstance(value.get("metadata"), Mapping) else {}
            if str(metadata.get("phone_number_id", "")) != phone_number_id:
                continue
            for message in _objects(value.get("messages")):
                incoming = read_message(message)
                if incoming:
                    found.append(incoming)
    return found


def read_message(message: Mapping[str, Any]) -> Incoming | None:
    sender, kind = message.get("from"), message.get("type")
    if not isinstance(sender, str) or not sender:
        return None
    message_id = message.get("id") if isinstance(message.get("id"), str) else None
    part = message.get(kind) if isinstance(kind, str) else None
    part = part if isinstance(part, Mapping) else {}
    if kind == "text" and isinstance(part.get("body"), str) and part["body"].strip():
        return Incoming("text", sender, part["body"], message_id)
    if kind == "interactive":
        reply = part.get(part.get("type")) if isinstance(part.get("type"), str) else None
        if isinstance(reply, Mapping) and (reply.get("id") or reply.get("title")):
            return Incoming("button", sender, str(reply.get("id") or reply["title"]), message_id)
        return None
    if kind == "button" and (part.get("payload") or part.get("text")):
        return Incoming("button", sender, str(part.get("payload") or part["text"]), message_id)
    if kind in NON_TEXT_TYPES:
        return Incoming("not_text", sender, message_id=message_id)
    return None


def _objects(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


# --- Writing messages ---------------------------------------------------------------


def text_message(to: str, text: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": text, "preview_url": False},
    }


def reply_messages(
    to: str, text: str, buttons: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The messages that carry one bot reply: reply buttons for up to 3 choices, a
    list for up to 10, numbered text beyond (answered by number)."""
    if len(buttons) > MAX_LIST_ROWS:
        text, buttons = numbered_choices(text, buttons), ()
    if not buttons:
        return [text_message(to, part) for part in split_text(text, TEXT_LIMIT) or [" "]]
    # An interactive body holds 1,024 characters: longer text goes first, alone.
    before, body = _last_paragraphs(text.strip(), INTERACTIVE_BODY_LIMIT)
    interactive = (
        _reply_buttons(body, buttons)
        if len(buttons) <= MAX_REPLY_BUTTONS
        else _list(body, buttons, language_of_text(text))
    )
    return [text_message(to, part) for part in split_text(before, TEXT_LIMIT)] + [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "interactive",
            "interactive": interactive,
        }
    ]


def _last_paragraphs(text: str, limit: int) -> tuple[str, str]:
    """``text`` as (what comes first, an ending of at most ``limit`` characters),
    cut at a paragraph, line or word boundary when there is one."""
    if len(text) <= limit:
        return "", text or " "
    tail = text[-limit:]
    for boundary in ("\n\n", "\n", " "):
        at = tail.find(boundary)
        if at != -1:
            cut = len(text) - limit + at
            return text[:cut].rstrip(), text[cut:].strip() or " "
    return text[:-limit], tail


def _payload(button: Mapping[str, Any]) -> str:
    return str(button.get("payload") or button.get("title", ""))[:ID_LIMIT]


def _reply_buttons(body: str, buttons: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "type": "button",
        "body": {"text": body},
        "action": {
            "buttons": [
                {
                    "type": "reply",
                    "reply": {
                        "id": _payload(b),
                        "title": shorten(str(b.get("title", "")), REPLY_BUTTON_TITLE_LIMIT),
                    },
                }
                for b in buttons
            ]
        },
    }


def _list(body: str, buttons: Sequence[Mapping[str, Any]], language: str) -> dict[str, Any]:
    label = shorten(render("channel_options", language), LIST_BUTTON_LIMIT)
    rows = []
    for button in buttons:
        title = " ".join(str(button.get("title", "")).split())
        row = {"id": _payload(button), "title": shorten(title, LIST_ROW_TITLE_LIMIT)}
        if len(title) > LIST_ROW_TITLE_LIMIT:  # the whole title where there is room
            row["description"] = shorten(title, LIST_ROW_DESCRIPTION_LIMIT)
        rows.append(row)
    return {
        "type": "list",
        "body": {"text": body},
        "action": {"button": label, "sections": [{"title": label, "rows": rows}]},
    }


# --- The Graph API ------------------------------------------------------------------


class GraphApi:
    """Sending messages and uploading files for one WhatsApp phone number."""

    def __init__(
        self,
        access_token: str,
        phone_number_id: str,
        base_url: str = DEFAULT_API_BASE_URL,
        version: str = DEFAULT_API_VERSION,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/{version.strip('/')}/{phone_number_id}"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._timeout = aiohttp.ClientTimeout(total=20)

    async def send(self, message: Mapping[str, Any]) -> Any:
        async with (
            aiohttp.ClientSession(timeout=self._timeout, headers=self._headers) as session,
            session.post(f"{self._url}/messages", json=dict(message)) as reply,
        ):
            return await self._result("messages", reply)

    async def upload(self, filename: str, content: bytes, mime_type: str) -> str:
        """Uploads a file to the media endpoint; returns its media id."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", content, filename=filename, content_type=mime_type)
        async with (
            aiohttp.ClientSession(timeout=self._timeout, headers=self._headers) as session,
            session.post(f"{self._url}/media", data=form) as reply,
        ):
            return str((await self._result("media", reply))["id"])

    @staticmethod
    async def _result(endpoint: str, reply: aiohttp.ClientResponse) -> Any:
        try:
            body = await reply.json(content_type=None)
        except (json.JSONDecodeError, aiohttp.ContentTypeError):
            body = {}
        if reply.status != 200:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            raise WhatsAppApiError(
                f"WhatsApp {endpoint} failed ({reply.status}): {error.get('message', '')}"
            )
        return body


class WhatsAppApiError(RuntimeError):
    pass


class WhatsAppOutput(OutputChannel):
    """Sends the bot's replies with the Cloud API."""

    def __init__(self, api: GraphApi, choices: OfferedChoices) -> None:
        self.api = api
        self.choices = choices

    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for message in reply_messages(recipient_id, text):
            await self.api.send(message)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        self.choices.offer(recipient_id, buttons)
        for message in reply_messages(recipient_id, text, buttons):
            await self.api.send(message)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.api.send(
            {
                "messaging_product": "whatsapp",
                "to": recipient_id,
                "type": "image",
                "image": {"link": image},
            }
        )

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """A file (an officer's data export) as a document; other custom payloads
        are the web widget's."""
        if json_message.get("type") != "file" or not isinstance(json_message.get("content"), str):
            return
        filename = str(json_message.get("filename") or "msaidizi.txt")
        media_id = await self.api.upload(
            filename,
            json_message["content"].encode("utf-8"),
            str(json_message.get("mime_type") or "text/plain"),
        )
        await self.api.send(
            {
                "messaging_product": "whatsapp",
                "to": recipient_id,
                "type": "document",
                "document": {"id": media_id, "filename": filename},
            }
        )


# --- The webhook --------------------------------------------------------------------


class WhatsAppInput(InputChannel):
    """The WhatsApp Cloud API webhook."""

    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WhatsAppInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        required = ("access_token", "app_secret", "verify_token", "phone_number_id")
        missing = [key for key in required if not credentials.get(key)]
        if missing:
            raise ValueError(f"WhatsApp channel credentials lack {', '.join(missing)}")
        return cls(
            access_token=str(credentials["access_token"]),
            app_secret=str(credentials["app_secret"]),
            verify_token=str(credentials["verify_token"]),
            phone_number_id=str(credentials["phone_number_id"]),
            api_base_url=credentials.get("api_base_url") or DEFAULT_API_BASE_URL,
            api_version=credentials.get("api_version") or DEFAULT_API_VERSION,
        )

    def __init__(
        self,
        *,
        access_token: str,
        app_secret: str,
        verify_token: str,
        phone_number_id: str,
        api_base_url: str = DEFAULT_API_BASE_URL,
        api_version: str = DEFAULT_API_VERSION,
    ) -> None:
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.phone_number_id = phone_number_id
        self.api = GraphApi(access_token, phone_number_id, api_base_url, api_version)
        # Shared by the replicas through Redis when one is configured (issue 8).
        memory = shared_redis(get_settings().rate_limit_redis_url)
        self.choices = OfferedChoices(redis=memory, namespace="whatsapp")
        self.handled = RecentIds(redis=memory, namespace="whatsapp")

    def get_output_channel(self) -> WhatsAppOutput:
        return WhatsAppOutput(self.api, self.choices)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("msaidizi_whatsapp", __name__)
        out = self.get_output_channel()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            query = {key: request.args.get(key) for key in request.args}
            challenge = handshake_challenge(query, self.verify_token)
            if challenge is None:
                return response.text("verification failed", status=403)
            return response.text(challenge)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            header = request.headers.get(SIGNATURE_HEADER)
            if header is None:
                return response.json({"error": "missing signature"}, status=401)
            if too_large := body_too_large(request):
                return too_large
            if not is_signed(request.body or b"", header, self.app_secret):
                return response.json({"error": "bad signature"}, status=403)
            try:
                notification = json.loads(request.body)
            except (ValueError, UnicodeDecodeError):
                return response.json({"error": "body is not JSON"}, status=400)
            for incoming in read_notification(notification, self.phone_number_id):
                if self.handled.first_time(incoming.message_id):
                    await self._handle(request, incoming, out, on_new_message)
            return response.json({"status": "ok"})

        return webhook

    async def _handle(
        self,
        request: Request,
        incoming: Incoming,
        out: WhatsAppOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        sender, text = incoming.sender, incoming.text
        if incoming.kind == "text":
            # "2" answers the second of more than ten choices sent as numbered text.
            picked = self.choices.pick(sender, text)
            self.choices.offer(sender, [])
            text = picked or text
        if incoming.kind == "not_text" or len(text) > MAX_TEXT_CHARS:
            slots = await conversation_slots(request, sender)
            if incoming.kind == "not_text":
                reply = channel_reply("channel_text_only", officer_language(slots))
            else:
                language = officer_language(slots, text[:MAX_TEXT_CHARS])
                reply = channel_reply("channel_too_long", language, limit=MAX_TEXT_CHARS)
            try:
                await out.send_text_message(sender, reply)
            except Exception:  # noqa: BLE001
                logger.warning("A WhatsApp courtesy reply failed", exc_info=True)
            return
        await hand_to_rasa(
            on_new_message,
            UserMessage(
                text, out, sender, input_channel=self.name(), metadata={"channel": "whatsapp"}
            ),
        )

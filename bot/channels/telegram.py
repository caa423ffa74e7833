"""Telegram: Msaidizi as a Telegram bot (channel ``telegram``, webhook
``/webhooks/telegram/webhook``).

Rasa's own ``TelegramInput`` calls the Bot API when its blueprint is built
(``set_webhook``, and ``get_me`` on every message), so Msaidizi could not start
without the network and every message cost a round trip. This one needs no
network to start and checks each delivery by the secret token Telegram sends in
``X-Telegram-Bot-Api-Secret-Token`` instead; the webhook is registered by a
separate command::

    python -m bot.channels.telegram set-webhook    # TELEGRAM_WEBHOOK_URL, token, secret
    python -m bot.channels.telegram webhook-info

What officers may send: text (also edited), button presses (callback queries,
answered at once so the button stops spinning); a sticker, photo, voice note or
file gets a kind "I read text only" in their language; in a group the bot only
answers when addressed, and then asks to be written to privately, because a
registration needs personal details (DPA 2019 s.25: no more disclosure than
needed). Other update kinds are acknowledged with 200 and ignored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput as RasaTelegramInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import (
    MAX_TEXT_CHARS,
    OfferedChoices,
    RecentIds,
    channel_reply,
    officer_language,
    same_secret,
    shared_redis,
    split_text,
)
from bot.channels.webhook import body_too_large, conversation_slots, hand_to_rasa
from bot.config import get_settings

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Telegram's limits: a message's text, and a button's callback data in bytes.
MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
#: Callback data for a payload too long for Telegram: an index into the choices
#: offered to that chat (see OfferedChoices).
CHOICE_PREFIX = "#choice:"
#: Updates the webhook asks Telegram for (set-webhook); others are ignored anyway.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
#: Commands Telegram clients send themselves, as the intents they mean.
COMMANDS = {"/start": "/greet", "/help": "/ask_help"}
NON_TEXT_CONTENT = (
    "sticker", "photo", "animation", "video", "video_note", "voice", "audio",
    "document", "location", "venue", "contact", "poll", "dice", "game",
)  # fmt: skip


# --- Reading updates (plain data in, plain data out) -------------------------------


@dataclass(frozen=True)
class Incoming:
    """What one Telegram update asks of the bot.

    ``kind`` is ``text`` (a message for the bot), ``button`` (a pressed inline
    button; ``text`` is its payload), ``not_text`` (a sticker, photo, …),
    ``group`` (the bot addressed in a group chat) or ``ignore``.
    """

    kind: str
    chat_id: str | None = None
    text: str = ""
    update_id: int | None = None
    callback_query_id: str | None = None


def read_update(update: Mapping[str, Any], bot_name: str) -> Incoming:
    """Reads a Bot API ``Update`` (https://core.telegram.org/bots/api#update)."""
    update_id = update.get("update_id") if isinstance(update.get("update_id"), int) else None
    query = update.get("callback_query")
    if isinstance(query, Mapping):
        return _read_callback_query(query, update_id)
    message = update.get("message") or update.get("edited_message")
    if not isinstance(message, Mapping):
        return Incoming("ignore", update_id=update_id)
    chat = message.get("chat") if isinstance(message.get("chat"), Mapping) else {}
    if not isinstance(chat.get("id"), int):
        return Incoming("ignore", update_id=update_id)
    chat_id = str(chat["id"])
    text = message.get("text")
    if chat.get("type") != "private":
        if isinstance(text, str) and _addresses_bot(message, text, bot_name):
            return Incoming("group", chat_id, update_id=update_id)
        return Incoming("ignore", chat_id, update_id=update_id)
    if isinstance(text, str) and text.strip():
        return Incoming("text", chat_id, _as_bot_input(text, bot_name), update_id)
    if any(key in message for key in NON_TEXT_CONTENT):
        return Incoming("not_text", chat_id, update_id=update_id)
    return Incoming("ignore", chat_id, update_id=update_id)


def _read_callback_query(query: Mapping[str, Any], update_id: int | None) -> Incoming:
    message = query.get("message") if isinstance(query.get("message"), Mapping) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), Mapping) else {}
    query_id = str(query["id"]) if query.get("id") is not None else None
    data = query.get("data")
    if chat.get("type") != "private" or not isinstance(chat.get("id"), int):
        return Incoming("ignore", update_id=update_id, callback_query_id=query_id)
    if not isinstance(data, str) or not data:
        return Incoming("ignore", str(chat["id"]), update_id=update_id, callback_query_id=query_id)
    return Incoming("button", str(chat["id"]), data, update_id, query_id)


def _addresses_bot(message: Mapping[str, Any], text: str, bot_name: str) -> bool:
    """In a group: "@msaidizi_bot …", "/help@msaidizi_bot", or a reply to the bot."""
    if f"@{bot_name}".lower() in text.lower():
        return True
    replied = message.get("reply_to_message")
    sender = replied.get("from") if isinstance(replied, Mapping) else None
    return isinstance(sender, Mapping) and str(sender.get("username", "")).lower() == (
        bot_name.lower()
    )


def _as_bot_input(text: str, bot_name: str) -> str:
    """The text as the bot should read it: without "@botname", and Telegram's
    /start and /help as the greeting and help intents."""
    text = re.sub(rf"@{re.escape(bot_name)}\b", "", text, flags=re.IGNORECASE).strip()
    command = text.split(maxsplit=1)[0].lower() if text.startswith("/") else ""
    return COMMANDS.get(command, text)


# --- Writing messages ---------------------------------------------------------------


def inline_keyboard(
    buttons: Sequence[Mapping[str, Any]], offered_index: bool = False
) -> dict[str, Any]:
    """Buttons as an inline keyboard, one per row (course titles are long).

    A payload longer than Telegram's 64 bytes of callback data is sent as its
    place in the offered choices (``#choice:3``) when ``offered_index`` is set.
    """
    rows = []
    for number, button in enumerate(buttons, 1):
        payload = str(button.get("payload") or button.get("title", ""))
        if len(payload.encode("utf-8")) > CALLBACK_DATA_LIMIT and offered_index:
            payload = f"{CHOICE_PREFIX}{number}"
        rows.append([{"text": str(button.get("title", "")), "callback_data": payload}])
    return {"inline_keyboard": rows}


def text_messages(
    chat_id: str, text: str, buttons: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """``sendMessage`` calls for one reply: long texts in parts, the keyboard on
    the last part."""
    parts = split_text(text, MESSAGE_LIMIT) or [" "]
    calls: list[dict[str, Any]] = [{"chat_id": chat_id, "text": part} for part in parts]
    if buttons:
        calls[-1]["reply_markup"] = inline_keyboard(buttons, offered_index=True)
    return calls


# --- The Bot API --------------------------------------------------------------------


class BotApi:
    """The few Bot API methods Msaidizi uses, at a configurable server (a local
    Bot API server, or a fake one in tests)."""

    def __init__(self, token: str, base_url: str = DEFAULT_API_BASE_URL) -> None:
        self._url = f"{base_url.rstrip('/')}/bot{token}"
        self._timeout = aiohttp.ClientTimeout(total=20)

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        async with (
            aiohttp.ClientSession(timeout=self._timeout) as session,
            session.post(f"{self._url}/{method}", json=dict(params or {})) as reply,
        ):
            return await self._result(method, reply)

    async def send_document(
        self, chat_id: str, filename: str, content: bytes, mime_type: str
    ) -> Any:
        form = aiohttp.FormData()
        form.add_field("chat_id", chat_id)
        form.add_field("document", content, filename=filename, content_type=mime_type)
        async with (
            aiohttp.ClientSession(timeout=self._timeout) as session,
            session.post(f"{self._url}/sendDocument", data=form) as reply,
        ):
            return await self._result("sendDocument", reply)

    @staticmethod
    async def _result(method: str, reply: aiohttp.ClientResponse) -> Any:
        try:
            body = await reply.json(content_type=None)
        except (json.JSONDecodeError, aiohttp.ContentTypeError):
            body = {}
        if reply.status != 200 or not body.get("ok"):
            raise TelegramApiError(method, reply.status, str(body.get("description", "")))
        return body.get("result")


class TelegramApiError(RuntimeError):
    def __init__(self, method: str, status: int, description: str) -> None:
        super().__init__(f"Telegram {method} failed ({status}): {description}")


class TelegramOutput(OutputChannel):
    """Sends the bot's replies with the Bot API."""

    def __init__(self, api: BotApi, choices: OfferedChoices) -> None:
        self.api = api
        self.choices = choices

    @classmethod
    def name(cls) -> str:
        return "telegram"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for call in text_messages(recipient_id, text):
            await self.api.call("sendMessage", call)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        self.choices.offer(recipient_id, buttons)
        for call in text_messages(recipient_id, text, buttons):
            await self.api.call("sendMessage", call)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.api.call("sendPhoto", {"chat_id": recipient_id, "photo": image})

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """A file (an officer's data export) as a document; other custom payloads
        are the web widget's and are not shown here."""
        if json_message.get("type") == "file" and isinstance(json_message.get("content"), str):
            await self.api.send_document(
                recipient_id,
                str(json_message.get("filename") or "msaidizi.txt"),
                json_message["content"].encode("utf-8"),
                str(json_message.get("mime_type") or "text/plain"),
            )
        elif isinstance(json_message.get("text"), str):
            await self.send_text_message(recipient_id, json_message["text"])

    async def answer_callback_query(self, callback_query_id: str) -> None:
        await self.api.call("answerCallbackQuery", {"callback_query_id": callback_query_id})


# --- The webhook --------------------------------------------------------------------


class TelegramInput(RasaTelegramInput):
    """Rasa's Telegram channel, made safe to start offline and to expose."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        missing = [k for k in ("access_token", "verify", "secret_token") if not credentials.get(k)]
        if missing:
            raise ValueError(f"Telegram channel credentials lack {', '.join(missing)}")
        return cls(
            credentials["access_token"],
            credentials["verify"],
            credentials.get("webhook_url"),
            secret_token=credentials["secret_token"],
            api_base_url=credentials.get("api_base_url") or DEFAULT_API_BASE_URL,
        )

    def __init__(
        self,
        access_token: str,
        verify: str,
        webhook_url: str | None,
        debug_mode: bool = False,
        *,
        secret_token: str,
        api_base_url: str = DEFAULT_API_BASE_URL,
    ) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode)
        self.bot_name = verify.lstrip("@")
        self.secret_token = secret_token
        self.api = BotApi(access_token, api_base_url)
        # Shared by the replicas through Redis when one is configured (issue 8).
        memory = shared_redis(get_settings().rate_limit_redis_url)
        self.choices = OfferedChoices(redis=memory, namespace="telegram")
        self.handled = RecentIds(redis=memory, namespace="telegram")

    def get_output_channel(self) -> TelegramOutput:
        """The output channel, without Rasa's set_webhook call (no network here)."""
        return TelegramOutput(self.api, self.choices)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("msaidizi_telegram", __name__)
        out = self.get_output_channel()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            given = request.headers.get(SECRET_HEADER)
            if not given:
                return response.json({"error": "missing secret token"}, status=401)
            if not same_secret(given, self.secret_token):
                return response.json({"error": "wrong secret token"}, status=403)
            if too_large := body_too_large(request):
                return too_large
            try:
                update = json.loads(request.body)
            except (ValueError, UnicodeDecodeError):
                return response.json({"error": "body is not JSON"}, status=400)
            if not isinstance(update, dict):
                return response.json({"error": "an update is a JSON object"}, status=400)
            incoming = read_update(update, self.bot_name)
            if not self.handled.first_time(incoming.update_id):
                return response.json({"status": "already handled"})
            await self._handle(request, incoming, out, on_new_message)
            return response.json({"status": "ok"})

        return webhook

    async def _handle(
        self,
        request: Request,
        incoming: Incoming,
        out: TelegramOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        if incoming.callback_query_id:
            await _quietly(out.answer_callback_query(incoming.callback_query_id))
        if incoming.kind == "ignore" or incoming.chat_id is None:
            return
        chat_id = incoming.chat_id
        if incoming.kind == "group":
            link = f"https://t.me/{self.bot_name}"
            reply = channel_reply("channel_group_chat", None, link=link)
            await _quietly(out.send_text_message(chat_id, reply))
            return
        slots = await conversation_slots(request, chat_id)
        if incoming.kind == "not_text":
            reply = channel_reply("channel_text_only", officer_language(slots))
            await _quietly(out.send_text_message(chat_id, reply))
            return
        text = incoming.text
        if incoming.kind == "button" and text.startswith(CHOICE_PREFIX):
            text = self.choices.pick(chat_id, text.removeprefix(CHOICE_PREFIX)) or ""
            if not text:  # offered before a restart: nothing to map it to
                return
        if len(text) > MAX_TEXT_CHARS:
            language = officer_language(slots, text[:MAX_TEXT_CHARS])
            reply = channel_reply("channel_too_long", language, limit=MAX_TEXT_CHARS)
            await _quietly(out.send_text_message(chat_id, reply))
            return
        await hand_to_rasa(
            on_new_message,
            UserMessage(
                text, out, chat_id, input_channel=self.name(), metadata={"channel": "telegram"}
            ),
        )


async def _quietly(call: Awaitable[Any]) -> None:
    """A courtesy call (answering a button press, a "text only" note) whose
    failure is logged and does not fail the webhook."""
    try:
        await call
    except Exception:  # noqa: BLE001
        logger.warning("A Telegram courtesy call failed", exc_info=True)


# --- Registering the webhook --------------------------------------------------------


async def set_webhook(api: BotApi, url: str, secret_token: str) -> Any:
    """Tells Telegram where to deliver updates, and the secret to send with them."""
    return await api.call(
        "setWebhook",
        {"url": url, "secret_token": secret_token, "allowed_updates": ALLOWED_UPDATES},
    )


def main(argv: Sequence[str] | None = None) -> int:
    from bot.channels.credentials import ChannelConfigError, channel_credentials

    parser = argparse.ArgumentParser(prog="python -m bot.channels.telegram")
    parser.add_argument("command", choices=["set-webhook", "webhook-info", "delete-webhook"])
    args = parser.parse_args(argv)
    try:
        credentials = channel_credentials("telegram")
    except ChannelConfigError as error:
        print(error, file=sys.stderr)
        return 2
    if credentials is None:
        print("Telegram is not configured: set TELEGRAM_TOKEN, TELEGRAM_SECRET_TOKEN and "
              "TELEGRAM_BOT_NAME.", file=sys.stderr)  # fmt: skip
        return 2
    api = BotApi(
        credentials["access_token"], credentials.get("api_base_url") or DEFAULT_API_BASE_URL
    )
    if args.command == "set-webhook":
        url = credentials.get("webhook_url")
        if not url:
            print("Set TELEGRAM_WEBHOOK_URL to the public address of "
                  "/webhooks/telegram/webhook (https).", file=sys.stderr)  # fmt: skip
            return 2
        call = set_webhook(api, url, credentials["secret_token"])
    elif args.command == "delete-webhook":
        call = api.call("deleteWebhook")
    else:
        call = api.call("getWebhookInfo")
    try:
        print(json.dumps(asyncio.run(call), indent=2))
    except (TelegramApiError, aiohttp.ClientError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""WhatsApp (or SMS) through Twilio (channel ``twilio``, webhook
``/webhooks/twilio/webhook``), built on Rasa's ``TwilioInput``.

Rasa's channel accepts any POST as a message from anyone; this one first checks
``X-Twilio-Signature`` with Twilio's own ``RequestValidator`` (HMAC-SHA1 of the
URL Twilio called and the form fields, keyed with the auth token). Behind a proxy
or tunnel the URL Sanic sees is not the one Twilio called, so set
``TWILIO_WEBHOOK_URL`` to the public address of the webhook.

Twilio messages have no buttons: a reply's buttons become a numbered list and the
officer answers with the number; the choices offered to each sender are kept in
memory (bounded, see OfferedChoices), or in Redis when configured. Replies are sent with Twilio's REST API
(asynchronously, unlike Rasa's ``TwilioOutput``), at a configurable base URL.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput as RasaTwilioInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot.channels.common import (
    MAX_TEXT_CHARS,
    OfferedChoices,
    RecentIds,
    channel_reply,
    numbered_choices,
    officer_language,
    shared_redis,
    split_text,
)
from bot.channels.webhook import body_too_large, conversation_slots, hand_to_rasa
from bot.config import get_settings

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.twilio.com"
SIGNATURE_HEADER = "X-Twilio-Signature"
#: Twilio's limit on one message's body.
BODY_LIMIT = 1600
#: An empty TwiML answer: the replies go out through the REST API.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class FormFields(dict):
    """Form fields as lists of values, with the ``getlist`` Twilio's validator uses
    for repeated fields."""

    def getlist(self, name: str) -> list[str]:
        return list(self.get(name, []))

    def first(self, name: str) -> str | None:
        values = self.get(name)
        return values[0] if values else None


def read_form(body: bytes) -> FormFields:
    return FormFields(parse_qs(body.decode("utf-8"), keep_blank_values=True))


def is_signed(validator: RequestValidator, url: str, fields: FormFields, given: str | None) -> bool:
    return bool(given) and validator.validate(url, fields, given)


def outgoing_bodies(text: str, buttons: list[Mapping[str, Any]] | None = None) -> list[str]:
    """The bodies that carry one reply: buttons as a numbered list."""
    if buttons:
        text = numbered_choices(text, buttons)
    return split_text(text, BODY_LIMIT)


def sender_of_whatsapp(number: str, recipient: str) -> str:
    """The ``From`` for a reply: Twilio wants ``whatsapp:+…`` on both sides of a
    WhatsApp message, and operators often configure the bare number."""
    if recipient.startswith("whatsapp:") and not number.startswith("whatsapp:"):
        return f"whatsapp:{number}"
    return number


class TwilioRestApi:
    """Sending messages with Twilio's Messages resource."""

    def __init__(
        self, account_sid: str, auth_token: str, base_url: str = DEFAULT_API_BASE_URL
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._auth = aiohttp.BasicAuth(account_sid, auth_token)
        self._timeout = aiohttp.ClientTimeout(total=20)

    async def send(self, sender: str, to: str, body: str) -> Any:
        async with aiohttp.ClientSession(timeout=self._timeout, auth=self._auth) as session:
            data = {"From": sender, "To": to, "Body": body}
            async with session.post(self._url, data=data) as reply:
                try:
                    result = await reply.json(content_type=None)
                except (json.JSONDecodeError, aiohttp.ContentTypeError):
                    result = {}
                if reply.status not in (200, 201):
                    message = result.get("message", "") if isinstance(result, dict) else ""
                    raise TwilioApiError(f"Twilio message failed ({reply.status}): {message}")
                return result


class TwilioApiError(RuntimeError):
    pass


class TwilioOutput(OutputChannel):
    """Sends the bot's replies as Twilio messages."""

    def __init__(self, api: TwilioRestApi, number: str, choices: OfferedChoices) -> None:
        self.api = api
        self.number = number
        self.choices = choices

    @classmethod
    def name(cls) -> str:
        return "twilio"

    async def _send(self, recipient_id: str, bodies: list[str]) -> None:
        sender = sender_of_whatsapp(self.number, recipient_id)
        for body in bodies:
            await self.api.send(sender, recipient_id, body)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send(recipient_id, outgoing_bodies(text))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        self.choices.offer(recipient_id, buttons)
        await self._send(recipient_id, outgoing_bodies(text, buttons))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send(recipient_id, [image])

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """Twilio sends media only from a public URL, which an officer's data
        export must never have: say so instead."""
        if json_message.get("type") == "file":
            await self._send(recipient_id, [channel_reply("channel_file_not_sent", None)])


class TwilioInput(RasaTwilioInput):
    """Rasa's Twilio channel with the signature check it lacks."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        required = ("account_sid", "auth_token", "twilio_number")
        missing = [key for key in required if not credentials.get(key)]
        if missing:
            raise ValueError(f"Twilio channel credentials lack {', '.join(missing)}")
        return cls(
            str(credentials["account_sid"]),
            str(credentials["auth_token"]),
            str(credentials["twilio_number"]),
            webhook_url=credentials.get("webhook_url"),
            api_base_url=credentials.get("api_base_url") or DEFAULT_API_BASE_URL,
        )

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        twilio_number: str,
        debug_mode: bool = False,
        *,
        webhook_url: str | None = None,
        api_base_url: str = DEFAULT_API_BASE_URL,
    ) -> None:
        super().__init__(account_sid, auth_token, twilio_number, debug_mode)
        self.webhook_url = webhook_url
        self.validator = RequestValidator(auth_token)
        self.api = TwilioRestApi(account_sid, auth_token, api_base_url)
        # Shared by the replicas through Redis when one is configured (issue 8).
        memory = shared_redis(get_settings().rate_limit_redis_url)
        self.choices = OfferedChoices(redis=memory, namespace="twilio")
        self.handled = RecentIds(redis=memory, namespace="twilio")

    def get_output_channel(self) -> TwilioOutput:
        return TwilioOutput(self.api, self.twilio_number, self.choices)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("msaidizi_twilio", __name__)
        out = self.get_output_channel()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            given = request.headers.get(SIGNATURE_HEADER)
            if not given:
                return response.json({"error": "missing signature"}, status=401)
            if too_large := body_too_large(request):
                return too_large
            try:
                fields = read_form(request.body or b"")
            except UnicodeDecodeError:
                return response.json({"error": "form is not UTF-8"}, status=400)
            if not is_signed(self.validator, self.webhook_url or request.url, fields, given):
                return response.json({"error": "bad signature"}, status=403)
            sender = fields.first("From")
            if sender and self.handled.first_time(fields.first("MessageSid")):
                await self._handle(request, sender, fields, out, on_new_message)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return webhook

    async def _handle(
        self,
        request: Request,
        sender: str,
        fields: FormFields,
        out: TwilioOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        text = fields.first("Body") or ""
        has_media = (fields.first("NumMedia") or "0") not in ("", "0")
        if fields.first("MessageStatus") and not text and not has_media:
            return  # a delivery status callback
        if not text.strip() and not has_media and not fields.first("Latitude"):
            return
        picked = self.choices.pick(sender, text)
        self.choices.offer(sender, [])
        if not picked and (not text.strip() or len(text) > MAX_TEXT_CHARS):
            slots = await conversation_slots(request, sender)
            if not text.strip():
                reply = channel_reply("channel_text_only", officer_language(slots))
            else:
                language = officer_language(slots, text[:MAX_TEXT_CHARS])
                reply = channel_reply("channel_too_long", language, limit=MAX_TEXT_CHARS)
            try:
                await out.send_text_message(sender, reply)
            except Exception:  # noqa: BLE001
                logger.warning("A Twilio courtesy reply failed", exc_info=True)
            return
        # "@" signs get corrupted in SMSes by some carriers (as in Rasa's channel).
        text = picked or text.replace("¡", "@")
        await hand_to_rasa(
            on_new_message,
            UserMessage(
                text, out, sender, input_channel=self.name(), metadata={"channel": "twilio"}
            ),
        )

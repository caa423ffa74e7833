"""Rasa's REST channel (name ``rest``, webhook ``/webhooks/rest/webhook``) with
the checks the stock one lacks (issue 8):

- a body that is not a JSON object, a missing or odd ``sender`` (1–128
  characters), or a ``message`` that is not text get HTTP 400 with a JSON
  ``error`` saying what is wrong (the stock channel answered 500 or crashed);
- a body over 256 KB gets 413 before it is parsed;
- a message over :data:`~bot.web.MAX_MESSAGE_CHARS` characters gets HTTP 413 and
  the polite "too long" reply (in the message's language) as the usual message
  list, and never reaches the bot;
- a sender over the rate limit gets HTTP 429 with ``Retry-After`` and, the first
  time in the window, the polite "wait" reply as the message list;
- a message the bot could not handle (its conversation's lock not had in time, a
  replica's failure) gets HTTP 503 with ``Retry-After`` and "please send it
  again", instead of Rasa's 200 with an empty list that lost it silently.

Otherwise it answers as Rasa's does (``?stream=true`` included).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import reply_to
from bot.channels.rate_limit import Decision
from bot.channels.webhook import body_too_large, rate_limiter
from bot.web import MAX_MESSAGE_CHARS

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Any:
            too_large = body_too_large(request)
            if too_large is not None:
                return too_large
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - Sanic's parse error: the client's mistake
                body = None
            problem = _problem(body)
            if problem:
                return response.json({"error": problem}, status=400)
            sender_id, text = str(body["sender"]), body["message"]
            if len(text) > MAX_MESSAGE_CHARS:
                reply = reply_to(text, "channel_too_long", limit=MAX_MESSAGE_CHARS)
                return response.json([{"recipient_id": sender_id, "text": reply}], status=413)
            decision: Decision = await rate_limiter().check(self.name(), sender_id)
            if not decision.allowed:
                messages = []
                if decision.tell:
                    reply = reply_to(text, "channel_rate_limited", seconds=decision.retry_after)
                    messages.append({"recipient_id": sender_id, "text": reply})
                return response.json(
                    messages, status=429, headers={"Retry-After": str(decision.retry_after)}
                )
            metadata = self.get_metadata(request)
            input_channel = self._extract_input_channel(request)
            if request.args.get("stream", "").lower() == "true":
                return response.stream(
                    self.stream_response(on_new_message, text, sender_id, input_channel, metadata),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text, collector, sender_id, input_channel=input_channel, metadata=metadata
                    )
                )
            except Exception as error:  # noqa: BLE001 - answered below, never a silent 200
                # Rasa's channel answered 200 with whatever was collected, so a
                # message that could not be handled (typically: its conversation's
                # lock could not be had in time) was lost without anyone knowing.
                logger.error("A REST message could not be handled (%s)", type(error).__name__)
                reply = reply_to(text, "channel_not_handled")
                return response.json(
                    [{"recipient_id": sender_id, "text": reply}],
                    status=503,
                    headers={"Retry-After": "1"},
                )
            return response.json(collector.messages)

        return webhook


def _problem(body: Any) -> str | None:
    """What is wrong with a REST request body, or None."""
    if not isinstance(body, dict):
        return 'the body must be a JSON object: {"sender": "...", "message": "..."}'
    sender = body.get("sender")
    if isinstance(sender, bool) or not isinstance(sender, (str, int)):
        return '"sender" must be a string (or a number): who is writing'
    if not 1 <= len(str(sender).strip()) <= MAX_SENDER_CHARS or str(sender) != str(sender).strip():
        return f'"sender" must be 1 to {MAX_SENDER_CHARS} characters, without surrounding spaces'
    message = body.get("message")
    if not isinstance(message, str):
        return '"message" must be a string: what the officer wrote'
    return None

"""The parts of a webhook handler every channel shares: the body-size cap, the
officer's conversation slots (for replies the bot never sees), and handing a
message to Rasa without ever answering the platform with a 500."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import MAX_BODY_BYTES, reply_to
from bot.channels.rate_limit import RateLimiter
from bot.config import get_settings

logger = logging.getLogger(__name__)

_limiter: RateLimiter | None = None


def rate_limiter() -> RateLimiter:
    """This process's limiter, configured from the environment on first use."""
    global _limiter
    if _limiter is None:
        settings = get_settings()
        _limiter = RateLimiter(
            settings.rate_limit_messages,
            settings.rate_limit_window_seconds,
            settings.rate_limit_redis_url,
        )
    return _limiter


async def within_rate_limit(message: UserMessage) -> bool:
    """Whether the message may reach the bot. The first one refused in a window is
    answered (once) with how long to wait, in the language it was written in
    (both, when that cannot be told)."""
    decision = await rate_limiter().check(message.input_channel or "unknown", message.sender_id)
    if decision.allowed:
        return True
    if decision.tell:
        reply = reply_to(message.text, "channel_rate_limited", seconds=decision.retry_after)
        try:
            await message.output_channel.send_text_message(message.sender_id, reply)
        except Exception:  # noqa: BLE001 - a courtesy reply
            logger.warning("A rate-limit notice could not be sent", exc_info=True)
    return False


def body_too_large(request: Request) -> HTTPResponse | None:
    """413 for a body over :data:`MAX_BODY_BYTES`, before anything parses it."""
    if len(request.body or b"") > MAX_BODY_BYTES:
        return response.json({"error": "request body too large"}, status=413)
    return None


async def conversation_slots(request: Request, sender_id: str) -> dict[str, Any]:
    """The slots of a sender's conversation, from Rasa's tracker store; empty for
    a new conversation or if the store cannot be read (a channel reply is then
    written in both languages)."""
    agent = getattr(request.app.ctx, "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return {}
    try:
        tracker = await store.retrieve(sender_id)
    except Exception:  # noqa: BLE001 - a lookup for a courtesy reply must not fail the webhook
        logger.warning("Could not read a conversation's language", exc_info=True)
        return {}
    return dict(tracker.current_slot_values()) if tracker else {}


async def hand_to_rasa(
    on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage
) -> None:
    """Runs a bot turn. A failure (the platform's API refused a reply, the model
    broke) is logged, not raised: the platform gets its 200 and does not re-send a
    message that was already handled. A sender over the rate limit is not
    handed over (:func:`within_rate_limit`)."""
    if not await within_rate_limit(message):
        return
    try:
        await on_new_message(message)
    except Exception:  # noqa: BLE001
        logger.exception("A %s message could not be handled", message.input_channel)
        # Not silently: the officer is asked to send it again.
        reply = reply_to(message.text, "channel_not_handled")
        try:
            await message.output_channel.send_text_message(message.sender_id, reply)
        except Exception:  # noqa: BLE001 - the platform itself is failing
            logger.warning("A 'send it again' notice could not be sent", exc_info=True)

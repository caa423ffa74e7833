"""Our REST channel's answers, its handler called directly (the same checks run on
a real server in tests/integration/test_limits.py): above all, a message the bot
fails on is answered 503 "send it again", never a silent 200."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.channels import webhook
from bot.channels.rate_limit import RateLimiter
from bot.channels.rest import RestInput


class FakeRequest:
    def __init__(self, body: Any) -> None:
        self.body = json.dumps(body).encode()
        self.json = body
        self.args: dict[str, str] = {}


def receive_handler(on_new_message):  # noqa: ANN001, ANN201
    blueprint = RestInput().blueprint(on_new_message)
    [route] = [r for r in blueprint._future_routes if r.uri == "/webhook"]
    return route.handler


@pytest.fixture(autouse=True)
def roomy_limit(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(webhook, "_limiter", RateLimiter(limit=1000, window=60))


async def test_a_message_the_bot_fails_on_is_not_lost_silently() -> None:
    async def fails(message) -> None:  # noqa: ANN001
        raise RuntimeError("Could not acquire lock for conversation")

    answer = await receive_handler(fails)(
        FakeRequest({"sender": "rest-1", "message": "nataka kujisajili"})
    )
    assert answer.status == 503 and answer.headers["Retry-After"] == "1"
    [reply] = json.loads(answer.body)
    assert reply == {
        "recipient_id": "rest-1",
        "text": "Samahani, sikuweza kushughulikia ujumbe huo sasa hivi. Tafadhali utume tena.",
    }


async def test_a_handled_message_gets_the_bot_s_replies() -> None:
    async def answers(message) -> None:  # noqa: ANN001
        await message.output_channel.send_text_message(message.sender_id, "Habari!")

    answer = await receive_handler(answers)(FakeRequest({"sender": "rest-2", "message": "habari"}))
    assert answer.status == 200
    assert json.loads(answer.body) == [{"recipient_id": "rest-2", "text": "Habari!"}]


async def test_other_channels_ask_the_officer_to_send_it_again() -> None:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    async def fails(message) -> None:  # noqa: ANN001
        raise RuntimeError("boom")

    out = CollectingOutputChannel()
    await webhook.hand_to_rasa(
        fails, UserMessage("I want to register", out, "tg-1", input_channel="telegram")
    )
    assert out.messages == [
        {
            "recipient_id": "tg-1",
            "text": "Sorry, I could not handle that message just now. Please send it again.",
        }
    ]

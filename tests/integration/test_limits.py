"""Issue 8's limits on a real Rasa server: bad REST bodies get a clear 4xx (never
a 500, never a bot turn), an over-long message a polite 413, and a sender over the
per-sender rate limit a 429 with Retry-After — on REST and on socket.io — while
other senders carry on. This stack allows 5 messages a minute per sender."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
import requests

from bot.web import MAX_MESSAGE_CHARS
from tests.conftest import Stack
from tests.integration.test_web_channel import connect, wait_for

pytestmark = pytest.mark.integration

LIMIT = 5


class LimitedStack(Stack):
    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "RATE_LIMIT_MESSAGES": str(LIMIT), "RATE_LIMIT_WINDOW_SECONDS": "60"}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LimitedStack]:
    running = LimitedStack(tmp_path_factory.mktemp("limited-stack"))
    running.setup_database()
    running.start()
    yield running
    running.stop()


def rest(stack: Stack, body: object = None, data: bytes | None = None) -> requests.Response:
    return requests.post(
        f"{stack.url}/webhooks/rest/webhook",
        json=body if data is None else None,
        data=data,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "JSON object"),
        (b"[1, 2]", "JSON object"),
        (b'{"message": "hi"}', '"sender" must be'),
        (b'{"sender": true, "message": "hi"}', '"sender" must be'),
        (b'{"sender": "", "message": "hi"}', "1 to 128 characters"),
        (b'{"sender": " padded ", "message": "hi"}', "without surrounding spaces"),
        (b'{"sender": "' + b"x" * 129 + b'", "message": "hi"}', "1 to 128 characters"),
        (b'{"sender": "a", "message": 5}', '"message" must be a string'),
        (b'{"sender": "a"}', '"message" must be a string'),
    ],
)
def test_a_bad_rest_body_gets_a_clear_400(limited: LimitedStack, body: bytes, says: str) -> None:
    answer = rest(limited, data=body)
    assert answer.status_code == 400 and says in answer.json()["error"]


def test_oversized_rest_requests_never_reach_the_bot(limited: LimitedStack) -> None:
    sender = f"rest-big-{uuid.uuid4().hex[:8]}"
    huge = rest(limited, data=b'{"sender": "a", "message": "' + b"x" * 300_000 + b'"}')
    assert huge.status_code == 413
    long = rest(limited, {"sender": sender, "message": "nataka kozi " * 500})
    assert long.status_code == 413
    [reply] = long.json()
    assert reply["recipient_id"] == sender
    assert f"ninasoma hadi herufi {MAX_MESSAGE_CHARS}" in reply["text"]  # Kiswahili, as asked
    events = limited.tracker(sender).get("events") or []
    assert not [e for e in events if e["event"] in ("user", "bot")]


def test_a_flooding_rest_sender_is_slowed_and_told_once(limited: LimitedStack) -> None:
    sender = f"rest-flood-{uuid.uuid4().hex[:8]}"
    answers = [rest(limited, {"sender": sender, "message": "hello"}) for _ in range(LIMIT + 2)]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429, 429]
    assert all(a.json() for a in answers[:LIMIT])  # the bot answered each
    notice, quiet = answers[LIMIT], answers[LIMIT + 1]
    assert 1 <= int(notice.headers["Retry-After"]) <= 60
    assert "sending messages faster than I can answer" in notice.json()[0]["text"]
    assert quiet.json() == []  # told once, not once per message
    user_events = [e for e in limited.tracker(sender)["events"] if e["event"] == "user"]
    assert len(user_events) == LIMIT
    # Someone else is not slowed down.
    other = rest(limited, {"sender": f"rest-other-{uuid.uuid4().hex[:8]}", "message": "hello"})
    assert other.status_code == 200 and other.json()


def test_a_flooding_socket_is_slowed_too(limited: LimitedStack) -> None:
    async def flood() -> list:
        client, received, session = await connect(limited, None)
        for _ in range(LIMIT + 3):
            await client.emit("user_uttered", {"message": "habari", "session_id": session})
        await wait_for(received, LIMIT + 1)
        await asyncio.sleep(2)  # anything more that would come
        await client.disconnect()
        return received

    received = asyncio.run(flood())
    texts = [m.get("text", "") for m in received]
    notices = [t for t in texts if "Unatuma ujumbe kwa kasi" in t]
    assert len(notices) == 1 and len(texts) == LIMIT + 1, texts


def test_every_service_answers_health(limited: LimitedStack) -> None:
    rasa = requests.get(f"{limited.url}/health", timeout=10)
    assert rasa.status_code == 200
    assert rasa.json() == {
        "status": "ok",
        "checks": {"model": "ok", "tracker_store": "ok", "lock_store": "ok"},
    }
    actions = requests.get(f"http://localhost:{limited.action_port}/health", timeout=10)
    assert actions.status_code == 200
    assert requests.get(f"{limited.web_url}/health", timeout=10).status_code == 200

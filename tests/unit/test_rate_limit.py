"""The per-sender rate limit, counting in memory and in a real Redis (skipped with
the reason when Redis cannot be reached)."""

from __future__ import annotations

import uuid

import pytest
import redis

from bot.channels.rate_limit import RateLimiter, sender_digest

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def decisions(limiter: RateLimiter, n: int, sender: str = "officer-1") -> list[tuple]:
    return [(d.allowed, d.tell) for d in [await limiter.check("rest", sender) for _ in range(n)]]


async def test_the_limit_per_window_and_one_notice() -> None:
    clock = Clock(1_000_000.0)
    limiter = RateLimiter(limit=3, window=60, clock=clock)
    assert await decisions(limiter, 6) == [
        (True, False), (True, False), (True, False),
        (False, True),  # the first refused: tell the officer once
        (False, False), (False, False),
    ]  # fmt: skip
    # Other senders, and the same id on another channel, are counted apart.
    assert await decisions(limiter, 1, "officer-2") == [(True, False)]
    assert (await limiter.check("telegram", "officer-1")).allowed
    decision = await limiter.check("rest", "officer-1")
    assert decision.retry_after == 20  # 1,000,000 s is 40 s into a 60-s window
    clock.now += 20
    assert await decisions(limiter, 4) == [(True, False)] * 3 + [(False, True)]


def test_a_limit_needs_sense() -> None:
    with pytest.raises(ValueError):
        RateLimiter(limit=0)
    with pytest.raises(ValueError):
        RateLimiter(window=0)


def test_senders_are_logged_as_digests() -> None:
    digest = sender_digest("whatsapp", "254712345678")
    assert len(digest) == 16 and "254712345678" not in digest
    assert digest != sender_digest("telegram", "254712345678")


@pytest.fixture
def redis_prefix() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    prefix = f"test-rate-{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


async def test_replicas_share_the_count_in_redis(redis_prefix: str) -> None:
    clock = Clock()
    one, two = (
        RateLimiter(limit=4, window=60, redis_url=REDIS_URL, key_prefix=redis_prefix, clock=clock)
        for _ in range(2)
    )
    try:
        results = [await (one if n % 2 else two).check("rest", "officer-1") for n in range(6)]
        assert [d.allowed for d in results] == [True] * 4 + [False] * 2
        assert [d.tell for d in results] == [False] * 4 + [True, False]
        keys = redis.Redis.from_url(REDIS_URL).keys(f"{redis_prefix}*")
        assert len(keys) == 1 and 0 < redis.Redis.from_url(REDIS_URL).ttl(keys[0]) <= 121
    finally:
        await one.close()
        await two.close()


async def test_without_redis_it_counts_in_the_process(caplog) -> None:  # noqa: ANN001
    limiter = RateLimiter(limit=2, window=60, redis_url="redis://127.0.0.1:1/0")
    try:
        assert await decisions(limiter, 3) == [(True, False), (True, False), (False, True)]
    finally:
        await limiter.close()
    assert "Redis unavailable" in caplog.text and "officer-1" not in caplog.text

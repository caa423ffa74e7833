"""A per-sender limit on how many messages reach the bot (issue 8).

An officer types a few messages a minute; a script flooding one conversation would
take the NLU, the action server and the database from everyone else. Each sender
(channel + sender id) may send ``limit`` messages per ``window`` seconds (fixed
windows); beyond that a message is not handed to the bot. The first refused
message of a window gets one polite reply in the officer's language
(``channel_rate_limited``) — later ones in the same window are dropped without
a reply, so a flood is not answered with a flood — and every refusal is logged
with a digest of the sender, never the id itself.

With several Rasa replicas the count must be shared: given a Redis URL
(``RATE_LIMIT_REDIS_URL``, else a ``redis://`` ``LOCK_STORE_URL``), the counters
live in Redis (``INCR`` + ``EXPIRE``, one round trip, short timeouts). If Redis
cannot be reached the limiter counts in this process instead (logged), so the
limit never takes the bot down with it.

Plain Python plus ``redis.asyncio``; no Rasa import.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.channels.common import sender_digest

logger = logging.getLogger(__name__)

#: How many senders' counters a process keeps in memory (oldest dropped first).
MEMORY_SIZE = 50_000
#: Longest the limiter waits for Redis before counting locally.
REDIS_TIMEOUT_SECONDS = 0.25
#: After a Redis failure, how long to count locally before trying Redis again.
REDIS_RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: The first refusal of this window: tell the officer (once).
    tell: bool = False
    #: Seconds until the window ends (for Retry-After).
    retry_after: int = 0


class RateLimiter:
    def __init__(
        self,
        limit: int = 30,
        window: float = 60.0,
        redis_url: str | None = None,
        key_prefix: str = "msaidizi:rate:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = window
        self.key_prefix = key_prefix
        self.clock = clock
        self._counts: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._redis = None
        self._redis_down_until = 0.0
        if redis_url:
            import redis.asyncio as redis

            self._redis = redis.Redis.from_url(
                redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )

    async def check(self, channel: str, sender_id: str) -> Decision:
        """Counts one message from the sender and says whether it may pass."""
        now = self.clock()
        window_index = int(now // self.window)
        retry_after = max(1, int((window_index + 1) * self.window - now + 0.999))
        key = sender_digest(channel, sender_id)
        count = await self._count_in_redis(key, window_index, now)
        if count is None:
            count = self._count_here(key, window_index)
        if count <= self.limit:
            return Decision(True)
        tell = count == self.limit + 1
        logger.warning(
            "rate limit: sender %s sent %d messages in %ss (limit %d)",
            key, count, int(self.window), self.limit,
        )  # fmt: skip
        return Decision(False, tell=tell, retry_after=retry_after)

    def _count_here(self, key: str, window_index: int) -> int:
        seen_window, count = self._counts.pop(key, (window_index, 0))
        count = count + 1 if seen_window == window_index else 1
        self._counts[key] = (window_index, count)
        while len(self._counts) > MEMORY_SIZE:
            self._counts.popitem(last=False)
        return count

    async def _count_in_redis(self, key: str, window_index: int, now: float) -> int | None:
        if self._redis is None or now < self._redis_down_until:
            return None
        name = f"{self.key_prefix}{key}:{window_index}"
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.incr(name)
                pipe.expire(name, int(self.window) * 2 + 1)
                count, _ = await pipe.execute()
            return int(count)
        except Exception as error:  # noqa: BLE001 - counted locally instead
            self._redis_down_until = now + REDIS_RETRY_SECONDS
            logger.warning(
                "rate limit: Redis unavailable (%s); counting in this process for %ds",
                type(error).__name__, int(REDIS_RETRY_SECONDS),
            )  # fmt: skip
            return None

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()

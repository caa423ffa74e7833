"""``python -m bot.events_consumer``: reads the events Rasa publishes to RabbitMQ and
keeps the support console's conversation index current with them.

With ``EVENT_BROKER_URL`` set, every Rasa replica publishes each tracker event to
the queue ``EVENT_BROKER_QUEUE`` (:mod:`bot.endpoints`). The console's lists and
analytics read an index of the tracker store (:mod:`bot.console.conversations`)
that is otherwise brought up to date only when a page is opened, which after a
busy hour means a slow first page. This consumer brings it up to date as events
arrive instead — at most once every ``EVENTS_REFRESH_SECONDS`` (default 2) — and
only then acknowledges the messages, so an event is never dropped before the
index holds it (on a failure they are delivered again).

It also drains the queue. Events carry what officers typed, so a queue nobody
reads is personal data piling up on RabbitMQ's disk; the tracker store remains
the one record. :mod:`bot.serve_prod` runs it when a broker is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

from bot.config import get_settings
from bot.endpoints import DEFAULT_EXCHANGE, DEFAULT_QUEUE, mask_password

logger = logging.getLogger("bot.events_consumer")

PREFETCH = 1000


class IndexFeeder:
    """Collects deliveries; :meth:`flush` refreshes the index, then acks them."""

    def __init__(self, refresh: Any) -> None:
        self._refresh = refresh
        self._pending: list[Any] = []
        self.events_indexed = 0

    def add(self, message: Any) -> None:
        self._pending.append(message)

    async def flush(self) -> int:
        """Refreshes the index if anything arrived; returns how many messages were
        acknowledged (0 when there was nothing, or the refresh failed)."""
        if not self._pending:
            return 0
        pending, self._pending = self._pending, []
        try:
            await self._refresh()
        except Exception:
            logger.exception("refreshing the console index failed; the events will come again")
            for message in pending:
                await message.nack(requeue=True)
            return 0
        # One ack for everything up to the last delivery on this channel.
        await pending[-1].ack(multiple=True)
        self.events_indexed += len(pending)
        return len(pending)


async def consume(stop: asyncio.Event) -> None:
    import aio_pika

    from bot.console import conversations

    env = os.environ
    url = env["EVENT_BROKER_URL"]
    queue_name = env.get("EVENT_BROKER_QUEUE") or DEFAULT_QUEUE
    exchange_name = env.get("EVENT_BROKER_EXCHANGE") or DEFAULT_EXCHANGE
    interval = float(env.get("EVENTS_REFRESH_SECONDS") or 2)
    engine = conversations.create_engine(get_settings().tracker_store_url)
    feeder = IndexFeeder(lambda: conversations.refresh(engine))
    connection = await aio_pika.connect_robust(url)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        # Declared as Rasa declares them, so either may start first.
        exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.FANOUT)
        queue = await channel.declare_queue(queue_name, durable=True)
        await queue.bind(exchange, "")

        async def on_message(message: Any) -> None:
            feeder.add(message)

        await queue.consume(on_message)
        logger.info("reading events from %s queue %s", mask_password(url), queue_name)
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            await feeder.flush()
    finally:
        await connection.close()
        await engine.dispose()
        logger.info("stopped after indexing %d events", feeder.events_indexed)


def main() -> int:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)-8s %(name)s - %(message)s",
    )
    if not os.environ.get("EVENT_BROKER_URL"):
        print("EVENT_BROKER_URL is not set: there is no queue to read", file=sys.stderr)
        return 2

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await consume(stop)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rasa's Redis lock store, with every change to a lock made atomically.

Several Rasa replicas share one conversation store; the lock store makes sure two
messages of one conversation are handled one after the other, whichever replicas
receive them. Rasa 3.6's ``RedisLockStore`` reads a conversation's ticket queue,
changes it in Python and writes it back, with nothing stopping another replica from
doing the same in between: when two replicas take a ticket at the same moment both
get the *same* ticket and handle their messages at once (in a test, 86 of 100
simultaneous pairs did), and a replica finishing can erase a ticket another has just
taken. This subclass makes each read-change-write one Redis transaction (``WATCH`` /
``MULTI``, retried when another replica changed the lock meanwhile), so tickets are
unique and none is lost; the ticket-lock algorithm itself is Rasa's.

Each lock key also expires with its last ticket, so a replica killed while holding
a lock leaves nothing behind once ``TICKET_LOCK_LIFETIME`` (Rasa's setting, default
60 s) has passed; until then that conversation's next message waits.

``endpoints.yml``::

    lock_store:
      type: bot.lock_store.AtomicRedisLockStore
      url: redis://:password@host:6379/0     # or host/port/db/password as for Rasa's
      key_prefix: msaidizi
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
    LOCK_LIFETIME,
    LockError,
    RedisLockStore,
)


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket changes cannot overwrite each other."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        # Rasa builds a lock store named by module path as cls(endpoint_config=...).
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}
        url = kwargs.pop("url", None) or kwargs.get("host") or ""
        if "://" in url:
            import redis

            key_prefix = kwargs.get("key_prefix")
            timeout = float(kwargs.get("socket_timeout", DEFAULT_SOCKET_TIMEOUT_IN_SECONDS))
            super().__init__(key_prefix=key_prefix, socket_timeout=timeout)
            self.red = redis.StrictRedis.from_url(url, socket_timeout=timeout)
        else:
            super().__init__(**kwargs)

    # --- every change to a lock goes through _change -------------------------------

    def _change(
        self, conversation_id: str, change: Callable[[TicketLock | None], TicketLock | None]
    ) -> None:
        """Reads the conversation's lock, lets ``change`` return it modified (or a new
        one, or ``None``) and writes the result back in one transaction: if another
        replica wrote the key in between, Redis refuses the write and it is done
        again. A lock without tickets is deleted."""
        key = self.key_prefix + conversation_id

        def apply(pipe: Any) -> None:
            raw = pipe.get(key)
            lock = change(TicketLock.from_dict(json.loads(raw)) if raw else None)
            pipe.multi()
            if lock is None or not lock.tickets:
                pipe.delete(key)
            else:
                last_expiry = max(ticket.expires for ticket in lock.tickets)
                pipe.set(key, lock.dumps(), ex=max(1, math.ceil(last_expiry - time.time())))

        self.red.transaction(apply, key)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        tickets: list[int] = []

        def take(lock: TicketLock | None) -> TicketLock:
            lock = lock or self.create_lock(conversation_id)
            tickets.append(lock.issue_ticket(lock_lifetime))
            return lock

        try:
            self._change(conversation_id, take)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return tickets[-1]

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> TicketLock | None:
            if lock:
                lock.remove_expired_tickets()
            return lock

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def drop_ticket(lock: TicketLock | None) -> TicketLock | None:
            if lock:
                lock.remove_ticket_for(ticket_number)
            return lock

        self._change(conversation_id, drop_ticket)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # Rasa's cleanup is finish_serving, then delete the key if nobody waits:
        # two steps another replica's new ticket could fall between. Here removing
        # the ticket deletes the key in the same transaction when it was the last.
        self.finish_serving(conversation_id, ticket_number)

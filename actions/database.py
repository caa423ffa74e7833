"""One async database engine per action-server process, and one way to use it:
:func:`in_transaction`, which bounds the work in time and turns any database
failure into :class:`DatabaseUnavailable` (logged once, here). Actions then answer
"please try again shortly" in the officer's language instead of crashing."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import AsyncAdaptedQueuePool

from bot.config import get_settings
from bot.db.engine import (
    async_session_factory,
    create_async_engine_for,
    is_sqlite,
    is_sqlite_file,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


class DatabaseUnavailable(Exception):
    """The enrolment database could not be reached or did not answer in time."""


@lru_cache(maxsize=2)
def _sessions(read_only: bool = False) -> sessionmaker:
    url = get_settings().database_url
    if read_only and not is_sqlite(url):
        return _sessions()  # PostgreSQL: readers never wait for writers anyway
    pool: dict[str, Any] = {}
    if is_sqlite_file(url):
        # SQLAlchemy 1.4 opens a new SQLite connection (a new aiosqlite thread, and
        # its PRAGMAs) for every transaction; keep a few open instead.
        pool = {"poolclass": AsyncAdaptedQueuePool, "pool_size": 4, "max_overflow": 8}
    return async_session_factory(create_async_engine_for(url, read_only=read_only, **pool))


_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _one_at_a_time() -> asyncio.Lock | None:
    """On SQLite, this process's transactions take turns here.

    SQLite lets one transaction at a time hold the database (ours all start with
    ``BEGIN IMMEDIATE``, bot.db.engine), and one that finds it taken polls, sleeping
    1, 2, 5, 10 … 100 ms between tries until the busy timeout. Under 50 officers'
    load action calls queued that way for up to 2 s (bench/README.md). Waiting
    here instead, each transaction starts the moment the previous one ends; the
    busy timeout still covers other processes (the console, ``make db``).
    PostgreSQL runs transactions side by side: no lock. One lock per event loop
    (a lock belongs to the loop it first waited in)."""
    if _sessions().kw["bind"].dialect.name != "sqlite":
        return None
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = asyncio.Lock()
    return turn


async def in_transaction(
    work: Callable[[AsyncSession], Awaitable[T]], *, read_only: bool = False
) -> T:
    """Runs ``work`` in one transaction: committed if it returns, rolled back if not.

    ``read_only=True`` (``work`` writes nothing): on SQLite the transaction takes no
    lock and does not wait for its turn (:func:`_one_at_a_time`); it reads a
    consistent snapshot. A write in it fails (SQLite refuses to upgrade a reader
    while another transaction writes, and the failure is reported as usual)."""

    async def transaction() -> T:
        async with _sessions(read_only)() as session, session.begin():
            return await work(session)

    async def run() -> T:
        turn = None if read_only else _one_at_a_time()
        if turn is None:
            return await transaction()
        async with turn:
            return await transaction()

    try:
        return await asyncio.wait_for(run(), get_settings().db_timeout_seconds)
    except Exception as error:  # any failure below is "the database is unavailable"
        logger.error("enrolment database unavailable (%s)", type(error).__name__, exc_info=True)
        raise DatabaseUnavailable() from error

"""One async database engine per action-server process, and one way to use it:
:func:`in_transaction`, which bounds the work in time and turns any database
failure into :class:`DatabaseUnavailable` (logged once, here). Actions then answer
"please try again shortly" in the officer's language instead of crashing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.config import get_settings
from bot.db.engine import async_session_factory, create_async_engine_for

logger = logging.getLogger(__name__)

T = TypeVar("T")


class DatabaseUnavailable(Exception):
    """The enrolment database could not be reached or did not answer in time."""


@lru_cache(maxsize=1)
def _sessions() -> sessionmaker:
    return async_session_factory(create_async_engine_for(get_settings().database_url))


async def in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Runs ``work`` in one transaction: committed if it returns, rolled back if not."""

    async def run() -> T:
        async with _sessions()() as session, session.begin():
            return await work(session)

    try:
        return await asyncio.wait_for(run(), get_settings().db_timeout_seconds)
    except Exception as error:  # any failure below is "the database is unavailable"
        logger.error("enrolment database unavailable (%s)", type(error).__name__, exc_info=True)
        raise DatabaseUnavailable() from error

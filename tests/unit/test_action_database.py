"""How the action server's transactions share the SQLite enrolment database
(actions.database): writers take turns in the process instead of polling SQLite's
lock, readers neither wait nor block, and connections are kept open."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.pool import AsyncAdaptedQueuePool

from actions import database


@pytest.fixture
def sqlite_database(monkeypatch: pytest.MonkeyPatch, migrated_sqlite_url: str):
    monkeypatch.setenv("DATABASE_URL", migrated_sqlite_url)
    monkeypatch.setenv("DB_TIMEOUT_SECONDS", "5")
    database._sessions.cache_clear()
    yield migrated_sqlite_url
    database._sessions.cache_clear()


async def test_writers_take_turns_and_readers_do_not_wait(sqlite_database) -> None:
    first_holds, release = asyncio.Event(), asyncio.Event()
    log: list[str] = []

    async def first_writer(session) -> None:
        await session.execute(text("SELECT count(*) FROM courses"))
        log.append("first writer in")
        first_holds.set()
        await release.wait()
        log.append("first writer out")

    async def second_writer(session) -> None:
        log.append("second writer in")

    async def reader(session) -> int:
        log.append("reader in")
        query = text("SELECT count(*) FROM sqlite_master WHERE name = 'courses'")
        return (await session.execute(query)).scalar_one()

    first = asyncio.create_task(database.in_transaction(first_writer))
    await first_holds.wait()
    second = asyncio.create_task(database.in_transaction(second_writer))
    tables = await asyncio.wait_for(database.in_transaction(reader, read_only=True), 5)
    await asyncio.sleep(0.05)  # the second writer had time to start, had it not waited
    # It waits for its turn in the process, not by polling SQLite's lock.
    assert database._one_at_a_time().locked()
    assert log == ["first writer in", "reader in"]
    assert tables == 1  # the reader read the database
    release.set()
    await asyncio.gather(first, second)
    assert log == ["first writer in", "reader in", "first writer out", "second writer in"]


async def test_many_simultaneous_writes_all_succeed(sqlite_database) -> None:
    async def write(number: int):
        async def work(session) -> None:
            await session.execute(
                text("INSERT INTO audit_log (at, action, target) VALUES (:at, 'test', :target)"),
                {"at": "2026-11-29 10:00:00.000000", "target": f"write:{number}"},
            )

        await database.in_transaction(work)

    await asyncio.gather(*(write(n) for n in range(40)))

    async def count(session) -> int:
        query = text("SELECT count(*) FROM audit_log WHERE action = 'test'")
        return (await session.execute(query)).scalar_one()

    assert await database.in_transaction(count, read_only=True) == 40


async def test_connections_are_kept_open(sqlite_database) -> None:
    async def nothing(session) -> None:
        await session.execute(text("SELECT 1"))

    await database.in_transaction(nothing)
    await database.in_transaction(nothing, read_only=True)
    for read_only in (False, True):
        engine = database._sessions(read_only).kw["bind"]
        assert isinstance(engine.sync_engine.pool, AsyncAdaptedQueuePool)

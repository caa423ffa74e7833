"""One DATABASE_URL gives the right sync and async drivers, and every SQLite
connection is set up for sharing the file (foreign keys, WAL, busy timeout)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db.engine import (
    async_url,
    create_async_engine_for,
    create_sync_engine,
    mask_url,
    session_factory,
    sync_url,
)


@pytest.mark.parametrize(
    ("url", "sync", "async_"),
    [
        ("sqlite:////srv/m.db", "sqlite+pysqlite:////srv/m.db", "sqlite+aiosqlite:////srv/m.db"),
        ("sqlite:///var/m.db", "sqlite+pysqlite:///var/m.db", "sqlite+aiosqlite:///var/m.db"),
        (
            "postgresql://u@db:5432/m",
            "postgresql+psycopg2://u@db:5432/m",
            "postgresql+asyncpg://u@db:5432/m",
        ),
        ("postgres://u@db/m", "postgresql+psycopg2://u@db/m", "postgresql+asyncpg://u@db/m"),
        (
            "postgresql+asyncpg://u@db/m",
            "postgresql+psycopg2://u@db/m",
            "postgresql+asyncpg://u@db/m",
        ),
    ],
)
def test_one_url_gives_both_drivers(url: str, sync: str, async_: str) -> None:
    assert str(sync_url(url)) == sync
    assert str(async_url(url)) == async_


def test_libpq_sslmode_becomes_asyncpg_ssl() -> None:
    url = "postgresql://u@db/m?sslmode=require"
    assert sync_url(url).query == {"sslmode": "require"}
    assert async_url(url).query == {"ssl": "require"}


def test_passwords_are_masked() -> None:
    assert mask_url("postgresql://msaidizi:s3cret@db/m") == "postgresql://msaidizi:***@db/m"
    assert "s3cret" not in mask_url("postgres://msaidizi:s3cret@db/m")


def test_unsupported_databases_are_refused_without_showing_the_password() -> None:
    with pytest.raises(ValueError, match=r"unsupported database URL mysql://u:\*\*\*@h/m"):
        sync_url("mysql://u:hunter2@h/m")


def test_sqlite_connections_are_ready_for_sharing(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there.db"
    engine = create_sync_engine(f"sqlite:///{path}", busy_timeout=7)
    with engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("foreign_keys", "journal_mode", "busy_timeout")
        }
    engine.dispose()
    assert path.exists()
    assert pragma == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 7000}


async def test_async_sqlite_connections_get_the_same_set_up(tmp_path: Path) -> None:
    engine = create_async_engine_for(f"sqlite:///{tmp_path / 'a' / 'm.db'}")
    async with engine.connect() as connection:
        foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
        journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
    await engine.dispose()
    assert (foreign_keys, journal) == (1, "wal")


def test_savepoints_work_on_sqlite(tmp_path: Path) -> None:
    """The Python sqlite3 driver breaks SAVEPOINT unless BEGIN is ours (engine.py)."""
    engine = create_sync_engine(f"sqlite:///{tmp_path / 'sp.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    with session_factory(engine).begin() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        nested = session.begin_nested()
        session.execute(text("INSERT INTO t VALUES (2)"))
        nested.rollback()
        session.execute(text("INSERT INTO t VALUES (3)"))
    with engine.connect() as connection:
        assert [r[0] for r in connection.exec_driver_sql("SELECT x FROM t ORDER BY x")] == [1, 3]
    engine.dispose()

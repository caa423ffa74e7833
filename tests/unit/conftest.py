"""Database fixtures for the unit tests: migrated databases on SQLite (always) and
PostgreSQL (when reachable; skipped with the reason otherwise, never passed).

Every test runs on the schema the real Alembic migrations build, migrated once per
test session, and cannot see another test's data: on SQLite each test gets a copy
of the migrated file; on PostgreSQL one migrated database is emptied (TRUNCATE)
before each test, and tests that alter the schema get their own copy
(``CREATE DATABASE … TEMPLATE``), dropped afterwards.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import sessionmaker

from bot.catalogue import Catalogue, load_catalogue, seed_catalogue
from bot.db import migrate
from bot.db.engine import (
    async_session_factory,
    create_async_engine_for,
    create_sync_engine,
    session_factory,
)
from bot.db.models import Base

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"


def postgres_url(database: str) -> str:
    return f"postgresql://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{database}"


def _admin(sql: str, database: str = "postgres") -> None:
    """Runs one statement, by default on the ``postgres`` maintenance database
    (CREATE/DROP DATABASE cannot run inside a transaction, hence autocommit)."""
    connection = psycopg2.connect(
        host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER, dbname=database,
        connect_timeout=3,
    )  # fmt: skip
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


@pytest.fixture(scope="session")
def postgres_unreachable() -> str | None:
    """``None`` when the local PostgreSQL answers, else why not."""
    try:
        _admin("SELECT 1")
    except psycopg2.Error as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        return f"PostgreSQL not reachable at {POSTGRES_HOST}:{POSTGRES_PORT} ({first_line})"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def migrated_sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh SQLite file at the newest schema (also used by tests/unit/test_actions)."""
    path = tmp_path / "msaidizi.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_template(postgres_unreachable: str | None) -> Iterator[str]:
    """A migrated PostgreSQL database for this test session to copy."""
    if postgres_unreachable:
        pytest.skip(postgres_unreachable)
    name = f"msaidizi_test_template_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        migrate.upgrade(postgres_url(name))
        yield name
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _postgres_copy(template: str) -> Iterator[str]:
    name = f"msaidizi_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield name
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_shared(postgres_template: str) -> Iterator[str]:
    with _postgres_copy(postgres_template) as name:
        yield name


@pytest.fixture
def migrated_postgres_url(postgres_shared: str) -> str:
    """An empty PostgreSQL database at the newest schema. One database serves the
    session and is emptied before each test (copying one per test costs ~0.5 s);
    tests that change the schema itself use ``scratch_postgres_url``."""
    _admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        f" WHERE datname = '{postgres_shared}' AND pid <> pg_backend_pid()"
    )
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    _admin(f"TRUNCATE {tables} RESTART IDENTITY CASCADE", database=postgres_shared)
    return postgres_url(postgres_shared)


@pytest.fixture
def scratch_postgres_url(postgres_template: str) -> Iterator[str]:
    """A PostgreSQL database of this test's own, dropped afterwards."""
    with _postgres_copy(postgres_template) as name:
        yield postgres_url(name)


@pytest.fixture
def scratch_sqlite_url(migrated_sqlite_url: str) -> str:
    return migrated_sqlite_url  # already a copy of its own


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
def empty_postgres_url(postgres_unreachable: str | None) -> Iterator[str]:
    """A PostgreSQL database with no schema at all, for migrating step by step."""
    if postgres_unreachable:
        pytest.skip(postgres_unreachable)
    name = f"msaidizi_test_empty_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url(name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database: each test using this runs on both backends."""
    return request.getfixturevalue(f"migrated_{request.param}_url")


@pytest.fixture(params=BACKENDS)
def scratch_db_url(request: pytest.FixtureRequest) -> str:
    """Like ``db_url``, for tests that alter the schema: never shared."""
    return request.getfixturevalue(f"scratch_{request.param}_url")


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest) -> str:
    """A database of this test's own with no tables: for testing the migrations
    one revision at a time."""
    return request.getfixturevalue(f"empty_{request.param}_url")


@pytest.fixture
def sync_engine(db_url: str) -> Iterator[Engine]:
    engine = create_sync_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(sync_engine: Engine) -> sessionmaker:
    """Sync session factory: ``with sessions.begin() as session: …`` commits."""
    return session_factory(sync_engine)


@pytest.fixture
async def async_engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine_for(db_url, **_pool_for(db_url))
    yield engine
    await engine.dispose()


def _pool_for(url: str) -> dict:
    # Room for the concurrency tests' parallel sessions on PostgreSQL.
    return {"pool_size": 10, "max_overflow": 30} if url.startswith("postgresql") else {}


@pytest.fixture
def async_sessions(async_engine: AsyncEngine) -> sessionmaker:
    return async_session_factory(async_engine)


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The shipped (sample) catalogue."""
    return load_catalogue()


@pytest.fixture
def seeded(sessions: sessionmaker, catalogue: Catalogue) -> sessionmaker:
    """``sessions``, on a database seeded with the shipped catalogue."""
    with sessions.begin() as session:
        seed_catalogue(session, catalogue)
    return sessions

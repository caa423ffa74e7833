"""Engines and sessions for the enrolment database, sync and async, from one URL.

Operators give one ``DATABASE_URL`` (``sqlite:///…`` or ``postgresql://…``, also
``postgres://`` as hosting providers hand it out). The CLI and migrations use a
sync engine (pysqlite / psycopg2); the action server uses an async one
(aiosqlite / asyncpg). Both get the same SQLite set-up, because the action server
and ``make db`` may use the same file at the same time:

- ``PRAGMA foreign_keys=ON`` on every connection (SQLite's default is OFF, which
  would silently ignore every FOREIGN KEY in the schema);
- WAL journal, so readers do not block the writer, and a busy timeout, so a
  writer waits for the lock instead of failing with "database is locked";
- transactions start with ``BEGIN IMMEDIATE`` (except on an engine made for
  reading only, see :func:`create_async_engine_for`): SQLite allows one writer, and
  taking the write lock up front makes a transaction wait (busy timeout) instead
  of failing half-way when it upgrades from reading to writing. It also makes
  SAVEPOINTs work, which the Python driver otherwise mishandles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_BUSY_TIMEOUT_SECONDS = 5.0

_SYNC_DRIVERS = {"sqlite": "sqlite+pysqlite", "postgresql": "postgresql+psycopg2"}
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def _parse(url: str | URL) -> tuple[URL, str]:
    """The URL and its backend ("sqlite" or "postgresql"); anything else is refused
    here, with the URL masked, rather than deep inside a driver."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    backend = parsed.drivername.split("+", 1)[0]
    if backend == "postgres":
        backend = "postgresql"
    if backend not in _SYNC_DRIVERS:
        raise ValueError(
            f"unsupported database URL {mask_url(parsed)}: use sqlite:/// or postgresql://"
        )
    return parsed, backend


def sync_url(url: str | URL) -> URL:
    """``url`` with the driver the CLI and Alembic use (pysqlite or psycopg2)."""
    parsed, backend = _parse(url)
    return parsed.set(drivername=_SYNC_DRIVERS[backend])


def async_url(url: str | URL) -> URL:
    """``url`` with the driver the action server uses (aiosqlite or asyncpg).

    ``sslmode`` (libpq's spelling, common in hosted PostgreSQL URLs) becomes
    asyncpg's ``ssl`` so one URL works for both drivers.
    """
    parsed, backend = _parse(url)
    parsed = parsed.set(drivername=_ASYNC_DRIVERS[backend])
    if backend == "postgresql" and "sslmode" in parsed.query:
        query = dict(parsed.query)
        query["ssl"] = query.pop("sslmode")
        parsed = parsed.set(query=query)
    return parsed


def mask_url(url: str | URL) -> str:
    """The URL as it may be printed or logged: any password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # unparsable: show nothing that could be a secret
        return "<unparsable database URL>"


def is_sqlite(url: str | URL) -> bool:
    return _parse(url)[1] == "sqlite"


def is_sqlite_file(url: str | URL) -> bool:
    """A SQLite database in a file (not in memory)."""
    target = sync_url(url)
    return target.get_backend_name() == "sqlite" and _sqlite_file(target) is not None


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_sqlite_file(url: URL) -> bool:
    """Creates the directory of a SQLite file (``var/`` in a fresh clone); returns
    whether the database is a file (WAL does not apply to in-memory databases)."""
    path = _sqlite_file(url)
    if path is None:
        return False
    path.expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    return True


def _configure_sqlite(
    engine: Engine, *, foreign_keys: bool, busy_timeout: float, wal: bool, immediate: bool = True
) -> None:
    """Registers the per-connection SQLite set-up described in the module docstring
    on a sync engine (for an async engine, pass its ``sync_engine``)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop the driver from issuing its own (deferred) BEGIN; _on_begin does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            if wal:
                # Persistent in the file; only switch once (switching needs a lock).
                cursor.execute("PRAGMA journal_mode")
                if str(cursor.fetchone()[0]).lower() != "wal":
                    cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


#: Longest wait to open a connection to PostgreSQL, and for a free pooled one:
#: a database that does not answer fails the request instead of hanging it.
CONNECT_TIMEOUT_SECONDS = 10
POOL_TIMEOUT_SECONDS = 10


def create_sync_engine(
    url: str | URL,
    *,
    sqlite_foreign_keys: bool = True,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
    **kwargs: Any,
) -> Engine:
    """A 2.0-style (``future=True``) engine for the CLI, seeding and migrations.

    ``sqlite_foreign_keys=False`` is only for migrations: Alembic's batch mode
    rebuilds SQLite tables, which SQLite documents must happen with foreign keys
    off (the migration environment runs ``PRAGMA foreign_key_check`` afterwards).
    """
    target = sync_url(url)
    if target.get_backend_name() == "sqlite":
        wal = _prepare_sqlite_file(target)
        engine = create_engine(target, future=True, **kwargs)
        _configure_sqlite(
            engine, foreign_keys=sqlite_foreign_keys, busy_timeout=busy_timeout, wal=wal
        )
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:  # NullPool (migrations) takes no pool settings
        kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
    if target.get_backend_name() == "postgresql":
        # psycopg2 waits for ever on an unreachable server unless told otherwise.
        kwargs.setdefault("connect_args", {"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    return create_engine(target, future=True, **kwargs)


def create_async_engine_for(
    url: str | URL,
    *,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
    read_only: bool = False,
    **kwargs: Any,
) -> AsyncEngine:
    """The action server's engine: aiosqlite or asyncpg for the same database the
    sync engine reaches, with the same SQLite set-up.

    ``read_only=True`` is for transactions that only read: on SQLite they begin
    with a plain (deferred) ``BEGIN``, which in WAL mode takes no lock, so they run
    beside each other and beside a writer, each on a consistent snapshot."""
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        wal = _prepare_sqlite_file(target)
        engine = create_async_engine(target, future=True, **kwargs)
        _configure_sqlite(
            engine.sync_engine,
            foreign_keys=True,
            busy_timeout=busy_timeout,
            wal=wal,
            immediate=not read_only,
        )
        return engine
    # A restarted PostgreSQL leaves dead pooled connections; check before use so
    # the first action after a restart works instead of failing once.
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:  # NullPool (migrations) takes no pool settings
        kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
    if target.get_backend_name() == "postgresql":
        kwargs.setdefault("connect_args", {"timeout": CONNECT_TIMEOUT_SECONDS})  # asyncpg
    return create_async_engine(target, future=True, **kwargs)


def session_factory(engine: Engine) -> sessionmaker:
    """Sync sessions. ``expire_on_commit=False`` so objects returned from a finished
    transaction (a seeded course, a new enrolment) can still be read."""
    return sessionmaker(bind=engine, class_=Session, future=True, expire_on_commit=False)


def async_session_factory(engine: AsyncEngine) -> sessionmaker:
    """Async sessions. ``expire_on_commit=False`` matters more here: after commit,
    touching an expired attribute would need I/O, which async sessions cannot do
    implicitly."""
    return sessionmaker(bind=engine, class_=AsyncSession, expire_on_commit=False)

"""Alembic environment for the enrolment database.

The URL comes from ``bot.config`` (``DATABASE_URL``), never from ``alembic.ini``,
so there is one place to configure it and no credentials in files. Programmatic
callers (``bot.db.migrate``, tests) pass ``config.attributes["database_url"]``
instead, and ``config.attributes["configure_logger"] = False`` to keep the
application's logging as it is.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy.pool import NullPool

from bot.config import get_settings
from bot.db.engine import create_sync_engine, sync_url
from bot.db.models import Base, EnumText, UTCDateTime

config = context.config

if config.config_file_name and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    return config.attributes.get("database_url") or get_settings().database_url


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Autogenerate writes our column types as plain SQLAlchemy types, so
    migrations do not import application code that may change later."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EnumText):
        return f"sa.String(length={obj.impl.length})"
    return False


def _options(dialect_name: str) -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        "render_as_batch": dialect_name == "sqlite",
        # SQLite can roll DDL back (bot.db.engine issues BEGIN itself), so run all
        # pending migrations in one transaction there too: all or nothing.
        "transactional_ddl": True,
        "compare_type": True,
        "render_item": render_item,
    }


def run_migrations_offline() -> None:
    """``alembic upgrade --sql``: print the SQL for a DBA instead of running it."""
    url = sync_url(database_url())
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_options(url.get_backend_name()),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # Foreign keys off on SQLite while tables may be rebuilt (batch mode); checked
    # below before the transaction commits, so a migration cannot leave orphans.
    engine = create_sync_engine(database_url(), sqlite_foreign_keys=False, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            dialect = connection.dialect.name
            context.configure(connection=connection, **_options(dialect))
            with context.begin_transaction():
                context.run_migrations()
                if dialect == "sqlite":
                    orphans = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if orphans:
                        raise RuntimeError(
                            f"migration left rows with broken foreign keys: {orphans}"
                        )
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""Rasa's SQL tracker store configured from one database URL.

Rasa's own ``type: SQL`` wants dialect, host, port, db, user and password as
separate settings; operators give one ``TRACKER_STORE_URL`` instead, the same
form as ``DATABASE_URL``.
"""

from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine.url import make_url

from bot.config import get_settings


def sqlalchemy_sync_url(url: str) -> str:
    """``postgres://`` (as many hosts hand it out) is ``postgresql://`` to SQLAlchemy."""
    return "postgresql://" + url[len("postgres://") :] if url.startswith("postgres://") else url


class URLTrackerStore(SQLTrackerStore):
    """``tracker_store: {type: bot.tracker_store.URLTrackerStore, url: ...}``."""

    def __init__(self, domain: Any = None, host: str | None = None, **kwargs: Any) -> None:
        url = make_url(sqlalchemy_sync_url(host or get_settings().tracker_store_url))
        if url.get_backend_name() == "sqlite" and url.database:
            from pathlib import Path

            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(
            domain=domain,
            dialect=url.drivername,
            host=url.host,
            port=url.port,
            db=url.database,
            username=url.username,
            password=url.password,
            query=dict(url.query),
            **kwargs,
        )

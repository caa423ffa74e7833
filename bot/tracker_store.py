"""Rasa's SQL tracker store, configured from the same kind of URL as ``DATABASE_URL``.

Rasa's ``type: SQL`` accepts a full URL in ``url`` but needs ``${VAR}`` to be set and
does not create a SQLite file's folder. This subclass defaults to
``TRACKER_STORE_URL`` from :mod:`bot.config`, accepts ``postgres://`` (as hosting
providers hand it out) through :func:`bot.db.engine.sync_url`, and creates ``var/``.

On PostgreSQL it also checks a pooled connection before using it
(``pool_pre_ping``). Without that, the first message after PostgreSQL restarted (or
dropped the connection) failed to load its conversation; Rasa's fail-safe wrapper then
handled it as a brand-new conversation and appended a new session to the stored one
— an officer half-way through registering was greeted as a stranger and their answers
so far were forgotten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs

from bot.config import get_settings
from bot.db.engine import sync_url


class URLTrackerStore(SQLTrackerStore):
    """``tracker_store: {type: bot.tracker_store.URLTrackerStore, url: ...}``."""

    def __init__(self, domain: Any = None, host: str | None = None, **kwargs: Any) -> None:
        url = sync_url(host or get_settings().tracker_store_url)
        if url.get_backend_name() == "sqlite" and url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # A host containing "://" is used by Rasa as the complete database URL.
        full_url = url.render_as_string(hide_password=False)
        super().__init__(domain=domain, dialect=url.get_backend_name(), host=full_url, **kwargs)
        if url.get_backend_name() == "postgresql":
            # Rasa's engine (which has just created the tables) cannot be told to
            # pre-ping; replace it by the same engine that does.
            self.engine.dispose()
            self.engine = sa.create_engine(
                full_url, pool_pre_ping=True, **create_engine_kwargs(full_url)
            )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

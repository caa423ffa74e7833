"""Rasa's SQL tracker store, configured from the same kind of URL as ``DATABASE_URL``.

Rasa's ``type: SQL`` accepts a full URL in ``url`` but needs ``${VAR}`` to be set and
does not create a SQLite file's folder. This subclass defaults to
``TRACKER_STORE_URL`` from :mod:`bot.config`, accepts ``postgres://`` (as hosting
providers hand it out) through :func:`bot.db.engine.sync_url`, and creates ``var/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore

from bot.config import get_settings
from bot.db.engine import sync_url


class URLTrackerStore(SQLTrackerStore):
    """``tracker_store: {type: bot.tracker_store.URLTrackerStore, url: ...}``."""

    def __init__(self, domain: Any = None, host: str | None = None, **kwargs: Any) -> None:
        url = sync_url(host or get_settings().tracker_store_url)
        if url.get_backend_name() == "sqlite" and url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # A host containing "://" is used by Rasa as the complete database URL.
        super().__init__(
            domain=domain,
            dialect=url.get_backend_name(),
            host=url.render_as_string(hide_password=False),
            **kwargs,
        )

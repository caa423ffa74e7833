"""Rasa's SQL tracker store, configured from the same kind of URL as ``DATABASE_URL``.

Rasa's ``type: SQL`` accepts a full URL in ``url`` but needs ``${VAR}`` to be set and
does not create a SQLite file's folder. This subclass defaults to
``TRACKER_STORE_URL`` from :mod:`bot.config`, accepts ``postgres://`` (as hosting
providers hand it out) through :func:`bot.db.engine.sync_url`, and creates ``var/``.

Loading and saving cost a third of the Rasa server's time per message under load
(bench/README.md), so both are done with fewer queries and no ORM objects:

- *Load* reads only ``id`` and ``data`` of the latest session's rows with one Core
  query (Rasa builds an ORM object per stored event).
- *Save* appends only the events beyond those already stored. Rasa finds how many
  are stored by counting the session's rows on every save. A tracker this store
  loaded or saved remembers how many of its events are in the database and the
  newest row id then; if the conversation's newest id is still that one, nothing
  was written since, and the count is skipped. Anything else (a tracker built
  elsewhere, a row added by another writer) falls back to Rasa's count, so what is
  appended is the same as Rasa would append. Rows are inserted in one statement.
- With an event broker, the events published are those appended; Rasa loaded the
  whole conversation again on every save to find the same events.
- An index on ``(sender_id, id)`` answers "newest id of this conversation" and
  the ordered load from the index alone.

On PostgreSQL it also checks a pooled connection before using it
(``pool_pre_ping``). Without that, the first message after PostgreSQL restarted (or
dropped the connection) failed to load its conversation; Rasa's fail-safe wrapper then
handled it as a brand-new conversation and appended a new session to the stored one
— an officer half-way through registering was greeted as a stranger and their answers
so far were forgotten.
"""

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.config import get_settings
from bot.db.engine import create_sync_engine, is_sqlite_file, sync_url

logger = logging.getLogger(__name__)

#: Attribute a loaded or saved tracker carries: (events of it stored, newest row id).
_STORED = "_msaidizi_stored_rows"

#: Our index; Rasa's own is on ``sender_id`` alone.
SENDER_ID_INDEX = "ix_events_sender_id_id"


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
        elif is_sqlite_file(url):
            # Rasa's SQLite engine opens a new connection for every load and save
            # (SQLAlchemy 1.4's default for a file). Keep them open instead, with the
            # enrolment database's set-up (WAL, busy timeout): load and save took
            # 2.9 ms a message in WAL without the pool, 1.2 ms with it.
            self.engine.dispose()
            self.engine = create_sync_engine(
                full_url,
                sqlite_foreign_keys=False,
                poolclass=sa.pool.QueuePool,
                connect_args={"check_same_thread": False},
            )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._prepare_statements()
        self._create_sender_index()

    def _prepare_statements(self) -> None:
        events = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        every_session = sa.select(events.c.id, events.c.data).where(events.c.sender_id == sender)
        # The same rows as Rasa's query: from the latest session start (by timestamp)
        # on, or every row when the conversation never started a session.
        self._load_all = every_session.order_by(events.c.id)
        self._load_latest = every_session.where(
            sa.or_(events.c.timestamp >= session_start, session_start.is_(None))
        ).order_by(events.c.id)
        self._newest_id = sa.select(sa.func.max(events.c.id)).where(events.c.sender_id == sender)
        self._insert = events.insert()

    def _create_sender_index(self) -> None:
        # Plain DDL: an ``sa.Index`` would join Rasa's shared table definition, and
        # every later store's ``create_all`` would try to create it again.
        ddl = sa.text(f"CREATE INDEX IF NOT EXISTS {SENDER_ID_INDEX} ON events (sender_id, id)")
        try:
            with self.session_scope() as session:
                session.execute(ddl)
                session.commit()
        except sa.exc.SQLAlchemyError as error:
            # Another replica creating it at the same moment, or no right to: both
            # only cost speed.
            logger.warning("Could not create the index %s: %s", SENDER_ID_INDEX, error)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        query = self._load_all if fetch_events_from_all_sessions else self._load_latest
        with self.session_scope() as session:
            rows = session.execute(query, {"sender_id": sender_id}).all()
        if not self.domain or not rows:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(data) for _, data in rows], self.domain.slots
        )
        setattr(tracker, _STORED, (len(rows), rows[-1][0]))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Appends the tracker's events that are not stored yet (see the module's
        docstring for how they are found)."""
        sender_id = tracker.sender_id
        with self.session_scope() as session:
            newest = session.execute(self._newest_id, {"sender_id": sender_id}).scalar()
            stored = getattr(tracker, _STORED, None)
            if stored is not None and stored[1] == newest:
                already = stored[0]
            else:
                already = self._event_query(
                    session, sender_id, fetch_events_from_all_sessions=False
                ).count()
            new_events = list(itertools.islice(tracker.events, already, None))
            if self.event_broker is not None:
                # Rasa publishes the events beyond those of the stored latest
                # session, which it loads again to count: the same events.
                await self._stream_new_events(self.event_broker, new_events, sender_id)
            rows = [self._row(sender_id, event) for event in new_events]
            if rows:
                session.execute(self._insert, rows)
                newest = session.execute(self._newest_id, {"sender_id": sender_id}).scalar()
            session.commit()
        setattr(tracker, _STORED, (len(tracker.events), newest))

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict[str, Any]:
        """The columns Rasa's store writes for one event."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

"""The support console's conversation views (issue 7, scope 3): an index of every
conversation in Rasa's SQL tracker store, a filtered and paginated list of it, and a
conversation's transcript with officers' personal data masked.

Rasa keeps one ``events`` row per event (``id``, ``sender_id``, ``type_name``,
``timestamp``, ``intent_name``, ``action_name`` and ``data``, the event as JSON).
Listing 100,000 conversations with filters from that table would mean reading and
decoding millions of JSON rows per request, so :func:`refresh` keeps a summary,
``console_conversations`` (one row per ``sender_id``, in the tracker store's own
database), up to date incrementally: it reads only the events beyond the highest
indexed event id, in batches, and is cheap enough to call before every list request.

Concurrent writers on PostgreSQL commit event ids out of order (id 104 can become
visible after 105), so each refresh also looks back :data:`LOOKBACK_IDS` ids below the
highest indexed id for events of senders whose ``last_event_id`` is older; each row
keeps its own ``last_event_id``, so no event is counted twice. Refreshes are
serialised (SQLite's write lock, a PostgreSQL advisory lock).

``search_text`` holds what the officer and the bot said, lower-cased and passed through
:func:`bot.log_masking.mask_personal_data`: e-mail addresses, phone numbers and
personal numbers are not searchable (nor stored twice), and neither are the values
of the conversation's own personal slots and entities (a name given to the
registration form, wherever in the conversation it was typed). A name the bot
never took as one (in a free-text question) cannot be recognised and stays
searchable. After an erasure
(:mod:`bot.tracker_redaction`), call :func:`reindex` for the affected senders (or for
all, ``reindex(engine)``) so the index forgets what the events no longer hold.

Plain SQLAlchemy core (2.0 style) on an async engine, no Rasa import; works on SQLite
and PostgreSQL. The web routes and templates are elsewhere; everything returned here
is raw text (a ``<script>`` an officer typed comes back as typed: escaping is the
template's job).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    func,
    inspect,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL as SAURL
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_async_engine_for
from bot.log_masking import mask_personal_data
from bot.reference import ALPHABET, ENROLMENT_PREFIX, LENGTH
from bot.tracker_redaction import MIN_VALUE_LENGTH, PERSONAL_SLOTS, POSTGRESQL_SCHEMA_ENV

logger = logging.getLogger(__name__)

#: Events read per refresh transaction.
BATCH_SIZE = 5000
#: How far below the highest indexed event id a refresh looks for late commits.
LOOKBACK_IDS = 1000
MAX_PAGE_SIZE = 200

FALLBACK_INTENTS = frozenset({"nlu_fallback"})
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback"})
HANDOFF_INTENTS = frozenset({"human_handoff"})
#: domain/core.yml and domain/helpdesk.yml.
HANDOFF_ACTIONS = frozenset({"action_human_handoff", "action_handoff_during_form"})
#: A registration is complete when ``action_submit_registration`` (actions/registration.py)
#: answers with an enrolment reference (``registered_confirmed``, ``_pending_nomination``,
#: ``_waitlisted``, ``_already`` in bot/replies/registration.yml); it sets no slot, as
#: it resets the form's slots afterwards.
REGISTRATION_ACTION = "action_submit_registration"
_ENROLMENT_REFERENCE = re.compile(rf"\b{ENROLMENT_PREFIX}-[{ALPHABET}]{{{LENGTH}}}\b")

#: Entities and slots whose values are shown as :data:`MASK` unless revealed.
PERSONAL_NAMES = PERSONAL_SLOTS | {"personal_number", "email", "phone_number", "reference"}
MASK = "[redacted]"
_LIKE_ESCAPE = "/"
_ADVISORY_LOCK_KEY = 0x6D736169  # "msai"

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

conversations = Table(
    "console_conversations",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("first_at", Float, nullable=False),
    Column("last_at", Float, nullable=False),
    Column("channel", String(64)),
    Column("language", String(16)),
    Column("n_user_messages", Integer, nullable=False),
    Column("n_bot_messages", Integer, nullable=False),
    Column("intents", Text, nullable=False),  # sorted, space-separated
    Column("had_fallback", Boolean(create_constraint=False), nullable=False),
    Column("had_handoff", Boolean(create_constraint=False), nullable=False),
    Column("registered", Boolean(create_constraint=False), nullable=False),
    Column("search_text", Text, nullable=False),
    Column("last_event_id", Integer, nullable=False),
    # Indexing state carried between batches.
    Column("last_action", String(255)),
    Column("language_from_slot", Boolean(create_constraint=False), nullable=False),
    # Every list is ordered (last_at desc, sender_id desc): each filter that can be
    # selective gets an index in that order, so a page reads ~page_size index entries.
    Index("ix_console_conversations_last_at", "last_at", "sender_id"),
    Index("ix_console_conversations_channel", "channel", "last_at", "sender_id"),
    Index("ix_console_conversations_language", "language", "last_at", "sender_id"),
    Index("ix_console_conversations_fallback", "had_fallback", "last_at", "sender_id"),
    Index("ix_console_conversations_handoff", "had_handoff", "last_at", "sender_id"),
    Index("ix_console_conversations_registered", "registered", "last_at", "sender_id"),
    Index("ix_console_conversations_last_event_id", "last_event_id"),
)

_SUMMARY_COLUMNS = [c for c in conversations.c if c.name not in ("search_text",)]


# --- engine and schema ----------------------------------------------------------------


def create_engine(tracker_store_url: str | SAURL, **kwargs: Any) -> AsyncEngine:
    """An async engine on the tracker store (``TRACKER_STORE_URL``), in Rasa's
    PostgreSQL schema when ``POSTGRESQL_SCHEMA`` is set, as Rasa's store is."""
    schema = os.environ.get(POSTGRESQL_SCHEMA_ENV)
    url = str(tracker_store_url)
    if schema and not url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"server_settings": {"search_path": schema}})
    return create_async_engine_for(tracker_store_url, **kwargs)


_schema_ready: weakref.WeakSet[Engine] = weakref.WeakSet()


async def ensure_schema(engine: AsyncEngine) -> None:
    """Creates ``console_conversations`` and its indexes if missing (once per engine).

    On PostgreSQL, also a trigram index for the text search when the ``pg_trgm``
    extension is (or can be) installed; without it the search scans, which is still
    fast enough on 100,000 conversations (see bench/README.md).
    """
    if engine.sync_engine in _schema_ready:
        return
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: metadata.create_all(sync, tables=[conversations], checkfirst=True)
        )
    if engine.dialect.name == "postgresql":
        try:
            async with engine.begin() as connection:
                await connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
                await connection.execute(
                    text(
                        "CREATE INDEX IF NOT EXISTS ix_console_conversations_search"
                        " ON console_conversations USING gin (search_text gin_trgm_ops)"
                    )
                )
        except Exception as error:  # no privilege to create the extension: scan instead
            logger.info("No trigram index for the console's search (%s)", type(error).__name__)
    _schema_ready.add(engine.sync_engine)


# --- the index ------------------------------------------------------------------------


@dataclass
class _Summary:
    """One conversation's index row while it is being updated."""

    sender_id: str
    first_at: float
    last_at: float
    channel: str | None = None
    language: str | None = None
    n_user_messages: int = 0
    n_bot_messages: int = 0
    intents: set[str] = field(default_factory=set)
    had_fallback: bool = False
    had_handoff: bool = False
    registered: bool = False
    search_text: str = ""
    last_event_id: int = 0
    last_action: str | None = None
    language_from_slot: bool = False
    new_texts: list[str] = field(default_factory=list)
    # Names and other personal values the conversation itself holds (its personal
    # slots and entities): kept out of search_text, as shapes are.
    personal_values: set[str] = field(default_factory=set)

    @classmethod
    def from_row(cls, row: Any) -> _Summary:
        values = dict(row._mapping)
        values["intents"] = set(values["intents"].split())
        return cls(**values)

    def as_row(self) -> dict[str, Any]:
        search_text = "\n".join(filter(None, [self.search_text, *self.new_texts]))
        kept = sorted(
            {v.strip().lower() for v in self.personal_values if len(v.strip()) >= MIN_VALUE_LENGTH},
            key=lambda v: (-len(v), v),
        )
        if kept:
            search_text = re.sub("|".join(re.escape(v) for v in kept), MASK, search_text)
        return {
            "sender_id": self.sender_id,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "channel": self.channel,
            "language": self.language,
            "n_user_messages": self.n_user_messages,
            "n_bot_messages": self.n_bot_messages,
            "intents": " ".join(sorted(self.intents)),
            "had_fallback": self.had_fallback,
            "had_handoff": self.had_handoff,
            "registered": self.registered,
            "search_text": search_text,
            "last_event_id": self.last_event_id,
            "last_action": self.last_action,
            "language_from_slot": self.language_from_slot,
        }

    def apply(self, row: Any) -> None:
        """Adds one ``events`` row (in id order) to the summary."""
        self.last_event_id = max(self.last_event_id, row.id)
        event = _decode(row.data)
        stamp = row.timestamp if row.timestamp is not None else event.get("timestamp")
        if isinstance(stamp, (int, float)):
            self.first_at = min(self.first_at, stamp)
            self.last_at = max(self.last_at, stamp)
        kind = row.type_name
        if kind == "user":
            self.n_user_messages += 1
            parse_data = event.get("parse_data") or {}
            intent = (parse_data.get("intent") or {}).get("name") or row.intent_name
            if intent:
                self.intents.add(str(intent))
                self.had_fallback |= intent in FALLBACK_INTENTS
                self.had_handoff |= intent in HANDOFF_INTENTS
            if event.get("input_channel"):
                self.channel = str(event["input_channel"])
            for entity in parse_data.get("entities") or event.get("entities") or []:
                if not isinstance(entity, dict):
                    continue
                if entity.get("entity") == "message_language" and not self.language_from_slot:
                    self.language = str(entity.get("value"))
                elif entity.get("entity") in PERSONAL_NAMES and isinstance(
                    entity.get("value"), str
                ):
                    self.personal_values.add(entity["value"])
            self._add_text(event.get("text"))
        elif kind == "bot":
            self.n_bot_messages += 1
            message = event.get("text")
            if (
                self.last_action == REGISTRATION_ACTION
                and isinstance(message, str)
                and _ENROLMENT_REFERENCE.search(message)
            ):
                self.registered = True
            self._add_text(message)
        elif kind == "action":
            name = row.action_name or event.get("name")
            self.last_action = name
            self.had_fallback |= name in FALLBACK_ACTIONS
            self.had_handoff |= name in HANDOFF_ACTIONS
        elif kind == "slot" and event.get("name") == "language" and event.get("value"):
            self.language = str(event["value"])
            self.language_from_slot = True
        elif (
            kind == "slot"
            and event.get("name") in PERSONAL_NAMES
            and isinstance(event.get("value"), str)
        ):
            self.personal_values.add(event["value"])

    def _add_text(self, message: Any) -> None:
        if isinstance(message, str) and message.strip():
            self.new_texts.append(mask_personal_data(message).lower())


def _decode(data: str | None) -> dict[str, Any]:
    try:
        event = json.loads(data) if data else {}
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}


async def refresh(engine: AsyncEngine, batch_size: int = BATCH_SIZE) -> int:
    """Brings the index up to date with the tracker store; returns how many events
    were added. One transaction per batch of ``batch_size`` events."""
    await ensure_schema(engine)
    async with engine.connect() as connection:
        has_events = await connection.run_sync(lambda sync: inspect(sync).has_table("events"))
    if not has_events:
        return 0
    total, first = 0, True
    while True:
        async with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
                )
            added, more = await connection.run_sync(_refresh_batch, batch_size, first)
        total += added
        first = False
        if not more:
            return total


def _refresh_batch(connection: Connection, batch_size: int, look_back: bool) -> tuple[int, bool]:
    watermark = connection.execute(select(func.max(conversations.c.last_event_id))).scalar() or 0
    rows: list[Any] = []
    if look_back and watermark:
        joined = events.outerjoin(conversations, conversations.c.sender_id == events.c.sender_id)
        rows += connection.execute(
            select(events)
            .select_from(joined)
            .where(
                events.c.id > watermark - LOOKBACK_IDS,
                events.c.id <= watermark,
                or_(
                    conversations.c.last_event_id.is_(None),
                    events.c.id > conversations.c.last_event_id,
                ),
            )
            .order_by(events.c.id)
        ).all()
    fresh = connection.execute(
        select(events).where(events.c.id > watermark).order_by(events.c.id).limit(batch_size)
    ).all()
    rows += fresh
    if not rows:
        return 0, False
    added = _index_rows(connection, rows)
    return added, len(fresh) == batch_size


def _index_rows(connection: Connection, rows: Sequence[Any]) -> int:
    senders = sorted({row.sender_id for row in rows})
    existing: dict[str, _Summary] = {}
    for chunk in _chunks(senders, 1000):
        for row in connection.execute(
            select(conversations).where(conversations.c.sender_id.in_(chunk))
        ):
            existing[row.sender_id] = _Summary.from_row(row)
    new: dict[str, _Summary] = {}
    changed: set[str] = set()
    added = 0
    for row in rows:
        summary = existing.get(row.sender_id) or new.get(row.sender_id)
        if summary is None:
            stamp = row.timestamp if row.timestamp is not None else 0.0
            summary = new[row.sender_id] = _Summary(row.sender_id, stamp, stamp)
        elif row.id <= summary.last_event_id:
            continue  # already indexed
        summary.apply(row)
        changed.add(row.sender_id)
        added += 1
    updates = [existing[s].as_row() for s in sorted(changed) if s in existing]
    if updates:
        for item in updates:
            item["key"] = item.pop("sender_id")
        values = {c.name: bindparam(c.name) for c in conversations.c if c.name != "sender_id"}
        connection.execute(
            update(conversations)
            .where(conversations.c.sender_id == bindparam("key"))
            .values(values),
            updates,
        )
    if new:
        connection.execute(conversations.insert(), [s.as_row() for s in new.values()])
    return added


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def reindex(engine: AsyncEngine, sender_ids: Iterable[str] | None = None) -> int:
    """Forgets the index rows of ``sender_ids`` (all rows when ``None``) and indexes
    their events again, e.g. after :func:`bot.tracker_redaction.redact_conversations`
    rewrote them. Returns the number of events indexed."""
    await ensure_schema(engine)
    senders = None if sender_ids is None else sorted(set(sender_ids))
    async with engine.begin() as connection:
        if senders is None:
            await connection.execute(conversations.delete())
        else:
            for chunk in _chunks(senders, 1000):
                await connection.execute(
                    conversations.delete().where(conversations.c.sender_id.in_(chunk))
                )
    if senders is None:
        return await refresh(engine)
    added = 0
    async with engine.begin() as connection:
        for chunk in _chunks(senders, 1000):
            rows = (
                await connection.execute(
                    select(events).where(events.c.sender_id.in_(chunk)).order_by(events.c.id)
                )
            ).all()
            if rows:
                added += await connection.run_sync(_index_rows, rows)
    return added


async def forget(tracker_store_url: str, sender_ids: Iterable[str], values: Iterable[str]) -> int:
    """After an erasure (:func:`bot.tracker_redaction.redact_conversations`): indexes
    again the conversations of ``sender_ids`` and every other conversation whose
    search text holds one of ``values`` (an officer's name typed in a chat never
    linked to them), so nothing erased stays searchable. A store without the index
    has nothing to forget. Returns the number of conversations indexed again."""
    engine = create_engine(tracker_store_url)
    try:
        async with engine.connect() as connection:
            has_index = await connection.run_sync(
                lambda sync: inspect(sync).has_table(conversations.name)
            )
            if not has_index:
                return 0
            senders = {sender for sender in sender_ids if sender}
            for value in {v.strip().lower() for v in values if v}:
                if len(value) < MIN_VALUE_LENGTH:
                    continue
                needle = f"%{_like_escape(value)}%"
                found = await connection.execute(
                    select(conversations.c.sender_id).where(
                        conversations.c.search_text.like(needle, escape=_LIKE_ESCAPE)
                    )
                )
                senders.update(row.sender_id for row in found)
        if senders:
            await reindex(engine, senders)
        return len(senders)
    finally:
        await engine.dispose()


# --- the list -------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the list shows. ``since``/``until`` bound ``last_at`` (``until``
    exclusive; a ``date`` means its midnight, UTC). ``None`` means "any"."""

    since: datetime | date | None = None
    until: datetime | date | None = None
    channel: str | None = None
    language: str | None = None
    intent: str | None = None
    had_fallback: bool | None = None
    had_handoff: bool | None = None
    registered: bool | None = None
    text: str | None = None


@dataclass(frozen=True)
class ConversationRow:
    sender_id: str  # raw: for links only; show ``masked_sender`` unless revealed
    first_at: datetime
    last_at: datetime
    channel: str | None
    language: str | None
    n_user_messages: int
    n_bot_messages: int
    intents: tuple[str, ...]
    had_fallback: bool
    had_handoff: bool
    registered: bool

    @property
    def masked_sender(self) -> str:
        return mask_sender(self.sender_id)


@dataclass(frozen=True)
class Page:
    rows: list[ConversationRow]
    next_cursor: str | None  # pass as ``before`` for the next page
    has_more: bool


def mask_sender(sender_id: str) -> str:
    """A sender id as shown to agents: its last four characters (a channel's user id
    or phone number must not be shown whole)."""
    return "…" + sender_id[-4:] if len(sender_id) > 4 else "…"


def _epoch(moment: datetime | date) -> float:
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time.min)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _moment(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, tz=timezone.utc)


def _like_escape(value: str) -> str:
    for special in (_LIKE_ESCAPE, "%", "_"):
        value = value.replace(special, _LIKE_ESCAPE + special)
    return value


def encode_cursor(last_at: float, sender_id: str) -> str:
    raw = json.dumps([last_at, sender_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """The position a cursor stands for; ``ValueError`` for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        last_at, sender_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error) as error:
        raise ValueError("invalid cursor") from error
    if not isinstance(last_at, (int, float)) or not isinstance(sender_id, str):
        raise ValueError("invalid cursor")
    return float(last_at), sender_id


def _conditions(filters: Filters) -> list[Any]:
    c = conversations.c
    where: list[Any] = []
    if filters.since is not None:
        where.append(c.last_at >= _epoch(filters.since))
    if filters.until is not None:
        where.append(c.last_at < _epoch(filters.until))
    if filters.channel:
        where.append(c.channel == filters.channel)
    if filters.language:
        where.append(c.language == filters.language)
    if filters.intent:
        padded = literal(" ") + c.intents + literal(" ")
        pattern = f"% {_like_escape(filters.intent.strip())} %"
        where.append(padded.like(pattern, escape=_LIKE_ESCAPE))
    for name in ("had_fallback", "had_handoff", "registered"):
        wanted = getattr(filters, name)
        if wanted is not None:
            where.append(c[name] == bool(wanted))  # "=", not "IS": indexable on PostgreSQL
    if filters.text and filters.text.strip():
        needle = _like_escape(filters.text.strip().lower())
        where.append(c.search_text.like(f"%{needle}%", escape=_LIKE_ESCAPE))
    return where


async def list_conversations(
    engine: AsyncEngine,
    filters: Filters | None = None,
    page_size: int = 50,
    before: str | None = None,
) -> Page:
    """One page of conversations, newest activity first (``last_at`` desc, then
    ``sender_id`` desc). ``before`` is the previous page's ``next_cursor``. Call
    :func:`refresh` first for the latest events."""
    await ensure_schema(engine)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    c = conversations.c
    query = (
        select(*_SUMMARY_COLUMNS)
        .where(*_conditions(filters or Filters()))
        .order_by(c.last_at.desc(), c.sender_id.desc())
        .limit(page_size + 1)
    )
    if before:
        last_at, sender_id = decode_cursor(before)
        # "(last_at, sender_id) < cursor", spelt so that both engines use the index.
        query = query.where(c.last_at <= last_at, or_(c.last_at < last_at, c.sender_id < sender_id))
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    items = [
        ConversationRow(
            sender_id=row.sender_id,
            first_at=_moment(row.first_at),
            last_at=_moment(row.last_at),
            channel=row.channel,
            language=row.language,
            n_user_messages=row.n_user_messages,
            n_bot_messages=row.n_bot_messages,
            intents=tuple(row.intents.split()),
            had_fallback=bool(row.had_fallback),
            had_handoff=bool(row.had_handoff),
            registered=bool(row.registered),
        )
        for row in rows
    ]
    cursor = encode_cursor(rows[-1].last_at, rows[-1].sender_id) if has_more else None
    return Page(items, cursor, has_more)


# --- the transcript -------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    entity: str
    value: Any
    role: str | None = None


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class TranscriptEvent:
    """One line of a transcript. ``kind``: ``user``, ``bot``, ``action``, ``slot`` or
    ``session_started``; the fields that do not apply to a kind are ``None``/empty."""

    kind: str
    at: datetime | None
    text: str | None = None  # user and bot messages
    intent: str | None = None  # user
    confidence: float | None = None  # user
    entities: tuple[Entity, ...] = ()  # user
    channel: str | None = None  # user
    buttons: tuple[Button, ...] = ()  # bot
    name: str | None = None  # action and slot names
    value: Any = None  # slot value
    agent: str | None = None  # bot messages a member of staff wrote (hand-off)


@dataclass(frozen=True)
class Transcript:
    sender: str  # masked unless revealed
    revealed: bool
    events: list[TranscriptEvent]


async def transcript(
    engine: AsyncEngine, sender_id: str, reveal: bool = False
) -> Transcript | None:
    """The conversation's events in order (``None`` when there is none).

    Unless ``reveal``: texts, button titles and payloads pass through
    :func:`mask_personal_data`; the values of personal entities and slots (names,
    numbers, e-mails, references) become :data:`MASK`, and wherever those values
    appear in this conversation's texts they are replaced too; the sender id shows
    only its last characters. Revealing is the caller's to authorise and audit.
    """
    async with engine.connect() as connection:
        has_events = await connection.run_sync(lambda sync: inspect(sync).has_table("events"))
        if not has_events:
            return None
        rows = (
            await connection.execute(
                select(events)
                .where(events.c.sender_id == sender_id)
                .order_by(events.c.timestamp, events.c.id)
            )
        ).all()
    if not rows:
        return None
    decoded = [(row, _decode(row.data)) for row in rows]
    masker = None if reveal else _Masker(event for _, event in decoded)
    items = [item for row, event in decoded if (item := _item(row, event, masker)) is not None]
    return Transcript(
        sender=sender_id if reveal else mask_sender(sender_id), revealed=reveal, events=items
    )


class _Masker:
    """Masks one conversation's texts: shapes (:func:`mask_personal_data`) and the
    personal values the conversation itself holds (a name typed into the form)."""

    def __init__(self, decoded: Iterable[dict[str, Any]]) -> None:
        values: set[str] = set()
        for event in decoded:
            if event.get("event") == "slot" and event.get("name") in PERSONAL_NAMES:
                values.add(str(event.get("value") or ""))
            if event.get("event") == "user":
                parse_data = event.get("parse_data") or {}
                for entity in parse_data.get("entities") or event.get("entities") or []:
                    if isinstance(entity, dict) and entity.get("entity") in PERSONAL_NAMES:
                        values.add(str(entity.get("value") or ""))
        kept = sorted(
            {v.strip() for v in values if len(v.strip()) >= MIN_VALUE_LENGTH},
            key=lambda v: (-len(v), v),
        )
        self._pattern = (
            re.compile("|".join(re.escape(v) for v in kept), re.IGNORECASE) if kept else None
        )

    def text(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if self._pattern is not None:
            value = self._pattern.sub(MASK, value)
        return mask_personal_data(value)

    def value(self, name: str | None, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if name in PERSONAL_NAMES:
            return MASK
        if isinstance(value, (str, int)):
            masked = self.text(str(value))
            return value if masked == str(value) else masked
        if isinstance(value, list):
            return [self.value(None, item) for item in value]
        return value


def _item(row: Any, event: dict[str, Any], masker: _Masker | None) -> TranscriptEvent | None:
    stamp = row.timestamp if row.timestamp is not None else event.get("timestamp")
    at = _moment(stamp) if isinstance(stamp, (int, float)) else None

    def say(value: Any) -> Any:
        return masker.text(value) if masker else value

    kind = row.type_name
    if kind == "user":
        parse_data = event.get("parse_data") or {}
        intent = parse_data.get("intent") or {}
        confidence = intent.get("confidence")
        entities = tuple(
            Entity(
                entity=str(e.get("entity")),
                value=masker.value(e.get("entity"), e.get("value")) if masker else e.get("value"),
                role=e.get("role"),
            )
            for e in (parse_data.get("entities") or event.get("entities") or [])
            if isinstance(e, dict)
        )
        return TranscriptEvent(
            kind="user",
            at=at,
            text=say(event.get("text")),
            intent=intent.get("name") or row.intent_name,
            confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
            entities=entities,
            channel=event.get("input_channel"),
        )
    if kind == "bot":
        data = event.get("data") or {}
        buttons = tuple(
            Button(title=str(say(b.get("title") or "")), payload=str(say(b.get("payload") or "")))
            for b in (data.get("buttons") or [])
            if isinstance(b, dict)
        )
        metadata = event.get("metadata") or {}
        agent = metadata.get("handoff_agent") if isinstance(metadata, dict) else None
        return TranscriptEvent(
            kind="bot",
            at=at,
            text=say(event.get("text")),
            buttons=buttons,
            agent=str(agent) if agent else None,
        )
    if kind == "action":
        return TranscriptEvent(kind="action", at=at, name=row.action_name or event.get("name"))
    if kind == "slot":
        name = event.get("name")
        value = event.get("value")
        return TranscriptEvent(
            kind="slot", at=at, name=name, value=masker.value(name, value) if masker else value
        )
    if kind == "session_started":
        return TranscriptEvent(kind="session_started", at=at)
    return None  # active loops, user featurisation, reminders: not shown

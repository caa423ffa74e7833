"""Redacting an erased officer's conversations in Rasa's SQL tracker store (issue 4;
DPA 2019 s.40, right to erasure).

Rasa keeps every event of every conversation in one ``events`` table (``id``,
``sender_id``, ``type_name``, ``timestamp``, ``intent_name``, ``action_name``, and
``data``: the whole event as JSON text). Erasing an officer must remove what they
said, what the bot showed them and every personal value, but the anonymous counts
(which intents were asked, which actions ran, when) stay useful and identify nobody.

Rows are rewritten in place, never deleted, added or re-keyed: Rasa's
``SQLTrackerStore.save`` appends only the events beyond the number already stored
for the sender (counted since the latest ``session_started``, by ``timestamp``). The
erasure action runs inside the very conversation it redacts, and Rasa saves that
conversation right after the action returns; if the row count or a timestamp changed,
Rasa would re-append or skip events of a live conversation. So only ``data`` is ever
updated, and every rewritten row still holds a valid event of the same type.

Plain SQLAlchemy core on the ``events`` table, no Rasa import: the action server calls
this in a worker thread and must not load Rasa's core.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    func,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection

from bot.db.engine import create_sync_engine, sync_url

REDACTED = "[erased]"

PERSONAL_SLOTS = frozenset(
    {
        "full_name",
        "personal_number",
        "email",
        "phone_number",
        "employer",
        "reference",
        "withdraw_reference",
        "detail_value",
    }
)

# Shorter values (initials, "Ali", a 3-digit number) occur inside unrelated words and
# numbers; replacing them would destroy other officers' messages.
MIN_VALUE_LENGTH = 4

# Rasa's own environment variable for a PostgreSQL schema other than ``public``; its
# store connects with this search path, so the redaction must look in the same place.
POSTGRESQL_SCHEMA_ENV = "POSTGRESQL_SCHEMA"

# The escape character of our LIKE patterns. Not the backslash: JSON text is full of
# backslashes (``\\u00e9``, ``\\"``), which must stay literal characters in a pattern.
_LIKE_ESCAPE = "/"

_events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("data", Text),
)


@dataclass(frozen=True)
class RedactionResult:
    """What was changed, as counts only (they go into the officer's request record)."""

    conversations: int  # of the given sender ids, those with events in the store
    events_redacted: int  # events in the officer's conversations rewritten
    events_scrubbed: int  # events in other conversations where a value was replaced


def phone_variants(phone: str) -> list[str]:
    """The spellings officers type for one Kenyan (+254) number.

    The database keeps ``+254712345678``, but an officer writes ``0712 345 678`` in a
    chat; each spelling has to be searched for. A number that is not a Kenyan mobile
    or landline in any of these forms comes back as given (stripped).
    """
    compact = re.sub(r"[\s\-().]", "", phone or "")
    national = None
    for prefix in ("+254", "254", "0", ""):
        rest = compact[len(prefix) :]
        if compact.startswith(prefix) and len(rest) == 9 and rest.isdigit():
            national = rest
            break
    if national is None:
        return [phone.strip()] if phone and phone.strip() else []
    spaced = f"{national[:3]} {national[3:6]} {national[6:]}"
    return [
        f"+254{national}",
        f"254{national}",
        f"0{national}",
        national,
        f"0{spaced}",
        f"+254 {spaced}",
    ]


def redact_conversations(
    tracker_store_url: str, sender_ids: Iterable[str], values: Iterable[str]
) -> RedactionResult:
    """Redacts the conversations of ``sender_ids`` and scrubs ``values`` everywhere.

    (a) Every event of ``sender_ids`` keeps its type, intent and action names and
    timestamps, but loses texts, entity values, buttons and payloads, channel
    metadata and personal slot values (see :func:`_redact_own_event`); any other
    string containing one of ``values`` has it replaced by :data:`REDACTED`.

    (b) Every other event in the store whose JSON contains one of ``values``
    (case-insensitive; values shorter than :data:`MIN_VALUE_LENGTH` are ignored) has
    it replaced inside its strings: an officer may have typed their personal number
    or e-mail in a chat that never got linked to them.

    One transaction (on SQLite it takes the write lock up front, so Rasa's concurrent
    ``save`` waits rather than interleaving). A store without an ``events`` table yet
    (or a SQLite file that does not exist) gives ``RedactionResult(0, 0, 0)``.
    Callers pass every spelling of a phone number (:func:`phone_variants`).
    """
    senders = sorted({sender for sender in sender_ids if sender})
    needles = _needles(values)
    url = sync_url(tracker_store_url)
    if url.get_backend_name() == "sqlite" and _missing_sqlite_file(url.database):
        return RedactionResult(0, 0, 0)

    kwargs: dict[str, Any] = {}
    schema = os.environ.get(POSTGRESQL_SCHEMA_ENV)
    if schema and url.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    engine = create_sync_engine(url, **kwargs)
    try:
        with engine.begin() as connection:
            if not inspect(connection).has_table("events"):
                return RedactionResult(0, 0, 0)
            pattern = _pattern(needles)
            conversations, redacted = _redact_senders(connection, senders, pattern)
            scrubbed = _scrub_others(connection, senders, needles, pattern)
            return RedactionResult(conversations, redacted, scrubbed)
    finally:
        engine.dispose()


# --- the database ---------------------------------------------------------------------


def _missing_sqlite_file(database: str | None) -> bool:
    """Connecting would create an empty file (and its folder) for a store that never
    existed; there is nothing to redact there."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return False
    return not Path(database).expanduser().exists()


def _redact_senders(
    connection: Connection, senders: list[str], pattern: re.Pattern[str] | None
) -> tuple[int, int]:
    """(a): the officer's own events. Returns (conversations found, rows changed)."""
    if not senders:
        return 0, 0
    rows = connection.execute(
        select(_events).where(_events.c.sender_id.in_(senders)).order_by(_events.c.id)
    ).all()
    changes = []
    for row in rows:
        try:
            event = json.loads(row.data)
        except (TypeError, ValueError):
            event = None
        if isinstance(event, dict):
            new = _dumps(_redact_own_event(event, pattern))
        else:
            # Unreadable: what it held cannot be redacted piecemeal, so the row keeps
            # only the event type and time (Rasa can still load it; the count stays).
            new = _dumps({"event": row.type_name, "timestamp": row.timestamp})
        if new != row.data:
            changes.append({"event_id": row.id, "new_data": new})
    _update(connection, changes)
    return len({row.sender_id for row in rows}), len(changes)


def _scrub_others(
    connection: Connection,
    senders: list[str],
    needles: list[str],
    pattern: re.Pattern[str] | None,
) -> int:
    """(b): other conversations' events that contain a value. The SQL only finds
    candidates (cheaply, in the database); Python decides and rewrites."""
    if pattern is None:
        return 0
    lowered = func.lower(_events.c.data)
    likes = [
        lowered.like(like, escape=_LIKE_ESCAPE)
        for needle in needles
        for like in _like_patterns(needle)
    ]
    query = select(_events.c.id, _events.c.data).where(or_(*likes)).order_by(_events.c.id)
    if senders:
        query = query.where(_events.c.sender_id.not_in(senders))
    changes = []
    for row in connection.execute(query).all():
        try:
            event = json.loads(row.data)
        except (TypeError, ValueError):
            event = None
        if isinstance(event, dict):
            new = _dumps(_scrub_event(event, pattern))
        else:  # not JSON (not written by Rasa): replace in the raw text
            new = pattern.sub(REDACTED, row.data)
        if new != row.data:
            changes.append({"event_id": row.id, "new_data": new})
    _update(connection, changes)
    return len(changes)


def _update(connection: Connection, changes: list[dict[str, Any]]) -> None:
    """Only ``data`` changes: sender, type, names and timestamp are what Rasa counts
    and orders by, and what the anonymous statistics are made of."""
    if changes:
        connection.execute(
            update(_events)
            .where(_events.c.id == bindparam("event_id"))
            .values(data=bindparam("new_data")),
            changes,
        )


def _dumps(event: Any) -> str:
    # Rasa's own serialisation (``json.dumps`` defaults), so unchanged events compare
    # equal and rewritten ones look like any other row.
    return json.dumps(event)


# --- matching values ------------------------------------------------------------------


def _needles(values: Iterable[str]) -> list[str]:
    """The values worth searching for, longest first (so ``+254712345678`` is replaced
    whole, not as ``+254`` followed by a redacted ``712345678``)."""
    unique = {str(v).strip() for v in values if v is not None}
    kept = {v for v in unique if len(v) >= MIN_VALUE_LENGTH}
    return sorted(kept, key=lambda v: (-len(v), v))


def _pattern(needles: list[str]) -> re.Pattern[str] | None:
    if not needles:
        return None
    return re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)


def _like_patterns(needle: str) -> set[str]:
    """LIKE patterns for ``lower(data)`` that find ``needle`` in the stored JSON.

    Rasa writes ``json.dumps`` output: ASCII only, so ``Wanjirũ`` is stored as
    ``wanjir\\u0169`` (and ``WANJIRŨ`` as ``WANJIR\\u0168``); ``lower()`` leaves the
    escapes alone. A non-ASCII character is therefore matched as ``\\u`` and any four
    characters (a second pattern allows raw UTF-8 JSON, with one wildcard). Too broad
    a match costs nothing: Python compares the decoded strings afterwards.
    """
    escaped, raw = [], []
    for char in needle:
        if ord(char) < 128:
            piece = _like_escape(json.dumps(char)[1:-1].lower())
            escaped.append(piece)
            raw.append(piece)
        else:
            units = len(char.encode("utf-16-le")) // 2  # astral characters: 2 escapes
            escaped.append("\\u____" * units)
            raw.append("_")
    return {f"%{''.join(escaped)}%", f"%{''.join(raw)}%"}


def _like_escape(text: str) -> str:
    for special in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, _LIKE_ESCAPE + special)
    return text


# --- rewriting events -----------------------------------------------------------------

# Structural strings Rasa matches against the domain (event type, action, slot, loop
# and intent names): they come from the domain, not from the officer, and changing
# them would make a stored event unloadable or mean something else.
_IDENTIFIER_KEYS = frozenset({"event", "name"})


def _scrub(node: Any, pattern: re.Pattern[str] | None) -> Any:
    """``node`` (decoded JSON) with every match of ``pattern`` in its strings replaced.

    Integers equal to a value (a personal number stored as a number) become
    :data:`REDACTED`; floats (timestamps, confidences) are never touched, as a
    personal number could by chance be part of one. Keys are kept: they are Rasa's
    field names.
    """
    if pattern is None:
        return node
    if isinstance(node, str):
        return pattern.sub(REDACTED, node)
    if isinstance(node, bool) or not isinstance(node, (int, dict, list)):
        return node
    if isinstance(node, int):
        return REDACTED if pattern.fullmatch(str(node)) else node
    if isinstance(node, list):
        return [_scrub(item, pattern) for item in node]
    return {key: _scrub(value, pattern) for key, value in node.items()}


def _scrub_event(event: dict[str, Any], pattern: re.Pattern[str] | None) -> dict[str, Any]:
    """(b) for one event: values replaced in its strings, identifiers kept."""
    scrubbed = {}
    for key, value in event.items():
        if key in _IDENTIFIER_KEYS or key == "timestamp":
            scrubbed[key] = value
        elif key == "parse_data" and isinstance(value, dict):
            scrubbed[key] = _scrub_parse_data(value, pattern)
        else:
            scrubbed[key] = _scrub(value, pattern)
    return scrubbed


def _scrub_parse_data(parse_data: dict[str, Any], pattern: re.Pattern[str] | None) -> Any:
    """The intent names in ``intent`` and ``intent_ranking`` are identifiers."""

    def intent(item: Any) -> Any:
        if not isinstance(item, dict):
            return _scrub(item, pattern)
        return {k: v if k == "name" else _scrub(v, pattern) for k, v in item.items()}

    scrubbed = {}
    for key, value in parse_data.items():
        if key == "intent":
            scrubbed[key] = intent(value)
        elif key == "intent_ranking" and isinstance(value, list):
            scrubbed[key] = [intent(item) for item in value]
        else:
            scrubbed[key] = _scrub(value, pattern)
    return scrubbed


def _redact_entities(entities: Any) -> Any:
    """Entity values are what the officer typed (names, numbers, e-mails); the entity
    types, roles and offsets stay. Duckling-style entities also carry the text."""
    if not isinstance(entities, list):
        return entities
    redacted = []
    for entity in entities:
        if isinstance(entity, dict):
            entity = dict(entity)
            if "value" in entity:
                entity["value"] = REDACTED
            if isinstance(entity.get("text"), str):
                entity["text"] = REDACTED
            if entity.get("additional_info") is not None:
                entity["additional_info"] = None
        redacted.append(entity)
    return redacted


def _redact_own_event(event: dict[str, Any], pattern: re.Pattern[str] | None) -> dict[str, Any]:
    """(a) for one event of the erased officer: everything they or the bot said goes,
    the shape (type, intent, action, entity types, slot names, time) stays.

    Metadata goes from every event: channels put the sender's profile (name, phone
    number, username) there. A bot event keeps only ``utter_action``, the response
    name (as anonymous as ``action_name``).
    """
    event = dict(event)
    kind = event.get("event")
    if kind == "bot":
        if isinstance(event.get("text"), str):
            event["text"] = REDACTED
        event["data"] = {}  # buttons, custom payloads (a data export file), images
        metadata = event.get("metadata")
        utter_action = metadata.get("utter_action") if isinstance(metadata, dict) else None
        if metadata:
            event["metadata"] = {"utter_action": utter_action} if utter_action else {}
    else:
        if event.get("metadata"):
            event["metadata"] = {}
    if kind == "user":
        if isinstance(event.get("text"), str):
            event["text"] = REDACTED
        if "entities" in event:
            event["entities"] = _redact_entities(event["entities"])
        parse_data = event.get("parse_data")
        if isinstance(parse_data, dict):
            parse_data = dict(parse_data)
            if isinstance(parse_data.get("text"), str):
                parse_data["text"] = REDACTED
            if "entities" in parse_data:
                parse_data["entities"] = _redact_entities(parse_data["entities"])
            if parse_data.get("metadata"):
                parse_data["metadata"] = {}
            event["parse_data"] = parse_data
    elif kind == "agent":
        if isinstance(event.get("text"), str):
            event["text"] = REDACTED
        event["data"] = None
    elif kind == "slot":
        if event.get("name") in PERSONAL_SLOTS:
            event["value"] = None
    elif kind == "action":
        if event.get("action_text"):
            event["action_text"] = REDACTED
    elif kind in ("entities", "reminder", "cancel_reminder") and "entities" in event:
        event["entities"] = _redact_entities(event["entities"])
    return _scrub_event(event, pattern)

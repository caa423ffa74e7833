"""The support console's NLU inbox: officers' messages the model was unsure of
(``nlu_fallback``, or an intent below :data:`LOW_CONFIDENCE`), labelled by staff
with the right intent (or ``out_of_scope``) and exported as a Rasa NLU YAML file
for the next training.

Messages are read from the tracker store's ``events`` table; labels are kept next
to them in ``console_nlu_labels`` (created when first needed), keyed by the event's
id. Texts are shown and exported through :func:`bot.log_masking.mask_personal_data`
(emails, phone and personal numbers become placeholders); names cannot be told
apart from other words, so the exported file is for the team that trains the
model, not for publication.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console.conversations import events
from bot.log_masking import mask_personal_data

#: Below this confidence (the intent classifier's scale: the logistic of its
#: margin, 0.5 at its boundary) a message is worth a look.
LOW_CONFIDENCE = 0.5
OUT_OF_SCOPE = "out_of_scope"
SCAN_BATCH = 500
#: At most this many user events are read for one page (a bounded request).
MAX_SCAN = 20_000
DOMAIN = Path(__file__).resolve().parents[2] / "domain"

_metadata = MetaData()
labels = Table(
    "console_nlu_labels",
    _metadata,
    Column("event_id", Integer, primary_key=True),
    Column("intent", String(255), nullable=False),
    Column("text", Text, nullable=False),  # masked
    Column("labelled_by", String(64), nullable=False),
    Column("labelled_at", Float, nullable=False),
)


@lru_cache(maxsize=4)
def domain_intents(folder: Path = DOMAIN) -> list[str]:
    """The labels staff may choose from: the domain's intents without
    nlu_fallback, a retrieval intent as one label per answer
    (``data_protection/breach_controller``), and ``out_of_scope``."""
    names: set[str] = set()
    retrieval: set[str] = set()
    for path in sorted(folder.rglob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in content.get("intents", []):
            names.add(next(iter(item)) if isinstance(item, dict) else str(item))
        for response in content.get("responses") or {}:
            if "/" in response and response.startswith("utter_"):
                retrieval.add(response.removeprefix("utter_"))
    for key in retrieval:
        names.discard(key.split("/")[0])
    names.discard("nlu_fallback")
    return sorted(names | retrieval | {OUT_OF_SCOPE})


@dataclass(frozen=True)
class InboxItem:
    event_id: int
    at: datetime
    text: str  # masked
    intent: str | None
    confidence: float
    label: str | None


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    next_before: int | None  # pass as ``before`` for older messages


async def ensure_labels(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: _metadata.create_all(sync, tables=[labels], checkfirst=True)
        )


def _unsure(data: dict) -> tuple[str | None, float] | None:
    """(intent, confidence) of a user event worth a look, else None."""
    text = data.get("text") or ""
    if not text.strip() or text.startswith("/"):  # button payloads are not NLU
        return None
    parse = data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    if name == "nlu_fallback":
        # What the classifier thought before the fallback, when it said.
        ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != name]
        if ranking:
            return ranking[0].get("name"), float(ranking[0].get("confidence") or 0.0)
        return None, confidence
    if confidence < LOW_CONFIDENCE:
        return name, confidence
    return None


async def inbox(
    engine: AsyncEngine,
    *,
    before: int | None = None,
    unlabelled_only: bool = True,
    page_size: int = 50,
) -> InboxPage:
    """Unsure messages, newest first."""
    await ensure_labels(engine)
    items: list[InboxItem] = []
    scanned = 0
    cursor = before
    async with engine.connect() as connection:
        while len(items) < page_size and scanned < MAX_SCAN:
            query = select(events.c.id, events.c.timestamp, events.c.data).where(
                events.c.type_name == "user"
            )
            if cursor is not None:
                query = query.where(events.c.id < cursor)
            rows = (
                await connection.execute(query.order_by(events.c.id.desc()).limit(SCAN_BATCH))
            ).all()
            if not rows:
                cursor = None
                break
            scanned += len(rows)
            ids = [row.id for row in rows]
            known = dict(
                (
                    await connection.execute(
                        select(labels.c.event_id, labels.c.intent).where(labels.c.event_id.in_(ids))
                    )
                ).all()
            )
            for row in rows:
                cursor = row.id
                data = json.loads(row.data or "{}")
                unsure = _unsure(data)
                if unsure is None or (unlabelled_only and row.id in known):
                    continue
                items.append(
                    InboxItem(
                        row.id,
                        datetime.fromtimestamp(row.timestamp or 0, tz=timezone.utc),
                        mask_personal_data(data.get("text") or ""),
                        unsure[0],
                        unsure[1],
                        known.get(row.id),
                    )
                )
                if len(items) == page_size:
                    break
    return InboxPage(items, cursor if len(items) == page_size else None)


async def label(engine: AsyncEngine, event_id: int, intent: str, username: str) -> str:
    """Labels a user message (again, if it had a label); returns its masked text.
    Raises ``ValueError`` for an unknown intent or a message that is not a user's."""
    if intent not in domain_intents():
        raise ValueError(f"unknown intent {intent!r}")
    await ensure_labels(engine)
    async with engine.begin() as connection:
        row = (
            await connection.execute(
                select(events.c.data).where(events.c.id == event_id, events.c.type_name == "user")
            )
        ).first()
        if row is None:
            raise ValueError("no such message")
        text = mask_personal_data((json.loads(row.data or "{}").get("text") or "").strip())
        await connection.execute(labels.delete().where(labels.c.event_id == event_id))
        await connection.execute(
            labels.insert().values(
                event_id=event_id,
                intent=intent,
                text=text,
                labelled_by=username,
                labelled_at=datetime.now(timezone.utc).timestamp(),
            )
        )
    return text


def to_nlu_yaml(labelled: Iterable[tuple[str, str]]) -> str:
    """(intent, text) pairs as a Rasa 3 NLU training file, one block per intent;
    repeated texts once."""
    by_intent: dict[str, list[str]] = {}
    for intent, text in labelled:
        line = " ".join(text.split())
        if line and line not in by_intent.setdefault(intent, []):
            by_intent[intent].append(line)
    out = ['version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        out += [f"- intent: {intent}", "  examples: |"]
        out += [f"    - {text}" for text in by_intent[intent]]
    return "\n".join(out) + "\n"


async def export(engine: AsyncEngine) -> str:
    """Every labelled message as a Rasa NLU YAML file."""
    await ensure_labels(engine)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(labels.c.intent, labels.c.text).order_by(labels.c.event_id)
            )
        ).all()
    return to_nlu_yaml((row.intent, row.text) for row in rows)

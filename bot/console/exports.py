"""Conversation exports for supervisors: every conversation active in a date range,
as CSV (one row per message) or JSON (one object per conversation), personal
data masked as in the console's transcripts. A conversation is named by a digest
of its sender id (never the id itself: a WhatsApp sender id is a phone number),
the same digest the audit log uses.

An export is bounded (:data:`MAX_CONVERSATIONS`): a larger range is refused with a
message saying to narrow it, never cut short silently.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console import conversations

MAX_CONVERSATIONS = 5_000
CSV_COLUMNS = ["conversation", "time", "speaker", "text", "intent", "confidence", "channel"]


class TooLarge(ValueError):
    """The range holds more conversations than one export may."""


def pseudonym(sender_id: str) -> str:
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Exported:
    conversation: str
    channel: str | None
    language: str | None
    messages: list[dict[str, Any]]


async def collect(engine: AsyncEngine, since: date, until: date) -> list[Exported]:
    """The conversations whose last activity falls in [since, until] (whole days,
    UTC), oldest first, each with its messages (masked)."""
    await conversations.refresh(engine)
    filters = conversations.Filters(since=since, until=date.fromordinal(until.toordinal() + 1))
    rows: list[conversations.ConversationRow] = []
    cursor = None
    while True:
        page = await conversations.list_conversations(engine, filters, 200, cursor)
        rows += page.rows
        if len(rows) > MAX_CONVERSATIONS:
            raise TooLarge(
                f"more than {MAX_CONVERSATIONS:,} conversations in that range: narrow it"
            )
        if not page.has_more:
            break
        cursor = page.next_cursor
    exported = []
    for row in reversed(rows):
        found = await conversations.transcript(engine, row.sender_id)
        messages = [
            {
                "time": event.at.isoformat() if event.at else None,
                "speaker": "officer" if event.kind == "user" else "bot",
                "text": event.text or "",
                "intent": event.intent,
                "confidence": event.confidence,
                "channel": event.channel,
            }
            for event in (found.events if found else [])
            if event.kind in ("user", "bot")
        ]
        exported.append(Exported(pseudonym(row.sender_id), row.channel, row.language, messages))
    return exported


def to_csv(exported: list[Exported]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for conversation in exported:
        for message in conversation.messages:
            writer.writerow({"conversation": conversation.conversation, **message})
    return out.getvalue()


def to_json(exported: list[Exported], since: date, until: date) -> str:
    return json.dumps(
        {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "conversations": [
                {
                    "conversation": c.conversation,
                    "channel": c.channel,
                    "language": c.language,
                    "messages": c.messages,
                }
                for c in exported
            ],
        },
        ensure_ascii=False,
        indent=1,
    )

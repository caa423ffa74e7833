"""Analytics for supervisors: conversations per day, messages per channel and
language, top intents, fallback and hand-off rates (from the console's index of
the tracker store), and registrations per course and cohort (from the enrolment
database), drawn as server-side SVG bar charts (no JavaScript, nothing fetched).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from html import escape

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.console import conversations
from bot.db.models import Cohort, Enrolment, EnrolmentStatus

DAY = 86_400


@dataclass
class Summary:
    since: date
    until: date
    conversations: int = 0
    per_day: list[tuple[str, int]] = field(default_factory=list)
    messages_per_channel: list[tuple[str, int]] = field(default_factory=list)
    messages_per_language: list[tuple[str, int]] = field(default_factory=list)
    top_intents: list[tuple[str, int]] = field(default_factory=list)
    fallback_rate: float = 0.0
    handoff_rate: float = 0.0
    #: ("course · cohort", enrolments not withdrawn), all time.
    registrations: list[tuple[str, int]] = field(default_factory=list)


async def summarise(
    tracker: AsyncEngine, enrolment: AsyncSession, days: int = 30, today: date | None = None
) -> Summary:
    """The last ``days`` days up to ``today`` (UTC), conversations by first message."""
    today = today or datetime.now(timezone.utc).date()
    since = today - timedelta(days=days - 1)
    summary = Summary(since, today)
    await conversations.refresh(tracker)
    start = datetime(since.year, since.month, since.day, tzinfo=timezone.utc).timestamp()
    end = start + days * DAY
    c = conversations.conversations.c
    async with tracker.connect() as connection:
        rows = (
            await connection.execute(
                select(
                    c.first_at,
                    c.channel,
                    c.language,
                    c.n_user_messages,
                    c.intents,
                    c.had_fallback,
                    c.had_handoff,
                ).where(c.first_at >= start, c.first_at < end)
            )
        ).all()
    per_day: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    for row in rows:
        per_day[datetime.fromtimestamp(row.first_at, timezone.utc).date().isoformat()] += 1
        channels[row.channel or "unknown"] += row.n_user_messages
        languages[row.language or "unknown"] += row.n_user_messages
        intents.update(row.intents.split())
    summary.conversations = len(rows)
    summary.per_day = [
        (day.isoformat(), per_day[day.isoformat()])
        for day in (since + timedelta(days=n) for n in range(days))
    ]
    summary.messages_per_channel = channels.most_common()
    summary.messages_per_language = languages.most_common()
    summary.top_intents = intents.most_common(12)
    if rows:
        summary.fallback_rate = sum(bool(r.had_fallback) for r in rows) / len(rows)
        summary.handoff_rate = sum(bool(r.had_handoff) for r in rows) / len(rows)
    registered = await enrolment.execute(
        select(Cohort.course_code, Cohort.code, func.count(Enrolment.id))
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.status != EnrolmentStatus.WITHDRAWN)
        .group_by(Cohort.course_code, Cohort.code)
        .order_by(func.count(Enrolment.id).desc(), Cohort.code)
    )
    summary.registrations = [(f"{course} · {cohort}", n) for course, cohort, n in registered]
    return summary


def bar_chart(title: str, items: list[tuple[str, int]], width: int = 640) -> str:
    """A horizontal bar chart as an accessible inline SVG (labels escaped)."""
    label_width, bar_height, gap = 200, 18, 6
    height = max(1, len(items)) * (bar_height + gap) + 30
    top = max([n for _, n in items] or [0]) or 1
    scale = (width - label_width - 60) / top
    described = ", ".join(f"{label}: {n}" for label, n in items) or "no data"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}: {escape(described)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-weight="bold" font-size="14">{escape(title)}</text>',
    ]
    if not items:
        parts.append('<text x="0" y="40" font-size="13">No data in this period.</text>')
    for index, (label, n) in enumerate(items):
        y = 28 + index * (bar_height + gap)
        parts += [
            f'<text x="{label_width - 8}" y="{y + 13}" font-size="12" text-anchor="end">'
            f"{escape(label[:32])}</text>",
            f'<rect x="{label_width}" y="{y}" width="{max(1.0, n * scale):.1f}" '
            f'height="{bar_height}" fill="#0b4f6c"/>',
            f'<text x="{label_width + max(1.0, n * scale) + 6:.1f}" y="{y + 13}" '
            f'font-size="12">{n}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)

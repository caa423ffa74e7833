"""How fast the support console's conversation list and search are (issue 7, scope 3).

Generates N synthetic conversations (a mix of channels, languages and intents, 10–30
events each, shaped like the rows Rasa's SQL tracker store writes) into a fresh
SQLite file and, with ``--postgres``, into a fresh PostgreSQL database that is
dropped afterwards; builds the console's index (timed); then times list pages,
filters and text search, and prints p50/p95 over repeated runs.

    .venv/bin/python -m bench.console_bench                  # SQLite, N=100,000
    .venv/bin/python -m bench.console_bench -n 20000 --postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta, timezone
from io import StringIO
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console.conversations import (
    Filters,
    conversations,
    create_engine,
    encode_cursor,
    list_conversations,
    refresh,
)

# Rasa 3.6's SQLTrackerStore.SQLEvent table (rasa/core/tracker_store.py).
EVENTS_DDL = {
    "sqlite": """CREATE TABLE events (
        id INTEGER NOT NULL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,
        type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255),
        action_name VARCHAR(255), data TEXT)""",
    "postgresql": """CREATE TABLE events (
        id SERIAL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,
        type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255),
        action_name VARCHAR(255), data TEXT)""",
}
EVENTS_INDEX = "CREATE INDEX ix_events_sender_id ON events (sender_id)"

CHANNELS = [("socketio", 35), ("whatsapp", 25), ("telegram", 20), ("rest", 10), ("twilio", 10)]
END = datetime(2025, 6, 30, tzinfo=timezone.utc).timestamp()
SPAN_DAYS = 180
RARE_WORD = "mwanafunzi-maalum"  # in ~1 conversation in 10,000

# (intent, English, Kiswahili) user messages, then the bot's replies.
MESSAGES = {
    "greet": ("hello", "habari yako"),
    "list_courses": ("which courses do you offer?", "kuna kozi gani?"),
    "course_details": ("when does CLD-201 start?", "kozi ya CLD-201 inaanza lini?"),
    "check_eligibility": ("can a job group K officer join?", "naweza kujiunga nikiwa K?"),
    "register": ("I want to register", "nataka kujisajili"),
    "inform": ("my email is {email}, phone {phone}", "barua pepe yangu ni {email}"),
    "check_status": ("what is the status of {ref}?", "hali ya {ref} ni gani?"),
    "withdraw": ("please withdraw me", "naomba kujiondoa"),
    "thank": ("thank you", "asante sana"),
    "nlu_fallback": ("asdf the thing with the portal", "ile kitu ya portal"),
    "human_handoff": ("I want to talk to a person", "nataka kuongea na mtu"),
}
REPLIES = {
    "greet": ("Hello! How can I help?", "Habari! Nikusaidie vipi?"),
    "list_courses": ("We offer CLD-201, DAT-110 and SEC-300.", "Tuna kozi CLD-201, DAT-110."),
    "course_details": ("CLD-201 starts on 3 March.", "CLD-201 inaanza tarehe 3 Machi."),
    "check_eligibility": ("Yes, you are eligible.", "Ndiyo, unastahili."),
    "register": ("What is your personal number?", "Nambari yako ya kazi ni ipi?"),
    "inform": ("Thanks, noted.", "Asante, nimeandika."),
    "check_status": ("Your registration is confirmed.", "Usajili wako umethibitishwa."),
    "withdraw": ("You have been withdrawn.", "Umeondolewa."),
    "thank": ("You're welcome!", "Karibu!"),
    "nlu_fallback": ("Sorry, I didn't understand.", "Samahani, sijaelewa."),
    "human_handoff": ("Connecting you to an agent.", "Nakuunganisha na mhudumu."),
}
INTENT_WEIGHTS = [
    ("greet", 14), ("list_courses", 14), ("course_details", 12), ("check_eligibility", 8),
    ("register", 10), ("inform", 10), ("check_status", 8), ("withdraw", 2), ("thank", 10),
    ("nlu_fallback", 6), ("human_handoff", 3),
]  # fmt: skip
ACTIONS = {"nlu_fallback": "action_default_fallback", "human_handoff": "action_human_handoff"}


def weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def conversation(rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """One conversation's rows (sender_id, type_name, timestamp, intent_name,
    action_name, data), 10–30 of them."""
    channel = weighted(rng, CHANNELS)
    lang = "sw" if rng.random() < 0.4 else "en"
    which = 1 if lang == "sw" else 0
    sender = f"{channel}-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
    t = END - rng.random() * SPAN_DAYS * 86_400
    target = rng.randint(10, 30)
    rows: list[tuple[Any, ...]] = []

    def add(kind: str, data: dict[str, Any], intent: str | None = None, action: str | None = None):
        nonlocal t
        t += rng.random() * 20
        data = {"event": kind, "timestamp": t, **data}
        rows.append((sender, kind, t, intent, action, json.dumps(data)))

    add("action", {"name": "action_session_start"}, action="action_session_start")
    add("session_started", {})
    add("action", {"name": "action_listen"}, action="action_listen")
    registering = rng.random() < 0.15
    while len(rows) < target:
        intent = weighted(rng, INTENT_WEIGHTS)
        if registering and len(rows) > target - 8:
            intent = "register"
        words = MESSAGES[intent][which].format(
            email=f"officer{rng.randint(1, 99999)}@health.go.ke",
            phone=f"07{rng.randint(10_000_000, 99_999_999)}",
            ref=f"KSG-{rng.choice('ABCDEF')}{rng.randint(10000, 99999)}",
        )
        if rng.random() < 0.0001:
            words += f" {RARE_WORD}"
        confidence = round(0.3 + rng.random() * 0.3 if intent == "nlu_fallback" else 0.7 + rng.random() * 0.3, 4)  # fmt: skip
        entities = [{"entity": "message_language", "value": lang, "extractor": "LanguageDetector"}]
        add(
            "user",
            {
                "text": words,
                "parse_data": {
                    "intent": {"name": intent, "confidence": confidence},
                    "entities": entities,
                    "text": words,
                    "message_id": uuid.UUID(int=rng.getrandbits(128)).hex,
                    "metadata": {},
                    "intent_ranking": [{"name": intent, "confidence": confidence}],
                },
                "input_channel": channel,
                "message_id": uuid.UUID(int=rng.getrandbits(128)).hex,
                "metadata": {},
            },
            intent=intent,
        )
        add("slot", {"name": "language", "value": lang})
        action = ACTIONS.get(intent, f"utter_{intent}")
        if registering and intent == "register" and len(rows) >= target - 4:
            action = "action_submit_registration"
            code = "".join(rng.choice("23456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(6))
            reply = f"You're registered. Your reference number is KSG-{code}."
            registering = False
        else:
            reply = REPLIES[intent][which]
        add("action", {"name": action}, action=action)
        meta = {} if action.startswith("action_") else {"utter_action": action}
        add("bot", {"text": reply, "data": {"buttons": []}, "metadata": meta})
        add("action", {"name": "action_listen"}, action="action_listen")
    yield from rows


def generate(n: int, seed: int) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of event rows for ``n`` conversations."""
    rng = random.Random(seed)
    batch: list[tuple[Any, ...]] = []
    for _ in range(n):
        batch.extend(conversation(rng))
        if len(batch) >= 50_000:
            yield batch
            batch = []
    if batch:
        yield batch


def load_sqlite(path: Path, n: int, seed: int) -> int:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(EVENTS_DDL["sqlite"])
    connection.execute(EVENTS_INDEX)
    total = 0
    with connection:
        for batch in generate(n, seed):
            connection.executemany(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name,"
                " data) VALUES (?, ?, ?, ?, ?, ?)",
                batch,
            )
            total += len(batch)
    connection.close()
    return total


def load_postgres(dsn: dict[str, Any], n: int, seed: int) -> int:
    import psycopg2

    connection = psycopg2.connect(**dsn)
    total = 0
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(EVENTS_DDL["postgresql"])
            cursor.execute(EVENTS_INDEX)
            for batch in generate(n, seed):
                buffer = StringIO()
                for row in batch:
                    buffer.write("\t".join(_copy_field(v) for v in row) + "\n")
                buffer.seek(0)
                cursor.copy_expert(
                    "COPY events (sender_id, type_name, timestamp, intent_name, action_name,"
                    " data) FROM STDIN",
                    buffer,
                )
                total += len(batch)
        with connection, connection.cursor() as cursor:
            cursor.execute("ANALYZE events")
    finally:
        connection.close()
    return total


def _copy_field(value: Any) -> str:
    if value is None:
        return "\\N"
    text = str(value) if not isinstance(value, float) else repr(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


async def timed(runs: int, work: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    """p50 and p95 in milliseconds (after one warm-up run), and the last result."""
    result = await work()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = await work()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, result


async def bench(url: str, n_conversations: int, runs: int, label: str) -> None:
    engine: AsyncEngine = create_engine(url)
    try:
        start = time.perf_counter()
        indexed = await refresh(engine)
        build = time.perf_counter() - start
        print(f"[{label}] index built: {indexed:,} events in {build:.1f} s")
        if engine.dialect.name == "postgresql":
            async with engine.begin() as connection:
                await connection.exec_driver_sql("ANALYZE console_conversations")
        async with engine.connect() as connection:
            middle = (
                await connection.execute(
                    select(conversations.c.last_at, conversations.c.sender_id)
                    .order_by(conversations.c.last_at.desc(), conversations.c.sender_id.desc())
                    .offset(n_conversations // 2)
                    .limit(1)
                )
            ).one()
        deep = encode_cursor(middle.last_at, middle.sender_id)
        week_ago = datetime.fromtimestamp(END, tz=timezone.utc) - timedelta(days=7)

        cases: list[tuple[str, Filters, str | None]] = [
            ("list page 1", Filters(), None),
            ("list deep page (middle)", Filters(), deep),
            ("filter channel=telegram", Filters(channel="telegram"), None),
            ("filter language=sw", Filters(language="sw"), None),
            ("filter intent=withdraw", Filters(intent="withdraw"), None),
            ("filter had_fallback", Filters(had_fallback=True), None),
            ("filter had_handoff", Filters(had_handoff=True), None),
            ("filter registered", Filters(registered=True), None),
            ("filter last 7 days", Filters(since=week_ago), None),
            (
                "filter sw+registered+telegram",
                Filters(language="sw", registered=True, channel="telegram"),
                None,
            ),
            ("filter handoff, deep page", Filters(had_handoff=True), deep),
            ("search common ('kozi')", Filters(text="kozi"), None),
            ("search rare word", Filters(text=RARE_WORD), None),
            ("search absent word", Filters(text="zzqxv"), None),
            ("search + channel", Filters(text="portal", channel="whatsapp"), None),
            ("refresh, nothing new", Filters(), "refresh"),
        ]
        print(f"[{label}] {'query':34} {'p50 ms':>8} {'p95 ms':>8} {'rows':>5}")
        for name, filters, before in cases:
            if before == "refresh":
                p50, p95, result = await timed(runs, lambda: refresh(engine))
                print(f"[{label}] {name:34} {p50:8.1f} {p95:8.1f} {result:>5}")
                continue
            p50, p95, page = await timed(
                runs,
                lambda f=filters, b=before: list_conversations(engine, f, page_size=50, before=b),
            )
            print(f"[{label}] {name:34} {p50:8.1f} {p95:8.1f} {len(page.rows):>5}")
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="conversations (100,000)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per query (30)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args(argv)

    if not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="console-bench-") as folder:
            path = Path(folder) / "tracker.db"
            start = time.perf_counter()
            total = load_sqlite(path, args.n, args.seed)
            print(f"[sqlite] generated {args.n:,} conversations, {total:,} events"
                  f" in {time.perf_counter() - start:.1f} s")  # fmt: skip
            asyncio.run(bench(f"sqlite:///{path}", args.n, args.runs, "sqlite"))
            print(f"[sqlite] file size {path.stat().st_size / 1e6:.0f} MB")
    if args.postgres:
        import psycopg2

        name = f"console_bench_{uuid.uuid4().hex[:8]}"
        admin = {"host": args.pg_host, "port": args.pg_port, "user": args.pg_user}
        try:
            connection = psycopg2.connect(dbname="postgres", connect_timeout=3, **admin)
        except psycopg2.Error as error:
            sys.exit(f"PostgreSQL not reachable: {error}")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        try:
            start = time.perf_counter()
            total = load_postgres({"dbname": name, **admin}, args.n, args.seed)
            print(f"[postgres] generated {args.n:,} conversations, {total:,} events"
                  f" in {time.perf_counter() - start:.1f} s")  # fmt: skip
            url = f"postgresql://{args.pg_user}@{args.pg_host}:{args.pg_port}/{name}"
            asyncio.run(bench(url, args.n, args.runs, "postgres"))
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.close()


if __name__ == "__main__":
    main()

"""The support console's conversation index, list and transcript (issue 7, scope 3),
on conversations written by Rasa's own SQL tracker store, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console.conversations import (
    MASK,
    Filters,
    create_engine,
    forget,
    list_conversations,
    refresh,
    reindex,
    transcript,
)
from bot.db.engine import create_sync_engine
from bot.tracker_redaction import redact_conversations
from bot.tracker_store import URLTrackerStore

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))

T0 = 1_718_000_000.0  # 2024-06-10 06:13:20 UTC
DAY = 86_400.0

AMINA = "rest-amina-0042"
BARAKA = "telegram-5550001"
SCRIPT = "socketio-ab12cd"
CLOSED = "whatsapp-254700000111"

NAME = "Amina Wanjirũ Otieno"
EMAIL = "amina.otieno@health.go.ke"
NUMBER = "2019048213"
SCRIPT_TEXT = "<script>alert('x')</script> bei ya kozi?"


def user(
    text_: str,
    intent: str,
    t: float,
    channel: str,
    language: str = "en",
    entities: list[dict[str, Any]] | None = None,
    confidence: float = 0.93,
) -> UserUttered:
    entities = [*(entities or []), {"entity": "message_language", "value": language}]
    return UserUttered(
        text_,
        {"name": intent, "confidence": confidence},
        entities=entities,
        parse_data={
            "text": text_,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities,
        },
        timestamp=t,
        input_channel=channel,
    )


def session(t: float) -> list[Event]:
    return [
        ActionExecuted("action_session_start", timestamp=t),
        SessionStarted(timestamp=t),
        ActionExecuted("action_listen", timestamp=t),
    ]


def amina() -> list[Event]:
    """Registers (rest, English) and types her personal data."""
    t = T0
    return [
        *session(t),
        user(
            f"I am {NAME}, number {NUMBER}, email {EMAIL.upper()}, phone 0712 345 678",
            "register",
            t + 1,
            "rest",
            entities=[{"entity": "personal_number", "value": NUMBER}],
        ),
        SlotSet("language", "en", timestamp=t + 1),
        SlotSet("full_name", NAME, timestamp=t + 2),
        SlotSet("personal_number", NUMBER, timestamp=t + 2),
        ActionExecuted("action_ask_confirmed", timestamp=t + 3),
        BotUttered(
            f"Thanks {NAME}. Is everything correct?",
            data={"buttons": [{"title": "Yes", "payload": f'/affirm{{"email":"{EMAIL}"}}'}]},
            metadata={"utter_action": "utter_ask_confirmed"},
            timestamp=t + 3,
        ),
        ActionExecuted("action_listen", timestamp=t + 4),
        user("yes", "affirm", t + 5, "rest"),
        ActionExecuted("action_submit_registration", timestamp=t + 6),
        BotUttered(
            "You're registered for CLD-201. Your reference number is KSG-7F3K9Q.",
            timestamp=t + 6,
        ),
        SlotSet("full_name", None, timestamp=t + 6),
        ActionExecuted("action_listen", timestamp=t + 7),
    ]


def baraka() -> list[Event]:
    """Not understood, then asks for a person (telegram, Kiswahili)."""
    t = T0 + DAY
    return [
        *session(t),
        user("nataka kuongea na mtu", "nlu_fallback", t + 1, "telegram", "sw", confidence=0.31),
        SlotSet("language", "sw", timestamp=t + 1),
        ActionExecuted("action_default_fallback", timestamp=t + 2),
        BotUttered("Samahani, sijaelewa.", timestamp=t + 2),
        ActionExecuted("action_listen", timestamp=t + 3),
        user("mhudumu tafadhali", "human_handoff", t + 4, "telegram", "sw"),
        ActionExecuted("action_human_handoff", timestamp=t + 5),
        BotUttered("Nimekuunganisha na mhudumu. 50% ya maombi hujibiwa haraka.", timestamp=t + 5),
        ActionExecuted("action_listen", timestamp=t + 6),
    ]


def script() -> list[Event]:
    """Types markup (socket.io widget, Kiswahili), asks about courses."""
    t = T0 + 2 * DAY
    return [
        *session(t),
        user(SCRIPT_TEXT, "list_courses", t + 1, "socketio", "sw"),
        SlotSet("language", "sw", timestamp=t + 1),
        ActionExecuted("utter_courses", timestamp=t + 2),
        BotUttered("Kozi zetu: CLD-201, DAT-110.", timestamp=t + 2),
        ActionExecuted("action_listen", timestamp=t + 3),
    ]


def closed() -> list[Event]:
    """Submits a registration that fails (intake closed): not registered."""
    t = T0 + 3 * DAY
    return [
        *session(t),
        user("register me", "register", t + 1, "whatsapp"),
        ActionExecuted("action_submit_registration", timestamp=t + 2),
        BotUttered("Sorry, registration for that intake has just closed.", timestamp=t + 2),
        ActionExecuted("action_listen", timestamp=t + 3),
    ]


CONVERSATIONS = {AMINA: amina, BARAKA: baraka, SCRIPT: script, CLOSED: closed}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def tracker_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    url = request.getfixturevalue("scratch_postgres_url")
    return url.replace("postgresql://", "postgres://", 1)


@pytest.fixture
def store(tracker_url: str) -> Iterator[URLTrackerStore]:
    store = URLTrackerStore(domain=DOMAIN, host=tracker_url)
    yield store
    store.engine.dispose()


@pytest.fixture
async def engine(tracker_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(tracker_url)
    yield engine
    await engine.dispose()


async def save(store: URLTrackerStore, sender: str, events: list[Event]) -> None:
    await store.save(DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots))


async def write_all(store: URLTrackerStore) -> None:
    for sender, events in CONVERSATIONS.items():
        await save(store, sender, events())


async def senders(engine: AsyncEngine, **filters: Any) -> list[str]:
    page = await list_conversations(engine, Filters(**filters), page_size=200)
    return [row.sender_id for row in page.rows]


async def test_index_summarises_each_conversation(
    store: URLTrackerStore, engine: AsyncEngine
) -> None:
    await write_all(store)
    assert await refresh(engine) == sum(len(events()) for events in CONVERSATIONS.values())

    page = await list_conversations(engine)
    assert [row.sender_id for row in page.rows] == [CLOSED, SCRIPT, BARAKA, AMINA]
    assert (page.next_cursor, page.has_more) == (None, False)
    rows = {row.sender_id: row for row in page.rows}

    a = rows[AMINA]
    assert a.first_at == datetime.fromtimestamp(T0, tz=timezone.utc)
    assert a.last_at == datetime.fromtimestamp(T0 + 7, tz=timezone.utc)
    assert (a.channel, a.language, a.n_user_messages, a.n_bot_messages) == ("rest", "en", 2, 2)
    assert a.intents == ("affirm", "register")
    assert (a.had_fallback, a.had_handoff, a.registered) == (False, False, True)
    assert a.masked_sender == "…0042"

    b = rows[BARAKA]
    assert (b.channel, b.language, b.intents) == (
        "telegram",
        "sw",
        ("human_handoff", "nlu_fallback"),
    )
    assert (b.had_fallback, b.had_handoff, b.registered) == (True, True, False)

    assert (rows[SCRIPT].channel, rows[SCRIPT].language) == ("socketio", "sw")
    assert rows[CLOSED].registered is False  # submitted, but no enrolment reference


async def test_refresh_is_incremental(store: URLTrackerStore, engine: AsyncEngine) -> None:
    await write_all(store)
    await refresh(engine)
    assert await refresh(engine) == 0

    # Amina comes back: a new user message and a reply; and a new officer writes.
    tracker = await store.retrieve_full_tracker(AMINA)
    assert tracker is not None
    t = T0 + 10 * DAY
    for event in [
        user("mhudumu", "human_handoff", t, "rest", "sw"),
        SlotSet("language", "sw", timestamp=t),
        ActionExecuted("action_human_handoff", timestamp=t + 1),
        BotUttered("Subiri kidogo.", timestamp=t + 1),
    ]:
        tracker.update(event)
    await store.save(tracker)
    await save(store, "rest-newcomer", [*session(t), user("hello", "greet", t + 2, "rest")])

    assert await refresh(engine, batch_size=2) == 4 + 4
    rows = {row.sender_id: row for row in (await list_conversations(engine)).rows}
    a = rows[AMINA]
    assert (a.n_user_messages, a.n_bot_messages, a.language) == (3, 3, "sw")
    assert a.intents == ("affirm", "human_handoff", "register")
    assert a.had_handoff and a.registered
    assert a.last_at == datetime.fromtimestamp(t + 1, tz=timezone.utc)
    assert rows["rest-newcomer"].intents == ("greet",)
    assert await senders(engine, text="subiri kidogo") == [AMINA]
    assert await refresh(engine) == 0


async def test_refresh_picks_up_events_committed_late(
    store: URLTrackerStore, engine: AsyncEngine, tracker_url: str
) -> None:
    """On PostgreSQL a lower event id can become visible after a higher one."""
    await write_all(store)
    await refresh(engine)
    sync = create_sync_engine(tracker_url)
    try:
        with sync.begin() as connection:
            top = connection.execute(text("SELECT max(id) FROM events")).scalar()
            insert = text(
                "INSERT INTO events (id, sender_id, type_name, timestamp, intent_name, data)"
                " VALUES (:id, :sender, 'user', :t, 'greet', :data)"
            )
            data = '{"event": "user", "text": "late hello", "input_channel": "rest"}'
            connection.execute(insert, {"id": top + 10, "sender": "rest-b", "t": T0, "data": data})
        assert await refresh(engine) == 1
        with sync.begin() as connection:  # committed now, with an id below the last one
            connection.execute(insert, {"id": top + 5, "sender": "rest-a", "t": T0, "data": data})
    finally:
        sync.dispose()
    assert await refresh(engine) == 1
    assert set(await senders(engine, text="late hello")) == {"rest-a", "rest-b"}
    assert await refresh(engine) == 0


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [CLOSED, SCRIPT, BARAKA, AMINA]),
        ({"since": datetime.fromtimestamp(T0 + DAY, tz=timezone.utc)}, [CLOSED, SCRIPT, BARAKA]),
        ({"until": datetime.fromtimestamp(T0 + DAY, tz=timezone.utc)}, [AMINA]),
        ({"since": datetime(2024, 6, 11), "until": datetime(2024, 6, 12).date()}, [BARAKA]),
        ({"channel": "telegram"}, [BARAKA]),
        ({"channel": "sms"}, []),
        ({"language": "sw"}, [SCRIPT, BARAKA]),
        ({"language": "en"}, [CLOSED, AMINA]),
        ({"intent": "register"}, [CLOSED, AMINA]),
        ({"intent": "human_handoff"}, [BARAKA]),
        ({"intent": "regist"}, []),  # whole intent names only
        ({"intent": "%"}, []),
        ({"had_fallback": True}, [BARAKA]),
        ({"had_fallback": False}, [CLOSED, SCRIPT, AMINA]),
        ({"had_handoff": True}, [BARAKA]),
        ({"registered": True}, [AMINA]),
        ({"registered": False}, [CLOSED, SCRIPT, BARAKA]),
        ({"language": "en", "intent": "register", "registered": False}, [CLOSED]),
        ({"text": "KOZI"}, [SCRIPT]),  # case-insensitive, user and bot texts
        ({"text": "sijaelewa"}, [BARAKA]),
        ({"text": "ksg-7f3k9q"}, [AMINA]),
        ({"text": "wanjirũ"}, []),  # her name is her own conversation's full_name slot
        ({"text": "50%"}, [BARAKA]),  # LIKE wildcards are literal
        ({"text": "5_%"}, []),
        ({"text": "<script>"}, [SCRIPT]),
        ({"text": "health.go.ke"}, []),  # e-mails, phones and numbers are masked
        ({"text": NUMBER}, []),
        ({"text": "345 678"}, []),
        ({"text": "[email]"}, [AMINA]),
        ({"text": "   "}, [CLOSED, SCRIPT, BARAKA, AMINA]),
    ],
)
async def test_filters(
    store: URLTrackerStore, engine: AsyncEngine, filters: dict[str, Any], expected: list[str]
) -> None:
    await write_all(store)
    await refresh(engine)
    assert await senders(engine, **filters) == expected


async def test_keyset_pagination(store: URLTrackerStore, engine: AsyncEngine) -> None:
    await write_all(store)
    # Three more conversations ending at the very same moment: the tie is broken by
    # sender id, and no page repeats or skips one.
    t = T0 + 5 * DAY
    for sender in ("web-c", "web-a", "web-b"):
        await save(store, sender, [SessionStarted(timestamp=t), user("hi", "greet", t, "rest")])
    await refresh(engine)

    seen, cursor, pages = [], None, 0
    while True:
        page = await list_conversations(engine, page_size=2, before=cursor)
        pages += 1
        seen += [row.sender_id for row in page.rows]
        assert page.has_more == (page.next_cursor is not None)
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert seen == ["web-c", "web-b", "web-a", CLOSED, SCRIPT, BARAKA, AMINA]
    assert pages == 4

    filtered = await list_conversations(engine, Filters(intent="greet"), page_size=2)
    assert [r.sender_id for r in filtered.rows] == ["web-c", "web-b"]
    rest = await list_conversations(
        engine, Filters(intent="greet"), page_size=2, before=filtered.next_cursor
    )
    assert ([r.sender_id for r in rest.rows], rest.has_more) == (["web-a"], False)

    with pytest.raises(ValueError):
        await list_conversations(engine, before="not-a-cursor")


async def test_transcript_is_masked(store: URLTrackerStore, engine: AsyncEngine) -> None:
    await write_all(store)
    view = await transcript(engine, AMINA)
    assert view is not None
    assert (view.sender, view.revealed) == ("…0042", False)
    kinds = [e.kind for e in view.events]
    assert kinds[:3] == ["action", "session_started", "action"]
    assert kinds.count("user") == 2 and kinds.count("bot") == 2

    first = next(e for e in view.events if e.kind == "user")
    assert first.text == f"I am {MASK}, number {MASK}, email [email], phone [phone]"
    assert (first.intent, first.confidence, first.channel) == ("register", 0.93, "rest")
    assert [(e.entity, e.value) for e in first.entities] == [
        ("personal_number", MASK),
        ("message_language", "en"),
    ]
    assert first.at == datetime.fromtimestamp(T0 + 1, tz=timezone.utc)
    question = next(e for e in view.events if e.kind == "bot")
    assert question.text == f"Thanks {MASK}. Is everything correct?"
    assert [(b.title, b.payload) for b in question.buttons] == [
        ("Yes", '/affirm{"email":"[email]"}')
    ]
    slots = [(e.name, e.value) for e in view.events if e.kind == "slot"]
    assert slots == [
        ("language", "en"),
        ("full_name", MASK),
        ("personal_number", MASK),
        ("full_name", None),
    ]
    actions = [e.name for e in view.events if e.kind == "action"]
    assert "action_submit_registration" in actions

    everything = repr(view)
    for secret in (NAME, "Wanjir", EMAIL, EMAIL.upper(), NUMBER, "345 678", AMINA):
        assert secret not in everything


async def test_transcript_reveal(store: URLTrackerStore, engine: AsyncEngine) -> None:
    await write_all(store)
    view = await transcript(engine, AMINA, reveal=True)
    assert view is not None
    assert (view.sender, view.revealed) == (AMINA, True)
    first = next(e for e in view.events if e.kind == "user")
    assert first.text.startswith(f"I am {NAME}, number {NUMBER}, email {EMAIL.upper()}")
    assert first.entities[0].value == NUMBER
    slots = {e.name: e.value for e in view.events if e.kind == "slot" and e.value}
    assert slots["full_name"] == NAME

    assert await transcript(engine, "nobody") is None


async def test_script_text_comes_back_raw(store: URLTrackerStore, engine: AsyncEngine) -> None:
    """Escaping is the template's job: the data layer neither escapes nor drops it."""
    await write_all(store)
    await refresh(engine)
    view = await transcript(engine, SCRIPT)
    assert view is not None
    message = next(e for e in view.events if e.kind == "user")
    assert message.text == SCRIPT_TEXT
    assert (message.intent, message.channel) == ("list_courses", "socketio")
    (row,) = (await list_conversations(engine, Filters(text="<script>"))).rows
    assert (row.had_fallback, row.had_handoff, row.registered) == (False, False, False)


async def test_reindex_after_erasure(
    store: URLTrackerStore, engine: AsyncEngine, tracker_url: str
) -> None:
    await write_all(store)
    await refresh(engine)
    # Her name is a slot value in her own conversation: never searchable there.
    assert await senders(engine, text="wanjir") == []
    assert await senders(engine, text="is everything correct") == [AMINA]

    redact_conversations(tracker_url.replace("postgres://", "postgresql://"), [AMINA], [NAME])
    await reindex(engine, [AMINA])
    assert await senders(engine, text="wanjir") == []
    (row,) = [r for r in (await list_conversations(engine)).rows if r.sender_id == AMINA]
    assert (row.n_user_messages, row.n_bot_messages, row.intents) == (2, 2, ("affirm", "register"))
    # The enrolment reference was in the erased reply: the enrolment database, not
    # the transcript, is the record of a registration from now on.
    assert row.registered is False
    assert await refresh(engine) == 0
    assert len(await senders(engine)) == 4


async def test_forget_after_erasure_reaches_other_conversations(
    store: URLTrackerStore, engine: AsyncEngine, tracker_url: str, tmp_path: Path
) -> None:
    await write_all(store)
    # Amina's name typed in another chat, never linked to her.
    await save(
        store,
        "rest-other-7777",
        [*session(T0 + 5 * DAY), user(f"ni {NAME} hapa", "inform", T0 + 5 * DAY + 1, "rest")],
    )
    await refresh(engine)
    # Searchable only where nothing said it was a name.
    assert await senders(engine, text="wanjir") == ["rest-other-7777"]

    url = tracker_url.replace("postgres://", "postgresql://")
    redact_conversations(url, [AMINA], [NAME])
    assert await forget(url, [AMINA], [NAME]) == 2
    assert await senders(engine, text="wanjir") == []
    assert len(await senders(engine)) == 5
    # A store the console never indexed has nothing to forget.
    assert await forget(f"sqlite:///{tmp_path / 'never-indexed.db'}", [AMINA], [NAME]) == 0


async def test_names_the_conversation_holds_are_not_searchable(
    store: URLTrackerStore, engine: AsyncEngine
) -> None:
    await write_all(store)
    await refresh(engine)
    for secret in (NAME, "amina wanjir", "otieno", EMAIL, NUMBER):
        assert await senders(engine, text=secret) == [], secret
    # The rest of the same messages is.
    assert await senders(engine, text="i am [redacted], number [number], email") == [AMINA]


async def test_empty_store(engine: AsyncEngine) -> None:
    assert await refresh(engine) == 0
    page = await list_conversations(engine)
    assert (page.rows, page.next_cursor, page.has_more) == ([], None, False)
    assert await transcript(engine, "anyone") is None

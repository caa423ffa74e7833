"""An erased officer's conversations are redacted in the SQL tracker store (issue 4,
DPA 2019 s.40): no personal value is left anywhere in the ``events`` table, other
officers' conversations are untouched, the anonymous counts stay, and Rasa can still
load and continue the (possibly live) conversation.

The conversations are written by Rasa's own store, so the rows are exactly what the
running bot writes, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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

from bot.db.engine import create_sync_engine
from bot.tracker_redaction import (
    PERSONAL_SLOTS,
    REDACTED,
    RedactionResult,
    phone_variants,
    redact_conversations,
)
from bot.tracker_store import URLTrackerStore

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))

# Officer A (to be erased). The name is not ASCII: Rasa stores it as \u escapes.
A_NAME = "Amina Wanjirũ Otieno"
A_EMAIL = "amina.otieno@health.go.ke"
A_PHONE = "+254712345678"
A_NUMBER = "2019048213"
A_SENDERS = ("rest-amina", "telegram-5550001")
A_VALUES = [A_NAME, A_EMAIL, A_NUMBER, *phone_variants(A_PHONE)]
# Nothing of these may stay in A's own events, even where no value matches whole.
A_FRAGMENTS = ["amina", "wanjir", "otieno", "health.go.ke", "345678", A_NUMBER, "amina_o"]

B_SENDER = "rest-baraka"
OTHER_SENDER = "web-unverified"
T0 = 1_718_000_000.0


def user(text_: str, intent: str, t: float, channel: str, **kwargs: Any) -> UserUttered:
    return UserUttered(
        text_,
        {"name": intent, "confidence": 0.97},
        timestamp=t,
        input_channel=channel,
        message_id=f"msg-{int(t)}",
        **kwargs,
    )


def conversation_a_rest() -> list[Event]:
    return [
        SessionStarted(timestamp=T0, metadata={"phone": A_PHONE}),
        ActionExecuted("action_session_start", timestamp=T0),
        ActionExecuted("action_listen", timestamp=T0 + 1),
        user(
            f"I am {A_NAME}, personal number {A_NUMBER}, phone 0712 345 678",
            "register",
            T0 + 2,
            "rest",
            entities=[
                {"entity": "personal_number", "value": A_NUMBER, "start": 32, "end": 42},
            ],
            metadata={"profile": {"display_name": "Amina O.", "msisdn": "254712345678"}},
        ),
        SlotSet("personal_number", A_NUMBER, timestamp=T0 + 3),
        SlotSet("full_name", A_NAME, timestamp=T0 + 3),
        SlotSet("email", A_EMAIL, timestamp=T0 + 3),
        SlotSet("phone_number", A_PHONE, timestamp=T0 + 3),
        SlotSet("language", "en", timestamp=T0 + 3),
        ActionExecuted("action_ask_erase_confirmed", timestamp=T0 + 4),
        BotUttered(
            f"Thanks {A_NAME}. We will write to {A_EMAIL}.",
            data={
                "buttons": [{"title": "Yes", "payload": f'/affirm{{"email": "{A_EMAIL}"}}'}],
                "custom": {
                    "export": {
                        "filename": "amina-otieno.json",
                        "content": json.dumps({"full_name": A_NAME, "phone": A_PHONE}),
                    }
                },
            },
            metadata={"utter_action": "utter_ask_erase_confirmed", "recipient": "Amina"},
            timestamp=T0 + 5,
        ),
        ActionExecuted(action_text=f"Karibu {A_NAME}", timestamp=T0 + 6),
        ActionExecuted("action_listen", timestamp=T0 + 7),
    ]


def conversation_a_telegram() -> list[Event]:
    return [
        SessionStarted(timestamp=T0 + 10),
        ActionExecuted("action_session_start", timestamp=T0 + 10),
        ActionExecuted("action_listen", timestamp=T0 + 11),
        user(
            f"my email is {A_EMAIL.upper()}",
            "inform",
            T0 + 12,
            "telegram",
            metadata={"message": {"from": {"first_name": "Amina", "username": "amina_o"}}},
        ),
        SlotSet("email", A_EMAIL.upper(), timestamp=T0 + 13),
        ActionExecuted("utter_greet", timestamp=T0 + 14),
        BotUttered("Sawa!", metadata={"utter_action": "utter_greet"}, timestamp=T0 + 15),
        ActionExecuted("action_listen", timestamp=T0 + 16),
    ]


def conversation_b() -> list[Event]:
    # "Ali" is shorter than 4 characters: passing it as a value must not touch B.
    return [
        SessionStarted(timestamp=T0 + 20),
        ActionExecuted("action_listen", timestamp=T0 + 21),
        user("I am Baraka Mwangi, please call Ali at the office", "register", T0 + 22, "rest"),
        SlotSet("full_name", "Baraka Mwangi", timestamp=T0 + 23),
        SlotSet("email", "baraka.mwangi@treasury.go.ke", timestamp=T0 + 23),
        BotUttered("Thanks Baraka Mwangi.", data={"buttons": []}, timestamp=T0 + 24),
        ActionExecuted("action_listen", timestamp=T0 + 25),
    ]


def conversation_other() -> list[Event]:
    """Somebody (A, unproved) typed A's personal number and e-mail in another chat."""
    return [
        SessionStarted(timestamp=T0 + 30),
        ActionExecuted("action_listen", timestamp=T0 + 31),
        user(
            f"my number is {A_NUMBER} and email Amina.Otieno@Health.go.ke, or call 0712 345 678",
            "inform",
            T0 + 32,
            "rest",
        ),
        SlotSet("personal_number", A_NUMBER, timestamp=T0 + 33),
        BotUttered("Please give your reference number too.", timestamp=T0 + 34),
        ActionExecuted("action_listen", timestamp=T0 + 35),
        # Only the name, in capitals: stored as WANJIR\u0168, still found.
        user(f"jina langu ni {A_NAME.upper()}", "inform", T0 + 36, "rest"),
        ActionExecuted("action_listen", timestamp=T0 + 37),
    ]


CONVERSATIONS = {
    A_SENDERS[0]: conversation_a_rest,
    A_SENDERS[1]: conversation_a_telegram,
    B_SENDER: conversation_b,
    OTHER_SENDER: conversation_other,
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def tracker_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A tracker store URL: a SQLite file, or a PostgreSQL database of this test's own
    (written ``postgres://`` as hosting providers hand it out)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    url = request.getfixturevalue("scratch_postgres_url")
    return url.replace("postgresql://", "postgres://", 1)


@pytest.fixture
def store(tracker_url: str) -> Iterator[URLTrackerStore]:
    store = URLTrackerStore(domain=DOMAIN, host=tracker_url)
    yield store
    store.engine.dispose()


def rows(url: str) -> list[Any]:
    """The raw ``events`` rows, as Rasa wrote them."""
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data"
                    " FROM events ORDER BY id"
                )
            ).all()
    finally:
        engine.dispose()


def strings(node: Any) -> Iterator[str]:
    """Every key, string and number in decoded JSON."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif node is not None:
        yield str(node)


def found(row: Any, needle: str) -> bool:
    """``needle`` in the row's raw JSON text or in any decoded string, ignoring case."""
    needle = needle.casefold()
    decoded = strings(json.loads(row.data))
    return needle in row.data.casefold() or any(needle in s.casefold() for s in decoded)


async def write_conversations(store: URLTrackerStore) -> None:
    for sender, events in CONVERSATIONS.items():
        tracker = DialogueStateTracker.from_events(sender, events(), slots=DOMAIN.slots)
        await store.save(tracker)


async def test_erased_officer_leaves_no_trace_and_others_are_untouched(
    store: URLTrackerStore, tracker_url: str
) -> None:
    await write_conversations(store)
    before = rows(tracker_url)

    result = redact_conversations(tracker_url, A_SENDERS, [*A_VALUES, "Ali", "  ", ""])
    after = rows(tracker_url)

    # No row added, removed or re-keyed; only ``data`` changed, anywhere.
    def columns(row: Any) -> tuple:
        return (row.id, row.sender_id, row.type_name, row.timestamp, row.intent_name,
                row.action_name)  # fmt: skip

    assert [columns(r) for r in after] == [columns(r) for r in before]

    # Not one of A's values, in any spelling, is left anywhere in the table.
    for row in after:
        for value in A_VALUES:
            assert not found(row, value), (row.sender_id, row.type_name, value, row.data)
    # A's own events keep nothing personal at all, not even a first name.
    for row in after:
        if row.sender_id in A_SENDERS:
            for fragment in A_FRAGMENTS:
                assert not found(row, fragment), (row.type_name, fragment, row.data)

    # B's conversation is byte-for-byte what it was ("Ali" is too short to search).
    assert [tuple(r) for r in after if r.sender_id == B_SENDER] == [
        tuple(r) for r in before if r.sender_id == B_SENDER
    ]

    # The other chat lost A's values and nothing else.
    other_before = {r.id: r for r in before if r.sender_id == OTHER_SENDER}
    other_changed = [r for r in after if r.sender_id == OTHER_SENDER and r != other_before[r.id]]
    assert [r.type_name for r in other_changed] == ["user", "slot", "user"]
    message = json.loads(other_changed[0].data)
    expected = f"my number is {REDACTED} and email {REDACTED}, or call {REDACTED}"
    assert message["text"] == message["parse_data"]["text"] == expected
    assert message["parse_data"]["intent"]["name"] == "inform"
    assert json.loads(other_changed[1].data)["value"] == REDACTED
    assert json.loads(other_changed[2].data)["text"] == f"jina langu ni {REDACTED}"

    a_changed = sum(
        1
        for b, a in zip(before, after, strict=True)
        if a.sender_id in A_SENDERS and a.data != b.data
    )
    assert result == RedactionResult(conversations=2, events_redacted=a_changed, events_scrubbed=3)


async def test_redacted_events_keep_their_shape(store: URLTrackerStore, tracker_url: str) -> None:
    await write_conversations(store)
    redact_conversations(tracker_url, A_SENDERS, A_VALUES)
    events = [json.loads(r.data) for r in rows(tracker_url) if r.sender_id == A_SENDERS[0]]
    by_type: dict[str, list[dict]] = {}
    for event in events:
        by_type.setdefault(event["event"], []).append(event)

    (message,) = by_type["user"]
    assert message["text"] == message["parse_data"]["text"] == REDACTED
    assert message["parse_data"]["intent"]["name"] == "register"
    assert message["parse_data"]["entities"] == [
        {"entity": "personal_number", "value": REDACTED, "start": 32, "end": 42}
    ]
    assert message["metadata"] == message["parse_data"]["metadata"] == {}
    assert (message["input_channel"], message["message_id"]) == ("rest", f"msg-{int(T0 + 2)}")

    (reply,) = by_type["bot"]
    assert (reply["text"], reply["data"]) == (REDACTED, {})
    assert reply["metadata"] == {"utter_action": "utter_ask_erase_confirmed"}

    slots = {e["name"]: e["value"] for e in by_type["slot"]}
    assert slots == {
        "personal_number": None, "full_name": None, "email": None, "phone_number": None,
        "language": "en",
    }  # fmt: skip
    assert set(slots) - {"language"} <= PERSONAL_SLOTS

    actions = [(e.get("name"), e.get("action_text")) for e in by_type["action"]]
    assert actions == [
        ("action_session_start", None),
        ("action_listen", None),
        ("action_ask_erase_confirmed", None),
        (None, REDACTED),
        ("action_listen", None),
    ]
    assert not by_type["session_started"][0].get("metadata")


async def test_a_live_conversation_keeps_working(store: URLTrackerStore, tracker_url: str) -> None:
    """Rasa saves the erasing conversation again right after the action: it must
    load, and the next save must append exactly the new event."""
    await write_conversations(store)
    redact_conversations(tracker_url, A_SENDERS, A_VALUES)
    counts = {s: sum(1 for r in rows(tracker_url) if r.sender_id == s) for s in A_SENDERS}

    for sender in A_SENDERS:
        tracker = await URLTrackerStore(domain=DOMAIN, host=tracker_url).retrieve(sender)
        assert tracker is not None
        texts = [e.text for e in tracker.events if isinstance(e, (UserUttered, BotUttered))]
        assert texts and set(texts) <= {REDACTED, "Sawa!"}
        assert tracker.get_slot("email") is None
        assert tracker.latest_message.intent_name in {"register", "inform"}

        tracker.update(user("habari", "greet", T0 + 100, "rest"))
        await store.save(tracker)
        after = [r for r in rows(tracker_url) if r.sender_id == sender]
        assert len(after) == counts[sender] + 1
        assert json.loads(after[-1].data)["text"] == "habari"
        assert after[-1].intent_name == "greet"


async def test_redacting_twice_changes_nothing_more(
    store: URLTrackerStore, tracker_url: str
) -> None:
    await write_conversations(store)
    redact_conversations(tracker_url, A_SENDERS, A_VALUES)
    once = rows(tracker_url)
    assert redact_conversations(tracker_url, A_SENDERS, A_VALUES) == RedactionResult(2, 0, 0)
    assert rows(tracker_url) == once


async def test_like_wildcards_in_a_value_are_literal(
    store: URLTrackerStore, tracker_url: str
) -> None:
    for sender, said in [("one", "code ab_c%d here"), ("two", "code abXcYd here")]:
        tracker = DialogueStateTracker.from_events(
            sender, [user(said, "inform", T0, "rest")], slots=DOMAIN.slots
        )
        await store.save(tracker)
    result = redact_conversations(tracker_url, [], ["AB_C%D"])
    assert result == RedactionResult(0, 0, 1)
    texts = {r.sender_id: json.loads(r.data)["text"] for r in rows(tracker_url)}
    assert texts == {"one": f"code {REDACTED} here", "two": "code abXcYd here"}


async def test_store_without_conversations(store: URLTrackerStore, tracker_url: str) -> None:
    assert redact_conversations(tracker_url, A_SENDERS, A_VALUES) == RedactionResult(0, 0, 0)


def test_store_without_events_table(tracker_url: str) -> None:
    """Before Rasa ever ran: no ``events`` table (on PostgreSQL, a database with the
    enrolment tables only)."""
    assert redact_conversations(tracker_url, A_SENDERS, A_VALUES) == RedactionResult(0, 0, 0)


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "never" / "tracker.db"
    assert redact_conversations(f"sqlite:///{path}", ["x"], ["value"]) == RedactionResult(0, 0, 0)
    assert not path.parent.exists()


@pytest.mark.parametrize(
    "spelling",
    ["+254712345678", "254712345678", "0712345678", "712345678", "0712 345 678", "+254-712-345678"],
)
def test_phone_variants(spelling: str) -> None:
    assert phone_variants(spelling) == [
        "+254712345678",
        "254712345678",
        "0712345678",
        "712345678",
        "0712 345 678",
        "+254 712 345 678",
    ]


def test_phone_variants_of_something_else() -> None:
    assert phone_variants(" +44 20 7946 0958 ") == ["+44 20 7946 0958"]
    assert phone_variants("") == []

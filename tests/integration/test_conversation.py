"""Short conversations with a real Rasa server and action server over REST and
socket.io, in English and Kiswahili. Messages here are never in the training data
(tests/unit/test_training_data.py checks)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import uuid

import pytest
import socketio

from tests.conftest import Stack, texts_of

pytestmark = pytest.mark.integration


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def template_pattern(text: str) -> re.Pattern:
    """A response text with {placeholders} as a pattern that matches the filled text."""
    parts = re.split(r"\{[a-z_]+\}", text)
    return re.compile("^" + "(.+?)".join(re.escape(p) for p in parts) + "$", re.S)


def assert_says(replies: list[dict], responses: dict, name: str, language: str) -> dict:
    patterns = [template_pattern(t) for t in texts_of(responses, name, language)]
    for reply in replies:
        if any(p.match(reply.get("text", "")) for p in patterns):
            return reply
    raise AssertionError(f"expected {name} in {language}, got {[r.get('text') for r in replies]}")


def test_kiswahili_greeting_gets_a_kiswahili_reply(stack: Stack, responses: dict) -> None:
    assert_says(stack.say(new_sender(), "habari"), responses, "utter_greet", "sw")


def test_english_greeting_gets_an_english_reply(stack: Stack, responses: dict) -> None:
    assert_says(stack.say(new_sender(), "hello"), responses, "utter_greet", "en")


def test_the_reply_follows_the_language_of_each_message(stack: Stack, responses: dict) -> None:
    sender = new_sender()
    assert_says(stack.say(sender, "Good morning to you too"), responses, "utter_greet", "en")
    assert_says(
        stack.say(sender, "asanteni sana kwa msaada"), responses, "utter_you_are_welcome", "sw"
    )
    assert_says(
        stack.say(sender, "thanks, that helped a lot"), responses, "utter_you_are_welcome", "en"
    )


def test_a_language_switch_sticks(stack: Stack, responses: dict) -> None:
    sender = new_sender()
    assert_says(
        stack.say(sender, "could you answer me in Kiswahili from now on?"),
        responses, "utter_language_switched", "sw",
    )  # fmt: skip
    # Written in English, answered in Kiswahili: the choice sticks...
    assert_says(
        stack.say(sender, "thank you so much for the help"),
        responses,
        "utter_you_are_welcome",
        "sw",
    )
    assert_says(stack.say(sender, "are you a human being?"), responses, "utter_iamabot", "sw")
    # ...until the officer switches back.
    assert_says(
        stack.say(sender, "tumia kiingereza tafadhali"), responses, "utter_language_switched", "en"
    )
    assert_says(stack.say(sender, "shukrani"), responses, "utter_you_are_welcome", "en")
    assert stack.tracker(sender)["slots"]["language_preference"] == "en"


def test_switch_without_a_language_asks_which_one(stack: Stack, responses: dict) -> None:
    reply = assert_says(
        stack.say(new_sender(), "naomba ubadilishe lugha"),
        responses,
        "utter_ask_which_language",
        "sw",
    )
    assert {b["title"] for b in reply["buttons"]} == {"English", "Kiswahili"}


def test_help_lists_what_it_can_do_with_buttons(stack: Stack, responses: dict) -> None:
    reply = assert_says(
        stack.say(new_sender(), "what are you able to do for me?"), responses, "utter_help", "en"
    )
    assert any(b["payload"] == "/human_handoff" for b in reply["buttons"])


def test_out_of_scope_is_declined_politely(stack: Stack, responses: dict) -> None:
    sender = new_sender()
    assert_says(
        stack.say(sender, "will it rain in Kisumu this weekend?"),
        responses,
        "utter_out_of_scope",
        "en",
    )
    assert_says(
        stack.say(sender, "nisaidie kununua tiketi ya SGR kwenda Mombasa"),
        responses, "utter_out_of_scope", "sw",
    )  # fmt: skip


def test_gibberish_gets_a_useful_fallback(stack: Stack, responses: dict) -> None:
    reply = assert_says(
        stack.say(new_sender(), "zxqv plorg wubba"), responses, "utter_default", "en"
    )
    payloads = {b["payload"] for b in reply["buttons"]}
    assert {"/ask_help", "/human_handoff"} <= payloads


def test_handoff_is_recorded_once_and_explained(stack: Stack, responses: dict) -> None:
    sender = new_sender()
    first = assert_says(
        stack.say(sender, "Nataka kuzungumza na afisa wa KSG moja kwa moja"),
        responses, "utter_handoff_created", "sw",
    )  # fmt: skip
    again = assert_says(
        stack.say(sender, "please get me a human agent"), responses, "utter_handoff_existing", "en"
    )
    reference = re.search(r"HLP-[A-Z0-9]+", first["text"]).group(0)
    assert reference in again["text"]
    with sqlite3.connect(stack.workdir / "msaidizi.db") as db:
        rows = db.execute(
            "SELECT channel, language, status FROM handoff_requests WHERE sender_id = ?", (sender,)
        ).fetchall()
    assert rows == [("rest", "sw", "open")]


def test_conversation_is_kept_in_the_sql_tracker_store(stack: Stack) -> None:
    sender = new_sender()
    stack.say(sender, "hi there")
    with sqlite3.connect(stack.workdir / "tracker.db") as db:
        (count,) = db.execute(
            "SELECT count(*) FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,)
        ).fetchone()
    assert count == 1


def test_socketio_round_trip_in_both_languages(stack: Stack, responses: dict) -> None:
    async def converse() -> list[dict]:
        received: list[dict] = []
        got = asyncio.Event()
        client = socketio.AsyncClient()

        @client.on("bot_uttered")
        async def on_bot(data: dict) -> None:
            received.append(data)
            got.set()

        session_id = uuid.uuid4().hex
        await client.connect(stack.url, socketio_path="/socket.io", transports=["websocket"])
        await client.emit("session_request", {"session_id": session_id})
        for message in ("hujambo rafiki", "/ask_help", "good evening, anyone there?"):
            got.clear()
            await client.emit("user_uttered", {"message": message, "session_id": session_id})
            await asyncio.wait_for(got.wait(), 60)
            await asyncio.sleep(0.5)  # let any further messages of the same turn arrive
        await client.disconnect()
        return received

    received = asyncio.run(converse())
    assert_says(received, responses, "utter_greet", "sw")
    helped = assert_says(received, responses, "utter_help", "sw")  # the conversation is in sw
    assert helped.get("quick_replies") or helped.get("buttons")
    assert_says(received, responses, "utter_greet", "en")

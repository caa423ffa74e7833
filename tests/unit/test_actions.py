"""The custom actions, run as the action server runs them (``await action.run``) on
trackers built from events, against a real database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import database
from actions.actions import ActionHumanHandoff, ActionSwitchLanguage

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain")).as_dict()


def tracker(
    slots: dict[str, Any] | None = None,
    intent: str = "greet",
    entities: list[dict] | None = None,
    events: list[dict] | None = None,
    sender: str = "officer-1",
) -> Tracker:
    latest = {
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "text": "…",
    }
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=latest,
        events=events
        or [{"event": "user", "text": "…", "parse_data": latest, "input_channel": "rest"}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def slot_values(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_switch_without_a_named_language_asks() -> None:
    events = await ActionSwitchLanguage().run(
        CollectingDispatcher(), tracker(intent="switch_language"), {}
    )
    assert events == [SlotSet("action_outcome", "ask_language")]


async def test_switch_with_a_named_language_confirms() -> None:
    entities = [{"entity": "language", "value": "sw", "start": 0, "end": 9}]
    events = await ActionSwitchLanguage().run(
        CollectingDispatcher(), tracker(intent="switch_language", entities=entities), {}
    )
    assert events == [SlotSet("action_outcome", "switched")]


@pytest.fixture
def database_at(monkeypatch: pytest.MonkeyPatch):
    """Points the action server's database at a URL, as DATABASE_URL would."""

    def use(url: str) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("DB_TIMEOUT_SECONDS", "3")
        database._sessions.cache_clear()

    yield use
    database._sessions.cache_clear()


async def test_handoff_is_recorded_and_not_duplicated(database_at, migrated_sqlite_url) -> None:
    database_at(migrated_sqlite_url)
    first = slot_values(
        await ActionHumanHandoff().run(
            CollectingDispatcher(), tracker(slots={"language": "sw"}), {}
        )
    )
    second = slot_values(
        await ActionHumanHandoff().run(
            CollectingDispatcher(), tracker(slots={"language": "sw"}), {}
        )
    )
    assert first["action_outcome"] == "created"
    assert first["handoff_position"] == "1"
    assert second["action_outcome"] == "already_open"
    assert second["handoff_reference"] == first["handoff_reference"]


async def test_handoff_with_the_database_down_says_so(database_at, caplog) -> None:
    database_at("postgresql://nobody@127.0.0.1:1/nothing")
    dispatcher = CollectingDispatcher()
    events = await ActionHumanHandoff().run(dispatcher, tracker(), {})
    assert slot_values(events) == {"action_outcome": "unavailable"}
    assert "enrolment database unavailable" in caplog.text

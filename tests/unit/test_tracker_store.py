"""Conversations are kept in SQL from one URL, on SQLite and on PostgreSQL, and
come back whole (contract §1: they survive a restart)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import URLTrackerStore

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))


async def round_trip(url: str) -> list:
    store = URLTrackerStore(domain=DOMAIN, host=url)
    tracker = DialogueStateTracker.from_events(
        "officer-7",
        [
            UserUttered("habari", {"name": "greet", "confidence": 1.0}),
            ActionExecuted("utter_greet"),
            BotUttered("Habari! Mimi ni Msaidizi."),
        ],
    )
    await store.save(tracker)
    # A new store object, as after a restart.
    again = await URLTrackerStore(domain=DOMAIN, host=url).retrieve("officer-7")
    return [e for e in again.events if isinstance(e, (UserUttered, BotUttered))]


async def test_sqlite_file_and_its_folder_are_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new-folder' / 'tracker.db'}"
    events = await round_trip(url)
    assert [e.text for e in events] == ["habari", "Habari! Mimi ni Msaidizi."]
    assert (tmp_path / "new-folder" / "tracker.db").exists()


@pytest.mark.postgres
async def test_postgres_url_as_hosting_providers_write_it(scratch_postgres_url: str) -> None:
    url = scratch_postgres_url.replace("postgresql://", "postgres://", 1)
    events = await round_trip(url)
    assert [e.text for e in events] == ["habari", "Habari! Mimi ni Msaidizi."]

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


def stored_rows(url: str, sender_id: str) -> list[tuple[str, str]]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": sender_id},
        ).all()
    engine.dispose()
    return [(type_name, data) for type_name, data in rows]


def said(text: str) -> UserUttered:
    return UserUttered(text, {"name": "greet", "confidence": 1.0})


async def test_each_save_appends_only_what_is_new(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = URLTrackerStore(domain=DOMAIN, host=url)
    tracker = DialogueStateTracker.from_events("officer-8", [said("habari")])
    await store.save(tracker)
    await store.save(tracker)  # nothing new: nothing appended
    for turn in range(3):
        again = await store.retrieve("officer-8")
        again.update(ActionExecuted("utter_greet"))
        again.update(said(f"ujumbe {turn}"))
        await store.save(again)
    rows = stored_rows(url, "officer-8")
    assert [t for t, _ in rows] == ["user"] + ["action", "user"] * 3
    final = await URLTrackerStore(domain=DOMAIN, host=url).retrieve("officer-8")
    assert [e.text for e in final.events if isinstance(e, UserUttered)] == [
        "habari", "ujumbe 0", "ujumbe 1", "ujumbe 2",
    ]  # fmt: skip


async def test_a_row_written_by_someone_else_is_not_overwritten_or_repeated(tmp_path: Path) -> None:
    """Another replica (or the console) appended to the conversation after this
    tracker was loaded: the remembered count no longer holds, and the store counts
    as Rasa does, so the other writer's row stays and nothing is stored twice."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = URLTrackerStore(domain=DOMAIN, host=url)
    await store.save(DialogueStateTracker.from_events("officer-9", [said("habari")]))
    ours = await store.retrieve("officer-9")
    theirs = await URLTrackerStore(domain=DOMAIN, host=url).retrieve("officer-9")
    theirs.update(ActionExecuted("utter_greet"))
    await URLTrackerStore(domain=DOMAIN, host=url).save(theirs)
    ours.update(ActionExecuted("utter_greet"))
    ours.update(said("asante"))
    await store.save(ours)
    assert [t for t, _ in stored_rows(url, "officer-9")] == ["user", "action", "user"]


async def test_a_tracker_built_elsewhere_is_saved_as_rasa_would(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = URLTrackerStore(domain=DOMAIN, host=url)
    await store.save(DialogueStateTracker.from_events("officer-10", [said("habari")]))
    # Built from events (as Rasa's HTTP API does), not loaded by this store.
    rebuilt = DialogueStateTracker.from_events(
        "officer-10", [said("habari"), ActionExecuted("utter_greet")]
    )
    await store.save(rebuilt)
    assert [t for t, _ in stored_rows(url, "officer-10")] == ["user", "action"]


async def test_the_conversation_index_and_a_connection_pool_are_set_up(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from bot.tracker_store import SENDER_ID_INDEX

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = URLTrackerStore(domain=DOMAIN, host=url)
    URLTrackerStore(domain=DOMAIN, host=url)  # a second start: the index exists already
    indexes = {index["name"] for index in sa.inspect(store.engine).get_indexes("events")}
    assert SENDER_ID_INDEX in indexes
    assert isinstance(store.engine.pool, sa.pool.QueuePool)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.postgres
async def test_postgres_appends_only_what_is_new(scratch_postgres_url: str) -> None:
    store = URLTrackerStore(domain=DOMAIN, host=scratch_postgres_url)
    await store.save(DialogueStateTracker.from_events("officer-11", [said("habari")]))
    again = await store.retrieve("officer-11")
    again.update(ActionExecuted("utter_greet"))
    await store.save(again)
    await store.save(again)
    assert [t for t, _ in stored_rows(scratch_postgres_url, "officer-11")] == ["user", "action"]


class RecordingBroker:
    """An event broker that keeps what is published."""

    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


async def test_the_event_broker_gets_each_new_event_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    broker = RecordingBroker()
    store = URLTrackerStore(domain=DOMAIN, host=url, event_broker=broker)
    await store.save(DialogueStateTracker.from_events("officer-12", [said("habari")]))
    for turn in range(2):
        tracker = await store.retrieve("officer-12")
        tracker.update(ActionExecuted("utter_greet"))
        tracker.update(said(f"ujumbe {turn}"))
        await store.save(tracker)
        await store.save(tracker)  # saved again unchanged: nothing published
    # A tracker the store did not load: Rasa's own diff against the stored one.
    rebuilt = DialogueStateTracker.from_events(
        "officer-12", [*(await store.retrieve("officer-12")).events, ActionExecuted("utter_bye")]
    )
    await store.save(rebuilt)
    published = [(e["event"], e.get("text") or e.get("name")) for e in broker.published]
    assert published == [
        ("user", "habari"),
        ("action", "utter_greet"), ("user", "ujumbe 0"),
        ("action", "utter_greet"), ("user", "ujumbe 1"),
        ("action", "utter_bye"),
    ]  # fmt: skip
    assert {e["sender_id"] for e in broker.published} == {"officer-12"}

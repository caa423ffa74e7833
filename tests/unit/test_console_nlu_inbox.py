"""The NLU inbox (bot/console/nlu_inbox.py) on a real tracker store (SQLite and
PostgreSQL): unsure messages listed masked, labelled, and exported as a Rasa NLU
file that Rasa's own reader accepts."""

# The tracker-store fixtures are imported from test_console_conversations, and
# pytest passes them by parameter name: the "redefinitions" are intended.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console import nlu_inbox
from bot.tracker_store import URLTrackerStore
from tests.unit.test_console_conversations import (  # noqa: F401 - fixtures
    BARAKA,
    T0,
    engine,
    save,
    session,
    store,
    tracker_url,
    user,
    write_all,
)

UNSURE = "tuma barua kwa jane.doe@example.com kuhusu kozi"


async def fill(store: URLTrackerStore) -> None:
    await write_all(store)
    await save(
        store,
        "rest-unsure-9",
        [
            *session(T0 + 9),
            user(UNSURE, "course_details", T0 + 10, "rest", "sw", confidence=0.32),
            user("/affirm", "affirm", T0 + 11, "rest", confidence=0.2),
        ],
    )


async def test_unsure_messages_are_listed_masked(
    store: URLTrackerStore, engine: AsyncEngine
) -> None:
    await fill(store)
    page = await nlu_inbox.inbox(engine)
    texts = [item.text for item in page.items]
    # The fallback and the low-confidence message, newest first; not the confident
    # ones, not a button payload.
    assert texts == ["tuma barua kwa [email] kuhusu kozi", "nataka kuongea na mtu"]
    assert page.items[0].intent == "course_details" and page.items[0].confidence == 0.32
    assert page.next_before is None


async def test_labels_are_kept_and_exported_as_rasa_training_data(
    store: URLTrackerStore, engine: AsyncEngine
) -> None:
    await fill(store)
    first, second = (await nlu_inbox.inbox(engine)).items
    with pytest.raises(ValueError, match="unknown intent"):
        await nlu_inbox.label(engine, first.event_id, "no_such_intent", "wanjiku")
    await nlu_inbox.label(engine, first.event_id, "out_of_scope", "wanjiku")
    await nlu_inbox.label(engine, second.event_id, "human_handoff", "wanjiku")
    await nlu_inbox.label(engine, second.event_id, "data_protection/dpo", "wanjiku")  # relabel
    assert (await nlu_inbox.inbox(engine)).items == []
    shown = await nlu_inbox.inbox(engine, unlabelled_only=False)
    assert [item.label for item in shown.items] == ["out_of_scope", "data_protection/dpo"]

    exported = await nlu_inbox.export(engine)
    assert "jane.doe" not in exported
    data = RasaYAMLReader().reads(exported)
    examples = {
        (m.get("intent_response_key") or m.get("intent"), m.get("text"))
        for m in data.training_examples
    }
    assert examples == {
        ("out_of_scope", "tuma barua kwa [email] kuhusu kozi"),
        ("data_protection/dpo", "nataka kuongea na mtu"),
    }


async def test_only_an_officers_message_can_be_labelled(
    store: URLTrackerStore, engine: AsyncEngine
) -> None:
    await fill(store)
    with pytest.raises(ValueError, match="no such message"):
        await nlu_inbox.label(engine, 1, "greet", "wanjiku")  # an action event


def test_the_choices_are_the_domains_intents_and_answers() -> None:
    intents = nlu_inbox.domain_intents()
    assert {"register", "out_of_scope", "data_protection/dpo"} <= set(intents)
    assert "nlu_fallback" not in intents and "data_protection" not in intents


def test_the_yaml_keeps_one_line_per_example_and_drops_repeats() -> None:
    text = nlu_inbox.to_nlu_yaml([("greet", "habari\nyako"), ("greet", "habari yako")])
    assert text == 'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - habari yako\n'
    assert BARAKA  # the shared conversations are those of test_console_conversations

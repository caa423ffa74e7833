"""The helpdesk actions run as the action server runs them (``await action.run``)
on trackers built from events, against a real seeded database — the thin layer
between Rasa and bot/, without a Rasa server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import database
from actions.courses import ActionCourseDetails, ActionListCourses
from actions.registration import (
    ActionStopForm,
    ActionSubmitRegistration,
    ValidateRegistrationForm,
)
from bot import replies
from bot.catalogue import load_catalogue, seed_catalogue
from bot.db.engine import create_sync_engine, session_factory

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain")).as_dict()


@pytest.fixture
def seeded_database(monkeypatch: pytest.MonkeyPatch, migrated_sqlite_url: str) -> str:
    engine = create_sync_engine(migrated_sqlite_url)
    with session_factory(engine).begin() as session:
        seed_catalogue(session, load_catalogue())
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", migrated_sqlite_url)
    monkeypatch.setenv("CATALOGUE_TODAY", "2026-11-28")
    monkeypatch.setenv("DB_TIMEOUT_SECONDS", "3")
    database._sessions.cache_clear()
    yield migrated_sqlite_url
    database._sessions.cache_clear()


def tracker(
    text: str,
    intent: str,
    slots: dict[str, Any] | None = None,
    entities: list[dict] | None = None,
    loop: str | None = None,
    confidence: float = 0.99,
) -> Tracker:
    latest = {
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "text": text,
    }
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest, "input_channel": "rest"},
    ]
    if loop:  # as Rasa's form sends it to its validation action
        events += [
            {
                "event": "slot",
                "name": "requested_slot",
                "value": (slots or {}).get("requested_slot"),
            },
            {"event": "action", "name": loop},
        ]
    return Tracker(
        sender_id="officer-actions",
        slots={"language": "en", **(slots or {})},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": loop} if loop else {},
        latest_action_name="action_listen",
    )


def slot_values(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


async def run_form(t: Tracker) -> tuple[dict[str, Any], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = await ValidateRegistrationForm().run(dispatcher, t, DOMAIN)
    return slot_values(events), dispatcher


REGISTERING = {
    "course": "DGP-202",
    "job_group": "L",
    "eligible": True,
    "cohort": "DGP-202-2027-06",
    "consent": True,
    "full_name": "Halima Abdi",
    "personal_number": "19874512",
    "email": "halima@treasury.go.ke",
}


async def test_a_correction_changes_the_earlier_answer_not_the_one_asked(seeded_database) -> None:
    email = {"entity": "email", "value": "h.abdi@treasury.go.ke", "start": 0, "end": 1}
    slots, _ = await run_form(
        tracker(
            "actually my email is h.abdi@treasury.go.ke",
            "inform",
            {**REGISTERING, "requested_slot": "phone_number"},
            [email],
            loop="registration_form",
        )
    )
    assert slots["email"] == "h.abdi@treasury.go.ke"
    assert "phone_number" not in slots
    assert slots["requested_slot"] == "phone_number"


async def test_a_question_mid_form_is_not_taken_as_an_answer(seeded_database) -> None:
    slots, dispatcher = await run_form(
        tracker(
            "how much does it cost?",
            "course_details",
            {**REGISTERING, "requested_slot": "phone_number"},
            loop="registration_form",
            confidence=0.97,
        )
    )
    # Only the question to ask next: nothing validated, so Rasa hands the message
    # to the rules (answer it, then resume).
    assert set(slots) == {"requested_slot"}
    assert not dispatcher.messages


async def test_an_invalid_answer_says_what_is_wrong(seeded_database) -> None:
    slots, dispatcher = await run_form(
        tracker(
            "0722 12",
            "inform",
            {**REGISTERING, "requested_slot": "phone_number"},
            loop="registration_form",
        )
    )
    assert slots["phone_number"] is None
    assert texts(dispatcher) == replies.render("phone_too_short", "en")


async def test_a_failing_rule_ends_the_form_before_any_personal_detail(seeded_database) -> None:
    group = {"entity": "job_group", "value": "G", "start": 0, "end": 1}
    slots, dispatcher = await run_form(
        tracker(
            "kundi la kazi G",
            "inform",
            {"language": "sw", "course": "AIP-201", "requested_slot": "job_group"},
            [group],
            loop="registration_form",
        )
    )
    assert slots["eligible"] is False
    assert slots["requested_slot"] is None  # the form ends here
    said = texts(dispatcher)
    assert replies.render("reason_job_group_too_low", "sw", min="K", job_group="G") in said
    assert "DLF-101" in said  # an alternative


async def test_refusing_consent_ends_the_form(seeded_database) -> None:
    slots, _ = await run_form(
        tracker(
            "/deny",
            "deny",
            {"course": "DGP-202", "job_group": "L", "eligible": True, "cohort": "DGP-202-2027-06",
             "requested_slot": "consent"},
            loop="registration_form",
        )
    )  # fmt: skip
    assert slots["consent"] is False
    assert slots["requested_slot"] is None


async def test_the_form_says_when_the_database_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    monkeypatch.setenv("DB_TIMEOUT_SECONDS", "2")
    database._sessions.cache_clear()
    try:
        slots, dispatcher = await run_form(
            tracker(
                "JG K",
                "inform",
                {"course": "DGP-202", "requested_slot": "job_group"},
                loop="registration_form",
            )  # fmt: skip
        )
    finally:
        database._sessions.cache_clear()
    assert slots == {"service_unavailable": True, "requested_slot": None}
    assert texts(dispatcher) == replies.render("service_unavailable", "en")


async def test_a_follow_up_question_uses_the_course_being_discussed(seeded_database) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionCourseDetails().run(
        dispatcher,
        tracker("na ni wapi?", "course_details", {"language": "sw", "course": "CSE-201"}),
        DOMAIN,
    )
    said = texts(dispatcher)
    assert said.startswith("CSE-201")
    assert "Lower Kabete, Embu" in said
    assert replies.render("detail_fee_free", "sw") not in said  # only what was asked
    assert slot_values(events) == {"course": "CSE-201"}


async def test_the_course_list_is_grouped_with_a_button_per_course(seeded_database) -> None:
    dispatcher = CollectingDispatcher()
    await ActionListCourses().run(dispatcher, tracker("courses?", "list_courses"), DOMAIN)
    [message] = dispatcher.messages
    assert len(message["buttons"]) == 8
    assert "*Cloud computing*" in message["text"] and "*Cybersecurity*" in message["text"]


async def test_stop_ends_the_form_and_forgets_its_answers() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionStopForm().run(
        dispatcher,
        tracker("acha", "stop", {"language": "sw", **REGISTERING}, loop="registration_form"),
        DOMAIN,
    )
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    values = slot_values(events)
    assert values["email"] is None and values["personal_number"] is None
    assert texts(dispatcher) == replies.render("form_stopped", "sw")


async def test_after_an_outage_the_next_attempt_carries_on_where_the_officer_was(
    seeded_database,
) -> None:
    answered = {
        "course": "DGP-202",
        "job_group": "L",
        "eligible": True,
        "cohort": "DGP-202-2027-06",
    }
    # The form ended with "please try again shortly"; its submit step only clears the flag.
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitRegistration().run(
        dispatcher, tracker("JG L", "inform", {**answered, "service_unavailable": True}), DOMAIN
    )
    assert slot_values(events) == {"service_unavailable": None}
    assert not dispatcher.messages
    # "register" again, database back: nothing is asked twice.
    slots, _ = await run_form(
        tracker("register me", "register", answered, loop="registration_form")
    )
    assert slots["requested_slot"] == "consent"

"""What every helpdesk action needs: the officer's language, their chat
identity, today's date in Kenya, the live catalogue and the officer on file —
and one way to say a catalogue reply. No wording and no rules live here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.database import DatabaseUnavailable, in_transaction
from bot import courses as course_data
from bot import eligibility, officers, replies
from bot.config import get_settings
from bot.officers import OfficerDetails
from bot.registration import Message


def language(tracker: Tracker) -> str:
    return replies.language_of(tracker.get_slot("language"))


def say(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    key: str,
    buttons: Sequence[Mapping[str, str]] | None = None,
    **params: Any,
) -> None:
    dispatcher.utter_message(
        text=replies.render(key, language(tracker), **params), buttons=list(buttons or [])
    )


def button(tracker: Tracker, key: str, payload: str) -> dict[str, str]:
    return {"title": replies.render(key, language(tracker)), "payload": payload}


def yes_no(
    tracker: Tracker, yes: str = "button_yes", no: str = "button_no"
) -> list[dict[str, str]]:
    return [button(tracker, yes, "/affirm"), button(tracker, no, "/deny")]


def identity(tracker: Tracker) -> tuple[str, str]:
    """(channel, sender id): who is writing, as the channel knows them."""
    return tracker.get_latest_input_channel() or "unknown", tracker.sender_id


def today() -> date:
    return get_settings().catalogue_today or course_data.today_in_kenya()


def latest_message(tracker: Tracker) -> Message:
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    return Message(
        text=latest.get("text") or "",
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        entities=tuple(latest.get("entities") or ()),
    )


def after_officer_message(tracker: Tracker, own_names: Sequence[str] = ()) -> bool:
    """Whether this run answers the officer's latest message (rather than a form
    resuming after another action answered it)."""
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return True
        if kind == "action" and event.get("name") not in own_names:
            return event.get("name") == "action_listen"
    return False


@dataclass(frozen=True)
class OnFile:
    """The officer this chat identity belongs to (linked at registration or after
    verification), as the actions need them."""

    id: int
    details: OfficerDetails
    completed: frozenset[str]


@dataclass(frozen=True)
class Context:
    courses: Mapping[str, course_data.CourseInfo]
    officer: OnFile | None
    today: date
    extra: dict[str, Any] = field(default_factory=dict)

    def course(self, code: Any) -> course_data.CourseInfo | None:
        return self.courses.get(code) if isinstance(code, str) else None

    def suggestions(
        self, officer: eligibility.Officer, exclude: Sequence[str] = ()
    ) -> list[course_data.CourseInfo]:
        """The courses ``officer`` may take instead (bot.eligibility.suggest_courses)."""
        rules = eligibility.suggest_courses(
            [c.rule() for c in self.courses.values()], officer, self.today, exclude=exclude
        )
        return [self.courses[rule.code] for rule in rules]


async def load_context(tracker: Tracker) -> Context:
    """The catalogue and the officer on file, in one short transaction (raises
    ``DatabaseUnavailable``)."""
    channel, sender_id = identity(tracker)

    async def work(session: Any) -> Context:
        loaded = await course_data.load_courses(session)
        officer = await officers.officer_for_identity(session, channel, sender_id)
        on_file = None
        if officer is not None:
            on_file = OnFile(
                id=officer.id,
                details=OfficerDetails(
                    full_name=officer.full_name,
                    personal_number=officer.personal_number or "",
                    email=officer.email,
                    phone_number=officer.phone_number,
                    employer=officer.employer,
                    job_group=officer.job_group,
                    terms_of_service=getattr(officer.terms_of_service, "value", None),
                ),
                completed=await officers.completed_courses(session, officer.id),
            )
        return Context({c.code: c for c in loaded}, on_file, today())

    return await in_transaction(work, read_only=True)


async def context_or_apology(dispatcher: CollectingDispatcher, tracker: Tracker) -> Context | None:
    """:func:`load_context`, or None after telling the officer to try again shortly."""
    try:
        return await load_context(tracker)
    except DatabaseUnavailable:
        say(dispatcher, tracker, "service_unavailable")
        return None

"""Custom actions. Each one reads the tracker, calls a service in ``bot/`` and
returns slots; the rules in ``data/rules/`` then pick the reply, which is a domain
response in English and Kiswahili (no wording lives here)."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.database import DatabaseUnavailable, in_transaction
from bot import handoff
from bot.db.models import HandoffMessageKind

logger = logging.getLogger(__name__)


class ActionSwitchLanguage(Action):
    """Tells the rules whether a language was named (confirm it) or not (ask which)."""

    def name(self) -> str:
        return "action_switch_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        named = next(tracker.get_latest_entity_values("language"), None)
        return [SlotSet("action_outcome", "switched" if named in ("en", "sw") else "ask_language")]


class ActionHandoffDuringForm(Action):
    """ "Talk to a person" in the middle of a form: the form ends (nothing is
    saved) and the request is recorded; the reply is the same as outside a form."""

    def name(self) -> str:
        return "action_handoff_during_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        from actions.registration import reset_events  # the forms' slot list

        events = await ActionHumanHandoff().run(dispatcher, tracker, domain)
        values = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        response = {
            "created": "utter_handoff_created",
            "already_open": "utter_handoff_existing",
            "assigned": "utter_handoff_assigned",
        }.get(values.get("action_outcome"), "utter_service_unavailable")
        dispatcher.utter_message(
            response=response,
            handoff_reference=values.get("handoff_reference"),
            handoff_position=values.get("handoff_position"),
        )
        return events + [ActiveLoop(None), SlotSet("requested_slot", None)] + reset_events()


class ActionHumanHandoff(Action):
    """Records a hand-off request for the support team (the rules then tell the
    officer what happens next, or that the records are unreachable)."""

    def name(self) -> str:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            request, created, position = await in_transaction(
                lambda session: handoff.request_handoff(
                    session,
                    channel=tracker.get_latest_input_channel() or "unknown",
                    sender_id=tracker.sender_id,
                    language=tracker.get_slot("language") or "en",
                    reason=_handoff_reason(tracker),
                )
            )
        except DatabaseUnavailable:
            return [SlotSet("action_outcome", "unavailable")]
        return [
            SlotSet("action_outcome", _handoff_outcome(created, position)),
            SlotSet("handoff_reference", request.reference),
            SlotSet("handoff_position", str(position)),
        ]


class ActionDeliverAgentMessages(Action):
    """Sends the officer what a member of staff wrote in the support console, in
    the officer's channel. The console runs it (HTTP API) on channels that can
    push; ``HandoffPolicy`` runs it after each of the officer's messages while an
    agent holds the conversation. The hand-back notice clears ``handoff_agent``.
    Unreachable records: nothing is taken, so nothing is lost; the next run sends it.
    """

    def name(self) -> str:
        return "action_deliver_agent_messages"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            pending = await in_transaction(
                lambda session: handoff.take_pending(
                    session,
                    channel=tracker.get_latest_input_channel() or "unknown",
                    sender_id=tracker.sender_id,
                )
            )
        except DatabaseUnavailable:
            return []
        events: list[EventType] = []
        for message in pending:
            # The extra keys become the bot event's metadata: the console shows
            # these turns as the agent's, not the bot's.
            dispatcher.utter_message(
                text=handoff.wording(message, tracker.get_slot("language")),
                handoff_agent=message.author,
                handoff_kind=message.kind.value,
            )
            if message.kind is HandoffMessageKind.LEFT:
                events.append(SlotSet("handoff_agent", None))
        return events


def _handoff_outcome(created: bool, position: int) -> str:
    if created:
        return "created"
    return "already_open" if position > 0 else "assigned"  # position 0: a person has it


def _handoff_reason(tracker: Tracker) -> str:
    """Why the officer wants a person: the intent that led here, never their words
    (data minimisation, DPA 2019 s.25; staff read the conversation in the console)."""
    intents = [
        event.get("parse_data", {}).get("intent", {}).get("name")
        for event in tracker.events
        if event.get("event") == "user"
    ]
    if len(intents) >= 2 and intents[-2] == "nlu_fallback":
        return "after_fallback"
    return intents[-1] if intents and intents[-1] else "human_handoff"

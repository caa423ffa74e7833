"""Status, withdrawal and updating details (issue 3, scope 4–6).

Enrolment details go only to someone who proves they are the officer (contract
§4): the chat identity that registered, or the personal number together with a
reference number. A successful proof links this chat to the officer; a failed
one says the same thing whichever part was wrong, and after
:data:`MAX_FAILED_PROOFS` failures in a conversation the bot stops checking.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    Context,
    button,
    context_or_apology,
    identity,
    language,
    latest_message,
    load_context,
    say,
    yes_no,
)
from actions.database import DatabaseUnavailable, in_transaction
from actions.forms import HelpdeskForm
from actions.registration import AskForSlot, reset_events
from bot import course_info, data_rights, eligibility, officers, records, replies
from bot.answers import course_name, enrolment_params, status_answer
from bot.config import get_settings
from bot.data_rights import DataRequestKind, DataRequestOutcome

logger = logging.getLogger(__name__)

MAX_FAILED_PROOFS = 3
ENROLMENTS = "enrolments"


async def _enrolments(context: Context) -> list[officers.EnrolmentView]:
    if context.officer is None:
        return []
    officer_id = context.officer.id
    return await in_transaction(
        lambda session: officers.enrolments_of(session, officer_id), read_only=True
    )


async def record_request(
    tracker: Tracker,
    kind: DataRequestKind,
    outcome: DataRequestOutcome,
    officer_id: int | None = None,
    detail: str | None = None,
) -> None:
    """Writes the accountability record; a database failure here is logged, never
    hidden from the operator, and does not undo what the officer was told."""
    channel, _ = identity(tracker)
    try:
        await in_transaction(
            lambda session: data_rights.record_request(
                session,
                kind=kind,
                outcome=outcome,
                channel=channel,
                officer_id=officer_id,
                detail=detail,
            )
        )
    except DatabaseUnavailable:
        logger.error("could not record a %s request (%s)", kind.value, outcome.value)


def failed_proofs(tracker: Tracker) -> int:
    return sum(
        1
        for e in tracker.events
        if e.get("event") == "slot" and e.get("name") == "verified" and e.get("value") is False
    )


class VerifiedForm(HelpdeskForm):
    """A form that first needs to know who the officer is."""

    after_proof: tuple[str, ...] = ()
    extra_slots = ()

    def on_file(self, tracker: Tracker) -> bool:
        return self.context(tracker).officer is not None or tracker.slots.get("verified") is True

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.slots.get("verified") is False or tracker.slots.get("service_unavailable"):
            return []
        if not self.on_file(tracker):
            return ["personal_number", "reference"]
        return await self.slots_after_proof(tracker)

    async def slots_after_proof(self, tracker: Tracker) -> list[str]:
        return list(self.after_proof)

    def interpret(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        return records.interpret_verification(
            latest_message(tracker), tracker.get_slot("requested_slot")
        )

    async def validate_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._checked("reference", records.check_reference(value), dispatcher, tracker)

    async def after_validation(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, candidates: dict[str, Any]
    ) -> list[EventType]:
        slots = tracker.slots
        if self.on_file(tracker) or not (slots.get("personal_number") and slots.get("reference")):
            return []
        if failed_proofs(tracker) >= MAX_FAILED_PROOFS:
            say(dispatcher, tracker, "verification_locked")
            slots["verified"] = False
            return [SlotSet("verified", False)]
        channel, sender_id = identity(tracker)
        personal_number, reference = slots["personal_number"], slots["reference"]

        async def work(session: Any) -> bool:
            officer = await officers.verify_officer(session, personal_number, reference)
            if officer is None:
                return False
            await officers.link_identity(session, officer.id, channel, sender_id)
            return True

        try:
            verified = await in_transaction(work)
        except DatabaseUnavailable:
            say(dispatcher, tracker, "service_unavailable")
            slots["service_unavailable"] = True
            return [SlotSet("service_unavailable", True)]
        if not verified:
            logger.info("verification failed for a %s sender", channel)  # no personal data
            say(dispatcher, tracker, "verification_failed")
        slots["verified"] = verified
        # Proved: reload, so the rest of the form sees the officer on file.
        if verified:
            tracker._msaidizi_context = await load_context(tracker)
        return [
            SlotSet("verified", verified),
            SlotSet("personal_number", None),
            SlotSet("reference", None),
        ]


class ValidateStatusForm(VerifiedForm):
    def name(self) -> str:
        return "validate_status_form"


class ActionCheckStatus(Action):
    def name(self) -> str:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("service_unavailable"):
            return [SlotSet("service_unavailable", None)]
        if tracker.get_slot("verified") is False:
            return reset_events()
        try:
            context = await load_context(tracker)
            views = await _enrolments(context)
        except DatabaseUnavailable:
            say(dispatcher, tracker, "service_unavailable")
            return []
        if context.officer is None:
            return reset_events()  # nobody proved who they are: show nothing
        dispatcher.utter_message(text=status_answer(views, language(tracker)))
        return reset_events()


class ValidateWithdrawalForm(VerifiedForm):
    def name(self) -> str:
        return "validate_withdrawal_form"

    async def slots_after_proof(self, tracker: Tracker) -> list[str]:
        active = await self._active(tracker)
        if not active:
            return []
        return ["withdraw_reference", "withdraw_confirmed"]

    async def _active(self, tracker: Tracker) -> list[officers.EnrolmentView]:
        cache = getattr(tracker, "_msaidizi_active", None)
        if cache is None:
            cache = [
                v for v in await _enrolments(self.context(tracker)) if v.status in records.ACTIVE
            ]
            tracker._msaidizi_active = cache
        return cache

    def interpret(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        return records.interpret_withdrawal(
            latest_message(tracker), tracker.get_slot("requested_slot")
        )

    def prefill(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        named = next(tracker.get_latest_entity_values("reference"), None)
        if named and context.officer is not None:
            return {"withdraw_reference": named}
        return {}

    async def validate_withdraw_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        active = await self._active(tracker)
        checked = records.check_reference(value)
        if checked.value in [v.reference for v in active]:
            return {"withdraw_reference": checked.value}
        chosen = course_info_match(value, active)
        if chosen:
            return {"withdraw_reference": chosen}
        say(dispatcher, tracker, "withdraw_unknown_reference")
        return {"withdraw_reference": None}

    async def validate_withdraw_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"withdraw_confirmed": value if isinstance(value, bool) else None}

    async def after_validation(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, candidates: dict[str, Any]
    ) -> list[EventType]:
        events = await super().after_validation(dispatcher, tracker, candidates)
        if self.on_file(tracker) and tracker.slots.get("withdraw_reference") is None:
            active = await self._active(tracker)
            if len(active) == 1:
                tracker.slots["withdraw_reference"] = active[0].reference
                events.append(SlotSet("withdraw_reference", active[0].reference))
        return events


def course_info_match(value: Any, active: list[officers.EnrolmentView]) -> str | None:
    """An enrolment picked by course name or code ("the cloud one")."""
    from bot.course_names import course_codes

    codes = course_codes(str(value or ""))
    found = [v.reference for v in active if v.course_code in codes]
    return found[0] if len(found) == 1 else None


class ActionSubmitWithdrawal(Action):
    def name(self) -> str:
        return "action_submit_withdrawal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("service_unavailable"):
            return [SlotSet("service_unavailable", None)]
        if tracker.get_slot("verified") is False:
            return reset_events()
        context = await context_or_apology(dispatcher, tracker)
        if context is None:
            return []
        if context.officer is None:
            return reset_events()
        reference = tracker.get_slot("withdraw_reference")
        confirmed = tracker.get_slot("withdraw_confirmed")
        if reference is None:
            say(dispatcher, tracker, "withdraw_none_active")
            return reset_events()
        officer_id = context.officer.id
        try:
            views = await _enrolments(context)
            view = next((v for v in views if v.reference == reference), None)
            if confirmed is not True:
                course = course_name(view, language(tracker)) if view else reference
                say(dispatcher, tracker, "withdraw_kept", course=course)
                return reset_events()
            result = await in_transaction(
                lambda session: officers.withdraw_for_officer(session, officer_id, reference)
            )
        except DatabaseUnavailable:
            say(dispatcher, tracker, "service_unavailable")
            return []
        if result is None:
            say(dispatcher, tracker, "withdraw_none_active")
        else:
            say(
                dispatcher,
                tracker,
                "withdrawn",
                course=course_name(view, language(tracker)) if view else reference,
                reference=reference,
            )
        return reset_events()


class AskReference(AskForSlot):
    slot = "reference"


class AskWithdrawReference(AskForSlot):
    slot = "withdraw_reference"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        lang = language(tracker)
        active = [v for v in await _enrolments(context) if v.status in records.ACTIVE]
        say(
            dispatcher,
            tracker,
            "ask_withdraw_reference",
            buttons=[
                {
                    "title": f"{v.reference}: {course_name(v, lang)}",
                    "payload": course_info.payload("inform", reference=v.reference),
                }
                for v in active
            ],
        )


class AskWithdrawConfirmed(AskForSlot):
    slot = "withdraw_confirmed"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        lang = language(tracker)
        reference = tracker.get_slot("withdraw_reference")
        view = next((v for v in await _enrolments(context) if v.reference == reference), None)
        if view is None:
            return
        params = enrolment_params(view, lang)
        say(
            dispatcher,
            tracker,
            "ask_withdraw_confirmed",
            buttons=yes_no(tracker, "button_withdraw", "button_keep"),
            course=params["course"],
            start=params["start"],
            campus=params["campus"],
            reference=reference,
        )


class ValidateUpdateDetailsForm(VerifiedForm):
    after_proof = ("detail_field", "detail_value")

    def name(self) -> str:
        return "validate_update_details_form"

    def interpret(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        return records.interpret_update(
            latest_message(tracker),
            tracker.get_slot("requested_slot"),
            tracker.get_slot("detail_field"),
        )

    async def validate_detail_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value in records.UPDATABLE:
            return {"detail_field": value}
        say(dispatcher, tracker, "detail_field_unknown")
        return {"detail_field": None}

    async def validate_detail_value(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        field = tracker.slots.get("detail_field")
        if field is None:
            return {"detail_value": None}
        checked = records.check_detail(field, value, get_settings().personal_number_pattern)
        return self._checked("detail_value", checked, dispatcher, tracker)


class AskDetailField(AskForSlot):
    slot = "detail_field"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        say(
            dispatcher,
            tracker,
            "ask_detail_field",
            buttons=[
                button(tracker, f"field_{f}", course_info.payload("inform", detail_field=f))
                for f in records.UPDATABLE
            ],
        )


class AskDetailValue(AskForSlot):
    slot = "detail_value"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        field = tracker.get_slot("detail_field") or "email"
        say(
            dispatcher,
            tracker,
            "ask_detail_value",
            field=replies.render(f"field_{field}", language(tracker)),
        )


class ActionSubmitUpdateDetails(Action):
    """Saves one changed detail; a new job group is checked against the
    officer's active enrolments (issue 3, scope 6)."""

    def name(self) -> str:
        return "action_submit_update_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("service_unavailable"):
            return [SlotSet("service_unavailable", None)]
        field, value = tracker.get_slot("detail_field"), tracker.get_slot("detail_value")
        if tracker.get_slot("verified") is False or field is None or value is None:
            return reset_events()
        lang = language(tracker)
        try:
            context = await load_context(tracker)
            if context.officer is None:
                return reset_events()
            officer_id = context.officer.id
            changed = await in_transaction(
                lambda session: officers.update_details(session, officer_id, {field: value})
            )
            views = await _enrolments(context) if field == "job_group" and changed else []
        except DatabaseUnavailable:
            say(dispatcher, tracker, "service_unavailable")
            return []
        field_name = replies.render(f"field_{field}", lang)
        # Rectification (DPA 2019 s.40) is a data request too: recorded, by field.
        await record_request(
            tracker, DataRequestKind.RECTIFICATION, DataRequestOutcome.COMPLETED, officer_id,
            detail=field if changed else f"{field} (unchanged)",
        )  # fmt: skip
        if not changed:
            say(dispatcher, tracker, "details_unchanged", field=field_name)
            return reset_events()
        say(dispatcher, tracker, "details_updated", field=field_name, value=value)
        for view in views:
            if view.status not in records.ACTIVE or view.course_code not in context.courses:
                continue
            rule = context.courses[view.course_code].rule()
            verdict = eligibility.check_eligibility(
                rule,
                eligibility.Officer(
                    job_group=value,
                    terms_of_service=context.officer.details.terms_of_service,
                    completed=context.officer.completed,
                    declared_equivalents=frozenset(view.declared_prerequisites)
                    | frozenset(rule.prerequisites),
                    nominated=True,
                ),
                context.today,
            )
            if {r.code for r in verdict.reasons} & {
                eligibility.JOB_GROUP_TOO_LOW,
                eligibility.JOB_GROUP_TOO_HIGH,
            }:
                say(
                    dispatcher,
                    tracker,
                    "details_job_group_affects",
                    job_group=value,
                    course=course_name(view, lang),
                    reference=view.reference,
                )
        return reset_events() + ([SlotSet("job_group", value)] if field == "job_group" else [])

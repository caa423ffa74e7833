"""The base of every helpdesk form's validation action.

Rasa calls ``validate_<form>`` after each message while a form is active. Here:

- the catalogue and the officer on file are loaded once per call; if the
  database cannot be reached the form ends politely ("please try again
  shortly") and keeps every answer so far (slot ``service_unavailable``);
- the officer's message is read by the form's :meth:`interpret` only when the
  call follows that message (not when the form resumes after another action
  answered a question), so a question is never taken as an answer;
- each ``validate_<slot>`` method checks one answer with :mod:`bot.registration`
  and, if it is wrong, says what is wrong in the officer's language.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.common import Context, after_officer_message, latest_message, load_context, say
from actions.database import DatabaseUnavailable
from bot import registration
from bot.config import get_settings

CONTEXT = "_msaidizi_context"
BEFORE = "_msaidizi_slots_before"


class HelpdeskForm(FormValidationAction):
    """Shared extraction and validation for the helpdesk forms."""

    @abstractmethod
    def name(self) -> str:
        """``validate_<form name>``."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        setattr(tracker, BEFORE, dict(tracker.slots))
        try:
            setattr(tracker, CONTEXT, await load_context(tracker))
        except DatabaseUnavailable:
            say(dispatcher, tracker, "service_unavailable")
            return [SlotSet("service_unavailable", True), SlotSet("requested_slot", None)]
        return await super().run(dispatcher, tracker, domain)

    @staticmethod
    def context(tracker: Tracker) -> Context:
        return getattr(tracker, CONTEXT)

    @staticmethod
    def before(tracker: Tracker, slot: str) -> Any:
        """A slot's value before this message was read (to notice a change)."""
        return getattr(tracker, BEFORE, {}).get(slot)

    # --- extraction ---------------------------------------------------------------

    def prefill(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        """Slot values known without asking (from the officer's record)."""
        return {}

    @staticmethod
    def job_group_on_file(tracker: Tracker, context: Context) -> dict[str, Any]:
        """The job group (or intern/attaché terms) on the officer's record, when the
        conversation has not given one: not asked again."""
        officer = context.officer
        if officer is None or tracker.get_slot("job_group") or tracker.get_slot("terms_of_service"):
            return {}
        if officer.details.terms_of_service in registration.RESTRICTED_TERMS:
            return {"terms_of_service": officer.details.terms_of_service}
        if officer.details.job_group:
            return {"job_group": officer.details.job_group}
        return {}

    def interpret(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        course = context.course(tracker.get_slot("course"))
        return registration.interpret(
            latest_message(tracker),
            tracker.get_slot("requested_slot"),
            prerequisites=course.prerequisites if course else (),
        )

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        context = self.context(tracker)
        values = {
            k: v for k, v in self.prefill(tracker, context).items() if tracker.get_slot(k) is None
        }
        if after_officer_message(tracker, own_names=(self.form_name(),)):
            values.update(self.interpret(tracker, context))
        return [SlotSet(slot, value) for slot, value in values.items()]

    #: Slots no form asks for but that answers can set ("I'm an intern"): the SDK
    #: validates only required slots, so these are validated here too.
    extra_slots: tuple[str, ...] = ("terms_of_service",)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validates every form slot set by this message. (The SDK's own version
        validates only the slots still required, so an answer that ends the form —
        consent refused — would be dropped and the form would stall.)"""
        candidates = tracker.slots_to_validate()
        allowed = set(self.domain_slots(domain)) | set(self.extra_slots)
        validated: dict[str, Any] = {}
        for slot, value in candidates.items():
            if slot not in allowed:
                continue
            validate = getattr(self, f"validate_{slot}", None)
            output = (
                await validate(value, dispatcher, tracker, domain) if validate else {slot: value}
            )
            validated.update(output)
            tracker.slots.update(output)
        events: list[EventType] = [SlotSet(k, v) for k, v in validated.items()]
        return events + await self.after_validation(dispatcher, tracker, candidates)

    async def after_validation(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, candidates: dict[str, Any]
    ) -> list[EventType]:
        """Decisions that need every answer of this turn validated first."""
        return []

    # --- shared validation -----------------------------------------------------------

    def _checked(
        self,
        slot: str,
        checked: registration.Checked,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> dict[str, Any]:
        if checked.problem:
            say(dispatcher, tracker, checked.problem)
            return {slot: None}
        return {slot: checked.value}

    async def validate_course(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        checked = registration.check_course(value, self.context(tracker).courses)
        return self._checked("course", checked, dispatcher, tracker)

    async def validate_job_group(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # an intern or attaché has none
            return {"job_group": None}
        checked = registration.check_job_group(value)
        if checked.note == "csg_unconfirmed":
            from bot import job_groups

            csg = job_groups.parse_job_group(str(value)).csg
            say(dispatcher, tracker, "csg_unconfirmed", csg=csg, job_group=checked.value)
        return self._checked("job_group", checked, dispatcher, tracker)

    async def validate_terms_of_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value in registration.RESTRICTED_TERMS:
            return {"terms_of_service": value, "job_group": None}
        return {"terms_of_service": None}

    async def validate_personal_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        checked = registration.check_personal_number(value, get_settings().personal_number_pattern)
        return self._checked("personal_number", checked, dispatcher, tracker)

    async def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._checked("email", registration.check_email(value), dispatcher, tracker)

    async def validate_phone_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._checked("phone_number", registration.check_phone(value), dispatcher, tracker)

    async def validate_full_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._checked("full_name", registration.check_full_name(value), dispatcher, tracker)

    async def validate_employer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._checked("employer", registration.check_employer(value), dispatcher, tracker)

"""The registration form (issue 3, scope 3): validation, questions, submission.

The order of questions, how a message is read and every check live in
:mod:`bot.registration`; eligibility in :mod:`bot.eligibility`; writing the
enrolment in :mod:`bot.registration_service`. This module connects them to Rasa.
"""

from __future__ import annotations

import dataclasses
import logging
from abc import ABC, abstractmethod
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    Context,
    button,
    context_or_apology,
    identity,
    language,
    say,
    yes_no,
)
from actions.database import DatabaseUnavailable, in_transaction
from actions.forms import HelpdeskForm
from bot import answers, course_info, eligibility, registration, replies
from bot.officers import OfficerDetails
from bot.privacy import notice
from bot.registration_service import ConsentGiven, register_officer

logger = logging.getLogger(__name__)

#: Slots reset when a form ends (``course`` stays: it is what is being discussed).
RESET_SLOTS = tuple(s for s in registration.FORM_SLOTS if s != "course") + (
    "reference",
    "withdraw_reference",
    "withdraw_confirmed",
    "detail_field",
    "detail_value",
    "verified",
    "service_unavailable",
    # data rights (actions/data_rights.py)
    "export_format",
    "erase_confirmed",
    "consent_withdrawal_confirmed",
)


def reset_events() -> list[EventType]:
    return [SlotSet(slot, None) for slot in RESET_SLOTS]


def _officer(tracker: Tracker, context: Context, declared: bool = False) -> eligibility.Officer:
    course = context.course(tracker.slots.get("course"))
    completed = context.officer.completed if context.officer else frozenset()
    missing = registration.missing_prerequisites(course, completed) if course else []
    return eligibility.Officer(
        job_group=tracker.slots.get("job_group"),
        terms_of_service=tracker.slots.get("terms_of_service"),
        completed=completed,
        declared_equivalents=frozenset(missing) if declared else frozenset(),
        nominated=tracker.slots.get("nominated"),
    )


class ValidateRegistrationForm(HelpdeskForm):
    def name(self) -> str:
        return "validate_registration_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        context = self.context(tracker)
        if tracker.slots.get("service_unavailable"):
            return []
        return registration.required_slots(
            tracker.slots,
            context.course(tracker.slots.get("course")),
            completed=context.officer.completed if context.officer else (),
            officer_on_file=context.officer is not None,
        )

    def prefill(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        return self.job_group_on_file(tracker, context)

    async def validate_course(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = await super().validate_course(value, dispatcher, tracker, domain)
        if result.get("course") is None:
            dispatcher.utter_message(
                buttons=course_info.course_buttons(
                    self.context(tracker).courses.values(), language(tracker), intent="inform"
                )
            )
        elif self.before(tracker, "course") not in (None, result["course"]):
            # A different course: its intakes and requirements differ.
            result.update(cohort=None, prerequisite_declared=None, nominated=None, eligible=None)
        return result

    async def validate_prerequisite_declared(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"prerequisite_declared": value if isinstance(value, bool) else None}

    async def validate_nominated(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"nominated": value if isinstance(value, bool) else None}

    async def validate_cohort(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        context = self.context(tracker)
        course = context.course(tracker.slots.get("course"))
        offered = course.open_cohorts(context.today) if course else ()
        chosen = registration.match_cohort(value, offered)
        if chosen is None:
            say(dispatcher, tracker, "cohort_unknown")
            return {"cohort": None}
        return {"cohort": chosen.code}

    async def validate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True:
            # When consent was given, to be recorded with the enrolment (s.32).
            return {"consent": True, "consent_given_at": datetime.now(timezone.utc).isoformat()}
        if value is False:
            return {"consent": False, "consent_given_at": None}
        return {"consent": None}

    async def validate_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is False:
            say(dispatcher, tracker, "form_change_what")
            return {"confirmed": None}
        return {"confirmed": True if value is True else None}

    async def after_validation(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, candidates: dict[str, Any]
    ) -> list[EventType]:
        """Checks eligibility as soon as its questions are answered — before any
        personal detail is asked for — and again if one of them changes."""
        context = self.context(tracker)
        slots = tracker.slots
        events: list[EventType] = []
        changed = candidates.keys() & {
            "course",
            "job_group",
            "terms_of_service",
            "prerequisite_declared",
            "nominated",
        }
        if changed and slots.get("eligible") is not None:
            slots["eligible"] = None
            events.append(SlotSet("eligible", None))
        course = context.course(slots.get("course"))
        if course is None or slots.get("eligible") is not None:
            return events
        required = await self.required_slots([], dispatcher, tracker, {})
        known = registration.eligibility_known(slots, required)
        # Until every question is answered, unanswered ones are assumed to go the
        # officer's way: a rule that already fails (job group, intern, closed) is
        # told at once instead of after more questions.
        officer = _officer(
            tracker, context, declared=bool(slots.get("prerequisite_declared")) or not known
        )
        verdict = eligibility.check_eligibility(course.rule(), officer, context.today)
        if not known:
            hard = tuple(r for r in verdict.reasons if r.code != eligibility.JOB_GROUP_UNKNOWN)
            if not hard:
                return events
            verdict = dataclasses.replace(verdict, eligible=False, reasons=hard)
        lang = language(tracker)
        if verdict.eligible:
            lines = [
                replies.render("eligible_so_far", lang, course=course_info.heading(course, lang))
            ]
            lines += answers.note_lines(verdict, context.courses, lang)
            dispatcher.utter_message(text="\n".join(lines))
        else:
            suggestions = context.suggestions(officer, exclude=[course.code])
            text, buttons = answers.eligibility_answer(
                course,
                verdict,
                suggestions,
                context.courses,
                lang,
                job_group=slots.get("job_group"),
                terms=slots.get("terms_of_service"),
            )
            dispatcher.utter_message(text=text, buttons=buttons)
        slots["eligible"] = verdict.eligible
        return events + [SlotSet("eligible", verdict.eligible)]


class AskForSlot(Action, ABC):
    """``action_ask_<slot>``: the form's question for one slot, in the officer's
    language, with buttons where there is a choice. Subclasses name the slot."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot this action asks for."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        context = await context_or_apology(dispatcher, tracker)
        if context is None:
            return []
        await self.ask(dispatcher, tracker, context)
        return []

    def key(self, tracker: Tracker) -> str:
        """``ask_<form>_<slot>`` when the form has its own wording, else ``ask_<slot>``."""
        specific = f"ask_{tracker.active_loop_name}_{self.slot}"
        return specific if specific in replies.catalogue() else f"ask_{self.slot}"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        say(dispatcher, tracker, self.key(tracker), **self.params(tracker, context))

    def params(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        course = context.course(tracker.get_slot("course"))
        return {"course": course_info.heading(course, language(tracker)) if course else ""}


class AskCourse(AskForSlot):
    slot = "course"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        open_courses = [c for c in context.courses.values() if c.open_cohorts(context.today)]
        say(
            dispatcher,
            tracker,
            self.key(tracker),
            buttons=course_info.course_buttons(open_courses, language(tracker), intent="inform"),
        )


class AskJobGroup(AskForSlot):
    slot = "job_group"


class AskPrerequisiteDeclared(AskForSlot):
    slot = "prerequisite_declared"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        lang = language(tracker)
        course = context.course(tracker.get_slot("course"))
        completed = context.officer.completed if context.officer else ()
        missing = registration.missing_prerequisites(course, completed) if course else []
        say(
            dispatcher,
            tracker,
            "ask_prerequisite_declared",
            buttons=yes_no(tracker),
            course=course_info.heading(course, lang) if course else "",
            prerequisites=", ".join(
                course_info.heading(context.courses[c], lang) if c in context.courses else c
                for c in missing
            ),
        )


class AskNominated(AskForSlot):
    slot = "nominated"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        say(
            dispatcher,
            tracker,
            "ask_nominated",
            buttons=yes_no(tracker),
            **self.params(tracker, context),
        )


class AskCohort(AskForSlot):
    slot = "cohort"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        lang = language(tracker)
        course = context.course(tracker.get_slot("course"))
        offered = course.open_cohorts(context.today) if course else ()
        lines = [replies.render("ask_cohort", lang)]
        lines.append(
            replies.bullet_list([course_info.cohort_line(c, lang, context.today) for c in offered])
        )
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[
                {
                    "title": course_info.cohort_button_title(c, lang),
                    "payload": course_info.payload("inform", cohort=c.code),
                }
                for c in offered
            ],
        )


class AskConsent(AskForSlot):
    slot = "consent"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        facts = notice()
        say(
            dispatcher,
            tracker,
            "ask_consent",
            buttons=yes_no(tracker, "button_agree", "button_disagree"),
            controller=facts.controller(language(tracker)),
            months=facts.retention_months_after_course,
            dpo=facts.dpo_contact,
        )


class AskFullName(AskForSlot):
    slot = "full_name"


class AskPersonalNumber(AskForSlot):
    slot = "personal_number"


class AskEmail(AskForSlot):
    slot = "email"


class AskPhoneNumber(AskForSlot):
    slot = "phone_number"


class AskEmployer(AskForSlot):
    slot = "employer"


class AskConfirmed(AskForSlot):
    slot = "confirmed"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        course = context.course(tracker.get_slot("course"))
        if course is None:
            return
        cohort = course.cohort(tracker.get_slot("cohort") or "")
        summary = answers.registration_summary(tracker.slots, course, cohort, language(tracker))
        dispatcher.utter_message(
            text=summary,
            buttons=[
                button(tracker, "button_confirm", "/affirm"),
                button(tracker, "button_change", "/deny"),
                button(tracker, "button_stop", "/stop"),
            ],
        )


class ActionSubmitRegistration(Action):
    """Writes the enrolment once everything is answered and confirmed — or says
    why not (ineligible and consent refused were already explained)."""

    def name(self) -> str:
        return "action_submit_registration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slots = tracker.slots
        if slots.get("service_unavailable"):
            # Already told; the answers are kept, so "register" again carries on.
            return [SlotSet("service_unavailable", None)]
        if slots.get("eligible") is False:
            return reset_events()
        if slots.get("consent") is False:
            say(dispatcher, tracker, "consent_refused")
            return reset_events()
        if slots.get("confirmed") is not True:
            return []
        channel, sender_id = identity(tracker)
        lang = language(tracker)

        context = await context_or_apology(dispatcher, tracker)
        if context is None:
            return [SlotSet("confirmed", None)]

        async def work(session: Any) -> Any:
            course = context.course(slots.get("course"))
            if context.officer is not None:
                on_file = context.officer.details
                details = OfficerDetails(
                    full_name=on_file.full_name,
                    personal_number=on_file.personal_number,
                    email=on_file.email,
                    phone_number=on_file.phone_number,
                    employer=on_file.employer,
                    job_group=slots.get("job_group") or on_file.job_group,
                    terms_of_service=slots.get("terms_of_service") or on_file.terms_of_service,
                )
            else:
                details = OfficerDetails(
                    full_name=slots.get("full_name"),
                    personal_number=slots.get("personal_number"),
                    email=slots.get("email"),
                    phone_number=slots.get("phone_number"),
                    employer=slots.get("employer"),
                    job_group=slots.get("job_group"),
                    terms_of_service=slots.get("terms_of_service"),
                )
            completed = context.officer.completed if context.officer else ()
            declared = (
                registration.missing_prerequisites(course, completed)
                if course and slots.get("prerequisite_declared")
                else []
            )
            given_at = slots.get("consent_given_at")
            return await register_officer(
                session,
                details,
                slots.get("cohort"),
                channel=channel,
                sender_id=sender_id,
                consent=ConsentGiven(
                    notice_version=notice().notice_version,
                    language=lang,
                    given_at=datetime.fromisoformat(given_at)
                    if given_at
                    else datetime.now(timezone.utc),
                ),
                declared_prerequisites=declared,
                today=context.today,
            )

        try:
            outcome = await in_transaction(work)
        except DatabaseUnavailable:
            say(dispatcher, tracker, "service_unavailable")
            # Everything stays; "register" again brings back the summary to confirm.
            return [SlotSet("confirmed", None)]
        dispatcher.utter_message(
            text=answers.registration_outcome(outcome.status, outcome.enrolment, lang)
        )
        if outcome.status == "closed":
            return [SlotSet("cohort", None), SlotSet("confirmed", None)]
        return reset_events()


class ActionStopForm(Action):
    """ "Stop" / "acha" in the middle of a form: end it and forget its answers."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        key = (
            "form_stopped"
            if tracker.active_loop_name == "registration_form"
            else "form_stopped_other"
        )
        say(dispatcher, tracker, key)
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + reset_events()


class ActionFormReprompt(Action):
    """A message that answers nothing in a form (a bare "no", something not
    understood): say how to go on; the form then asks its question again."""

    def name(self) -> str:
        return "action_form_reprompt"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        if requested in registration.YES_NO_SLOTS or requested in (
            "withdraw_confirmed",
            "erase_confirmed",
            "consent_withdrawal_confirmed",
        ):
            say(dispatcher, tracker, "yes_or_no")
        else:
            say(dispatcher, tracker, "form_reprompt")
        return []

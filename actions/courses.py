"""Course questions and eligibility checks (issue 3, scope 1–2): thin adapters
from the tracker to :mod:`bot.course_info`, :mod:`bot.eligibility` and
:mod:`bot.answers`."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import Context, button, context_or_apology, language, latest_message, say
from actions.forms import HelpdeskForm
from bot import answers, course_info, eligibility
from bot.registration import RESTRICTED_TERMS, Message

logger = logging.getLogger(__name__)

_ASKS_FOR_A_LIST = re.compile(
    r"\b(which|courses|programmes|options|kozi\s+gani|kozi\s+zipi|zipi)\b",
    re.IGNORECASE,
)


def _mentioned_courses(message: Message) -> list[str]:
    seen: list[str] = []
    for entity in message.entities:
        if entity.get("entity") == "course" and entity.get("value") not in seen:
            seen.append(entity.get("value"))
    return seen


class ActionListCourses(Action):
    def name(self) -> str:
        return "action_list_courses"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        context = await context_or_apology(dispatcher, tracker)
        if context is None:
            return []
        courses = list(context.courses.values())
        dispatcher.utter_message(
            text=course_info.course_list(courses, language(tracker), context.today),
            buttons=course_info.course_buttons(courses, language(tracker)),
        )
        return []


class ActionCourseDetails(Action):
    """Answers what was asked about the course named now, or the one being
    discussed ("and when does it start?")."""

    def name(self) -> str:
        return "action_course_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        context = await context_or_apology(dispatcher, tracker)
        if context is None:
            return []
        message = latest_message(tracker)
        lang = language(tracker)
        codes = [c for c in _mentioned_courses(message) if c in context.courses]
        if not codes and context.course(tracker.get_slot("course")):
            codes = [tracker.get_slot("course")]
        if not codes:
            say(
                dispatcher,
                tracker,
                "ask_which_course",
                buttons=course_info.course_buttons(context.courses.values(), lang),
            )
            return []
        aspects = course_info.asked_aspects(message.text)
        for code in codes[:3]:
            course = context.courses[code]
            dispatcher.utter_message(
                text=course_info.course_details(course, aspects, lang, context.today),
                buttons=[
                    button(
                        tracker,
                        "course_buttons_register",
                        course_info.payload("register", course=code),
                    ),
                    button(
                        tracker,
                        "course_buttons_eligibility",
                        course_info.payload("check_eligibility", course=code),
                    ),
                ],
            )
        if tracker.active_loop_name:
            return []  # a question in the middle of a form does not change its course
        return [SlotSet("course", codes[0])]


class ValidateEligibilityForm(HelpdeskForm):
    """Asks only for what the check needs: the job group (unless the officer is
    an intern or attaché, or their record has it)."""

    def name(self) -> str:
        return "validate_eligibility_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        required = ["course"] if tracker.slots.get("course") is not None else []
        if tracker.slots.get("terms_of_service") not in RESTRICTED_TERMS:
            required.append("job_group")
        return required

    def prefill(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        return self.job_group_on_file(tracker, context)


class ActionCheckEligibility(Action):
    """Yes or no with every reason, and what the officer can take instead."""

    def name(self) -> str:
        return "action_check_eligibility"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        context = await context_or_apology(dispatcher, tracker)
        if context is None:
            return []
        if tracker.get_slot("service_unavailable"):
            return [SlotSet("service_unavailable", None)]
        lang = language(tracker)
        terms = tracker.get_slot("terms_of_service")
        job_group = tracker.get_slot("job_group")
        completed = context.officer.completed if context.officer else frozenset()
        course = self._course_asked_about(tracker, context)

        def officer_for(prerequisites: tuple[str, ...]) -> eligibility.Officer:
            # Prerequisites the bot cannot check are stated as a condition, not a no.
            return eligibility.Officer(
                job_group=job_group,
                terms_of_service=terms,
                completed=completed,
                declared_equivalents=frozenset(p for p in prerequisites if p not in completed),
            )

        all_prerequisites = tuple({p for c in context.courses.values() for p in c.prerequisites})
        suggestions = context.suggestions(
            officer_for(all_prerequisites), exclude=[course.code] if course else []
        )
        if course is None:
            text, buttons = answers.eligible_courses_answer(
                suggestions, lang, job_group=job_group, terms=terms
            )
            dispatcher.utter_message(text=text, buttons=buttons)
            return []
        verdict = eligibility.check_eligibility(
            course.rule(), officer_for(course.prerequisites), context.today
        )
        text, buttons = answers.eligibility_answer(
            course,
            verdict,
            suggestions,
            context.courses,
            lang,
            job_group=job_group,
            terms=terms,
            conditional_prerequisites=[p for p in course.prerequisites if p not in completed],
        )
        dispatcher.utter_message(text=text, buttons=buttons)
        return [SlotSet("course", course.code)]

    question_intents: tuple[str, ...] = ("check_eligibility",)

    def _course_asked_about(self, tracker: Tracker, context: Context) -> Any:
        """The course named in the question, else — unless the officer asked which
        courses they can take — the one being discussed."""
        question = next(
            (
                e
                for e in reversed(tracker.events)
                if e.get("event") == "user"
                and (e.get("parse_data") or {}).get("intent", {}).get("name")
                in self.question_intents
            ),
            None,
        )
        if question is not None:
            entities = (question.get("parse_data") or {}).get("entities") or []
            named = [e.get("value") for e in entities if e.get("entity") == "course"]
            if named and context.course(named[0]):
                return context.course(named[0])
            if _ASKS_FOR_A_LIST.search(question.get("text") or ""):
                return None
        return context.course(tracker.get_slot("course"))


class ActionInformOutsideForm(ActionCheckEligibility):
    """Facts with no question pending ("I'm an intern", "JG L here, cloud course"):
    the officer most likely wants to know what they can take, so answer that;
    anything else gets the help menu."""

    question_intents = ("inform", "check_eligibility")

    def name(self) -> str:
        return "action_inform_outside_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        message = latest_message(tracker)
        if message.entity("job_group") or message.entity("terms_of_service"):
            return await super().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_help")
        return []

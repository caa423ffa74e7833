"""Replies assembled from results: eligibility verdicts, the registration
summary and outcome, an officer's enrolments. Plain Python over the reply
catalogue (``bot/replies/registration.yml``), so each is tested without Rasa and
the actions only pass results through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from bot import course_info
from bot.eligibility import (
    FULL,
    INTERNS_ONLY_DLF,
    JOB_GROUP_TOO_HIGH,
    JOB_GROUP_TOO_LOW,
    JOB_GROUP_UNKNOWN,
    MISSING_PREREQUISITE,
    NEEDS_NOMINATION,
    NOMINATION_PENDING,
    PREREQUISITE_DECLARED,
    REGISTRATION_CLOSED,
    Verdict,
)
from bot.replies import bullet_list, format_date, language_of, render

if TYPE_CHECKING:
    from bot.courses import CohortInfo, CourseInfo
    from bot.officers import EnrolmentView

Button = dict[str, str]


def _title(code: str, courses: Mapping[str, CourseInfo], language: str) -> str:
    course = courses.get(code)
    return course_info.heading(course, language) if course else code


def reason_lines(
    verdict: Verdict,
    courses: Mapping[str, CourseInfo],
    language: str | None,
    *,
    job_group: str | None = None,
    terms: str | None = None,
) -> list[str]:
    """Every failed rule, in plain words."""
    lang = language_of(language)
    lines = []
    for reason in verdict.reasons:
        p = dict(reason.params)
        if reason.code == INTERNS_ONLY_DLF:
            lines.append(
                render("reason_interns_only", lang, course=_title("DLF-101", courses, lang))
            )
        elif reason.code == JOB_GROUP_TOO_LOW:
            lines.append(
                render("reason_job_group_too_low", lang, min=p["min"], job_group=job_group)
            )
        elif reason.code == JOB_GROUP_TOO_HIGH:
            lines.append(
                render("reason_job_group_too_high", lang, max=p["max"], job_group=job_group)
            )
        elif reason.code == JOB_GROUP_UNKNOWN:
            lines.append(render("reason_job_group_unknown", lang))
        elif reason.code == MISSING_PREREQUISITE:
            lines.append(
                render("reason_missing_prerequisite", lang, course=_title(p["code"], courses, lang))
            )
        elif reason.code == NEEDS_NOMINATION:
            lines.append(render("reason_needs_nomination", lang))
        elif reason.code == REGISTRATION_CLOSED:
            last = p.get("last_deadline")
            lines.append(
                render(
                    "reason_registration_closed",
                    lang,
                    deadline=format_date(last, lang) if isinstance(last, date) else "-",
                )
            )
        else:  # a rule added to bot.eligibility without wording yet: say it plainly
            lines.append(reason.code.replace("_", " "))
    return lines


def note_lines(
    verdict: Verdict, courses: Mapping[str, CourseInfo], language: str | None
) -> list[str]:
    lang = language_of(language)
    lines = []
    for note in verdict.notes:
        if note.code == FULL:
            lines.append(render("note_full", lang))
        elif note.code == PREREQUISITE_DECLARED:
            lines.append(
                render(
                    "note_prerequisite_declared",
                    lang,
                    course=_title(note.params["code"], courses, lang),
                )
            )
        elif note.code == NOMINATION_PENDING:
            lines.append(render("note_nomination_pending", lang))
    return lines


def eligibility_answer(
    course: CourseInfo,
    verdict: Verdict,
    suggestions: Sequence[CourseInfo],
    courses: Mapping[str, CourseInfo],
    language: str | None,
    *,
    job_group: str | None,
    terms: str | None = None,
    conditional_prerequisites: Sequence[str] = (),
) -> tuple[str, list[Button]]:
    """Yes or no for one course, every reason, and what the officer can take
    instead. ``conditional_prerequisites``: prerequisites the bot could not check
    (the officer has not been asked), stated as a condition of the yes."""
    lang = language_of(language)
    heading = course_info.heading(course, lang)
    if verdict.eligible:
        lines = [render("eligible_yes", lang, course=heading)]
        for code in conditional_prerequisites:
            lines.append(
                render("eligible_if_prerequisite", lang, course=_title(code, courses, lang))
            )
        # A prerequisite stated as a condition was not declared by the officer: no
        # "you told me you have completed it" note for it.
        notes = tuple(
            n
            for n in verdict.notes
            if not (
                n.code == PREREQUISITE_DECLARED
                and n.params.get("code") in conditional_prerequisites
            )
        )
        lines += note_lines(replace(verdict, notes=notes), courses, lang)
        buttons = [
            {
                "title": render("course_buttons_register", lang),
                "payload": course_info.payload("register", course=course.code),
            }
        ]
        return "\n".join(lines), buttons
    lines = [render("eligible_no", lang, course=heading)]
    lines.append(
        bullet_list(reason_lines(verdict, courses, lang, job_group=job_group, terms=terms))
    )
    lines.append(suggestion_text(suggestions, lang))
    return "\n".join(lines), course_info.course_buttons(suggestions[:5], lang)


def suggestion_text(suggestions: Sequence[CourseInfo], language: str | None) -> str:
    if not suggestions:
        return render("suggestions_none", language)
    return render(
        "suggestions",
        language,
        courses=", ".join(course_info.heading(c, language) for c in suggestions[:5]),
    )


def eligible_courses_answer(
    suggestions: Sequence[CourseInfo],
    language: str | None,
    *,
    job_group: str | None,
    terms: str | None,
) -> tuple[str, list[Button]]:
    """Which courses the officer can take (no course named)."""
    lang = language_of(language)
    who = (
        render(f"who_{terms}", lang)
        if terms in ("intern", "attache")
        else render("who_job_group", lang, job_group=job_group)
    )
    if not suggestions:
        return render("eligible_list_none", lang, who=who), []
    text = (
        render("eligible_list", lang, who=who)
        + "\n"
        + bullet_list([course_info.heading(c, lang) for c in suggestions])
    )
    return text, course_info.course_buttons(suggestions, lang)


# --- Registration -------------------------------------------------------------------


def registration_summary(
    slots: Mapping[str, Any], course: CourseInfo, cohort: CohortInfo | None, language: str | None
) -> str:
    lang = language_of(language)
    lines = [render("summary_intro", lang)]
    lines.append(render("summary_course", lang, course=course_info.heading(course, lang)))
    if cohort is not None:
        lines.append(
            render(
                "summary_cohort",
                lang,
                start=format_date(cohort.start_date, lang),
                end=format_date(cohort.end_date, lang),
                campus=cohort.campus,
            )
        )
        if cohort.is_full:
            lines.append(render("summary_waitlist", lang))
    if slots.get("full_name"):
        for key in ("full_name", "personal_number", "email", "phone_number", "employer"):
            lines.append(render(f"summary_{key}", lang, value=slots.get(key) or "-"))
    else:
        lines.append(render("summary_on_file", lang))
    if slots.get("terms_of_service") in ("intern", "attache"):
        lines.append(render(f"summary_terms_{slots['terms_of_service']}", lang))
    elif slots.get("job_group"):
        lines.append(render("summary_job_group", lang, value=slots["job_group"]))
    if slots.get("prerequisite_declared"):
        lines.append(
            render("summary_prerequisite_declared", lang, codes=", ".join(course.prerequisites))
        )
    lines.append(render("summary_question", lang))
    return "\n".join(lines)


def registration_outcome(
    status: str,
    enrolment: EnrolmentView | None,
    language: str | None,
) -> str:
    """What happened to a submitted registration (statuses of
    ``bot.registration_service.register_officer``)."""
    lang = language_of(language)
    if status in ("created", "existing") and enrolment is not None:
        params = enrolment_params(enrolment, lang)
        key = f"registered_{enrolment.status}" if status == "created" else "registered_already"
        return render(key, lang, **params)
    return render(f"registration_{status}", lang)


# --- Status -------------------------------------------------------------------------


def course_name(view: EnrolmentView, language: str | None) -> str:
    """ "CLD-201 Cloud Computing Fundamentals", in the officer's language."""
    title = view.course_title_sw if language_of(language) == "sw" else view.course_title
    return f"{view.course_code} {title}"


def enrolment_params(view: EnrolmentView, language: str) -> dict[str, Any]:
    return {
        "reference": view.reference,
        "course": course_name(view, language),
        "start": format_date(view.start_date, language),
        "end": format_date(view.end_date, language),
        "campus": view.campus,
        "status": render(f"status_{view.status}", language),
        "position": view.waitlist_position or "-",
        "next_step": render(f"next_step_{view.status}", language),
    }


def status_answer(views: Sequence[EnrolmentView], language: str | None) -> str:
    lang = language_of(language)
    if not views:
        return render("status_none", lang)
    lines = [render("status_intro", lang, count=len(views))]
    for view in views:
        params = enrolment_params(view, lang)
        lines.append(render("status_line", lang, **params))
        if view.status == "waitlisted":
            lines.append(render("status_waitlist_position", lang, **params))
        lines.append(render("status_next_step", lang, **params))
    return "\n".join(lines)

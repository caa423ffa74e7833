"""Answers about courses: which ones exist, and what an officer asked about one.

Issue 3 (scope 1): ``course_details`` must answer *what the officer actually
asked* — duration, mode, campus, next open cohort and seats, fee and who pays,
certificate, prerequisites — not dump everything. The intent says "a question
about a course"; which property is asked is read from the words here, in English
and Kiswahili, because it is a small closed set that keywords cover well and that
a support agent can extend without retraining. When no property is recognised
the officer gets a short overview with every key fact.

Texts come from ``bot/replies/courses.yml``; courses from :mod:`bot.courses`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from bot import replies
from bot.replies import format_date, format_money, render

if TYPE_CHECKING:
    from bot.courses import CohortInfo, CourseInfo

DURATION = "duration"
MODE = "mode"
CAMPUS = "campus"
START = "start"
FEE = "fee"
CERTIFICATE = "certificate"
PREREQUISITES = "prerequisites"
WHO_MAY_APPLY = "who_may_apply"
CONTENT = "content"

#: Order in which asked properties are answered (and the overview's order).
ASPECTS = (CONTENT, DURATION, MODE, CAMPUS, START, FEE, CERTIFICATE, PREREQUISITES, WHO_MAY_APPLY)

# Words and phrases that show which property is asked about. Matched on word
# boundaries in the lower-cased message; Kiswahili stems cover verb forms
# ("inaanza", "itaanza", "ianze").
_CUES: dict[str, tuple[str, ...]] = {
    DURATION: (
        "how long",
        "duration",
        "weeks",
        "week",
        "days",
        "length",
        "muda",
        "wiki ngapi",
        "siku ngapi",
        "itachukua",
        "inachukua",
        "huchukua",
        "muda gani",
        "ni ya muda",
    ),
    MODE: (
        "online",
        "in person",
        "in-person",
        "physical",
        "physically",
        "virtual",
        "blended",
        "mode",
        "zoom",
        "residential",
        "attend",
        "remote",
        "face to face",
        "mtandaoni",
        "ana kwa ana",
        "darasani",
        "kuhudhuria",
    ),
    CAMPUS: (
        "where",
        "campus",
        "venue",
        "location",
        "held",
        "which town",
        "place",
        "wapi",
        "mahali",
        "kampasi",
        "kituo",
        "lower kabete",
        "mombasa",
        "embu",
        "baringo",
        "eldi",
        "matuga",
    ),
    START: (
        "when",
        "start",
        "starts",
        "starting",
        "begin",
        "begins",
        "intake",
        "intakes",
        "next",
        "dates",
        "date",
        "cohort",
        "cohorts",
        "seats",
        "seat",
        "space",
        "spaces",
        "slots",
        "places",
        "deadline",
        "closing",
        "lini",
        "inaanza",
        "itaanza",
        "ianze",
        "kuanza",
        "tarehe",
        "nafasi",
        "mwisho wa usajili",
        "zimebaki",
        "imebaki",
    ),
    FEE: (
        "fee",
        "fees",
        "cost",
        "costs",
        "price",
        "pay",
        "paid",
        "paying",
        "how much",
        "charge",
        "charges",
        "free",
        "sponsor",
        "sponsored",
        "bei",
        "gharama",
        "ada",
        "kulipa",
        "kulipia",
        "analipa",
        "nalipa",
        "pesa",
        "bure",
        "shilingi",
        "ksh",
        "kes",
        "malipo",
    ),
    CERTIFICATE: (
        "certificate",
        "cert",
        "certification",
        "certified",
        "exam",
        "exams",
        "hcia",
        "huawei",
        "accredited",
        "qualification at the end",
        "cheti",
        "mtihani",
        "vyeti",
    ),
    PREREQUISITES: (
        "prerequisite",
        "prerequisites",
        "pre-requisite",
        "requirement",
        "requirements",
        "require",
        "required",
        "need before",
        "need to have",
        "do i need",
        "before joining",
        "before i join",
        "masharti",
        "mahitaji",
        "ninahitaji",
        "nahitaji",
        "sharti",
    ),
    WHO_MAY_APPLY: (
        "who can",
        "who may",
        "who is it for",
        "job group",
        "job groups",
        "for whom",
        "nani anaweza",
        "kundi la kazi",
        "makundi ya kazi",
    ),
    CONTENT: (
        "about",
        "cover",
        "covers",
        "learn",
        "content",
        "topics",
        "syllabus",
        "outline",
        "teach",
        "nitajifunza",
        "inahusu",
        "kuhusu",
        "mada",
        "tutajifunza",
        "inafundisha",
    ),
}

_PATTERNS = {
    aspect: re.compile(r"(?<![\w])(" + "|".join(re.escape(c) for c in cues) + r")(?![\w])")
    for aspect, cues in _CUES.items()
}


def asked_aspects(text: str) -> list[str]:
    """The course properties a message asks about, in :data:`ASPECTS` order
    (empty: nothing specific, so give the overview)."""
    lowered = (text or "").lower()
    return [aspect for aspect in ASPECTS if _PATTERNS[aspect].search(lowered)]


def title(course: CourseInfo, language: str | None) -> str:
    return course.title_sw if replies.language_of(language) == "sw" else course.title


def heading(course: CourseInfo, language: str | None) -> str:
    return f"{course.code} {title(course, language)}"


def payload(intent: str, **entities: Any) -> str:
    """A button payload that bypasses NLU: ``/intent{"entity": "value"}``."""
    return f"/{intent}{json.dumps(entities, separators=(',', ':'))}" if entities else f"/{intent}"


def cohort_line(cohort: CohortInfo, language: str | None, today: date) -> str:
    """One intake, as officers compare them: dates, campus, seats, deadline."""
    key = "cohort_line_full" if cohort.is_full else "cohort_line"
    if not cohort.is_open(today):
        key = "cohort_line_closed"
    return render(
        key,
        language,
        start=format_date(cohort.start_date, language),
        end=format_date(cohort.end_date, language),
        campus=cohort.campus,
        seats=cohort.seats_left,
        deadline=format_date(cohort.registration_deadline, language),
    )


def cohort_button_title(cohort: CohortInfo, language: str | None) -> str:
    key = "cohort_button_full" if cohort.is_full else "cohort_button"
    return render(
        key,
        language,
        start=format_date(cohort.start_date, language),
        campus=cohort.campus,
        seats=cohort.seats_left,
    )


def job_group_range(course: CourseInfo, language: str | None) -> str:
    if course.max_job_group:
        return render(
            "job_group_range", language, low=course.min_job_group, high=course.max_job_group
        )
    if course.min_job_group in (None, "A"):
        return render("job_group_any", language)
    return render("job_group_from", language, low=course.min_job_group)


def _aspect_text(aspect: str, course: CourseInfo, language: str | None, today: date) -> str:
    lang = replies.language_of(language)
    if aspect == CONTENT:
        return course.summary_sw if lang == "sw" else course.summary
    if aspect == DURATION:
        return render(
            "detail_duration",
            lang,
            duration=course.duration_sw if lang == "sw" else course.duration,
        )
    if aspect == MODE:
        return render(f"detail_mode_{course.mode}", lang, campuses=", ".join(course.campuses))
    if aspect == CAMPUS:
        return render("detail_campus", lang, campuses=", ".join(course.campuses))
    if aspect == START:
        open_cohorts = course.open_cohorts(today)
        if not open_cohorts:
            return render("detail_no_open_cohort", lang)
        return replies.join_lines(
            [render("detail_cohorts", lang)]
            + [replies.bullet_list([cohort_line(c, lang, today) for c in open_cohorts])]
        )
    if aspect == FEE:
        if course.fee_payer == "none" or not course.fee_kes:
            return render("detail_fee_free", lang)
        return render(f"detail_fee_{course.fee_payer}", lang, amount=format_money(course.fee_kes))
    if aspect == CERTIFICATE:
        if course.certification:
            return render("detail_certificate", lang, certification=course.certification)
        return render("detail_certificate_none", lang)
    if aspect == PREREQUISITES:
        if not course.prerequisites:
            return render("detail_prerequisites_none", lang)
        return render("detail_prerequisites", lang, codes=", ".join(course.prerequisites))
    if aspect == WHO_MAY_APPLY:
        text = render("detail_who_may_apply", lang, job_groups=job_group_range(course, lang))
        if course.requires_nomination:
            text += " " + render("detail_nomination", lang)
        if course.interns_allowed:
            text += " " + render("detail_interns_allowed", lang)
        return text
    raise ValueError(f"unknown aspect {aspect!r}")


def course_details(
    course: CourseInfo, aspects: Sequence[str], language: str | None, today: date
) -> str:
    """The answer to a question about ``course``: only the asked ``aspects``, or
    an overview of every key fact when none is recognised."""
    overview = not aspects
    chosen = ASPECTS if overview else tuple(a for a in ASPECTS if a in aspects)
    lines = [heading(course, language)]
    lines += [_aspect_text(a, course, language, today) for a in chosen]
    if course.is_sample:
        lines.append(render("sample_catalogue_note", language))
    return "\n".join(lines)


def course_buttons(
    courses: Iterable[CourseInfo], language: str | None, intent: str = "course_details"
) -> list[dict[str, str]]:
    return [
        {"title": heading(c, language), "payload": payload(intent, course=c.code)} for c in courses
    ]


def track_label(track: str, language: str | None) -> str:
    try:
        return render(f"track_{track}", language)
    except replies.MissingReply:
        return track.replace("_", " ").title()


def course_list(courses: Sequence[CourseInfo], language: str | None, today: date) -> str:
    """All courses, grouped by track in catalogue order, with the next intake."""
    lines = [render("course_list_intro", language, count=len(courses))]
    tracks: dict[str, list[CourseInfo]] = {}
    for course in courses:
        tracks.setdefault(course.track, []).append(course)
    for track, members in tracks.items():
        lines.append("")
        lines.append(f"*{track_label(track, language)}*")
        for course in members:
            upcoming = course.next_open_cohort(today)
            when = (
                render(
                    "course_list_next", language, start=format_date(upcoming.start_date, language)
                )
                if upcoming
                else render("course_list_none_open", language)
            )
            lines.append(f"• {heading(course, language)} — {when}")
    lines.append("")
    lines.append(render("course_list_outro", language))
    if any(c.is_sample for c in courses):
        lines.append(render("sample_catalogue_note", language))
    return "\n".join(lines)

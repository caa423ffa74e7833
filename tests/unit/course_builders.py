"""Courses and intakes as the bot holds them (:class:`bot.courses.CourseInfo`),
built in memory for tests of the plain-Python reply and form logic: no database.

:func:`course` makes one course with only the fields a test cares about changed;
:func:`sample_courses` converts the shipped sample catalogue (``courses.yml``), as
:mod:`bot.courses` would after seeding it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from bot.catalogue import CourseSpec, load_catalogue
from bot.courses import CohortInfo, CourseInfo

#: "Today" in the sample catalogue's story (see the comments in courses.yml).
TODAY = date(2026, 11, 28)


def cohort(
    code: str,
    start: date,
    *,
    campus: str = "Lower Kabete",
    capacity: int = 25,
    taken: int = 0,
    deadline: date | None = None,
    days: int = 25,
) -> CohortInfo:
    """An intake of the course whose code begins ``code`` ("CLD-201-2027-06");
    registration closes two weeks before the start unless ``deadline`` is given."""
    return CohortInfo(
        code=code,
        course_code=code[:7],
        start_date=start,
        end_date=start + timedelta(days=days),
        campus=campus,
        capacity=capacity,
        seats_taken=taken,
        registration_deadline=deadline or start - timedelta(days=14),
    )


def course(code: str = "CLD-201", **changes: Any) -> CourseInfo:
    """A course modelled on the cloud course, with ``changes`` applied. Not a
    sample, so no "sample catalogue" line is added to what it renders."""
    base = CourseInfo(
        code=code,
        title="Cloud Computing Fundamentals",
        title_sw="Misingi ya Kompyuta ya Wingu",
        track="cloud",
        summary="Virtual machines, storage and networking in the cloud.",
        summary_sw="Mashine pepe, uhifadhi na mitandao katika wingu.",
        min_job_group="J",
        max_job_group="R",
        mode="blended",
        campuses=("Lower Kabete",),
        duration="4 weeks",
        duration_sw="wiki 4",
        fee_kes=None,
        fee_payer="none",
        certification="HCIA-Cloud Computing aligned",
        requires_nomination=False,
        interns_allowed=False,
        prerequisites=("DLF-101",),
        is_sample=False,
        cohorts=(
            cohort(f"{code}-2027-03", date(2027, 3, 1), taken=25),  # full
            cohort(f"{code}-2027-06", date(2027, 6, 7), taken=5),
        ),
    )
    return replace(base, **changes)


def from_spec(spec: CourseSpec) -> CourseInfo:
    """A catalogue course as :mod:`bot.courses` reads it back after seeding."""
    return CourseInfo(
        code=spec.code,
        title=spec.title,
        title_sw=spec.title_sw,
        track=spec.track,
        summary=spec.summary,
        summary_sw=spec.summary_sw,
        min_job_group=spec.min_job_group,
        max_job_group=spec.max_job_group,
        mode=spec.mode.value,
        campuses=tuple(spec.campuses),
        duration=spec.duration,
        duration_sw=spec.duration_sw,
        fee_kes=spec.fee_kes,
        fee_payer=spec.fee_payer.value,
        certification=spec.certification,
        requires_nomination=spec.requires_nomination,
        interns_allowed=spec.interns_allowed,
        prerequisites=tuple(spec.prerequisites),
        is_sample=spec.is_sample,
        cohorts=tuple(
            CohortInfo(
                code=c.code,
                course_code=spec.code,
                start_date=c.start_date,
                end_date=c.end_date,
                campus=c.campus,
                capacity=c.capacity,
                seats_taken=c.seats_taken,
                registration_deadline=c.registration_deadline,
            )
            for c in sorted(spec.cohorts, key=lambda c: (c.start_date, c.code))
        ),
    )


@lru_cache(maxsize=1)
def sample_courses() -> dict[str, CourseInfo]:
    """The shipped sample catalogue by code, in catalogue order."""
    return {spec.code: from_spec(spec) for spec in load_catalogue().courses}

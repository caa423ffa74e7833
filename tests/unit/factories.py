"""Small builders for database tests: a course with one cohort, an officer."""

from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy.orm import Session

from bot.db.models import Cohort, Course, CourseMode, FeePayer, Officer

_numbers = itertools.count(1)


def make_cohort(
    session: Session,
    *,
    capacity: int = 5,
    seats_taken: int = 0,
    requires_nomination: bool = False,
) -> Cohort:
    """A course of its own (so tests never collide on codes) with one cohort."""
    n = next(_numbers)
    course = Course(
        code=f"TST-{n:03d}",
        title="Test course",
        title_sw="Kozi ya majaribio",
        track="foundations",
        summary="For tests.",
        summary_sw="Kwa majaribio.",
        min_job_group="A",
        max_job_group=None,
        mode=CourseMode.ONLINE,
        campuses=["eLDi"],
        duration="1 week",
        duration_sw="wiki 1",
        fee_kes=None,
        fee_payer=FeePayer.NONE,
        requires_nomination=requires_nomination,
        interns_allowed=False,
        is_sample=False,
    )
    cohort = Cohort(
        code=f"TST-{n:03d}-2027-01",
        course=course,
        start_date=date(2027, 1, 11),
        end_date=date(2027, 1, 15),
        campus="eLDi",
        capacity=capacity,
        seats_taken=seats_taken,
        registration_deadline=date(2027, 1, 4),
    )
    session.add_all([course, cohort])
    session.flush()
    return cohort


def make_officer(
    session: Session,
    name: str = "Test Officer",
    job_group: str = "K",
    *,
    personal_number: str | None = None,
) -> Officer:
    officer = Officer(
        full_name=name,
        job_group=job_group,
        employer="Ministry of Testing",
        personal_number=personal_number,
    )
    session.add(officer)
    session.flush()
    return officer


def make_officers(session: Session, count: int) -> list[int]:
    return [make_officer(session, f"Officer {i}").id for i in range(count)]

"""The live course catalogue, read from the enrolment database.

After seeding, the database is the source of truth: ``seats_taken`` moves with
every registration and withdrawal, and only the database knows it (the YAML
file's count is just where a cohort started; see :mod:`bot.catalogue`). So what
the bot says about seats, open cohorts and eligibility comes from here.

Plain async Python, no Rasa. The results are frozen dataclasses holding plain
values (enum values as ``str``), detached from the session: they can be kept,
compared and passed to :mod:`bot.eligibility` without touching the database
again. Rows are read as columns, not ORM objects, so a session that has already
loaded a cohort still sees the current seat count, not the one it cached.

Registration deadlines are Kenyan calendar days: :func:`today_in_kenya` gives
the date to compare them with, whatever zone the server runs in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Cohort, Course, course_prerequisites
from bot.eligibility import CohortRule, CourseRule

#: East Africa Time: UTC+3 all year (Kenya has no daylight saving time).
EAST_AFRICA_TIME = timezone(timedelta(hours=3), "EAT")


def today_in_kenya(now: datetime | None = None) -> date:
    """The calendar date in Kenya at ``now`` (default: the current time).

    A deadline of 4 January ends at midnight in Nairobi, which is 21:00 UTC on
    the 4th: a server on UTC must not accept a registration at 22:00 UTC. A naive
    ``now`` is refused rather than guessed (as :class:`bot.db.models.UTCDateTime`
    refuses one).
    """
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"naive datetime {now!r}: pass an aware one")
    return now.astimezone(EAST_AFRICA_TIME).date()


@dataclass(frozen=True)
class CohortInfo:
    """One intake, with its seat count as the database had it when read."""

    code: str
    course_code: str
    start_date: date
    end_date: date
    campus: str
    capacity: int
    seats_taken: int
    registration_deadline: date  # the last day to register, inclusive

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        """Full: registering now means the waitlist."""
        return self.seats_left == 0

    def is_open(self, today: date) -> bool:
        """Whether registrations are accepted on ``today`` (a Kenyan date, see
        :func:`today_in_kenya`), full or not."""
        return today <= self.registration_deadline

    def rule(self) -> CohortRule:
        return CohortRule(
            code=self.code,
            registration_deadline=self.registration_deadline,
            capacity=self.capacity,
            seats_taken=self.seats_taken,
            start_date=self.start_date,
        )


@dataclass(frozen=True)
class CourseInfo:
    """A course in the live catalogue; fields as in ``courses.yml`` (contract §5),
    ``mode`` and ``fee_payer`` as their stored values ("online", "employer")."""

    code: str
    title: str
    title_sw: str
    track: str
    summary: str
    summary_sw: str
    min_job_group: str
    max_job_group: str | None
    mode: str
    campuses: tuple[str, ...]
    duration: str
    duration_sw: str
    fee_kes: int | None
    fee_payer: str
    certification: str | None
    requires_nomination: bool
    interns_allowed: bool
    prerequisites: tuple[str, ...]
    is_sample: bool
    cohorts: tuple[CohortInfo, ...]  # by start date

    def open_cohorts(self, today: date) -> tuple[CohortInfo, ...]:
        """Cohorts still taking registrations on ``today``, full ones included
        (a full cohort has a waitlist), earliest start first."""
        return tuple(c for c in self.cohorts if c.is_open(today))

    def next_open_cohort(self, today: date) -> CohortInfo | None:
        """The earliest-starting cohort open on ``today``, full or not; None when
        registration has closed for every cohort."""
        return next(iter(self.open_cohorts(today)), None)

    def cohort(self, code: str) -> CohortInfo | None:
        return next((c for c in self.cohorts if c.code == code), None)

    def rule(self) -> CourseRule:
        """The course for :func:`bot.eligibility.check_eligibility`, with the live
        seat counts."""
        return CourseRule(
            code=self.code,
            min_job_group=self.min_job_group,
            max_job_group=self.max_job_group,
            prerequisites=self.prerequisites,
            interns_allowed=self.interns_allowed,
            requires_nomination=self.requires_nomination,
            cohorts=tuple(c.rule() for c in self.cohorts),
        )


_COURSE_COLUMNS = (
    Course.code, Course.title, Course.title_sw, Course.track, Course.summary,
    Course.summary_sw, Course.min_job_group, Course.max_job_group, Course.mode,
    Course.campuses, Course.duration, Course.duration_sw, Course.fee_kes,
    Course.fee_payer, Course.certification, Course.requires_nomination,
    Course.interns_allowed, Course.is_sample,
)  # fmt: skip
_COHORT_COLUMNS = (
    Cohort.code, Cohort.course_code, Cohort.start_date, Cohort.end_date, Cohort.campus,
    Cohort.capacity, Cohort.seats_taken, Cohort.registration_deadline,
)  # fmt: skip


async def _load(session: AsyncSession, code: str | None) -> list[CourseInfo]:
    """Active courses (all, or the one with ``code``) in three queries: courses,
    their prerequisites, their cohorts."""
    courses_query = select(*_COURSE_COLUMNS).where(Course.active).order_by(Course.code)
    if code is not None:
        courses_query = courses_query.where(Course.code == code)
    courses = (await session.execute(courses_query)).mappings().all()
    if not courses:
        return []
    codes = [c["code"] for c in courses]

    prerequisites: dict[str, list[str]] = defaultdict(list)
    for course_code, prerequisite in await session.execute(
        select(course_prerequisites.c.course_code, course_prerequisites.c.prerequisite_code)
        .where(course_prerequisites.c.course_code.in_(codes))
        .order_by(course_prerequisites.c.course_code, course_prerequisites.c.prerequisite_code)
    ):
        prerequisites[course_code].append(prerequisite)

    cohorts: dict[str, list[CohortInfo]] = defaultdict(list)
    for row in (
        await session.execute(
            select(*_COHORT_COLUMNS)
            .where(Cohort.course_code.in_(codes))
            .order_by(Cohort.start_date, Cohort.code)
        )
    ).mappings():
        cohorts[row["course_code"]].append(CohortInfo(**row))

    return [
        CourseInfo(
            **{
                **course,
                "mode": course["mode"].value,
                "fee_payer": course["fee_payer"].value,
                "campuses": tuple(course["campuses"] or ()),
            },
            prerequisites=tuple(prerequisites[course["code"]]),
            cohorts=tuple(cohorts[course["code"]]),
        )
        for course in courses
    ]


async def load_courses(session: AsyncSession) -> list[CourseInfo]:
    """Every active course, by code, each with its cohorts by start date.
    Deactivated courses (dropped from ``courses.yml``) are not offered."""
    return await _load(session, None)


async def load_course(session: AsyncSession, code: str) -> CourseInfo | None:
    """The active course with ``code`` ("cld-201 " is read as "CLD-201"), or None
    when there is none or it has been deactivated."""
    if not isinstance(code, str) or not code.strip():
        return None
    courses = await _load(session, code.strip().upper())
    return courses[0] if courses else None

"""The live catalogue read from the database (SQLite and PostgreSQL): the same
courses as the seeded file, with seat counts that follow registrations."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from bot.catalogue import Catalogue
from bot.courses import CohortInfo, CourseInfo, load_course, load_courses, today_in_kenya
from bot.db.models import Cohort, Course
from bot.eligibility import Officer as EligibleOfficer
from bot.eligibility import check_eligibility
from bot.enrolment import enrol_officer
from tests.unit.factories import make_officers


def cohort_info(**changes) -> CohortInfo:
    fields = {
        "code": "TST-001-2027-01",
        "course_code": "TST-001",
        "start_date": date(2027, 1, 11),
        "end_date": date(2027, 1, 15),
        "campus": "eLDi",
        "capacity": 5,
        "seats_taken": 0,
        "registration_deadline": date(2027, 1, 4),
    }
    return CohortInfo(**{**fields, **changes})


async def test_the_live_catalogue_is_the_seeded_file(
    seeded: sessionmaker, async_sessions: sessionmaker, catalogue: Catalogue
) -> None:
    async with async_sessions() as session:
        courses = await load_courses(session)
    assert [c.code for c in courses] == sorted(c.code for c in catalogue.courses)
    for course in courses:
        spec = catalogue.course(course.code)
        assert isinstance(course, CourseInfo)
        assert (course.title, course.title_sw, course.track) == (
            spec.title,
            spec.title_sw,
            spec.track,
        )
        assert (course.summary, course.summary_sw) == (spec.summary, spec.summary_sw)
        assert (course.min_job_group, course.max_job_group) == (
            spec.min_job_group,
            spec.max_job_group,
        )
        assert course.mode == spec.mode.value and isinstance(course.mode, str)
        assert course.fee_payer == spec.fee_payer.value and isinstance(course.fee_payer, str)
        assert course.campuses == spec.campuses
        assert (course.duration, course.duration_sw) == (spec.duration, spec.duration_sw)
        assert (course.fee_kes, course.certification) == (spec.fee_kes, spec.certification)
        assert course.requires_nomination == spec.requires_nomination
        assert course.interns_allowed == spec.interns_allowed
        assert course.is_sample == spec.is_sample
        assert course.prerequisites == tuple(sorted(spec.prerequisites))
        assert [c.code for c in course.cohorts] == [
            c.code for c in sorted(spec.cohorts, key=lambda c: c.start_date)
        ]
        for cohort in course.cohorts:
            file = next(c for c in spec.cohorts if c.code == cohort.code)
            assert cohort.course_code == course.code
            assert (cohort.start_date, cohort.end_date, cohort.campus) == (
                file.start_date,
                file.end_date,
                file.campus,
            )
            assert (cohort.capacity, cohort.seats_taken) == (file.capacity, file.seats_taken)
            assert cohort.registration_deadline == file.registration_deadline


async def test_one_course_by_code(seeded: sessionmaker, async_sessions: sessionmaker) -> None:
    async with async_sessions() as session:
        cld = await load_course(session, " cld-201 ")
        assert await load_course(session, "XYZ-999") is None
        assert await load_course(session, "") is None
    assert cld is not None and cld.code == "CLD-201"
    assert cld.prerequisites == ("DLF-101",)
    full = cld.cohort("CLD-201-2027-03")
    assert full is not None and full.is_full and full.seats_left == 0
    assert cld.cohort("nope") is None


async def test_a_deactivated_course_is_not_offered(
    seeded: sessionmaker, async_sessions: sessionmaker
) -> None:
    with seeded.begin() as session:
        session.execute(update(Course).where(Course.code == "DSD-203").values(active=False))
    async with async_sessions() as session:
        assert "DSD-203" not in [c.code for c in await load_courses(session)]
        assert await load_course(session, "DSD-203") is None


async def test_seat_counts_follow_registrations_even_in_a_session_that_read_them(
    seeded: sessionmaker, async_sessions: sessionmaker
) -> None:
    with seeded.begin() as session:
        cohort_id = session.scalar(select(Cohort.id).where(Cohort.code == "DGP-202-2027-06"))
        officers = make_officers(session, 3)
    async with async_sessions() as session:
        before = (await load_course(session, "DGP-202")).cohort("DGP-202-2027-06")
        # The ORM has this cohort cached now; the enrolments below change the count.
        await session.get(Cohort, cohort_id)
        async with session.begin_nested():
            for officer in officers:
                await enrol_officer(session, officer, cohort_id, channel="rest", sender_id="s")
        after = (await load_course(session, "DGP-202")).cohort("DGP-202-2027-06")
    assert before.seats_taken == 0 and before.seats_left == 100
    assert after.seats_taken == 3 and after.seats_left == 97


def test_cohort_seats_and_deadline() -> None:
    cohort = cohort_info(capacity=5, seats_taken=3)
    assert cohort.seats_left == 2 and not cohort.is_full
    assert cohort_info(seats_taken=5).is_full
    assert cohort.is_open(date(2027, 1, 4))  # the deadline day itself
    assert not cohort.is_open(date(2027, 1, 5))


def _course(*cohorts: CohortInfo) -> CourseInfo:
    return CourseInfo(
        code="TST-001", title="t", title_sw="t", track="foundations", summary="s",
        summary_sw="s", min_job_group="J", max_job_group="R", mode="online",
        campuses=("eLDi",), duration="1 week", duration_sw="wiki 1", fee_kes=None,
        fee_payer="none", certification=None, requires_nomination=False,
        interns_allowed=False, prerequisites=("DLF-101",), is_sample=True, cohorts=cohorts,
    )  # fmt: skip


def test_the_next_open_cohort_is_the_earliest_open_one_even_when_full() -> None:
    closed = cohort_info(code="A", registration_deadline=date(2027, 1, 4))
    full = cohort_info(
        code="B", start_date=date(2027, 3, 1), end_date=date(2027, 3, 5),
        registration_deadline=date(2027, 2, 12), seats_taken=5,
    )  # fmt: skip
    later = cohort_info(
        code="C", start_date=date(2027, 6, 7), end_date=date(2027, 6, 11),
        registration_deadline=date(2027, 5, 21),
    )  # fmt: skip
    course = _course(closed, full, later)
    assert [c.code for c in course.open_cohorts(date(2027, 1, 5))] == ["B", "C"]
    assert course.next_open_cohort(date(2027, 1, 5)).code == "B"
    assert course.next_open_cohort(date(2027, 1, 4)).code == "A"
    assert course.next_open_cohort(date(2027, 5, 22)) is None
    assert course.open_cohorts(date(2027, 5, 22)) == ()


async def test_the_rule_carries_live_seats_into_eligibility(
    seeded: sessionmaker, async_sessions: sessionmaker
) -> None:
    async with async_sessions() as session:
        cld = await load_course(session, "CLD-201")
    rule = cld.rule()
    assert rule.code == "CLD-201" and rule.prerequisites == ("DLF-101",)
    assert (rule.min_job_group, rule.max_job_group) == ("J", "R")
    assert [c.code for c in rule.cohorts] == [c.code for c in cld.cohorts]
    assert rule.cohorts[0].seats_taken == 25 and rule.cohorts[0].start_date == date(2027, 3, 1)
    officer = EligibleOfficer(job_group="K", completed=frozenset({"DLF-101"}))
    verdict = check_eligibility(rule, officer, date(2027, 2, 1))
    assert verdict.eligible and not verdict.waitlist_only
    assert "CLD-201-2027-03" in verdict.open_cohorts
    assert "CLD-201-2027-03" not in verdict.cohorts_with_seats

    with seeded.begin() as session:  # the other cohorts fill up
        session.execute(
            update(Cohort).where(Cohort.course_code == "CLD-201").values(seats_taken=25)
        )
    async with async_sessions() as session:
        verdict = check_eligibility(
            (await load_course(session, "CLD-201")).rule(), officer, date(2027, 2, 1)
        )
    assert verdict.eligible and verdict.waitlist_only


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2027, 1, 4, 20, 59, tzinfo=timezone.utc), date(2027, 1, 4)),
        (datetime(2027, 1, 4, 21, 0, tzinfo=timezone.utc), date(2027, 1, 5)),
        (datetime(2027, 1, 5, 0, 30, tzinfo=timezone(timedelta(hours=3))), date(2027, 1, 5)),
        (datetime(2027, 1, 4, 23, 0, tzinfo=timezone(timedelta(hours=-5))), date(2027, 1, 5)),
    ],
)
def test_today_is_the_date_in_kenya(now: datetime, expected: date) -> None:
    assert today_in_kenya(now) == expected


def test_today_in_kenya_refuses_a_naive_time_and_defaults_to_now() -> None:
    with pytest.raises(ValueError, match="naive"):
        today_in_kenya(datetime(2027, 1, 4, 12, 0))
    expected = (datetime.now(timezone.utc) + timedelta(hours=3)).date()
    assert today_in_kenya() in {
        expected,
        expected - timedelta(days=1),
        expected + timedelta(days=1),
    }

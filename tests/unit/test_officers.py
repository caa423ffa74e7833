"""Officers, their chat identities, verification, enrolment views, own changes and
withdrawals, against real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker

from bot.db.models import ChannelIdentity, Cohort, Enrolment, EnrolmentStatus, Officer
from bot.enrolment import EnrolmentNotFound, OfficerNotFound, enrol_officer
from bot.officers import (
    EnrolmentView,
    completed_courses,
    enrolment_view,
    enrolments_of,
    link_identity,
    officer_by_personal_number,
    officer_for_identity,
    update_details,
    verify_officer,
    withdraw_for_officer,
)
from tests.unit.factories import make_cohort, make_officer


def two_officers(sessions: sessionmaker) -> tuple[int, int]:
    with sessions.begin() as session:
        return (
            make_officer(session, "Amina", personal_number="1000001").id,
            make_officer(session, "Baraka", personal_number="1000002").id,
        )


def cohorts(sessions: sessionmaker, count: int, **kwargs) -> list[int]:
    with sessions.begin() as session:
        return [make_cohort(session, **kwargs).id for _ in range(count)]


async def enrol(async_sessions: sessionmaker, officer_id: int, cohort_id: int) -> Enrolment:
    async with async_sessions() as session, session.begin():
        result = await enrol_officer(
            session, officer_id, cohort_id, channel="rest", sender_id=f"s-{officer_id}"
        )
        return result.enrolment


async def identities(async_sessions: sessionmaker) -> list[tuple[int, str, str]]:
    async with async_sessions() as session:
        rows = await session.execute(
            select(ChannelIdentity.officer_id, ChannelIdentity.channel, ChannelIdentity.sender_id)
        )
        return sorted(rows.all())


# ------------------------------------------------------------ identities


async def test_an_identity_speaks_for_the_officer_it_is_linked_to(sessions, async_sessions) -> None:
    amina, baraka = two_officers(sessions)
    async with async_sessions() as session, session.begin():
        assert await officer_for_identity(session, "whatsapp", "2547") is None
        await link_identity(session, amina, "whatsapp", "2547")
        found = await officer_for_identity(session, "whatsapp", "2547")
        assert found is not None and found.id == amina
        assert await officer_for_identity(session, "rest", "2547") is None  # other channel


async def test_linking_twice_changes_nothing(sessions, async_sessions) -> None:
    amina, _ = two_officers(sessions)
    for _ in range(2):
        async with async_sessions() as session, session.begin():
            await link_identity(session, amina, "rest", "web-1")
    assert await identities(async_sessions) == [(amina, "rest", "web-1")]


async def test_the_latest_proof_wins_an_identity(sessions, async_sessions) -> None:
    amina, baraka = two_officers(sessions)
    async with async_sessions() as session, session.begin():
        await link_identity(session, amina, "rest", "shared-phone")
    async with async_sessions() as session, session.begin():
        await link_identity(session, baraka, "rest", "shared-phone")
    assert await identities(async_sessions) == [(baraka, "rest", "shared-phone")]


async def test_linking_to_an_unknown_officer_is_an_error(sessions, async_sessions) -> None:
    two_officers(sessions)
    async with async_sessions() as session, session.begin():
        with pytest.raises(OfficerNotFound):
            await link_identity(session, 999_999, "rest", "x")


async def test_linking_the_same_identity_at_once_makes_one_link(sessions, async_sessions) -> None:
    amina, _ = two_officers(sessions)

    async def link() -> None:
        async with async_sessions() as session, session.begin():
            await link_identity(session, amina, "rest", "double-tap")

    await asyncio.gather(*(link() for _ in range(5)))
    assert await identities(async_sessions) == [(amina, "rest", "double-tap")]


async def test_officer_by_personal_number(sessions, async_sessions) -> None:
    amina, _ = two_officers(sessions)
    async with async_sessions() as session:
        assert (await officer_by_personal_number(session, "100 0001")).id == amina
        assert await officer_by_personal_number(session, "1000009") is None
        assert await officer_by_personal_number(session, "  ") is None


# ------------------------------------------------------------ verification


async def test_verification_needs_the_number_and_one_of_their_references(
    sessions, async_sessions
) -> None:
    amina, baraka = two_officers(sessions)
    [cohort] = cohorts(sessions, 1)
    aminas = await enrol(async_sessions, amina, cohort)
    barakas = await enrol(async_sessions, baraka, cohort)
    code = aminas.reference.split("-")[1]
    async with async_sessions() as session:
        assert (await verify_officer(session, "1000001", aminas.reference)).id == amina
        assert (await verify_officer(session, "1000 001", f"ksg {code.lower()}")).id == amina
        assert (await verify_officer(session, "1000001", code)).id == amina
        # Right personal number with someone else's (real) reference: refused.
        assert await verify_officer(session, "1000001", barakas.reference) is None
        assert await verify_officer(session, "1000002", aminas.reference) is None
        assert await verify_officer(session, "1000009", aminas.reference) is None
        assert await verify_officer(session, "1000001", "KSG-222222") is None
        assert await verify_officer(session, "1000001", "not a reference") is None
        assert await verify_officer(session, "", aminas.reference) is None


async def test_a_withdrawn_enrolment_still_proves_who_they_are(sessions, async_sessions) -> None:
    amina, _ = two_officers(sessions)
    [cohort] = cohorts(sessions, 1)
    enrolment = await enrol(async_sessions, amina, cohort)
    async with async_sessions() as session, session.begin():
        assert await withdraw_for_officer(session, amina, enrolment.reference) is not None
    async with async_sessions() as session:
        assert (await verify_officer(session, "1000001", enrolment.reference)).id == amina


# ------------------------------------------------------------ enrolments


async def test_completed_courses(sessions, async_sessions) -> None:
    amina, baraka = two_officers(sessions)
    first, second, third = cohorts(sessions, 3)
    done = await enrol(async_sessions, amina, first)
    await enrol(async_sessions, amina, second)
    await enrol(async_sessions, baraka, third)
    with sessions.begin() as session:
        session.execute(
            update(Enrolment)
            .where(Enrolment.id == done.id)
            .values(status=EnrolmentStatus.COMPLETED)
        )
        first_course = session.get(Cohort, first).course_code
    async with async_sessions() as session:
        assert await completed_courses(session, amina) == frozenset({first_course})
        assert await completed_courses(session, baraka) == frozenset()


async def test_enrolments_of_lists_history_newest_cohort_first(sessions, async_sessions) -> None:
    amina, _ = two_officers(sessions)
    early, late = cohorts(sessions, 2)
    with sessions.begin() as session:
        session.get(Cohort, late).start_date = date(2027, 2, 1)
        session.get(Cohort, late).end_date = date(2027, 2, 5)
        late_code = session.get(Cohort, late).code
        early_cohort = session.get(Cohort, early)
        early_code, course_code = early_cohort.code, early_cohort.course_code
    withdrawn = await enrol(async_sessions, amina, early)
    async with async_sessions() as session, session.begin():
        await withdraw_for_officer(session, amina, withdrawn.reference)
    again = await enrol(async_sessions, amina, early)
    latest = await enrol(async_sessions, amina, late)

    async with async_sessions() as session:
        views = await enrolments_of(session, amina)
    assert [(v.cohort_code, v.reference, v.status) for v in views] == [
        (late_code, latest.reference, "confirmed"),
        (early_code, again.reference, "confirmed"),
        (early_code, withdrawn.reference, "withdrawn"),
    ]
    view = views[1]
    assert isinstance(view, EnrolmentView)
    assert view.course_code == course_code
    assert (view.course_title, view.course_title_sw) == ("Test course", "Kozi ya majaribio")
    assert (view.start_date, view.end_date, view.campus) == (
        date(2027, 1, 11),
        date(2027, 1, 15),
        "eLDi",
    )
    assert view.created_at.tzinfo is not None and view.status_changed_at.tzinfo is not None
    assert view.promoted_at is None and view.waitlist_position is None
    assert view.declared_prerequisites == ()


async def test_waitlist_positions_and_promotion(sessions, async_sessions) -> None:
    [cohort] = cohorts(sessions, 1, capacity=1)
    with sessions.begin() as session:
        officers = [
            make_officer(session, f"Officer {i}", personal_number=f"20000{i}").id for i in range(4)
        ]
    enrolments = [await enrol(async_sessions, o, cohort) for o in officers]

    async def positions() -> list[tuple[str, int | None]]:
        async with async_sessions() as session:
            return [
                ((view := (await enrolments_of(session, o))[0]).status, view.waitlist_position)
                for o in officers
            ]

    assert await positions() == [
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
        ("waitlisted", 3),
    ]
    async with async_sessions() as session, session.begin():
        outcome = await withdraw_for_officer(session, officers[0], enrolments[0].reference)
    assert outcome.promoted.id == enrolments[1].id
    assert await positions() == [
        ("withdrawn", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    async with async_sessions() as session:
        promoted = await enrolment_view(session, enrolments[1].id)
        assert promoted.promoted_at is not None
        assert promoted.promoted_at == promoted.status_changed_at
        assert (await enrolment_view(session, enrolments[0].id)).promoted_at is None


async def test_an_unknown_enrolment_has_no_view(sessions, async_sessions) -> None:
    async with async_sessions() as session:
        with pytest.raises(EnrolmentNotFound):
            await enrolment_view(session, 999_999)


# ------------------------------------------------------------ own changes


async def officer_row(async_sessions: sessionmaker, officer_id: int) -> Officer:
    async with async_sessions() as session:
        return await session.get(Officer, officer_id)


async def test_updating_details_reports_only_real_changes(sessions, async_sessions) -> None:
    amina, _ = two_officers(sessions)
    before = await officer_row(async_sessions, amina)
    async with async_sessions() as session, session.begin():
        changed = await update_details(
            session,
            amina,
            {
                "email": "amina@example.go.ke",
                "employer": "Ministry of Testing",  # as it was
                "job_group": "l",
                "phone_number": "+254712345678",
            },
        )
    assert changed == ["email", "job_group", "phone_number"]
    after = await officer_row(async_sessions, amina)
    assert (after.email, after.job_group, after.phone_number, after.employer) == (
        "amina@example.go.ke",
        "L",
        "+254712345678",
        "Ministry of Testing",
    )
    assert after.updated_at >= before.updated_at

    async with async_sessions() as session, session.begin():
        assert await update_details(session, amina, {"email": "amina@example.go.ke"}) == []
        assert await update_details(session, amina, {"phone_number": None}) == ["phone_number"]
    assert (await officer_row(async_sessions, amina)).phone_number is None


@pytest.mark.parametrize(
    "changes",
    [
        {"full_name": "Someone Else"},
        {"personal_number": "999"},
        {"email": "x@example.go.ke", "terms_of_service": "permanent"},
        {"job_group": "O"},
    ],
)
async def test_other_fields_and_bad_job_groups_are_refused(
    sessions, async_sessions, changes
) -> None:
    amina, _ = two_officers(sessions)
    async with async_sessions() as session, session.begin():
        with pytest.raises(ValueError):
            await update_details(session, amina, changes)
    after = await officer_row(async_sessions, amina)
    assert (after.full_name, after.personal_number, after.email, after.job_group) == (
        "Amina",
        "1000001",
        None,
        "K",
    )


async def test_updating_an_unknown_officer_is_an_error(sessions, async_sessions) -> None:
    async with async_sessions() as session, session.begin():
        with pytest.raises(OfficerNotFound):
            await update_details(session, 999_999, {"email": "x@example.go.ke"})


# ------------------------------------------------------------ withdrawal


async def status_of(async_sessions: sessionmaker, enrolment_id: int) -> EnrolmentStatus:
    async with async_sessions() as session:
        return await session.scalar(select(Enrolment.status).where(Enrolment.id == enrolment_id))


async def test_an_officer_withdraws_their_own_enrolment(sessions, async_sessions) -> None:
    amina, _ = two_officers(sessions)
    [cohort] = cohorts(sessions, 1)
    enrolment = await enrol(async_sessions, amina, cohort)
    typed = enrolment.reference.lower().replace("-", " ")
    async with async_sessions() as session, session.begin():
        result = await withdraw_for_officer(session, amina, typed)
    assert result is not None and result.changed and result.enrolment.id == enrolment.id
    assert await status_of(async_sessions, enrolment.id) is EnrolmentStatus.WITHDRAWN
    async with async_sessions() as session, session.begin():  # not active any more
        assert await withdraw_for_officer(session, amina, enrolment.reference) is None


async def test_another_officers_enrolment_is_never_touched(sessions, async_sessions) -> None:
    amina, baraka = two_officers(sessions)
    [cohort] = cohorts(sessions, 1)
    barakas = await enrol(async_sessions, baraka, cohort)
    async with async_sessions() as session, session.begin():
        assert await withdraw_for_officer(session, amina, barakas.reference) is None
        assert await withdraw_for_officer(session, amina, "KSG-222222") is None
        assert await withdraw_for_officer(session, amina, "rubbish") is None
    assert await status_of(async_sessions, barakas.id) is EnrolmentStatus.CONFIRMED
    async with async_sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Enrolment)) == 1
        assert await session.scalar(select(Cohort.seats_taken).where(Cohort.id == cohort)) == 1

"""Enrolment rules against real databases: seats, nomination, the waitlist, no
duplicates, and capacity that holds under concurrent registrations."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot import enrolment as enrolment_module
from bot.db.models import Cohort, Enrolment, EnrolmentStatus
from bot.enrolment import (
    CohortNotFound,
    EnrolmentResult,
    OfficerNotFound,
    enrol_officer,
    withdraw_enrolment,
)
from bot.reference import ALPHABET
from tests.unit.factories import make_cohort, make_officers


def setup(sessions: sessionmaker, *, officers: int = 1, **cohort) -> tuple[int, list[int]]:
    with sessions.begin() as session:
        return make_cohort(session, **cohort).id, make_officers(session, officers)


async def enrol(async_sessions: sessionmaker, officer_id: int, cohort_id: int) -> EnrolmentResult:
    """One registration in its own transaction, as the action server runs it."""
    async with async_sessions() as session, session.begin():
        return await enrol_officer(
            session, officer_id, cohort_id, channel="rest", sender_id=f"sender-{officer_id}"
        )


async def withdraw(async_sessions: sessionmaker, enrolment_id: int):
    async with async_sessions() as session, session.begin():
        return await withdraw_enrolment(session, enrolment_id)


async def seats_taken(async_sessions: sessionmaker, cohort_id: int) -> int:
    async with async_sessions() as session:
        return await session.scalar(select(Cohort.seats_taken).where(Cohort.id == cohort_id))


async def statuses(async_sessions: sessionmaker, cohort_id: int) -> Counter:
    async with async_sessions() as session:
        rows = await session.execute(
            select(Enrolment.status, func.count())
            .where(Enrolment.cohort_id == cohort_id)
            .group_by(Enrolment.status)
        )
        return Counter(dict(rows.all()))


async def test_a_free_seat_confirms_with_a_reference(sessions, async_sessions) -> None:
    cohort_id, [officer] = setup(sessions)
    result = await enrol(async_sessions, officer, cohort_id)
    assert result.created and result.status is EnrolmentStatus.CONFIRMED
    assert re.fullmatch(rf"KSG-[{ALPHABET}]{{6}}", result.reference)
    assert result.enrolment.channel == "rest" and result.enrolment.sender_id == f"sender-{officer}"
    assert result.enrolment.created_at.tzinfo is not None
    assert await seats_taken(async_sessions, cohort_id) == 1


async def test_a_new_enrolment_records_declared_prerequisites(sessions, async_sessions) -> None:
    cohort_id, [officer, other] = setup(sessions, officers=2)
    async with async_sessions() as session, session.begin():
        result = await enrol_officer(
            session,
            officer,
            cohort_id,
            channel="rest",
            sender_id="s",
            declared_prerequisites=[" dlf-101", "AIP-201", "DLF-101", ""],
        )
    assert result.enrolment.declared_prerequisites == ["AIP-201", "DLF-101"]
    assert result.enrolment.promoted_at is None
    async with async_sessions() as session, session.begin():
        again = await enrol_officer(
            session, officer, cohort_id, channel="rest", sender_id="s",
            declared_prerequisites=["CLD-201"],
        )  # fmt: skip
    assert not again.created and again.enrolment.declared_prerequisites == ["AIP-201", "DLF-101"]
    plain = await enrol(async_sessions, other, cohort_id)
    assert plain.enrolment.declared_prerequisites == []


async def test_a_course_needing_nomination_holds_the_seat_pending(sessions, async_sessions) -> None:
    cohort_id, [officer] = setup(sessions, requires_nomination=True)
    result = await enrol(async_sessions, officer, cohort_id)
    assert result.status is EnrolmentStatus.PENDING_NOMINATION
    assert await seats_taken(async_sessions, cohort_id) == 1


async def test_a_full_cohort_waitlists(seeded, async_sessions) -> None:
    with seeded.begin() as session:
        full = session.scalars(select(Cohort).where(Cohort.code == "CLD-201-2027-03")).one()
        [officer] = make_officers(session, 1)
    result = await enrol(async_sessions, officer, full.id)
    assert result.created and result.status is EnrolmentStatus.WAITLISTED
    assert await seats_taken(async_sessions, full.id) == 25


async def test_registering_again_returns_the_same_enrolment(sessions, async_sessions) -> None:
    cohort_id, [officer] = setup(sessions)
    first = await enrol(async_sessions, officer, cohort_id)
    again = await enrol(async_sessions, officer, cohort_id)
    assert not again.created and again.reference == first.reference
    assert await statuses(async_sessions, cohort_id) == Counter({EnrolmentStatus.CONFIRMED: 1})
    assert await seats_taken(async_sessions, cohort_id) == 1


async def test_after_withdrawing_a_new_registration_gets_a_new_reference(
    sessions, async_sessions
) -> None:
    cohort_id, [officer] = setup(sessions)
    first = await enrol(async_sessions, officer, cohort_id)
    await withdraw(async_sessions, first.enrolment.id)
    second = await enrol(async_sessions, officer, cohort_id)
    assert second.created and second.reference != first.reference
    assert second.status is EnrolmentStatus.CONFIRMED
    assert await seats_taken(async_sessions, cohort_id) == 1


async def test_unknown_cohort_or_officer_is_an_error(sessions, async_sessions) -> None:
    cohort_id, [officer] = setup(sessions)
    with pytest.raises(CohortNotFound):
        await enrol(async_sessions, officer, 999_999)
    with pytest.raises(OfficerNotFound):
        await enrol(async_sessions, 999_999, cohort_id)


async def test_a_reference_collision_is_retried(sessions, async_sessions, monkeypatch) -> None:
    cohort_id, [first_officer, second_officer] = setup(sessions, officers=2)
    taken = (await enrol(async_sessions, first_officer, cohort_id)).reference
    offered = iter([taken, taken, "KSG-FRESH2"])
    monkeypatch.setattr(enrolment_module, "new_reference", lambda prefix: next(offered))
    result = await enrol(async_sessions, second_officer, cohort_id)
    assert result.created and result.reference == "KSG-FRESH2"
    assert await seats_taken(async_sessions, cohort_id) == 2  # failed tries gave seats back


async def test_thirty_officers_racing_for_five_seats(sessions, async_sessions) -> None:
    cohort_id, officers = setup(sessions, officers=30, capacity=5)
    results = await asyncio.gather(*(enrol(async_sessions, o, cohort_id) for o in officers))
    assert Counter(r.status for r in results) == Counter(
        {EnrolmentStatus.CONFIRMED: 5, EnrolmentStatus.WAITLISTED: 25}
    )
    assert await statuses(async_sessions, cohort_id) == Counter(
        {EnrolmentStatus.CONFIRMED: 5, EnrolmentStatus.WAITLISTED: 25}
    )
    assert await seats_taken(async_sessions, cohort_id) == 5


async def test_one_officer_registering_ten_times_at_once_gets_one_enrolment(
    sessions, async_sessions
) -> None:
    cohort_id, [officer] = setup(sessions, capacity=5)
    results = await asyncio.gather(*(enrol(async_sessions, officer, cohort_id) for _ in range(10)))
    assert len({r.reference for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert await statuses(async_sessions, cohort_id) == Counter({EnrolmentStatus.CONFIRMED: 1})
    assert await seats_taken(async_sessions, cohort_id) == 1


async def test_withdrawing_passes_the_seat_to_the_first_waitlisted(
    sessions, async_sessions
) -> None:
    cohort_id, officers = setup(sessions, officers=4, capacity=2)
    results = [await enrol(async_sessions, o, cohort_id) for o in officers]
    assert [r.status for r in results] == [EnrolmentStatus.CONFIRMED] * 2 + [
        EnrolmentStatus.WAITLISTED
    ] * 2
    waited_since = results[2].enrolment.status_changed_at

    outcome = await withdraw(async_sessions, results[0].enrolment.id)
    assert outcome.changed and outcome.enrolment.status is EnrolmentStatus.WITHDRAWN
    assert outcome.promoted is not None and outcome.promoted.id == results[2].enrolment.id
    assert outcome.promoted.status is EnrolmentStatus.CONFIRMED
    assert outcome.promoted.status_changed_at > waited_since
    assert outcome.promoted.promoted_at == outcome.promoted.status_changed_at
    assert outcome.enrolment.promoted_at is None  # withdrawn, never promoted
    assert results[3].enrolment.promoted_at is None  # still waiting
    assert await seats_taken(async_sessions, cohort_id) == 2
    assert await statuses(async_sessions, cohort_id) == Counter(
        {
            EnrolmentStatus.CONFIRMED: 2,
            EnrolmentStatus.WAITLISTED: 1,
            EnrolmentStatus.WITHDRAWN: 1,
        }
    )

    again = await withdraw(async_sessions, results[0].enrolment.id)
    assert not again.changed and again.promoted is None
    assert await seats_taken(async_sessions, cohort_id) == 2


async def test_promotion_on_a_nomination_course_is_pending(sessions, async_sessions) -> None:
    cohort_id, officers = setup(sessions, officers=2, capacity=1, requires_nomination=True)
    first, second = [await enrol(async_sessions, o, cohort_id) for o in officers]
    outcome = await withdraw(async_sessions, first.enrolment.id)
    assert outcome.promoted.id == second.enrolment.id
    assert outcome.promoted.status is EnrolmentStatus.PENDING_NOMINATION


async def test_withdrawing_frees_the_seat_when_nobody_waits(sessions, async_sessions) -> None:
    cohort_id, officers = setup(sessions, officers=2, capacity=1)
    first, second = [await enrol(async_sessions, o, cohort_id) for o in officers]
    await withdraw(async_sessions, second.enrolment.id)  # the waitlisted one: no seat held
    assert await seats_taken(async_sessions, cohort_id) == 1
    outcome = await withdraw(async_sessions, first.enrolment.id)
    assert outcome.promoted is None
    assert await seats_taken(async_sessions, cohort_id) == 0


async def test_concurrent_withdrawals_promote_each_waiting_officer_once(
    sessions, async_sessions
) -> None:
    cohort_id, officers = setup(sessions, officers=8, capacity=4)
    results = [await enrol(async_sessions, o, cohort_id) for o in officers]
    outcomes = await asyncio.gather(
        *(withdraw(async_sessions, r.enrolment.id) for r in results[:4])
    )
    assert sorted(o.promoted.id for o in outcomes) == sorted(r.enrolment.id for r in results[4:])
    assert await statuses(async_sessions, cohort_id) == Counter(
        {EnrolmentStatus.CONFIRMED: 4, EnrolmentStatus.WITHDRAWN: 4}
    )
    assert await seats_taken(async_sessions, cohort_id) == 4


async def test_the_caller_owns_the_transaction(sessions, async_sessions) -> None:
    cohort_id, [officer] = setup(sessions)
    session: AsyncSession
    async with async_sessions() as session:
        await session.begin()
        await enrol_officer(session, officer, cohort_id, channel="rest", sender_id="s")
        await session.rollback()
    assert await statuses(async_sessions, cohort_id) == Counter()
    assert await seats_taken(async_sessions, cohort_id) == 0

"""Registering through :func:`bot.registration_service.register_officer` against real
databases (SQLite and PostgreSQL): what is written, what is refused without a
trace, and capacity and duplicates under concurrent registrations."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.db.models import (
    Base,
    ChannelIdentity,
    Cohort,
    Consent,
    Course,
    Enrolment,
    EnrolmentStatus,
    Officer,
)
from bot.officers import OfficerDetails, enrolments_of
from bot.registration_service import (
    CLOSED,
    COHORT_NOT_FOUND,
    CONSENT_PURPOSE,
    CREATED,
    EXISTING,
    IDENTITY_CONFLICT,
    ConsentGiven,
    RegistrationOutcome,
    register_officer,
)
from tests.unit.factories import make_cohort

TODAY = date(2027, 1, 2)  # the factories' cohorts close on 4 January 2027
CONSENT = ConsentGiven(
    notice_version="2026-11",
    language="sw",
    given_at=datetime(2027, 1, 2, 7, 0, tzinfo=timezone.utc),
)


def details(n: int = 1, **changes: Any) -> OfficerDetails:
    fields = {
        "full_name": f"Officer {n}",
        "personal_number": f"{3000000 + n}",
        "email": f"officer{n}@example.go.ke",
        "phone_number": f"+2547{10000000 + n}",
        "employer": "State Department for ICT",
        "job_group": "K",
        "terms_of_service": "permanent",
    }
    return OfficerDetails(**{**fields, **changes})


def new_cohort(sessions: sessionmaker, **kwargs: Any) -> str:
    with sessions.begin() as session:
        return make_cohort(session, **kwargs).code


async def register(
    async_sessions: sessionmaker,
    officer: OfficerDetails,
    cohort_code: str,
    *,
    sender_id: str | None = None,
    channel: str = "whatsapp",
    today: date = TODAY,
    **kwargs: Any,
) -> RegistrationOutcome:
    """One registration in its own transaction, as the action server runs it."""
    async with async_sessions() as session, session.begin():
        return await register_officer(
            session,
            officer,
            cohort_code,
            channel=channel,
            sender_id=sender_id or f"sender-{officer.personal_number}",
            consent=CONSENT,
            today=today,
            **kwargs,
        )


async def snapshot(async_sessions: sessionmaker) -> dict[str, list[tuple]]:
    """Every row of every table: to show that a refusal wrote nothing."""
    async with async_sessions() as session:
        result = {}
        for table in Base.metadata.sorted_tables:
            rows = await session.execute(select(table).order_by(*table.primary_key.columns))
            result[table.name] = [tuple(row) for row in rows.all()]
        return result


async def count(async_sessions: sessionmaker, model: Any, *where: Any) -> int:
    async with async_sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def seats_taken(async_sessions: sessionmaker, cohort_code: str) -> int:
    async with async_sessions() as session:
        return await session.scalar(select(Cohort.seats_taken).where(Cohort.code == cohort_code))


# ------------------------------------------------------------ created / existing


async def test_a_new_officer_is_registered_with_everything_recorded(
    sessions, async_sessions
) -> None:
    cohort = new_cohort(sessions)
    outcome = await register(
        async_sessions,
        details(1, full_name="  Amina   Wanjiru ", job_group="k", terms_of_service="Attaché"),
        cohort,
        sender_id="254711000001",
        declared_prerequisites=["dlf-101", "DLF-101"],
    )
    assert outcome.status == CREATED and outcome.officer_id is not None
    view = outcome.enrolment
    assert view.status == "confirmed" and view.cohort_code == cohort
    assert view.reference.startswith("KSG-")
    assert view.declared_prerequisites == ("DLF-101",)
    assert view.waitlist_position is None and view.promoted_at is None

    async with async_sessions() as session:
        officer = await session.get(Officer, outcome.officer_id)
        assert (officer.full_name, officer.personal_number, officer.job_group) == (
            "Amina Wanjiru",
            "3000001",
            "K",
        )
        assert (officer.email, officer.phone_number, officer.employer) == (
            "officer1@example.go.ke",
            "+254710000001",
            "State Department for ICT",
        )
        assert officer.terms_of_service.value == "attache"
        identity = (await session.execute(select(ChannelIdentity))).scalar_one()
        assert (identity.officer_id, identity.channel, identity.sender_id) == (
            officer.id,
            "whatsapp",
            "254711000001",
        )
        consent = (await session.execute(select(Consent))).scalar_one()
        assert (consent.officer_id, consent.channel, consent.sender_id) == (
            officer.id,
            "whatsapp",
            "254711000001",
        )
        assert (consent.purpose, consent.notice_version, consent.language) == (
            CONSENT_PURPOSE,
            "2026-11",
            "sw",
        )
        assert consent.given_at == CONSENT.given_at and consent.withdrawn_at is None
        enrolment = (await session.execute(select(Enrolment))).scalar_one()
        assert enrolment.declared_prerequisites == ["DLF-101"]
        assert (enrolment.channel, enrolment.sender_id) == ("whatsapp", "254711000001")
    assert await seats_taken(async_sessions, cohort) == 1


async def test_registering_again_returns_the_same_reference(sessions, async_sessions) -> None:
    cohort = new_cohort(sessions)
    first = await register(async_sessions, details(1), cohort, declared_prerequisites=["DLF-101"])
    again = await register(
        async_sessions,
        details(1, email="new.address@example.go.ke", job_group=None),
        cohort,
        declared_prerequisites=["AIP-201"],
    )
    assert again.status == EXISTING and again.officer_id == first.officer_id
    assert again.enrolment == first.enrolment  # declaration unchanged too
    assert await count(async_sessions, Enrolment) == 1
    assert await count(async_sessions, Officer) == 1
    assert await count(async_sessions, ChannelIdentity) == 1
    assert await seats_taken(async_sessions, cohort) == 1
    async with async_sessions() as session:
        officer = await session.get(Officer, first.officer_id)
        # Verified by the linked identity: contact details follow; a field not
        # given this time (job group) is kept, not erased.
        assert officer.email == "new.address@example.go.ke" and officer.job_group == "K"
    assert await count(async_sessions, Consent) == 2  # each agreement is proof of its own


async def test_a_known_officer_registers_for_another_cohort(sessions, async_sessions) -> None:
    first_cohort, second_cohort = new_cohort(sessions), new_cohort(sessions)
    first = await register(async_sessions, details(1), first_cohort)
    second = await register(async_sessions, details(1), second_cohort)
    assert second.status == CREATED and second.officer_id == first.officer_id
    assert second.enrolment.reference != first.enrolment.reference
    assert await count(async_sessions, Officer) == 1


async def test_nomination_and_waitlist_follow_enrol_officer(sessions, async_sessions) -> None:
    nominated = new_cohort(sessions, requires_nomination=True)
    full = new_cohort(sessions, capacity=1, seats_taken=1)
    pending = await register(async_sessions, details(1), nominated)
    waiting = await register(async_sessions, details(2), full)
    assert pending.enrolment.status == "pending_nomination"
    assert waiting.status == CREATED and waiting.enrolment.status == "waitlisted"
    assert waiting.enrolment.waitlist_position == 1


# ------------------------------------------------------------ refusals


async def test_another_identity_with_a_known_personal_number_learns_and_changes_nothing(
    sessions, async_sessions
) -> None:
    cohort, other_cohort = new_cohort(sessions), new_cohort(sessions)
    await register(async_sessions, details(1), cohort, sender_id="real-owner")
    before = await snapshot(async_sessions)
    impostor = details(1, full_name="Impostor", email="impostor@example.com", job_group="P")
    for code in (cohort, other_cohort):
        outcome = await register(
            async_sessions, impostor, code, sender_id="impostor", declared_prerequisites=["X"]
        )
        assert outcome == RegistrationOutcome(IDENTITY_CONFLICT, None, None)
    assert await snapshot(async_sessions) == before


async def test_a_new_personal_number_takes_over_the_identity(sessions, async_sessions) -> None:
    """A shared or handed-on phone: the identity now speaks for the officer who
    has just registered from it (the latest proof wins)."""
    cohort = new_cohort(sessions)
    first = await register(async_sessions, details(1), cohort, sender_id="shared")
    second = await register(async_sessions, details(2), cohort, sender_id="shared")
    assert second.status == CREATED and second.officer_id != first.officer_id
    async with async_sessions() as session:
        identities = (await session.execute(select(ChannelIdentity))).scalars().all()
        assert [(i.officer_id, i.sender_id) for i in identities] == [(second.officer_id, "shared")]


async def test_an_unknown_cohort_or_a_withdrawn_course(sessions, async_sessions) -> None:
    cohort = new_cohort(sessions)
    with sessions.begin() as session:
        course_code = session.scalar(select(Cohort.course_code).where(Cohort.code == cohort))
        session.execute(update(Course).where(Course.code == course_code).values(active=False))
    before = await snapshot(async_sessions)
    for code in ("NOPE-2027-01", cohort):
        outcome = await register(async_sessions, details(1), code)
        assert outcome == RegistrationOutcome(COHORT_NOT_FOUND, None, None)
    assert await snapshot(async_sessions) == before


async def test_registration_closes_after_the_deadline_day(sessions, async_sessions) -> None:
    cohort = new_cohort(sessions)  # deadline 4 January 2027
    before = await snapshot(async_sessions)
    closed = await register(async_sessions, details(1), cohort, today=date(2027, 1, 5))
    assert closed == RegistrationOutcome(CLOSED, None, None)
    assert await snapshot(async_sessions) == before
    last_day = await register(async_sessions, details(1), cohort, today=date(2027, 1, 4))
    assert last_day.status == CREATED


@pytest.mark.parametrize(
    "bad",
    [
        {"job_group": "O"},
        {"terms_of_service": "volunteer"},
        {"full_name": "  "},
        {"personal_number": " "},
    ],
)
async def test_details_that_cannot_be_stored_are_refused(sessions, async_sessions, bad) -> None:
    cohort = new_cohort(sessions)
    before = await snapshot(async_sessions)
    with pytest.raises(ValueError):
        await register(async_sessions, details(1, **bad), cohort)
    assert await snapshot(async_sessions) == before


async def test_the_caller_owns_the_transaction(sessions, async_sessions) -> None:
    cohort = new_cohort(sessions)
    before = await snapshot(async_sessions)
    session: AsyncSession
    async with async_sessions() as session:
        await session.begin()
        outcome = await register_officer(
            session, details(1), cohort, channel="rest", sender_id="s", consent=CONSENT,
            today=TODAY,
        )  # fmt: skip
        assert outcome.status == CREATED
        await session.rollback()
    assert await snapshot(async_sessions) == before


# ------------------------------------------------------------ concurrency


async def test_twenty_officers_racing_for_five_seats(sessions, async_sessions) -> None:
    cohort = new_cohort(sessions, capacity=5)
    outcomes = await asyncio.gather(
        *(register(async_sessions, details(n), cohort) for n in range(20))
    )
    assert all(o.status == CREATED for o in outcomes)
    assert Counter(o.enrolment.status for o in outcomes) == Counter(
        {"confirmed": 5, "waitlisted": 15}
    )
    assert len({o.enrolment.reference for o in outcomes}) == 20
    assert len({o.officer_id for o in outcomes}) == 20
    assert await count(async_sessions, Enrolment) == 20
    assert await count(async_sessions, Officer) == 20
    assert await count(async_sessions, ChannelIdentity) == 20
    assert await count(async_sessions, Consent) == 20
    assert (
        await count(async_sessions, Enrolment, Enrolment.status == EnrolmentStatus.CONFIRMED) == 5
    )
    assert await seats_taken(async_sessions, cohort) == 5
    async with async_sessions() as session:
        positions = sorted(
            [
                (await enrolments_of(session, o.officer_id))[0].waitlist_position or 0
                for o in outcomes
            ]
        )
    assert positions == [0] * 5 + list(range(1, 16))


async def test_one_officer_submitting_five_times_at_once_gets_one_enrolment(
    sessions, async_sessions
) -> None:
    cohort = new_cohort(sessions, capacity=5)
    outcomes = await asyncio.gather(
        *(register(async_sessions, details(1), cohort, sender_id="double-tap") for _ in range(5))
    )
    assert Counter(o.status for o in outcomes) == Counter({CREATED: 1, EXISTING: 4})
    assert len({o.enrolment.reference for o in outcomes}) == 1
    assert len({o.officer_id for o in outcomes}) == 1
    assert await count(async_sessions, Enrolment) == 1
    assert await count(async_sessions, Officer) == 1
    assert await count(async_sessions, ChannelIdentity) == 1
    assert await seats_taken(async_sessions, cohort) == 1


async def test_a_new_officer_registering_for_two_cohorts_at_once(sessions, async_sessions) -> None:
    """Two cohorts lock two different rows, so on PostgreSQL both transactions
    insert the officer; the unique personal number settles it."""
    cohorts = [new_cohort(sessions) for _ in range(4)]
    outcomes = await asyncio.gather(
        *(register(async_sessions, details(1), code, sender_id="one-phone") for code in cohorts)
    )
    assert [o.status for o in outcomes] == [CREATED] * 4
    assert len({o.officer_id for o in outcomes}) == 1
    assert await count(async_sessions, Officer) == 1
    assert await count(async_sessions, ChannelIdentity) == 1
    assert await count(async_sessions, Enrolment) == 4


async def test_two_identities_racing_with_one_new_personal_number(sessions, async_sessions) -> None:
    """Whoever creates the officer first owns the number; the other identity gets
    ``identity_conflict`` and leaves nothing behind."""
    cohorts = [new_cohort(sessions) for _ in range(2)]
    outcomes = await asyncio.gather(
        register(async_sessions, details(1), cohorts[0], sender_id="phone-a"),
        register(async_sessions, details(1, full_name="Other"), cohorts[1], sender_id="phone-b"),
    )
    assert sorted(o.status for o in outcomes) == [CREATED, IDENTITY_CONFLICT]
    winner = next(o for o in outcomes if o.status == CREATED)
    assert await count(async_sessions, Officer) == 1
    assert await count(async_sessions, Enrolment) == 1
    assert await count(async_sessions, Consent) == 1
    async with async_sessions() as session:
        identity = (await session.execute(select(ChannelIdentity))).scalar_one()
        assert identity.officer_id == winner.officer_id


def test_the_outcome_and_consent_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CONSENT.language = "en"  # type: ignore[misc]
    assert CONSENT.given_at.utcoffset() == timedelta(0)

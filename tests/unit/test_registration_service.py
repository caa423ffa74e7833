"""Registering, proving identity, seeing, withdrawing and updating — the services
the helpdesk actions call — against real databases (SQLite and the local
PostgreSQL), including capacity under 20 simultaneous registrations (issue 3)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker

from bot import officers
from bot.db.models import ChannelIdentity, Cohort, Consent, Enrolment, Officer
from bot.officers import OfficerDetails
from bot.registration_service import ConsentGiven, RegistrationOutcome, register_officer
from tests.unit.factories import make_cohort

TODAY = date(2026, 11, 28)
CONSENT = ConsentGiven(
    notice_version="test", language="sw", given_at=datetime(2026, 11, 28, 9, tzinfo=timezone.utc)
)


def details(n: int, **changes: str | None) -> OfficerDetails:
    values = {
        "full_name": f"Officer Number {n}",
        "personal_number": f"{20000000 + n}",
        "email": f"officer{n}@health.go.ke",
        "phone_number": "+254712000000",
        "employer": "Ministry of Health",
        "job_group": "K",
        "terms_of_service": None,
    }
    values.update(changes)
    return OfficerDetails(**values)


def new_cohort(sessions: sessionmaker, **kwargs) -> str:
    with sessions.begin() as session:
        return make_cohort(session, **kwargs).code


async def register(
    async_sessions: sessionmaker,
    cohort: str,
    n: int,
    sender: str | None = None,
    declared: tuple[str, ...] = (),
    **changes: str | None,
) -> RegistrationOutcome:
    """One registration in its own transaction, as the action server runs it."""
    async with async_sessions() as session, session.begin():
        return await register_officer(
            session,
            details(n, **changes),
            cohort,
            channel="rest",
            sender_id=sender or f"chat-{n}",
            consent=CONSENT,
            declared_prerequisites=declared,
            today=TODAY,
        )


async def count(async_sessions: sessionmaker, *what) -> int:
    async with async_sessions() as session:
        return await session.scalar(select(func.count()).select_from(*what))


async def test_twenty_officers_racing_for_five_seats(sessions, async_sessions) -> None:
    cohort = new_cohort(sessions, capacity=5)
    outcomes = await asyncio.gather(*(register(async_sessions, cohort, n) for n in range(20)))
    assert {o.status for o in outcomes} == {"created"}
    assert Counter(o.enrolment.status for o in outcomes) == {"confirmed": 5, "waitlisted": 15}
    assert len({o.enrolment.reference for o in outcomes}) == 20
    assert await count(async_sessions, Enrolment) == 20
    assert await count(async_sessions, Officer) == 20
    async with async_sessions() as session:
        assert await session.scalar(select(Cohort.seats_taken).where(Cohort.code == cohort)) == 5
    positions = sorted(o.enrolment.waitlist_position or 0 for o in outcomes)
    assert positions == [0] * 5 + list(range(1, 16))


async def test_one_officer_submitting_five_times_at_once_gets_one_enrolment(
    sessions, async_sessions
) -> None:
    cohort = new_cohort(sessions, capacity=5)
    outcomes = await asyncio.gather(*(register(async_sessions, cohort, 7) for _ in range(5)))
    assert sorted(o.status for o in outcomes) == ["created"] + ["existing"] * 4
    assert len({o.enrolment.reference for o in outcomes}) == 1
    assert await count(async_sessions, Enrolment) == 1
    assert await count(async_sessions, Officer) == 1


async def test_a_registration_stores_officer_identity_consent_and_declaration(
    sessions, async_sessions
) -> None:
    cohort = new_cohort(sessions)
    outcome = await register(async_sessions, cohort, 1, declared=("DLF-101",))
    assert outcome.status == "created" and outcome.enrolment.status == "confirmed"
    assert outcome.enrolment.declared_prerequisites == ("DLF-101",)
    async with async_sessions() as session:
        officer = await session.scalar(select(Officer))
        assert (officer.personal_number, officer.email) == ("20000001", "officer1@health.go.ke")
        identity = await session.scalar(select(ChannelIdentity))
        assert (identity.officer_id, identity.sender_id) == (officer.id, "chat-1")
        consent = await session.scalar(select(Consent))
        assert (consent.officer_id, consent.purpose, consent.language) == (
            officer.id,
            "registration",
            "sw",
        )
        assert consent.given_at == CONSENT.given_at


async def test_registering_again_returns_the_same_enrolment(sessions, async_sessions) -> None:
    cohort = new_cohort(sessions)
    first = await register(async_sessions, cohort, 2)
    again = await register(async_sessions, cohort, 2, email="new.address@health.go.ke")
    assert again.status == "existing"
    assert again.enrolment.reference == first.enrolment.reference
    assert await count(async_sessions, Enrolment) == 1
    async with async_sessions() as session:  # the verified officer's newest details
        assert await session.scalar(select(Officer.email)) == "new.address@health.go.ke"


async def test_another_chat_typing_a_known_personal_number_learns_and_changes_nothing(
    sessions, async_sessions
) -> None:
    cohort = new_cohort(sessions)
    await register(async_sessions, cohort, 3)
    forged = await register(
        async_sessions, cohort, 3, sender="someone-else", full_name="Not The Officer"
    )
    assert forged == RegistrationOutcome("identity_conflict", None, None)
    async with async_sessions() as session:
        assert await session.scalar(select(Officer.full_name)) == "Officer Number 3"
    assert await count(async_sessions, Consent) == 1
    assert await count(async_sessions, Enrolment) == 1


async def test_closed_and_unknown_intakes_write_nothing(sessions, async_sessions) -> None:
    cohort = new_cohort(sessions)
    with sessions.begin() as session:
        session.execute(
            update(Cohort)
            .where(Cohort.code == cohort)
            .values(registration_deadline=date(2026, 11, 27))
        )
    assert (await register(async_sessions, cohort, 4)).status == "closed"
    assert (await register(async_sessions, "NOPE-2027-01", 4)).status == "cohort_not_found"
    assert await count(async_sessions, Officer) == 0


async def test_proof_needs_the_personal_number_and_that_officers_own_reference(
    sessions, async_sessions
) -> None:
    cohort = new_cohort(sessions)
    mine = await register(async_sessions, cohort, 5)
    theirs = await register(async_sessions, cohort, 6)
    async with async_sessions() as session:
        found = await officers.verify_officer(session, "20000005", mine.enrolment.reference.lower())
        assert found is not None and found.personal_number == "20000005"
        assert (
            await officers.verify_officer(session, "20000005", theirs.enrolment.reference) is None
        )
        assert await officers.verify_officer(session, "20000099", mine.enrolment.reference) is None


async def test_withdrawing_promotes_the_first_waitlisted_and_only_touches_ones_own(
    sessions, async_sessions
) -> None:
    cohort = new_cohort(sessions, capacity=1)
    seated = await register(async_sessions, cohort, 8)
    waiting = await register(async_sessions, cohort, 9)
    assert waiting.enrolment.status == "waitlisted" and waiting.enrolment.waitlist_position == 1
    async with async_sessions() as session, session.begin():
        # The waitlisted officer cannot withdraw the seated officer's enrolment.
        assert (
            await officers.withdraw_for_officer(
                session, waiting.officer_id, seated.enrolment.reference
            )
            is None
        )
    async with async_sessions() as session, session.begin():
        result = await officers.withdraw_for_officer(
            session, seated.officer_id, seated.enrolment.reference
        )
        assert result is not None and result.promoted is not None
    async with async_sessions() as session:
        [view] = await officers.enrolments_of(session, waiting.officer_id)
        assert view.status == "confirmed" and view.promoted_at is not None
        [gone] = await officers.enrolments_of(session, seated.officer_id)
        assert gone.status == "withdrawn"


async def test_updating_details_reports_only_real_changes(sessions, async_sessions) -> None:
    outcome = await register(async_sessions, new_cohort(sessions), 10)
    async with async_sessions() as session, session.begin():
        changed = await officers.update_details(
            session,
            outcome.officer_id,
            {"email": "officer10@health.go.ke", "phone_number": "+254799000111"},
        )
        assert changed == ["phone_number"]
        with pytest.raises(ValueError):
            await officers.update_details(session, outcome.officer_id, {"full_name": "X Y"})

"""Enrolment rules: taking a seat, waitlisting, withdrawing and promoting.

Plain async Python over an :class:`~sqlalchemy.ext.asyncio.AsyncSession`, no Rasa:
actions call it inside ``actions.database.in_transaction`` and tests call it
directly. Functions run in the caller's transaction and never commit.

How capacity holds under concurrency (several action-server workers, or the
action server and an operator, registering for the same cohort at once):

1. The cohort row is locked first (``SELECT … FOR UPDATE`` on PostgreSQL; on
   SQLite every transaction already holds the single write lock from
   ``BEGIN IMMEDIATE``). This orders enrolments and withdrawals on one cohort, so
   the "already enrolled?" check, the waitlist and a freed seat are always seen
   consistently.
2. A seat is taken only by ``UPDATE cohorts SET seats_taken = seats_taken + 1
   WHERE id = :id AND seats_taken < capacity``: one statement, so it cannot
   overbook even without step 1. One row updated: a seat; none: waitlisted.
3. The schema's CHECK (``seats_taken <= capacity``) and partial unique index (one
   active enrolment per officer and cohort) refuse anything that gets past both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    ACTIVE_STATUSES,
    SEAT_HOLDING_STATUSES,
    Cohort,
    Course,
    Enrolment,
    EnrolmentStatus,
    Officer,
    utcnow,
)
from bot.reference import ENROLMENT_PREFIX, new_reference

REFERENCE_ATTEMPTS = 5


class EnrolmentError(Exception):
    """An enrolment request that cannot be carried out as asked."""


class CohortNotFound(EnrolmentError):
    pass


class OfficerNotFound(EnrolmentError):
    pass


class EnrolmentNotFound(EnrolmentError):
    pass


@dataclass(frozen=True)
class EnrolmentResult:
    """The officer's enrolment, and whether this call created it (``False``: they
    were already enrolled and got their existing reference back)."""

    enrolment: Enrolment
    created: bool

    @property
    def status(self) -> EnrolmentStatus:
        return self.enrolment.status

    @property
    def reference(self) -> str:
        return self.enrolment.reference


@dataclass(frozen=True)
class WithdrawalResult:
    """The withdrawn enrolment, whether this call changed it, and the waitlisted
    enrolment that got the freed seat, if any."""

    enrolment: Enrolment
    changed: bool
    promoted: Enrolment | None = None


async def _lock_cohort(session: AsyncSession, cohort_id: int) -> bool:
    """Locks the cohort row; returns whether the course requires nomination."""
    requires_nomination = (
        await session.execute(
            select(Course.requires_nomination)
            .join(Cohort, Cohort.course_code == Course.code)
            .where(Cohort.id == cohort_id)
            .with_for_update(of=Cohort)
        )
    ).scalar_one_or_none()
    if requires_nomination is None:
        raise CohortNotFound(f"no cohort with id {cohort_id}")
    return requires_nomination


def _seat_status(requires_nomination: bool) -> EnrolmentStatus:
    return EnrolmentStatus.PENDING_NOMINATION if requires_nomination else EnrolmentStatus.CONFIRMED


def normalise_course_codes(codes: Iterable[str]) -> list[str]:
    """Course codes as stored: trimmed, upper-case, each once, sorted (so the same
    declaration is always stored the same way, whatever order it was made in)."""
    if isinstance(codes, str):  # one code passed bare would become its letters
        codes = [codes]
    cleaned = set()
    for code in codes:
        if not isinstance(code, str):
            raise TypeError(f"course code must be text, not {type(code).__name__}")
        if code.strip():
            cleaned.add(code.strip().upper())
    return sorted(cleaned)


async def active_enrolment(
    session: AsyncSession, officer_id: int, cohort_id: int
) -> Enrolment | None:
    """The officer's pending, confirmed or waitlisted enrolment in the cohort."""
    return (
        await session.execute(
            select(Enrolment)
            .where(
                Enrolment.officer_id == officer_id,
                Enrolment.cohort_id == cohort_id,
                Enrolment.status.in_(ACTIVE_STATUSES),
            )
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def enrol_officer(
    session: AsyncSession,
    officer_id: int,
    cohort_id: int,
    *,
    channel: str | None,
    sender_id: str | None,
    declared_prerequisites: Iterable[str] = (),
) -> EnrolmentResult:
    """Enrols an officer in a cohort, or returns their existing active enrolment.

    A seat is taken if one is free (``confirmed``, or ``pending_nomination`` when
    the course needs the employer's nomination); otherwise the officer is
    ``waitlisted``. Eligibility and registration deadlines are the caller's to
    check first. See the module docstring for why capacity cannot be exceeded.

    ``declared_prerequisites`` (course codes the officer says they have met another
    way) are stored on a new enrolment, in the same INSERT; an existing enrolment
    is returned as it is, its declaration unchanged.
    """
    declared = normalise_course_codes(declared_prerequisites)
    requires_nomination = await _lock_cohort(session, cohort_id)
    if await session.scalar(select(Officer.id).where(Officer.id == officer_id)) is None:
        raise OfficerNotFound(f"no officer with id {officer_id}")

    existing = await active_enrolment(session, officer_id, cohort_id)
    if existing is not None:
        return EnrolmentResult(existing, created=False)

    for _ in range(REFERENCE_ATTEMPTS):
        reference = new_reference(ENROLMENT_PREFIX)
        try:
            # A savepoint, so a failed insert also gives the seat back and leaves
            # the caller's transaction usable.
            async with session.begin_nested():
                took_seat = (
                    await session.execute(
                        update(Cohort.__table__)
                        .where(Cohort.id == cohort_id, Cohort.seats_taken < Cohort.capacity)
                        .values(seats_taken=Cohort.seats_taken + 1)
                    )
                ).rowcount == 1
                now = utcnow()
                enrolment = Enrolment(
                    reference=reference,
                    officer_id=officer_id,
                    cohort_id=cohort_id,
                    status=_seat_status(requires_nomination)
                    if took_seat
                    else EnrolmentStatus.WAITLISTED,
                    created_at=now,
                    status_changed_at=now,
                    channel=channel,
                    sender_id=sender_id,
                    declared_prerequisites=declared,
                )
                session.add(enrolment)
                await session.flush()
            return EnrolmentResult(enrolment, created=True)
        except IntegrityError:
            # Either the same officer enrolled concurrently (the partial unique
            # index fired: return theirs) or the reference was already used (retry).
            existing = await active_enrolment(session, officer_id, cohort_id)
            if existing is not None:
                return EnrolmentResult(existing, created=False)
            taken = await session.scalar(
                select(Enrolment.id).where(Enrolment.reference == reference)
            )
            if taken is None:
                raise
    raise EnrolmentError(f"no unused reference after {REFERENCE_ATTEMPTS} attempts")


async def withdraw_enrolment(session: AsyncSession, enrolment_id: int) -> WithdrawalResult:
    """Withdraws an enrolment. If it held a seat, the oldest waitlisted enrolment in
    the cohort takes it (status, ``status_changed_at`` and ``promoted_at`` set);
    with nobody waiting, the seat is freed. Withdrawing twice changes nothing the
    second time.
    """
    cohort_id = await session.scalar(
        select(Enrolment.cohort_id).where(Enrolment.id == enrolment_id)
    )
    if cohort_id is None:
        raise EnrolmentNotFound(f"no enrolment with id {enrolment_id}")
    # Same lock order as enrol_officer (cohort, then enrolments): no deadlocks.
    requires_nomination = await _lock_cohort(session, cohort_id)
    enrolment = (
        await session.execute(
            select(Enrolment)
            .where(Enrolment.id == enrolment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if enrolment.status is EnrolmentStatus.WITHDRAWN:
        return WithdrawalResult(enrolment, changed=False)
    if enrolment.status is EnrolmentStatus.COMPLETED:
        raise EnrolmentError(
            f"enrolment {enrolment.reference} is completed; it cannot be withdrawn"
        )

    held_seat = enrolment.status in SEAT_HOLDING_STATUSES
    now = utcnow()
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.status_changed_at = now
    promoted = None
    if held_seat:
        promoted = (
            await session.execute(
                select(Enrolment)
                .where(
                    Enrolment.cohort_id == cohort_id,
                    Enrolment.status == EnrolmentStatus.WAITLISTED,
                )
                .order_by(Enrolment.created_at, Enrolment.id)
                .limit(1)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        if promoted is not None:  # the seat passes on: seats_taken is unchanged
            promoted.status = _seat_status(requires_nomination)
            promoted.status_changed_at = now
            promoted.promoted_at = now
        else:
            await session.execute(
                update(Cohort.__table__)
                .where(Cohort.id == cohort_id, Cohort.seats_taken > 0)
                .values(seats_taken=Cohort.seats_taken - 1)
            )
    await session.flush()
    return WithdrawalResult(enrolment, changed=True, promoted=promoted)

"""Officers, the chat identities that speak for them, and what they may see and change.

Plain async Python over an :class:`~sqlalchemy.ext.asyncio.AsyncSession`, no Rasa;
every function runs in the caller's transaction and never commits.

Who is who (contract §4, DPA 2019): a chat identity (channel + sender id) that
registered is linked to the officer, and only a linked identity sees that
officer's enrolments or changes their details. Another identity (a new phone, the
website instead of WhatsApp) proves it is the officer by giving the personal
number *and* a reference of one of their enrolments (:func:`verify_officer`);
the caller then links it (:func:`link_identity`). Knowing a personal number alone
proves nothing: personal numbers are printed on payslips and office lists.
Wrong answers never say which half was wrong.

Nothing here is worded: views carry codes and values; replies in English and
Kiswahili are chosen by the domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import job_groups as jg
from bot.db.models import (
    ACTIVE_STATUSES,
    ChannelIdentity,
    Cohort,
    Course,
    Enrolment,
    EnrolmentStatus,
    Officer,
)
from bot.enrolment import (
    EnrolmentNotFound,
    OfficerNotFound,
    WithdrawalResult,
    withdraw_enrolment,
)
from bot.reference import normalise_reference

#: The details an officer may change themselves (:func:`update_details`). Name,
#: personal number and terms of service identify them or decide eligibility, so a
#: change goes through staff.
UPDATABLE_FIELDS = frozenset({"email", "phone_number", "employer", "job_group"})


@dataclass(frozen=True)
class OfficerDetails:
    """What the registration form collected, already validated by the caller
    (:mod:`bot.contact`, :mod:`bot.job_groups`). ``job_group`` and
    ``terms_of_service`` may be unknown (interns and attachés have no job group);
    ``terms_of_service`` is a :class:`bot.db.models.TermsOfService` value."""

    full_name: str
    personal_number: str
    email: str | None
    phone_number: str | None
    employer: str | None
    job_group: str | None
    terms_of_service: str | None


@dataclass(frozen=True)
class EnrolmentView:
    """One enrolment as the officer may see it, detached from the session.

    ``status`` is the stored value ("confirmed", "waitlisted", …).
    ``waitlist_position`` is 1 for the next in line, and None unless waitlisted.
    ``declared_prerequisites`` are the prerequisites met only by the officer's
    declaration, which staff may ask them to show.
    """

    reference: str
    course_code: str
    course_title: str
    course_title_sw: str
    cohort_code: str
    start_date: date
    end_date: date
    campus: str
    status: str
    created_at: datetime
    status_changed_at: datetime
    promoted_at: datetime | None
    waitlist_position: int | None
    declared_prerequisites: tuple[str, ...]


def normalise_personal_number(text: str) -> str:
    """As stored: spaces removed, since officers group digits as they read them
    ("2023 1234"); the format itself is checked by :mod:`bot.contact`."""
    return "".join((text or "").split())


async def officer_for_identity(
    session: AsyncSession, channel: str, sender_id: str
) -> Officer | None:
    """The officer this chat identity is linked to, if any."""
    return (
        await session.execute(
            select(Officer)
            .join(ChannelIdentity, ChannelIdentity.officer_id == Officer.id)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.sender_id == sender_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def officer_by_personal_number(session: AsyncSession, personal_number: str) -> Officer | None:
    """The officer with this personal number. Not proof of who is asking: see the
    module docstring."""
    number = normalise_personal_number(personal_number)
    if not number:
        return None
    return (
        await session.execute(
            select(Officer)
            .where(Officer.personal_number == number)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def verify_officer(
    session: AsyncSession, personal_number: str, reference: str
) -> Officer | None:
    """The officer, only if ``reference`` is one of *their* enrolments (any status:
    a withdrawn enrolment's reference still proves who they are).

    Any mismatch — unknown number, malformed or unknown reference, or another
    officer's reference — gives None, the same for all, so a guesser learns
    nothing about which half was right.
    """
    normal = normalise_reference(reference)
    number = normalise_personal_number(personal_number)
    if normal is None or not number:
        return None
    return (
        await session.execute(
            select(Officer)
            .join(Enrolment, Enrolment.officer_id == Officer.id)
            .where(Officer.personal_number == number, Enrolment.reference == normal)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def _identity(session: AsyncSession, channel: str, sender_id: str) -> ChannelIdentity | None:
    return (
        await session.execute(
            select(ChannelIdentity)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.sender_id == sender_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def link_identity(
    session: AsyncSession, officer_id: int, channel: str, sender_id: str
) -> None:
    """Links the chat identity to the officer. Linking again changes nothing; an
    identity linked to someone else is moved here, because the caller has just
    had proof (a registration, or :func:`verify_officer`) and the latest proof
    wins — a shared or handed-on phone then speaks for its current user only.

    Raises :class:`bot.enrolment.OfficerNotFound` for an unknown officer.
    """
    if await session.scalar(select(Officer.id).where(Officer.id == officer_id)) is None:
        raise OfficerNotFound(f"no officer with id {officer_id}")
    identity = await _identity(session, channel, sender_id)
    if identity is None:
        try:
            # A savepoint: the same identity may be linked concurrently (two
            # messages in flight); the unique constraint lets one insert win.
            async with session.begin_nested():
                session.add(
                    ChannelIdentity(officer_id=officer_id, channel=channel, sender_id=sender_id)
                )
                await session.flush()
            return
        except IntegrityError:
            identity = await _identity(session, channel, sender_id)
            if identity is None:
                raise
    if identity.officer_id != officer_id:
        identity.officer_id = officer_id
        await session.flush()


async def completed_courses(session: AsyncSession, officer_id: int) -> frozenset[str]:
    """Codes of the courses the officer has completed (for prerequisites)."""
    codes = await session.scalars(
        select(Cohort.course_code)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.officer_id == officer_id, Enrolment.status == EnrolmentStatus.COMPLETED)
        .distinct()
    )
    return frozenset(codes)


async def _waitlist_position(session: AsyncSession, enrolment: Enrolment) -> int | None:
    """1-based place among the cohort's waitlisted enrolments, in the order
    :func:`bot.enrolment.withdraw_enrolment` promotes them (created_at, then id)."""
    if enrolment.status is not EnrolmentStatus.WAITLISTED:
        return None
    ahead_or_same = or_(
        Enrolment.created_at < enrolment.created_at,
        and_(Enrolment.created_at == enrolment.created_at, Enrolment.id <= enrolment.id),
    )
    return await session.scalar(
        select(func.count())
        .select_from(Enrolment)
        .where(
            Enrolment.cohort_id == enrolment.cohort_id,
            Enrolment.status == EnrolmentStatus.WAITLISTED,
            ahead_or_same,
        )
    )


async def _view(
    session: AsyncSession, enrolment: Enrolment, cohort: Cohort, course: Course
) -> EnrolmentView:
    return EnrolmentView(
        reference=enrolment.reference,
        course_code=course.code,
        course_title=course.title,
        course_title_sw=course.title_sw,
        cohort_code=cohort.code,
        start_date=cohort.start_date,
        end_date=cohort.end_date,
        campus=cohort.campus,
        status=enrolment.status.value,
        created_at=enrolment.created_at,
        status_changed_at=enrolment.status_changed_at,
        promoted_at=enrolment.promoted_at,
        waitlist_position=await _waitlist_position(session, enrolment),
        declared_prerequisites=tuple(enrolment.declared_prerequisites or ()),
    )


def _with_cohort_and_course():
    return (
        select(Enrolment, Cohort, Course)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Course, Course.code == Cohort.course_code)
        .execution_options(populate_existing=True)
    )


async def enrolments_of(session: AsyncSession, officer_id: int) -> list[EnrolmentView]:
    """All the officer's enrolments, history included, latest cohort start first
    (then newest registration first)."""
    rows = await session.execute(
        _with_cohort_and_course()
        .where(Enrolment.officer_id == officer_id)
        .order_by(Cohort.start_date.desc(), Enrolment.created_at.desc(), Enrolment.id.desc())
    )
    return [await _view(session, *row) for row in rows.all()]


async def enrolment_view(session: AsyncSession, enrolment_id: int) -> EnrolmentView:
    """One enrolment as :class:`EnrolmentView`. Raises
    :class:`bot.enrolment.EnrolmentNotFound`."""
    row = (
        await session.execute(_with_cohort_and_course().where(Enrolment.id == enrolment_id))
    ).one_or_none()
    if row is None:
        raise EnrolmentNotFound(f"no enrolment with id {enrolment_id}")
    return await _view(session, *row)


def _clean(field: str, value: str | None) -> str | None:
    """Empty text is "no value"; a job group must be one (ValueError otherwise),
    stored as its letter."""
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{field} must be text or None, not {type(value).__name__}")
    value = value.strip() if value is not None else None
    if not value:
        return None
    if field == "job_group":
        letter = jg.normalise(value)
        if letter is None:
            raise ValueError(f"{value!r} is not a job group")
        return letter
    return value


async def update_details(
    session: AsyncSession, officer_id: int, changes: Mapping[str, str | None]
) -> list[str]:
    """Applies the officer's own changes to email, phone number, employer or job
    group (validated by the caller with :mod:`bot.contact`); returns the fields
    whose value actually changed, in the order given, so the reply can confirm
    just those. ``None`` or empty text clears a field.

    Raises ValueError for any other field (before changing anything) and
    :class:`bot.enrolment.OfficerNotFound` for an unknown officer.
    """
    unknown = sorted(set(changes) - UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(
            f"cannot update {', '.join(unknown)}: only {', '.join(sorted(UPDATABLE_FIELDS))}"
        )
    cleaned = {field: _clean(field, value) for field, value in changes.items()}
    officer = (
        await session.execute(
            select(Officer)
            .where(Officer.id == officer_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if officer is None:
        raise OfficerNotFound(f"no officer with id {officer_id}")
    changed = [field for field, value in cleaned.items() if getattr(officer, field) != value]
    for field in changed:
        setattr(officer, field, cleaned[field])
    if changed:
        await session.flush()
    return changed


async def withdraw_for_officer(
    session: AsyncSession, officer_id: int, reference: str
) -> WithdrawalResult | None:
    """Withdraws the officer's own active enrolment with ``reference`` (freeing or
    passing on the seat: :func:`bot.enrolment.withdraw_enrolment`).

    None when the reference is malformed, unknown, another officer's, or not
    active (already withdrawn or completed) — the same answer for all, and
    another officer's enrolment is never touched.
    """
    normal = normalise_reference(reference)
    if normal is None:
        return None
    enrolment_id = await session.scalar(
        select(Enrolment.id).where(
            Enrolment.reference == normal,
            Enrolment.officer_id == officer_id,
            Enrolment.status.in_(ACTIVE_STATUSES),
        )
    )
    if enrolment_id is None:
        return None
    result = await withdraw_enrolment(session, enrolment_id)
    # Withdrawn by a concurrent request between the look-up and the lock: it was
    # not active after all.
    return result if result.changed else None

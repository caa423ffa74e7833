"""Registering an officer for a cohort, as one atomic step (issue 3).

The dialogue has by now collected the officer's details, checked them
(:mod:`bot.contact`), checked eligibility (:mod:`bot.eligibility`, against
:mod:`bot.courses`) and shown the privacy notice. :func:`register_officer` then
writes everything in the caller's transaction, so a failure anywhere leaves
nothing half-done: the officer record, the chat identity's link to it, the
consent proof, and the enrolment (seat or waitlist, :mod:`bot.enrolment`).
Plain async Python, no Rasa; it never commits.

Personal numbers are not secret (payslips, office lists), so someone typing
another officer's number must learn nothing and change nothing: when an officer
with that number exists and this chat identity is not linked to them, the
outcome is ``identity_conflict`` with no reference, no officer id and nothing
written. The dialogue then asks for a reference to prove who they are
(:func:`bot.officers.verify_officer`), links the identity, and registers again.

Concurrency: the cohort row is locked first, as :func:`bot.enrolment.enrol_officer`
does, so registrations for one cohort run one at a time and capacity holds (see
:mod:`bot.enrolment`). The same new officer registering twice at once (a double
tap, or two cohorts) is settled by the unique personal number: the loser's
insert fails inside a savepoint and it carries on with the winner's record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import job_groups as jg
from bot.db.models import ChannelIdentity, Cohort, Consent, Course, Officer, TermsOfService
from bot.enrolment import enrol_officer
from bot.officers import (
    EnrolmentView,
    OfficerDetails,
    enrolment_view,
    link_identity,
    normalise_personal_number,
    officer_by_personal_number,
)

# Outcome statuses.
COHORT_NOT_FOUND = "cohort_not_found"  # no such cohort, or its course was withdrawn
CLOSED = "closed"  # past the registration deadline
IDENTITY_CONFLICT = "identity_conflict"  # the personal number is another identity's
CREATED = "created"
EXISTING = "existing"  # already enrolled in this cohort: the same enrolment back

#: ``consents.purpose`` for the registration notice.
CONSENT_PURPOSE = "registration"


@dataclass(frozen=True)
class ConsentGiven:
    """The officer agreed to the privacy notice ``notice_version``, shown in
    ``language``, at ``given_at`` (an aware datetime)."""

    notice_version: str
    language: str
    given_at: datetime


@dataclass(frozen=True)
class RegistrationOutcome:
    """``status`` is one of the statuses above. ``enrolment`` and ``officer_id``
    are set only for ``created`` and ``existing``; the refusals reveal nothing."""

    status: str
    enrolment: EnrolmentView | None
    officer_id: int | None


@dataclass(frozen=True)
class _Fields:
    """``details`` checked and in stored form, before anything is written."""

    personal_number: str
    values: dict[str, str]  # column -> value, only what was given


def _terms(value: str) -> str:
    """A :class:`TermsOfService` value; "Attaché" as typed is accepted."""
    normal = value.strip().lower().replace("é", "e")
    try:
        return TermsOfService(normal).value
    except ValueError:
        allowed = ", ".join(t.value for t in TermsOfService)
        raise ValueError(f"terms_of_service {value!r} is not one of: {allowed}") from None


def _fields(details: OfficerDetails) -> _Fields:
    """Checks ``details`` (ValueError, before any write) and keeps the fields that
    were given: a field the dialogue did not ask this time never erases one held."""
    number = normalise_personal_number(details.personal_number)
    if not number:
        raise ValueError("personal_number is required")
    if not (details.full_name or "").strip():
        raise ValueError("full_name is required")
    values: dict[str, str] = {}
    for field in ("full_name", "email", "phone_number", "employer"):
        value = getattr(details, field)
        if value is not None and value.strip():
            values[field] = " ".join(value.split()) if field == "full_name" else value.strip()
    if details.job_group is not None and details.job_group.strip():
        letter = jg.normalise(details.job_group)
        if letter is None:
            raise ValueError(f"job_group {details.job_group!r} is not a job group")
        values["job_group"] = letter
    if details.terms_of_service is not None and details.terms_of_service.strip():
        values["terms_of_service"] = _terms(details.terms_of_service)
    return _Fields(personal_number=number, values=values)


async def _is_linked(session: AsyncSession, officer_id: int, channel: str, sender_id: str) -> bool:
    return (
        await session.scalar(
            select(ChannelIdentity.id).where(
                ChannelIdentity.officer_id == officer_id,
                ChannelIdentity.channel == channel,
                ChannelIdentity.sender_id == sender_id,
            )
        )
    ) is not None


async def _find_or_create_officer(
    session: AsyncSession, fields: _Fields, channel: str, sender_id: str
) -> Officer:
    """The officer with the personal number; a new one, linked to this identity,
    if there is none. When a concurrent registration with the same number creates
    it first, the insert fails inside a savepoint (nothing left behind) and that
    officer is returned: the caller's link check then decides, as for any
    existing officer."""
    officer = await officer_by_personal_number(session, fields.personal_number)
    if officer is not None:
        return officer
    try:
        async with session.begin_nested():
            officer = Officer(personal_number=fields.personal_number, **fields.values)
            session.add(officer)
            await session.flush()
    except IntegrityError:
        officer = await officer_by_personal_number(session, fields.personal_number)
        if officer is None:
            raise  # some other constraint: not ours to hide
        return officer
    await link_identity(session, officer.id, channel, sender_id)
    return officer


async def register_officer(
    session: AsyncSession,
    details: OfficerDetails,
    cohort_code: str,
    *,
    channel: str,
    sender_id: str,
    consent: ConsentGiven,
    declared_prerequisites: Iterable[str] = (),
    today: date,
) -> RegistrationOutcome:
    """Registers the officer for the cohort in the caller's transaction (module
    docstring); ``today`` is the Kenyan date (:func:`bot.courses.today_in_kenya`).

    - the cohort is locked; unknown (or its course deactivated):
      ``cohort_not_found``; past its deadline: ``closed``;
    - an officer with the personal number who is linked to this identity is
      verified: their details are updated from ``details``; one who is not:
      ``identity_conflict``;
    - no such officer: one is created and the identity linked to them (moved, if
      it spoke for someone else: the latest proof wins);
    - the consent is recorded (each time: it is proof of what was agreed when);
    - :func:`bot.enrolment.enrol_officer` gives a seat, pending nomination or the
      waitlist (``created``, with ``declared_prerequisites`` stored), or their
      active enrolment in this cohort (``existing``, unchanged).

    Eligibility is the caller's to check first. Raises ValueError for details
    that cannot be stored (no name, an unknown job group or terms of service).
    """
    fields = _fields(details)
    cohort = (
        await session.execute(
            select(Cohort.id, Cohort.registration_deadline)
            .join(Course, Course.code == Cohort.course_code)
            .where(Cohort.code == cohort_code, Course.active)
            .with_for_update(of=Cohort)
        )
    ).one_or_none()
    if cohort is None:
        return RegistrationOutcome(COHORT_NOT_FOUND, None, None)
    if today > cohort.registration_deadline:
        return RegistrationOutcome(CLOSED, None, None)

    officer = await _find_or_create_officer(session, fields, channel, sender_id)
    if not await _is_linked(session, officer.id, channel, sender_id):
        return RegistrationOutcome(IDENTITY_CONFLICT, None, None)
    # Linked, so verified: what they told us now is the newest we know.
    for field, value in fields.values.items():
        if getattr(officer, field) != value:
            setattr(officer, field, value)

    session.add(
        Consent(
            officer_id=officer.id,
            channel=channel,
            sender_id=sender_id,
            purpose=CONSENT_PURPOSE,
            notice_version=consent.notice_version,
            language=consent.language,
            given_at=consent.given_at,
        )
    )
    await session.flush()

    result = await enrol_officer(
        session,
        officer.id,
        cohort.id,
        channel=channel,
        sender_id=sender_id,
        declared_prerequisites=declared_prerequisites,
    )
    return RegistrationOutcome(
        CREATED if result.created else EXISTING,
        await enrolment_view(session, result.enrolment.id),
        officer.id,
    )

"""Officers' rights over their personal data (issue 4; Kenya Data Protection Act 2019).

Plain async Python over an :class:`~sqlalchemy.ext.asyncio.AsyncSession`, no Rasa;
every function runs in the caller's transaction and never commits. Proving who
is asking (:func:`bot.officers.verify_officer`, a linked chat identity) is the
caller's job: these functions trust the ``officer_id`` they are given.

- Access (s.26) and a copy (s.38, in a machine-readable format):
  :func:`personal_data_of` gathers everything held about one officer — and
  nothing about anyone else — as a :class:`PersonalDataReport`;
  :func:`export_json` and :func:`export_csv` write it out for the officer to keep.
- Erasure (s.40): :func:`erase_officer` withdraws the officer's active
  enrolments (so the seats go to the waitlist or back to the cohort) and then
  anonymises rather than deletes: the officer row, enrolments and consents stay
  so counts of registrations and proof that consent was given remain true, but
  no name, number, contact detail or chat address is left in the database. The
  conversation logs live elsewhere (the tracker store), so the
  :class:`Erasure` tells the caller which chats to redact and which values to
  remove from them.
- Withdrawing consent (s.32): :func:`withdraw_consent` marks the consents
  withdrawn and withdraws the registrations that rested on them; history stays,
  because withdrawal does not make past processing unlawful.
  :func:`withdraw_consent_for_sender` does the same for a chat that consented
  but never finished registering.
- Accountability: :func:`record_request` writes what was asked, when,
  and how it ended — never personal data.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.db.models import (
    ACTIVE_STATUSES,
    ChannelIdentity,
    Cohort,
    Consent,
    Course,
    DataRequest,
    DataRequestKind,
    DataRequestOutcome,
    Enrolment,
    HandoffMessage,
    HandoffRequest,
    Officer,
    utcnow,
)
from bot.enrolment import OfficerNotFound, withdraw_enrolment

__all__ = [
    "ERASED",
    "ConsentWithdrawal",
    "DataRequestKind",
    "DataRequestOutcome",
    "Erasure",
    "OfficerErased",
    "PersonalDataReport",
    "erase_officer",
    "export_csv",
    "export_json",
    "personal_data_of",
    "record_request",
    "withdraw_consent",
    "withdraw_consent_for_sender",
]

#: What an erased name or chat address reads as.
ERASED = "[erased]"

#: ``data_requests.detail`` is a String(200).
DETAIL_MAX_LENGTH = 200

#: The officer columns that identify a person, erased by :func:`erase_officer`
#: (job group and terms of service stay: alone they identify nobody, and they
#: keep anonymous counts by grade and terms possible).
PERSONAL_FIELDS = ("full_name", "personal_number", "email", "phone_number", "employer")

#: Columns of :func:`export_csv`.
CSV_COLUMNS = ("section", "item", "field", "value")


class OfficerErased(OfficerNotFound):
    """The officer's personal data was erased: there is nothing left to report."""


@dataclass(frozen=True)
class PersonalDataReport:
    """Everything held about one officer, as plain data (text, numbers, dates,
    lists), detached from the session. Each list is oldest first.

    - ``officer``: full_name, personal_number, email, phone_number, employer,
      job_group, terms_of_service, created_at, updated_at;
    - ``enrolments``: reference, course_code, course_title, course_title_sw,
      cohort_code, campus, start_date, end_date, status, created_at,
      status_changed_at, promoted_at, declared_prerequisites, channel;
    - ``consents``: purpose, notice_version, language, channel, given_at,
      withdrawn_at;
    - ``identities`` (the chats that speak for the officer): channel, sender_id,
      created_at;
    - ``requests`` (earlier data-rights requests): kind, outcome, requested_at,
      completed_at, detail.
    """

    officer: dict[str, Any]
    enrolments: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    identities: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    generated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """The report as one mapping, in the order the exports use."""
        return {
            "officer": self.officer,
            "enrolments": self.enrolments,
            "consents": self.consents,
            "identities": self.identities,
            "requests": self.requests,
            "generated_at": self.generated_at,
        }


@dataclass(frozen=True)
class Erasure:
    """What :func:`erase_officer` did, and what the caller must still do.

    ``withdrawn_references``: the enrolments that were active and are now
    withdrawn. ``conversations``: (channel, sender_id) of every chat linked to the
    officer, whose logs the caller must redact. ``values``: the personal values
    that were erased, to remove from those logs — held only in memory, never
    stored or logged.
    """

    withdrawn_references: list[str]
    conversations: list[tuple[str, str]]
    values: list[str]


@dataclass(frozen=True)
class ConsentWithdrawal:
    """The enrolments withdrawn because they rested on the consent, and how many
    consents were marked withdrawn."""

    withdrawn_references: list[str]
    consents_withdrawn: int


def _aware(moment: datetime | None) -> datetime:
    """``moment``, or now; naive datetimes are refused before anything is written."""
    if moment is None:
        return utcnow()
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: use an aware one (bot.db.models.utcnow)")
    return moment


# ---------------------------------------------------------------- accountability


async def record_request(
    session: AsyncSession,
    *,
    kind: DataRequestKind | str,
    outcome: DataRequestOutcome | str,
    channel: str,
    officer_id: int | None = None,
    detail: str | None = None,
    requested_at: datetime | None = None,
    completed_at: datetime | None = None,
) -> DataRequest:
    """Records one data-rights request and how it ended (flushed, not committed).

    ``officer_id`` is None when the asker did not prove who they are.
    ``requested_at`` defaults to now; a *completed* request with no
    ``completed_at`` is taken to have completed at ``requested_at`` (the actions
    record a request once it has ended), any other outcome has none.

    ``detail`` must never carry personal data ("json", "2 enrolments withdrawn");
    it is trimmed, and more than 200 characters is a ValueError, as are an
    unknown kind or outcome and an empty channel.
    """
    kind = DataRequestKind(kind)
    outcome = DataRequestOutcome(outcome)
    channel = (channel or "").strip()
    if not channel:
        raise ValueError("channel is required")
    detail = (detail or "").strip() or None
    if detail is not None and len(detail) > DETAIL_MAX_LENGTH:
        raise ValueError(f"detail is longer than {DETAIL_MAX_LENGTH} characters")
    requested_at = _aware(requested_at)
    if completed_at is not None:
        completed_at = _aware(completed_at)
    elif outcome is DataRequestOutcome.COMPLETED:
        completed_at = requested_at
    request = DataRequest(
        officer_id=officer_id,
        kind=kind,
        outcome=outcome,
        channel=channel,
        requested_at=requested_at,
        completed_at=completed_at,
        detail=detail,
    )
    session.add(request)
    await session.flush()
    return request


# ---------------------------------------------------------------- shared look-ups


async def _officer(session: AsyncSession, officer_id: int, *, lock: bool = False) -> Officer:
    query = (
        select(Officer).where(Officer.id == officer_id).execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update()
    officer = (await session.execute(query)).scalar_one_or_none()
    if officer is None:
        raise OfficerNotFound(f"no officer with id {officer_id}")
    return officer


async def _identities(session: AsyncSession, officer_id: int) -> list[ChannelIdentity]:
    return list(
        await session.scalars(
            select(ChannelIdentity)
            .where(ChannelIdentity.officer_id == officer_id)
            .order_by(ChannelIdentity.created_at, ChannelIdentity.id)
            .execution_options(populate_existing=True)
        )
    )


def _at(model: Any, addresses: Iterable[tuple[str, str]]) -> ColumnElement:
    """Rows of ``model`` at any of the chat addresses (channel, sender_id)."""
    return or_(
        false(),
        *(
            and_(model.channel == channel, model.sender_id == sender)
            for channel, sender in addresses
        ),
    )


def _consents_of(officer_id: int, addresses: Sequence[tuple[str, str]]) -> ColumnElement:
    """The officer's consents: linked to them, or given in one of their chats
    before any officer record existed. A consent linked to *another* officer
    stays theirs even if it was given in a chat now linked to this one (a
    handed-on phone)."""
    return or_(
        Consent.officer_id == officer_id,
        and_(Consent.officer_id.is_(None), _at(Consent, addresses)),
    )


async def _withdraw_active_enrolments(session: AsyncSession, officer_id: int) -> list[str]:
    """Withdraws each active enrolment of the officer, oldest first, through
    :func:`bot.enrolment.withdraw_enrolment` (seat to the waitlist or freed);
    returns the references this call withdrew."""
    ids = await session.scalars(
        select(Enrolment.id)
        .where(Enrolment.officer_id == officer_id, Enrolment.status.in_(ACTIVE_STATUSES))
        .order_by(Enrolment.created_at, Enrolment.id)
    )
    withdrawn = []
    for enrolment_id in list(ids):
        result = await withdraw_enrolment(session, enrolment_id)
        if result.changed:
            withdrawn.append(result.enrolment.reference)
    return withdrawn


def _unique(items: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------- access and copy


async def personal_data_of(
    session: AsyncSession, officer_id: int, *, now: datetime | None = None
) -> PersonalDataReport:
    """Everything held about the officer (see :class:`PersonalDataReport`), and
    nothing about anyone else; ``generated_at`` is ``now`` (default: the current
    time).

    Raises :class:`bot.enrolment.OfficerNotFound` for an unknown officer, and its
    subclass :class:`OfficerErased` for an erased one.
    """
    generated_at = _aware(now)
    officer = await _officer(session, officer_id)
    if officer.erased_at is not None:
        raise OfficerErased(f"officer {officer_id} was erased")
    terms = officer.terms_of_service
    details = {field: getattr(officer, field) for field in PERSONAL_FIELDS}
    details.update(
        job_group=officer.job_group,
        terms_of_service=terms.value if terms is not None else None,
        created_at=officer.created_at,
        updated_at=officer.updated_at,
    )

    rows = await session.execute(
        select(Enrolment, Cohort, Course)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Course, Course.code == Cohort.course_code)
        .where(Enrolment.officer_id == officer_id)
        .order_by(Enrolment.created_at, Enrolment.id)
        .execution_options(populate_existing=True)
    )
    enrolments = [
        {
            "reference": enrolment.reference,
            "course_code": course.code,
            "course_title": course.title,
            "course_title_sw": course.title_sw,
            "cohort_code": cohort.code,
            "campus": cohort.campus,
            "start_date": cohort.start_date,
            "end_date": cohort.end_date,
            "status": enrolment.status.value,
            "created_at": enrolment.created_at,
            "status_changed_at": enrolment.status_changed_at,
            "promoted_at": enrolment.promoted_at,
            "declared_prerequisites": list(enrolment.declared_prerequisites or ()),
            "channel": enrolment.channel,
        }
        for enrolment, cohort, course in rows.all()
    ]

    identities = await _identities(session, officer_id)
    addresses = [(i.channel, i.sender_id) for i in identities]
    consents = await session.scalars(
        select(Consent)
        .where(_consents_of(officer_id, addresses))
        .order_by(Consent.given_at, Consent.id)
        .execution_options(populate_existing=True)
    )
    requests = await session.scalars(
        select(DataRequest)
        .where(DataRequest.officer_id == officer_id)
        .order_by(DataRequest.requested_at, DataRequest.id)
        .execution_options(populate_existing=True)
    )
    return PersonalDataReport(
        officer=details,
        enrolments=enrolments,
        consents=[
            {
                "purpose": c.purpose,
                "notice_version": c.notice_version,
                "language": c.language,
                "channel": c.channel,
                "given_at": c.given_at,
                "withdrawn_at": c.withdrawn_at,
            }
            for c in consents
        ],
        identities=[
            {"channel": i.channel, "sender_id": i.sender_id, "created_at": i.created_at}
            for i in identities
        ],
        requests=[
            {
                "kind": r.kind.value,
                "outcome": r.outcome.value,
                "requested_at": r.requested_at,
                "completed_at": r.completed_at,
                "detail": r.detail,
            }
            for r in requests
        ],
        generated_at=generated_at,
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, (date, datetime)):  # datetime is a date too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def export_json(report: PersonalDataReport) -> str:
    """The report as JSON: top-level keys officer, enrolments, consents,
    identities, requests and generated_at; dates and times in ISO 8601 (times in
    UTC, with their offset); names in their own letters, not ``\\u`` escapes."""
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False, default=_json_value)


# A spreadsheet runs a cell that starts with one of these as a formula, so a name
# or employer typed as "=HYPERLINK(…)" could act when the officer opens their
# copy. Such values get a leading apostrophe (which spreadsheets hide); numbers
# such as "+254712345678" are left alone.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-][\d ]+")


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ";".join(str(item) for item in value)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _SIGNED_NUMBER.fullmatch(text):
        return "'" + text
    return text


def export_csv(report: PersonalDataReport) -> str:
    """The report as one CSV table with columns section, item, field, value: the
    officer's details are section "officer", item 1; each enrolment, consent,
    identity and earlier request is numbered from 1 in its section
    ("enrolment", "consent", "identity", "request"); the time the copy was made
    is ``report,1,generated_at``.

    Written by :mod:`csv`, so commas, quotes and line breaks in a value are
    quoted, not taken as structure. An empty value is an empty cell, a list
    (declared prerequisites) is joined with ";", and a value a spreadsheet would
    run as a formula is prefixed with an apostrophe.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for field, value in report.officer.items():
        writer.writerow(("officer", 1, field, _csv_value(value)))
    for section, items in (
        ("enrolment", report.enrolments),
        ("consent", report.consents),
        ("identity", report.identities),
        ("request", report.requests),
    ):
        for number, item in enumerate(items, start=1):
            for field, value in item.items():
                writer.writerow((section, number, field, _csv_value(value)))
    writer.writerow(("report", 1, "generated_at", _csv_value(report.generated_at)))
    return buffer.getvalue()


# ---------------------------------------------------------------- erasure


async def erase_officer(
    session: AsyncSession, officer_id: int, *, now: datetime | None = None
) -> Erasure:
    """Erases the officer's personal data (DPA 2019 s.40), keeping anonymous counts.

    In order: the chats and values to report are collected; every active
    enrolment is withdrawn (:func:`bot.enrolment.withdraw_enrolment`: the seat
    goes to the next waitlisted officer, or back to the cohort); then

    - the officer row: name "[erased]", personal number, email, phone number and
      employer emptied, ``erased_at`` set (job group and terms stay: counts);
    - enrolments keep reference, cohort, status and dates, but not the chat
      address they were made from;
    - the officer's chat identities are deleted;
    - consents (the officer's, or given in one of their chats before they had a
      record) keep the officer link, as proof that consent was given, but the
      chat address becomes "[erased]"; one still in force is marked withdrawn at
      ``now``, since nothing is processed on it any more;
    - hand-off requests from those chats, live or closed, get the address
      ``erased-<id>`` (unique, as a live request's address must be) — except in a
      chat that is now another officer's identity (a handed-on phone), whose
      requests are theirs.

    Nothing is committed. Raises :class:`bot.enrolment.OfficerNotFound` for an
    unknown officer. Erasing an erased officer changes nothing and returns an
    empty :class:`Erasure`.

    The officer row is locked first, so two erasures (or an erasure and a change
    of details) run one after the other. A registration of the same officer at
    the same moment locks the cohort first; on PostgreSQL the two may deadlock,
    and the database then rolls one of them back whole — never half-erased.
    """
    now = _aware(now)
    officer = await _officer(session, officer_id, lock=True)
    if officer.erased_at is not None:
        return Erasure(withdrawn_references=[], conversations=[], values=[])

    identities = await _identities(session, officer_id)
    own = [(i.channel, i.sender_id) for i in identities]
    enrolments = list(
        await session.scalars(
            select(Enrolment)
            .where(Enrolment.officer_id == officer_id)
            .order_by(Enrolment.created_at, Enrolment.id)
            .execution_options(populate_existing=True)
        )
    )
    consents = list(
        await session.scalars(
            select(Consent)
            .where(_consents_of(officer_id, own))
            .order_by(Consent.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    conversations = _unique(
        [
            *own,
            *((e.channel, e.sender_id) for e in enrolments if e.channel and e.sender_id),
            *((c.channel, c.sender_id) for c in consents if c.sender_id != ERASED),
        ]
    )
    values = _unique(
        value.strip()
        for value in (getattr(officer, field) for field in PERSONAL_FIELDS)
        if value and value.strip()
    )

    withdrawn = await _withdraw_active_enrolments(session, officer_id)

    for field in PERSONAL_FIELDS:
        setattr(officer, field, ERASED if field == "full_name" else None)
    officer.erased_at = now
    officer.updated_at = now
    for enrolment in enrolments:
        enrolment.sender_id = None
    for consent in consents:
        consent.sender_id = ERASED
        if consent.withdrawn_at is None:
            consent.withdrawn_at = now

    others = set(
        (
            await session.execute(
                select(ChannelIdentity.channel, ChannelIdentity.sender_id).where(
                    ChannelIdentity.officer_id != officer_id,
                    _at(ChannelIdentity, conversations),
                )
            )
        ).all()
    )
    handoffs = await session.scalars(
        select(HandoffRequest)
        .where(_at(HandoffRequest, [a for a in conversations if a not in others]))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    erased_requests = []
    for handoff in handoffs:
        handoff.sender_id = f"erased-{handoff.id}"
        erased_requests.append(handoff.id)
    if erased_requests:  # what staff wrote them and was not yet delivered
        await session.execute(
            update(HandoffMessage)
            .where(HandoffMessage.request_id.in_(erased_requests))
            .values(text=None)
            .execution_options(synchronize_session=False)
        )

    for identity in identities:
        await session.delete(identity)
    await session.flush()
    return Erasure(
        withdrawn_references=withdrawn,
        conversations=sorted(conversations),
        values=values,
    )


# ---------------------------------------------------------------- consent


async def withdraw_consent(
    session: AsyncSession, officer_id: int, *, now: datetime | None = None
) -> ConsentWithdrawal:
    """Withdraws the officer's consent (DPA 2019 s.32) at ``now``.

    Every consent of the officer not yet withdrawn (linked to them, or given in
    one of their chats before they had a record) gets ``withdrawn_at``; and since
    registration rests on that consent, every active enrolment (pending
    nomination, confirmed, waitlisted) is withdrawn through
    :func:`bot.enrolment.withdraw_enrolment`, its seat passed on. Completed
    enrolments, the records themselves and past consents stay: withdrawal does
    not make past processing unlawful (erasure is :func:`erase_officer`).

    Withdrawing again changes nothing and reports zero. Raises
    :class:`bot.enrolment.OfficerNotFound` for an unknown officer.
    """
    now = _aware(now)
    await _officer(session, officer_id)
    addresses = [(i.channel, i.sender_id) for i in await _identities(session, officer_id)]
    withdrawn = await _withdraw_active_enrolments(session, officer_id)
    consents = list(
        await session.scalars(
            select(Consent)
            .where(_consents_of(officer_id, addresses), Consent.withdrawn_at.is_(None))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    for consent in consents:
        consent.withdrawn_at = now
    await session.flush()
    return ConsentWithdrawal(withdrawn_references=withdrawn, consents_withdrawn=len(consents))


async def withdraw_consent_for_sender(
    session: AsyncSession, channel: str, sender_id: str, *, now: datetime | None = None
) -> int:
    """Withdraws, at ``now``, the consents given in this chat that belong to no
    officer (consent given, registration never finished); returns how many.

    A consent linked to an officer is left alone even if it was given in this
    chat: whoever is chatting has not proved they are that officer
    (:func:`withdraw_consent` is for them, once they have).
    """
    now = _aware(now)
    consents = list(
        await session.scalars(
            select(Consent)
            .where(
                Consent.channel == channel,
                Consent.sender_id == sender_id,
                Consent.officer_id.is_(None),
                Consent.withdrawn_at.is_(None),
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    for consent in consents:
        consent.withdrawn_at = now
    await session.flush()
    return len(consents)

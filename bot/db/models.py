"""The enrolment database schema, for SQLite (embedded default) and PostgreSQL.

Rules that must hold however the data is written (the bot, the CLI, an operator
with ``psql``) live here as constraints rather than only in Python:

- one *active* enrolment per officer per cohort (partial unique index), so
  registering twice can never create a second enrolment (contract §4);
- ``0 <= seats_taken <= capacity`` on every cohort, so a bug cannot overbook;
- at most one not-yet-closed hand-off request per chat sender;
- a staff account's username is stored lower-cased (so it is unique whatever
  the case typed) and its role is checked against :class:`StaffRole`;
- status values are checked against :class:`EnrolmentStatus` /
  :class:`HandoffStatus` (and a data-rights request's kind and outcome against
  :class:`DataRequestKind` / :class:`DataRequestOutcome`), the one place the
  names are spelled.

Timestamps are timezone-aware UTC in Python on both databases (see
:class:`UTCDateTime`). The migrations in ``bot/db/migrations/versions/`` (0001
the initial schema, each later one a change) build this file's schema;
``tests/unit/test_db_migrations.py`` fails if the two drift apart.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, declarative_base, relationship
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names: Alembic's batch mode on SQLite and any later
# migration that drops a constraint need names, and they must match between the
# models and the migration.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (the only kind the schema accepts)."""
    return datetime.now(timezone.utc)


class EnrolmentStatus(str, enum.Enum):
    """Where an enrolment stands. Stored as the lower-case value."""

    PENDING_NOMINATION = "pending_nomination"  # holds a seat; waits for the employer
    CONFIRMED = "confirmed"  # holds a seat
    WAITLISTED = "waitlisted"  # no seat yet; promoted in order when one frees up
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"


#: Enrolments that block a second registration for the same officer and cohort.
ACTIVE_STATUSES: tuple[EnrolmentStatus, ...] = (
    EnrolmentStatus.PENDING_NOMINATION,
    EnrolmentStatus.CONFIRMED,
    EnrolmentStatus.WAITLISTED,
)
#: Enrolments counted in ``cohorts.seats_taken``.
SEAT_HOLDING_STATUSES: tuple[EnrolmentStatus, ...] = (
    EnrolmentStatus.PENDING_NOMINATION,
    EnrolmentStatus.CONFIRMED,
    EnrolmentStatus.COMPLETED,
)


class HandoffStatus(str, enum.Enum):
    """A request for a member of staff: waiting, being handled, or done."""

    OPEN = "open"
    ASSIGNED = "assigned"
    CLOSED = "closed"


#: Hand-off requests that are still live; a sender may have at most one.
LIVE_HANDOFF_STATUSES: tuple[HandoffStatus, ...] = (HandoffStatus.OPEN, HandoffStatus.ASSIGNED)


class DataRequestKind(str, enum.Enum):
    """Which of the officer's rights under the Data Protection Act 2019 a request
    used (s.26: access and a copy, rectification, erasure; s.32: withdrawing
    consent)."""

    ACCESS = "access"
    EXPORT = "export"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    CONSENT_WITHDRAWAL = "consent_withdrawal"


class DataRequestOutcome(str, enum.Enum):
    """How a data-rights request ended."""

    COMPLETED = "completed"
    REFUSED_UNVERIFIED = "refused_unverified"  # the asker did not prove who they are
    CANCELLED = "cancelled"  # the officer changed their mind when asked to confirm
    FAILED = "failed"  # something broke; staff must finish it


class StaffRole(str, enum.Enum):
    """A support-console account's role (issue 7): agents handle conversations,
    hand-offs and the NLU inbox; supervisors can also see analytics, export, manage
    accounts, read the audit log and reveal officers' personal data."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"


class TermsOfService(str, enum.Enum):
    """An officer's terms; interns and attachés may only take some courses."""

    PERMANENT = "permanent"
    CONTRACT = "contract"
    INTERN = "intern"
    ATTACHE = "attache"


class CourseMode(str, enum.Enum):
    """How a course is delivered."""

    ONLINE = "online"
    BLENDED = "blended"
    IN_PERSON = "in_person"
    RESIDENTIAL = "residential"


class FeePayer(str, enum.Enum):
    """Who pays a course's fee: nobody (sponsored or free), the nominating employer,
    or the officer."""

    NONE = "none"
    EMPLOYER = "employer"
    OFFICER = "officer"


def sql_in(column: str, values: Any) -> str:
    """``column IN ('a', 'b')`` for a CHECK constraint or partial index, from an Enum
    or a sequence of its members (values are our own identifiers, never user input)."""
    return f"{column} IN ({', '.join(repr(getattr(v, 'value', v)) for v in values)})"


class UTCDateTime(TypeDecorator):
    """A timestamp that is always an aware UTC ``datetime`` in Python.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so the value is
    stored as naive UTC and UTC is re-attached on the way out. Naive datetimes are
    refused on the way in: guessing their zone is how off-by-three-hours bugs start
    in East Africa Time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: use an aware one (bot.db.models.utcnow)")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class EnumText(TypeDecorator):
    """A ``str`` Enum stored as its plain value in a VARCHAR (no native ENUM type, so
    adding a status later is a CHECK change, not a PostgreSQL type migration).
    Writing an unknown value fails in Python before the CHECK constraint would."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum_class: type[enum.Enum]) -> None:
        super().__init__()
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> enum.Enum | None:
        return None if value is None else self.enum_class(value)


course_prerequisites = Table(
    "course_prerequisites",
    Base.metadata,
    Column(
        "course_code",
        String(16),
        ForeignKey("courses.code", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "prerequisite_code",
        String(16),
        ForeignKey("courses.code", ondelete="CASCADE"),
        primary_key=True,
    ),
    CheckConstraint("course_code <> prerequisite_code", name="not_self"),
)


class Course(Base):
    """A course in the catalogue, keyed by its public code ("CLD-201").

    Seeded from ``data/catalogue/courses.yml``; a course that leaves the catalogue
    is deactivated, not deleted, because enrolments refer to it.
    """

    __tablename__ = "courses"

    code: Mapped[str] = Column(String(16), primary_key=True)
    title: Mapped[str] = Column(String(200), nullable=False)
    title_sw: Mapped[str] = Column(String(200), nullable=False)
    track: Mapped[str] = Column(String(40), nullable=False)
    summary: Mapped[str] = Column(Text, nullable=False)
    summary_sw: Mapped[str] = Column(Text, nullable=False)
    min_job_group: Mapped[str] = Column(String(1), nullable=False)
    max_job_group: Mapped[str | None] = Column(String(1))  # None: no upper bound
    mode: Mapped[CourseMode] = Column(EnumText(CourseMode), nullable=False)
    campuses: Mapped[list[str]] = Column(JSON, nullable=False)
    duration: Mapped[str] = Column(String(80), nullable=False)
    duration_sw: Mapped[str] = Column(String(80), nullable=False)
    fee_kes: Mapped[int | None] = Column(Integer)  # None: no fee
    fee_payer: Mapped[FeePayer] = Column(EnumText(FeePayer), nullable=False)
    certification: Mapped[str | None] = Column(String(120))
    requires_nomination: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    interns_allowed: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    is_sample: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    active: Mapped[bool] = Column(Boolean, nullable=False, default=True)

    prerequisites: Mapped[list[Course]] = relationship(
        "Course",
        secondary=course_prerequisites,
        primaryjoin=lambda: Course.code == course_prerequisites.c.course_code,
        secondaryjoin=lambda: Course.code == course_prerequisites.c.prerequisite_code,
        order_by=lambda: Course.code,
    )
    cohorts: Mapped[list[Cohort]] = relationship(
        "Cohort", back_populates="course", order_by=lambda: Cohort.start_date
    )

    __table_args__ = (
        CheckConstraint(sql_in("mode", CourseMode), name="mode"),
        CheckConstraint(sql_in("fee_payer", FeePayer), name="fee_payer"),
        CheckConstraint("fee_kes IS NULL OR fee_kes >= 0", name="fee_not_negative"),
    )

    def __repr__(self) -> str:
        return f"<Course {self.code}>"


class Cohort(Base):
    """One intake of a course: dates, campus and seats.

    ``seats_taken`` counts seats held by enrolments (pending nomination, confirmed,
    completed) plus any seeded as already taken outside the bot; it only moves
    through :mod:`bot.enrolment`'s conditional UPDATEs, and the CHECK constraint
    refuses any write that would overbook.
    """

    __tablename__ = "cohorts"

    id: Mapped[int] = Column(Integer, primary_key=True)
    code: Mapped[str] = Column(String(40), nullable=False, unique=True)
    course_code: Mapped[str] = Column(
        String(16), ForeignKey("courses.code", ondelete="RESTRICT"), nullable=False
    )
    start_date: Mapped[date] = Column(Date, nullable=False)
    end_date: Mapped[date] = Column(Date, nullable=False)
    campus: Mapped[str] = Column(String(80), nullable=False)
    capacity: Mapped[int] = Column(Integer, nullable=False)
    seats_taken: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")
    registration_deadline: Mapped[date] = Column(Date, nullable=False)  # last day, inclusive

    course: Mapped[Course] = relationship("Course", back_populates="cohorts")

    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"
        ),
        CheckConstraint("end_date >= start_date", name="ends_after_start"),
        CheckConstraint("registration_deadline <= start_date", name="deadline_before_start"),
        Index("ix_cohorts_course_code", "course_code"),
    )

    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_taken

    def is_open_for_registration(self, on: date) -> bool:
        """Whether registrations are accepted on ``on`` (a date in Kenya's calendar:
        the caller decides the time zone)."""
        return on <= self.registration_deadline

    def __repr__(self) -> str:
        return f"<Cohort {self.code} {self.seats_taken}/{self.capacity}>"


class Officer(Base):
    """A public officer who registered through the bot (personal data: DPA 2019).

    Most columns are nullable because only what a task needs is collected, and
    interns and attachés have no job group or personal number.

    An erased officer (:func:`bot.data_rights.erase_officer`) keeps the row, so
    enrolments and consents still count, but no personal data: the name is
    "[erased]", the contact columns are NULL and ``erased_at`` says when.
    """

    __tablename__ = "officers"

    id: Mapped[int] = Column(Integer, primary_key=True)
    personal_number: Mapped[str | None] = Column(String(32), unique=True)
    full_name: Mapped[str] = Column(String(200), nullable=False)
    email: Mapped[str | None] = Column(String(254))
    phone_number: Mapped[str | None] = Column(String(20))  # +254…
    employer: Mapped[str | None] = Column(String(200))
    job_group: Mapped[str | None] = Column(String(1))
    terms_of_service: Mapped[TermsOfService | None] = Column(EnumText(TermsOfService))
    created_at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(
        UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow
    )
    erased_at: Mapped[datetime | None] = Column(UTCDateTime())  # None: not erased

    identities: Mapped[list[ChannelIdentity]] = relationship(
        "ChannelIdentity", back_populates="officer", cascade="all, delete-orphan"
    )
    enrolments: Mapped[list[Enrolment]] = relationship("Enrolment", back_populates="officer")

    __table_args__ = (
        CheckConstraint(sql_in("terms_of_service", TermsOfService), name="terms_of_service"),
    )

    def __repr__(self) -> str:
        return f"<Officer {self.id}>"  # no personal data in logs


class ChannelIdentity(Base):
    """A chat identity (channel + sender id) that belongs to an officer, so the
    identity that made a registration can see it again (contract §4)."""

    __tablename__ = "channel_identities"

    id: Mapped[int] = Column(Integer, primary_key=True)
    officer_id: Mapped[int] = Column(
        Integer, ForeignKey("officers.id", ondelete="CASCADE"), nullable=False
    )
    channel: Mapped[str] = Column(String(32), nullable=False)
    sender_id: Mapped[str] = Column(String(255), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)

    officer: Mapped[Officer] = relationship("Officer", back_populates="identities")

    __table_args__ = (
        UniqueConstraint("channel", "sender_id"),
        Index("ix_channel_identities_officer_id", "officer_id"),
    )


_ACTIVE_ENROLMENT = text(sql_in("status", ACTIVE_STATUSES))
_LIVE_HANDOFF = text(sql_in("status", LIVE_HANDOFF_STATUSES))


class Enrolment(Base):
    """An officer's registration for a cohort, with the reference shown to them.

    Withdrawn and completed enrolments are kept (history); only one *active* one
    per officer and cohort may exist, enforced by a partial unique index.
    Deleting an officer or cohort with enrolments is refused (RESTRICT): seat
    counts must be settled by :mod:`bot.enrolment` first.
    """

    __tablename__ = "enrolments"

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(16), nullable=False, unique=True)
    officer_id: Mapped[int] = Column(
        Integer, ForeignKey("officers.id", ondelete="RESTRICT"), nullable=False
    )
    cohort_id: Mapped[int] = Column(
        Integer, ForeignKey("cohorts.id", ondelete="RESTRICT"), nullable=False
    )
    status: Mapped[EnrolmentStatus] = Column(EnumText(EnrolmentStatus), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)
    status_changed_at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)
    channel: Mapped[str | None] = Column(String(32))  # where the registration was made
    sender_id: Mapped[str | None] = Column(String(255))
    # Prerequisite course codes the officer declared they have met another way
    # ("DLF-101 or equivalent", contract §5): a declaration, recorded as one, never
    # treated as a completed course.
    declared_prerequisites: Mapped[list[str]] = Column(
        JSON, nullable=False, default=list, server_default="[]"
    )
    # When a waitlisted enrolment got a freed seat (None: never waitlisted, or
    # still waiting), so staff and the officer can see the seat came later.
    promoted_at: Mapped[datetime | None] = Column(UTCDateTime())

    officer: Mapped[Officer] = relationship("Officer", back_populates="enrolments")
    cohort: Mapped[Cohort] = relationship("Cohort")

    __table_args__ = (
        CheckConstraint(sql_in("status", EnrolmentStatus), name="status"),
        Index(
            "uq_enrolments_active_officer_cohort",
            "officer_id",
            "cohort_id",
            unique=True,
            sqlite_where=_ACTIVE_ENROLMENT,
            postgresql_where=_ACTIVE_ENROLMENT,
        ),
        Index("ix_enrolments_cohort_status_created", "cohort_id", "status", "created_at"),
        Index("ix_enrolments_officer_id", "officer_id"),
    )

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_HOLDING_STATUSES

    def __repr__(self) -> str:
        return f"<Enrolment {self.reference} {self.status.value}>"


class Consent(Base):
    """Proof of consent (DPA 2019 s.32: the controller must be able to show it).

    Recorded against the chat identity before an officer record exists, linked to
    the officer once there is one. Kept when the officer is erased, since
    withdrawal does not make past processing unlawful: the officer link stays (to
    the anonymised row) and the chat address becomes "[erased]".
    """

    __tablename__ = "consents"

    id: Mapped[int] = Column(Integer, primary_key=True)
    officer_id: Mapped[int | None] = Column(Integer, ForeignKey("officers.id", ondelete="SET NULL"))
    channel: Mapped[str] = Column(String(32), nullable=False)
    sender_id: Mapped[str] = Column(String(255), nullable=False)
    purpose: Mapped[str] = Column(String(64), nullable=False)
    notice_version: Mapped[str] = Column(String(32), nullable=False)
    language: Mapped[str] = Column(String(8), nullable=False)
    given_at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = Column(UTCDateTime())

    __table_args__ = (
        Index("ix_consents_channel_sender_id", "channel", "sender_id"),
        Index("ix_consents_officer_id", "officer_id"),
    )


class HandoffRequest(Base):
    """A request to talk to a member of staff, queued in the support console.

    "Live" means open or assigned: a sender whose request is already being handled
    who asks again gets that request back, not a second place in the queue.
    """

    __tablename__ = "handoff_requests"

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(16), nullable=False, unique=True)
    channel: Mapped[str] = Column(String(32), nullable=False)
    sender_id: Mapped[str] = Column(String(255), nullable=False)
    language: Mapped[str] = Column(String(8), nullable=False)
    reason: Mapped[str] = Column(String(64), nullable=False)
    status: Mapped[HandoffStatus] = Column(
        EnumText(HandoffStatus), nullable=False, default=HandoffStatus.OPEN
    )
    created_at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)
    assigned_to: Mapped[str | None] = Column(String(120))
    closed_at: Mapped[datetime | None] = Column(UTCDateTime())

    __table_args__ = (
        CheckConstraint(sql_in("status", HandoffStatus), name="status"),
        Index(
            "uq_handoff_requests_live_sender",
            "channel",
            "sender_id",
            unique=True,
            sqlite_where=_LIVE_HANDOFF,
            postgresql_where=_LIVE_HANDOFF,
        ),
        Index("ix_handoff_requests_status_created", "status", "created_at"),
    )

    def __repr__(self) -> str:
        return f"<HandoffRequest {self.reference} {self.status.value}>"


class HandoffMessageKind(str, enum.Enum):
    """What the support console sends an officer while a person has the chat."""

    JOINED = "joined"  # "Amina from the support team has joined"
    REPLY = "reply"  # an agent's own words
    LEFT = "left"  # "you are back with Msaidizi"


class HandoffMessage(Base):
    """The console's outbox: a message from staff to the officer of a hand-off
    request, waiting until the bot's ``action_deliver_agent_messages`` sends it in
    the officer's channel (at once on channels that can push, with the officer's
    next message on REST).

    ``text`` (an agent's reply) is cleared once delivered: the conversation's copy
    is then the tracker's, which erasure redacts; ``author`` is the agent's display
    name, as the officer sees it.
    """

    __tablename__ = "handoff_messages"

    id: Mapped[int] = Column(Integer, primary_key=True)
    request_id: Mapped[int] = Column(
        Integer, ForeignKey("handoff_requests.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[HandoffMessageKind] = Column(EnumText(HandoffMessageKind), nullable=False)
    author: Mapped[str] = Column(String(120), nullable=False)
    text: Mapped[str | None] = Column(Text)
    created_at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)
    delivered_at: Mapped[datetime | None] = Column(UTCDateTime())

    __table_args__ = (
        CheckConstraint(sql_in("kind", HandoffMessageKind), name="kind"),
        Index("ix_handoff_messages_request_id", "request_id", "delivered_at"),
    )

    def __repr__(self) -> str:
        state = "delivered" if self.delivered_at else "pending"
        return f"<HandoffMessage {self.id} {self.kind.value} {state}>"


class DataRequest(Base):
    """One data-rights request (DPA 2019 s.26, s.32) and how it ended: the
    controller's accountability record of what was asked, when, and the outcome.

    Never personal data: ``detail`` holds things like "json" or "2 enrolments
    withdrawn", and a request from someone who could not prove who they are has
    no officer. Kept when the officer is erased (the row is anonymised, not
    deleted); the link is cleared only if an officer row is ever deleted.
    """

    __tablename__ = "data_requests"

    id: Mapped[int] = Column(Integer, primary_key=True)
    officer_id: Mapped[int | None] = Column(Integer, ForeignKey("officers.id", ondelete="SET NULL"))
    kind: Mapped[DataRequestKind] = Column(EnumText(DataRequestKind), nullable=False)
    outcome: Mapped[DataRequestOutcome] = Column(EnumText(DataRequestOutcome), nullable=False)
    channel: Mapped[str] = Column(String(32), nullable=False)
    requested_at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)
    completed_at: Mapped[datetime | None] = Column(UTCDateTime())
    detail: Mapped[str | None] = Column(String(200))

    __table_args__ = (
        CheckConstraint(sql_in("kind", DataRequestKind), name="kind"),
        CheckConstraint(sql_in("outcome", DataRequestOutcome), name="outcome"),
        Index("ix_data_requests_officer_id", "officer_id"),
        Index("ix_data_requests_requested_at", "requested_at"),
    )

    def __repr__(self) -> str:
        return f"<DataRequest {self.id} {self.kind.value} {self.outcome.value}>"


class StaffAccount(Base):
    """A member of support staff who may sign in to the console.

    ``username`` is stored lower-cased (the CHECK makes that a rule), so "Wanjiru"
    and "wanjiru" are one account. ``password_hash`` is an encoded scrypt hash
    (:mod:`bot.console.accounts`), never a password. Accounts are disabled, not
    deleted, so the audit log keeps saying who did what.
    """

    __tablename__ = "staff_accounts"

    id: Mapped[int] = Column(Integer, primary_key=True)
    username: Mapped[str] = Column(String(64), nullable=False, unique=True)
    display_name: Mapped[str] = Column(String(120), nullable=False)
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    role: Mapped[StaffRole] = Column(EnumText(StaffRole), nullable=False)
    disabled: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)
    last_login_at: Mapped[datetime | None] = Column(UTCDateTime())

    __table_args__ = (
        CheckConstraint(sql_in("role", StaffRole), name="role"),
        CheckConstraint("username = lower(username)", name="username_lower_case"),
    )

    def __repr__(self) -> str:
        return f"<StaffAccount {self.id} {self.role.value}>"


class ConsoleSession(Base):
    """A signed-in console session. The cookie carries a random token; only its
    SHA-256 is stored, so a copy of the database cannot be used to sign in.
    A session ends at ``expires_at``, after an idle spell (``last_seen_at``), when
    revoked (sign-out, password change) or when its account is disabled."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = Column(Integer, primary_key=True)
    token_hash: Mapped[str] = Column(String(64), nullable=False, unique=True)
    account_id: Mapped[int] = Column(
        Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False
    )
    csrf_token: Mapped[str] = Column(String(64), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = Column(UTCDateTime(), nullable=False)
    last_seen_at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)
    revoked: Mapped[bool] = Column(Boolean, nullable=False, default=False)

    account: Mapped[StaffAccount] = relationship("StaffAccount")

    __table_args__ = (Index("ix_console_sessions_account_id", "account_id"),)

    def __repr__(self) -> str:
        return f"<ConsoleSession {self.id} account={self.account_id}>"  # never the token


class LoginAttempt(Base):
    """One sign-in attempt, kept in the database (not in memory) so throttling
    holds across every replica of the web service."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = Column(Integer, primary_key=True)
    username: Mapped[str] = Column(String(64), nullable=False)  # as normalised, truncated
    remote: Mapped[str] = Column(String(64), nullable=False)  # the client's IP address
    at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)
    succeeded: Mapped[bool] = Column(Boolean, nullable=False)

    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_remote_at", "remote", "at"),
        Index("ix_login_attempts_at", "at"),
    )


class AuditEntry(Base):
    """What a member of staff did in the console: sign-ins, transcript views,
    reveals of personal data, exports, account changes. ``account_id`` is NULL for
    actions with no signed-in account (a failed sign-in for an unknown name, the
    accounts CLI). ``target`` names what was acted on ("account:3",
    "conversation:…"); ``detail`` is never personal data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = Column(Integer, primary_key=True)
    at: Mapped[datetime] = Column(UTCDateTime(), nullable=False, default=utcnow)
    account_id: Mapped[int | None] = Column(
        Integer, ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    action: Mapped[str] = Column(String(32), nullable=False)
    target: Mapped[str | None] = Column(String(200))
    detail: Mapped[str | None] = Column(String(200))

    account: Mapped[StaffAccount | None] = relationship("StaffAccount")

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_account_id_at", "account_id", "at"),
    )

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action}>"

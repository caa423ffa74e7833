"""The schema's own integrity rules, checked against the database itself (SQLite and
PostgreSQL): what must be refused even if Python code gets it wrong."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import sessionmaker

from bot.db.models import (
    ChannelIdentity,
    Cohort,
    Consent,
    Enrolment,
    EnrolmentStatus,
    HandoffRequest,
    HandoffStatus,
    Officer,
    utcnow,
)
from tests.unit.factories import make_cohort, make_officer


def enrolment(officer_id: int, cohort_id: int, status: EnrolmentStatus, ref: str) -> Enrolment:
    return Enrolment(reference=ref, officer_id=officer_id, cohort_id=cohort_id, status=status)


@pytest.fixture
def officer_and_cohort(sessions: sessionmaker) -> tuple[int, int]:
    with sessions.begin() as session:
        return make_officer(session).id, make_cohort(session).id


def test_a_second_active_enrolment_for_the_same_cohort_is_refused(
    sessions: sessionmaker, officer_and_cohort: tuple[int, int]
) -> None:
    officer_id, cohort_id = officer_and_cohort
    with sessions.begin() as session:
        session.add(enrolment(officer_id, cohort_id, EnrolmentStatus.CONFIRMED, "KSG-AAAAAA"))
    with pytest.raises(IntegrityError, match="(?i)unique"), sessions.begin() as session:
        session.add(enrolment(officer_id, cohort_id, EnrolmentStatus.WAITLISTED, "KSG-BBBBBB"))


def test_after_withdrawing_the_officer_may_enrol_again(
    sessions: sessionmaker, officer_and_cohort: tuple[int, int]
) -> None:
    officer_id, cohort_id = officer_and_cohort
    with sessions.begin() as session:
        session.add(enrolment(officer_id, cohort_id, EnrolmentStatus.WITHDRAWN, "KSG-AAAAAA"))
        session.add(enrolment(officer_id, cohort_id, EnrolmentStatus.WITHDRAWN, "KSG-BBBBBB"))
        session.add(enrolment(officer_id, cohort_id, EnrolmentStatus.COMPLETED, "KSG-CCCCCC"))
        session.add(enrolment(officer_id, cohort_id, EnrolmentStatus.CONFIRMED, "KSG-DDDDDD"))
    with sessions() as session:
        assert len(session.scalars(select(Enrolment)).all()) == 4


def test_references_are_unique(sessions: sessionmaker) -> None:
    with sessions.begin() as session:
        cohort = make_cohort(session)
        first, second = make_officer(session), make_officer(session)
        session.add(enrolment(first.id, cohort.id, EnrolmentStatus.CONFIRMED, "KSG-AAAAAA"))
        cohort_id, second_id = cohort.id, second.id
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(enrolment(second_id, cohort_id, EnrolmentStatus.CONFIRMED, "KSG-AAAAAA"))


@pytest.mark.parametrize("seats_taken", [6, -1])
def test_seats_taken_must_stay_within_capacity(sessions: sessionmaker, seats_taken: int) -> None:
    with sessions.begin() as session:
        cohort_id = make_cohort(session, capacity=5, seats_taken=5).id
    with pytest.raises(IntegrityError, match="(?i)check"), sessions.begin() as session:
        session.execute(
            Cohort.__table__.update().where(Cohort.id == cohort_id).values(seats_taken=seats_taken)
        )


def test_capacity_must_be_positive(sessions: sessionmaker) -> None:
    with pytest.raises(IntegrityError, match="(?i)check"), sessions.begin() as session:
        make_cohort(session, capacity=0)


def test_status_names_are_checked_by_the_database(
    sessions: sessionmaker, officer_and_cohort: tuple[int, int]
) -> None:
    officer_id, cohort_id = officer_and_cohort
    now = utcnow()
    with pytest.raises(IntegrityError, match="(?i)check"), sessions.begin() as session:
        session.execute(  # raw SQL: bypasses the Python-side Enum check
            text(
                "INSERT INTO enrolments (reference, officer_id, cohort_id, status, created_at,"
                " status_changed_at) VALUES ('KSG-AAAAAA', :o, :c, 'maybe', :t, :t)"
            ),
            {"o": officer_id, "c": cohort_id, "t": now.replace(tzinfo=None)},
        )


def test_unknown_status_is_refused_in_python_too(
    sessions: sessionmaker, officer_and_cohort: tuple[int, int]
) -> None:
    officer_id, cohort_id = officer_and_cohort
    with pytest.raises(StatementError, match="maybe"), sessions.begin() as session:
        session.add(enrolment(officer_id, cohort_id, "maybe", "KSG-AAAAAA"))  # type: ignore[arg-type]


def test_foreign_keys_are_enforced(sessions: sessionmaker) -> None:
    with sessions.begin() as session:
        cohort_id = make_cohort(session).id
    with pytest.raises(IntegrityError, match="(?i)foreign key"), sessions.begin() as session:
        session.add(enrolment(999_999, cohort_id, EnrolmentStatus.CONFIRMED, "KSG-AAAAAA"))


def test_an_officer_with_enrolments_cannot_be_deleted_but_identities_and_consents_follow(
    sessions: sessionmaker, officer_and_cohort: tuple[int, int]
) -> None:
    officer_id, cohort_id = officer_and_cohort
    with sessions.begin() as session:
        session.add(ChannelIdentity(officer_id=officer_id, channel="rest", sender_id="s1"))
        session.add(
            Consent(
                officer_id=officer_id, channel="rest", sender_id="s1", purpose="enrolment",
                notice_version="2026-11", language="sw",
            )
        )  # fmt: skip
        session.add(enrolment(officer_id, cohort_id, EnrolmentStatus.CONFIRMED, "KSG-AAAAAA"))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.execute(delete(Officer).where(Officer.id == officer_id))

    with sessions.begin() as session:
        session.execute(delete(Enrolment))
        session.execute(delete(Officer).where(Officer.id == officer_id))
    with sessions() as session:
        assert session.scalars(select(ChannelIdentity)).all() == []  # CASCADE
        consent = session.scalars(select(Consent)).one()  # kept as proof, unlinked
        assert consent.officer_id is None


def test_a_chat_identity_belongs_to_one_officer(sessions: sessionmaker) -> None:
    with sessions.begin() as session:
        first, second = make_officer(session).id, make_officer(session).id
        session.add(ChannelIdentity(officer_id=first, channel="telegram", sender_id="42"))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(ChannelIdentity(officer_id=second, channel="telegram", sender_id="42"))
    with sessions.begin() as session:  # same sender id on another channel is someone else
        session.add(ChannelIdentity(officer_id=second, channel="whatsapp", sender_id="42"))


def handoff(ref: str, status: HandoffStatus, sender: str = "s1") -> HandoffRequest:
    return HandoffRequest(
        reference=ref, channel="rest", sender_id=sender, language="en", reason="human_handoff",
        status=status,
    )  # fmt: skip


def test_one_live_handoff_request_per_sender(sessions: sessionmaker) -> None:
    with sessions.begin() as session:
        session.add(handoff("HLP-AAAAAA", HandoffStatus.CLOSED))
        session.add(handoff("HLP-BBBBBB", HandoffStatus.CLOSED))
        session.add(handoff("HLP-CCCCCC", HandoffStatus.ASSIGNED))
        session.add(handoff("HLP-DDDDDD", HandoffStatus.OPEN, sender="s2"))
    with pytest.raises(IntegrityError, match="(?i)unique"), sessions.begin() as session:
        session.add(handoff("HLP-EEEEEE", HandoffStatus.OPEN))


def test_timestamps_are_aware_utc_whatever_zone_was_written(
    sessions: sessionmaker, officer_and_cohort: tuple[int, int]
) -> None:
    officer_id, cohort_id = officer_and_cohort
    nairobi = timezone(timedelta(hours=3))
    written = datetime(2027, 1, 5, 9, 30, tzinfo=nairobi)
    with sessions.begin() as session:
        row = enrolment(officer_id, cohort_id, EnrolmentStatus.CONFIRMED, "KSG-AAAAAA")
        row.created_at = written
        session.add(row)
    with sessions() as session:
        read = session.scalars(select(Enrolment)).one().created_at
    assert read == written
    assert read.tzinfo == timezone.utc and read.hour == 6


def test_naive_timestamps_are_refused(
    sessions: sessionmaker, officer_and_cohort: tuple[int, int]
) -> None:
    officer_id, cohort_id = officer_and_cohort
    with pytest.raises(StatementError, match="naive datetime"), sessions.begin() as session:
        row = enrolment(officer_id, cohort_id, EnrolmentStatus.CONFIRMED, "KSG-AAAAAA")
        row.created_at = datetime(2027, 1, 5, 9, 30)
        session.add(row)

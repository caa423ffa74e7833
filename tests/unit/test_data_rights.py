"""Officers' data rights (:mod:`bot.data_rights`, issue 4) against real databases
(SQLite and PostgreSQL): access gives exactly one officer's data, the exports
round-trip, erasure leaves no personal value in any table but keeps the counts,
consent withdrawal cancels what rested on it, and the request records hold no
personal data. Every test has at least two officers, so "nothing of anyone
else's" is checked, not assumed."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.config import PROJECT_ROOT
from bot.data_rights import (
    ERASED,
    ConsentWithdrawal,
    DataRequestKind,
    DataRequestOutcome,
    Erasure,
    OfficerErased,
    PersonalDataReport,
    erase_officer,
    export_csv,
    export_json,
    personal_data_of,
    record_request,
    withdraw_consent,
    withdraw_consent_for_sender,
)
from bot.db import migrate
from bot.db.engine import create_sync_engine
from bot.db.models import (
    Base,
    ChannelIdentity,
    Cohort,
    Consent,
    DataRequest,
    Enrolment,
    EnrolmentStatus,
    HandoffRequest,
    HandoffStatus,
    Officer,
)
from bot.enrolment import OfficerNotFound
from bot.officers import OfficerDetails, link_identity
from bot.registration_service import CREATED, ConsentGiven, register_officer
from tests.unit.factories import make_cohort
from tests.unit.test_db_migrations import schema_of

TODAY = date(2027, 1, 2)  # the factories' cohorts close on 4 January 2027
NOW = datetime(2027, 1, 3, 8, 0, tzinfo=timezone.utc)
CONSENT = ConsentGiven(
    notice_version="2026-11",
    language="en",
    given_at=datetime(2027, 1, 2, 7, 0, tzinfo=timezone.utc),
)
WEB = "socketio"


@dataclass(frozen=True)
class Person:
    name: str
    personal_number: str
    email: str
    phone: str
    employer: str
    sender: str  # their WhatsApp chat
    web_sender: str  # a second chat, on the website

    def details(self) -> OfficerDetails:
        return OfficerDetails(
            full_name=self.name,
            personal_number=self.personal_number,
            email=self.email,
            phone_number=self.phone,
            employer=self.employer,
            job_group="K",
            terms_of_service="permanent",
        )

    @property
    def personal_values(self) -> tuple[str, ...]:
        return (self.name, self.personal_number, self.email, self.phone, self.employer)

    @property
    def chats(self) -> tuple[str, ...]:
        return (self.sender, self.web_sender)


# A name with a comma, quotes and a letter outside ASCII; an employer on two lines.
AMINA = Person(
    name='Wanjiru "Shiru" Mũthoni, Jr.',
    personal_number="20231234",
    email="shiru.muthoni@ict.go.ke",
    phone="+254711000001",
    employer="Ministry of ICT,\nDigital Economy",
    sender="254711000001",
    web_sender="web-amina-7f3a",
)
BARAKA = Person(
    name="Baraka Otieno",
    personal_number="20239876",
    email="baraka.otieno@lands.go.ke",
    phone="+254722000002",
    employer="Ministry of Lands",
    sender="254722000002",
    web_sender="web-baraka-91c2",
)


@dataclass
class World:
    """Amina and Baraka, registered through the bot, with history around them.

    Cohorts: ``full`` has one seat (Amina's; Baraka waits), ``tiny`` one seat
    (Baraka's; Amina waits), ``open`` room for both, ``done`` Amina completed,
    ``nominated`` Amina waits for her employer's nomination.
    """

    officers: dict[str, int] = field(default_factory=dict)
    cohorts: dict[str, str] = field(default_factory=dict)  # name -> cohort code
    references: dict[tuple[str, str], str] = field(default_factory=dict)  # (person, cohort)

    def refs(self, person: str, *cohorts: str) -> list[str]:
        return [self.references[(person, cohort)] for cohort in cohorts]


async def register(async_sessions: sessionmaker, person: Person, cohort_code: str) -> Any:
    async with async_sessions() as session, session.begin():
        outcome = await register_officer(
            session,
            person.details(),
            cohort_code,
            channel="whatsapp",
            sender_id=person.sender,
            consent=CONSENT,
            today=TODAY,
        )
    assert outcome.status == CREATED
    return outcome


@pytest.fixture
async def world(sessions: sessionmaker, async_sessions: sessionmaker) -> World:
    world = World()
    with sessions.begin() as session:
        for name, kwargs in (
            ("full", {"capacity": 1}),
            ("tiny", {"capacity": 1}),
            ("open", {}),
            ("done", {}),
            ("nominated", {"requires_nomination": True}),
        ):
            world.cohorts[name] = make_cohort(session, **kwargs).code
    plan = [
        ("amina", AMINA, "full"),
        ("baraka", BARAKA, "full"),  # waitlisted behind Amina
        ("baraka", BARAKA, "tiny"),
        ("amina", AMINA, "tiny"),  # waitlisted behind Baraka
        ("amina", AMINA, "open"),
        ("baraka", BARAKA, "open"),
        ("amina", AMINA, "done"),
        ("amina", AMINA, "nominated"),
    ]
    for key, person, cohort in plan:
        outcome = await register(async_sessions, person, world.cohorts[cohort])
        world.officers[key] = outcome.officer_id
        world.references[(key, cohort)] = outcome.enrolment.reference

    with sessions.begin() as session:
        session.execute(
            update(Enrolment)
            .where(Enrolment.reference == world.references[("amina", "done")])
            .values(status=EnrolmentStatus.COMPLETED)
        )
        for key, person in (("amina", AMINA), ("baraka", BARAKA)):
            # Consent given on the website before the chat was linked to the officer.
            session.add(
                Consent(
                    officer_id=None,
                    channel=WEB,
                    sender_id=person.web_sender,
                    purpose="registration",
                    notice_version="2026-10",
                    language="sw",
                    given_at=datetime(2026, 12, 20, 9, 0, tzinfo=timezone.utc),
                )
            )
            session.add(
                HandoffRequest(
                    reference=f"HLP-{key[:3].upper()}001",
                    channel="whatsapp",
                    sender_id=person.sender,
                    language="en",
                    reason="other",
                    status=HandoffStatus.OPEN,
                )
            )
            session.add(
                HandoffRequest(
                    reference=f"HLP-{key[:3].upper()}002",
                    channel=WEB,
                    sender_id=person.web_sender,
                    language="sw",
                    reason="other",
                    status=HandoffStatus.CLOSED,
                    closed_at=datetime(2026, 12, 21, 9, 0, tzinfo=timezone.utc),
                )
            )
    async with async_sessions() as session, session.begin():
        for key, person in (("amina", AMINA), ("baraka", BARAKA)):
            await link_identity(session, world.officers[key], WEB, person.web_sender)
        await record_request(
            session,
            kind=DataRequestKind.ACCESS,
            outcome=DataRequestOutcome.COMPLETED,
            channel="whatsapp",
            officer_id=world.officers["amina"],
        )
        await record_request(
            session,
            kind=DataRequestKind.EXPORT,
            outcome=DataRequestOutcome.COMPLETED,
            channel="whatsapp",
            officer_id=world.officers["baraka"],
            detail="csv",
        )
        await record_request(
            session,
            kind=DataRequestKind.ERASURE,
            outcome=DataRequestOutcome.REFUSED_UNVERIFIED,
            channel="whatsapp",
        )
    return world


async def report_of(async_sessions: sessionmaker, officer_id: int) -> PersonalDataReport:
    async with async_sessions() as session:
        return await personal_data_of(session, officer_id, now=NOW)


def all_rows(sessions: sessionmaker) -> dict[str, list[str]]:
    """Every row of every table, as text: what a search for a value would find."""
    with sessions() as session:
        return {
            table.name: [" | ".join(map(str, row)) for row in session.execute(select(table))]
            for table in Base.metadata.sorted_tables
        }


def found_in(rows: dict[str, list[str]], values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (table, value)
        for table, lines in rows.items()
        for value in values
        for line in lines
        if value.lower() in line.lower()
    ]


def counts(sessions: sessionmaker) -> dict[str, int]:
    with sessions() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


def statuses(sessions: sessionmaker, world: World) -> dict[tuple[str, str], str]:
    with sessions() as session:
        by_reference = dict(session.execute(select(Enrolment.reference, Enrolment.status)).all())
    return {key: by_reference[ref].value for key, ref in world.references.items()}


def seats(sessions: sessionmaker, world: World) -> dict[str, int]:
    with sessions() as session:
        taken = dict(session.execute(select(Cohort.code, Cohort.seats_taken)).all())
    return {name: taken[code] for name, code in world.cohorts.items()}


def plain(value: Any) -> Any:
    """``value`` as JSON gives it back: dates and times as ISO text."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def baraka_traces(world: World) -> tuple[str, ...]:
    return (*BARAKA.personal_values, *BARAKA.chats, *world.refs("baraka", "full", "tiny", "open"))


# ---------------------------------------------------------------- access


async def test_access_gives_exactly_the_officers_data(world: World, async_sessions) -> None:
    amina = world.officers["amina"]
    report = await report_of(async_sessions, amina)

    assert report.officer == {
        "full_name": AMINA.name,
        "personal_number": AMINA.personal_number,
        "email": AMINA.email,
        "phone_number": AMINA.phone,
        "employer": AMINA.employer,
        "job_group": "K",
        "terms_of_service": "permanent",
        "created_at": report.officer["created_at"],
        "updated_at": report.officer["updated_at"],
    }
    assert isinstance(report.officer["created_at"], datetime)
    assert report.generated_at == NOW

    # Her five enrolments, oldest first, history included; never Baraka's.
    assert [e["reference"] for e in report.enrolments] == world.refs(
        "amina", "full", "tiny", "open", "done", "nominated"
    )
    assert [e["status"] for e in report.enrolments] == [
        "confirmed",
        "waitlisted",
        "confirmed",
        "completed",
        "pending_nomination",
    ]
    first = report.enrolments[0]
    assert first["cohort_code"] == world.cohorts["full"]
    assert first["course_code"] == world.cohorts["full"][:7]
    assert (first["course_title"], first["campus"], first["channel"]) == (
        "Test course",
        "eLDi",
        "whatsapp",
    )
    assert first["start_date"] == date(2027, 1, 11)
    assert first["declared_prerequisites"] == []
    assert {"created_at", "status_changed_at"} <= set(first)

    # Five registrations' consents, plus the one given on the website before
    # that chat was hers; Baraka's website consent is not hers.
    assert len(report.consents) == 6
    assert report.consents[0] == {
        "purpose": "registration",
        "notice_version": "2026-10",
        "language": "sw",
        "channel": WEB,
        "given_at": datetime(2026, 12, 20, 9, 0, tzinfo=timezone.utc),
        "withdrawn_at": None,
    }
    assert {c["channel"] for c in report.consents[1:]} == {"whatsapp"}
    assert [(i["channel"], i["sender_id"]) for i in report.identities] == [
        ("whatsapp", AMINA.sender),
        (WEB, AMINA.web_sender),
    ]
    # Her own access request; not Baraka's export nor the stranger's refusal.
    assert [(r["kind"], r["outcome"], r["detail"]) for r in report.requests] == [
        ("access", "completed", None)
    ]

    exported = export_json(report) + export_csv(report)
    leaks = [value for value in baraka_traces(world) if value.lower() in exported.lower()]
    assert leaks == []
    for value in (AMINA.personal_number, AMINA.email, AMINA.phone, *AMINA.chats):
        assert value in export_json(report) and value in export_csv(report)

    # And the other way round.
    theirs = await report_of(async_sessions, world.officers["baraka"])
    assert theirs.officer["full_name"] == BARAKA.name
    assert [e["reference"] for e in theirs.enrolments] == world.refs(
        "baraka", "full", "tiny", "open"
    )
    exported = export_json(theirs) + export_csv(theirs)
    assert [v for v in (*AMINA.personal_values, *AMINA.chats) if v in exported] == []


async def test_an_unknown_or_erased_officer_has_no_report(world: World, async_sessions) -> None:
    with pytest.raises(OfficerNotFound):
        await report_of(async_sessions, 9999)
    async with async_sessions() as session, session.begin():
        await erase_officer(session, world.officers["amina"], now=NOW)
    with pytest.raises(OfficerErased):
        await report_of(async_sessions, world.officers["amina"])
    assert issubclass(OfficerErased, OfficerNotFound)  # callers catching either are right
    assert (await report_of(async_sessions, world.officers["baraka"])).officer["email"] == (
        BARAKA.email
    )


# ---------------------------------------------------------------- exports


async def test_the_exports_round_trip_and_escape_what_they_must(
    world: World, sessions, async_sessions
) -> None:
    report = await report_of(async_sessions, world.officers["amina"])

    as_json = export_json(report)
    assert json.loads(as_json) == plain(report.as_dict())
    assert list(json.loads(as_json)) == [
        "officer",
        "enrolments",
        "consents",
        "identities",
        "requests",
        "generated_at",
    ]
    assert "Mũthoni" in as_json  # not \u0169
    assert '"full_name": "Wanjiru \\"Shiru\\" Mũthoni, Jr."' in as_json
    assert '\n  "officer": {\n    "full_name"' in as_json  # indent 2
    assert json.loads(as_json)["generated_at"] == "2027-01-03T08:00:00+00:00"
    assert json.loads(as_json)["enrolments"][0]["start_date"] == "2027-01-11"

    as_csv = export_csv(report)
    assert '"Wanjiru ""Shiru"" Mũthoni, Jr."' in as_csv  # quoted, quotes doubled
    rows = list(csv.DictReader(io.StringIO(as_csv, newline="")))
    assert list(rows[0]) == ["section", "item", "field", "value"]
    officer = {r["field"]: r["value"] for r in rows if r["section"] == "officer"}
    assert {r["item"] for r in rows if r["section"] == "officer"} == {"1"}
    assert officer["full_name"] == AMINA.name
    assert officer["employer"] == AMINA.employer  # the line break survives
    assert officer["phone_number"] == AMINA.phone  # a phone number is not a formula
    assert officer["created_at"] == report.officer["created_at"].isoformat()

    def section(name: str) -> list[dict[str, str]]:
        items: dict[str, dict[str, str]] = {}
        for r in rows:
            if r["section"] == name:
                items.setdefault(r["item"], {})[r["field"]] = r["value"]
        assert list(items) == [str(n) for n in range(1, len(items) + 1)]
        return list(items.values())

    def as_text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return ";".join(value)
        return value.isoformat() if isinstance(value, (date, datetime)) else str(value)

    for name, items in (
        ("enrolment", report.enrolments),
        ("consent", report.consents),
        ("identity", report.identities),
        ("request", report.requests),
    ):
        assert section(name) == [{k: as_text(v) for k, v in item.items()} for item in items]
    assert section("report") == [{"generated_at": "2027-01-03T08:00:00+00:00"}]
    assert len(rows) == len(report.officer) + 1 + sum(
        len(item)
        for items in (report.enrolments, report.consents, report.identities, report.requests)
        for item in items
    )

    # A value a spreadsheet would run as a formula is defused in the CSV only.
    formula = '=HYPERLINK("http://evil.example","x")'
    with sessions.begin() as session:
        session.execute(
            update(Officer).where(Officer.id == world.officers["amina"]).values(employer=formula)
        )
    report = await report_of(async_sessions, world.officers["amina"])
    rows = list(csv.DictReader(io.StringIO(export_csv(report), newline="")))
    employer = next(r["value"] for r in rows if r["field"] == "employer")
    assert employer == "'" + formula
    assert json.loads(export_json(report))["officer"]["employer"] == formula


# ---------------------------------------------------------------- erasure


async def test_erasure_removes_every_personal_value_and_keeps_the_counts(
    world: World, sessions, async_sessions
) -> None:
    amina, baraka = world.officers["amina"], world.officers["baraka"]
    before = counts(sessions)
    rows = all_rows(sessions)
    assert len(found_in(rows, AMINA.personal_values)) >= len(AMINA.personal_values)

    async with async_sessions() as session, session.begin():
        erasure = await erase_officer(session, amina, now=NOW)

    assert erasure == Erasure(
        withdrawn_references=world.refs("amina", "full", "tiny", "open", "nominated"),
        conversations=sorted([(WEB, AMINA.web_sender), ("whatsapp", AMINA.sender)]),
        values=list(AMINA.personal_values),
    )

    # Nothing of hers is left anywhere: no name, number, address, phone, employer
    # or chat address, in any column of any table.
    rows = all_rows(sessions)
    assert found_in(rows, (*AMINA.personal_values, *AMINA.chats)) == []
    # Baraka is untouched, his chats included.
    assert sorted({v for _, v in found_in(rows, (*BARAKA.personal_values, *BARAKA.chats))}) == (
        sorted({*BARAKA.personal_values, *BARAKA.chats})
    )

    # Anonymous counts stay: only her two chat identities are gone.
    after = counts(sessions)
    assert after == {**before, "channel_identities": before["channel_identities"] - 2}

    # Her seats went on: Baraka got the one in "full", the one in "nominated"
    # was freed; the completed course stays completed.
    assert statuses(sessions, world) == {
        ("amina", "full"): "withdrawn",
        ("amina", "tiny"): "withdrawn",
        ("amina", "open"): "withdrawn",
        ("amina", "done"): "completed",
        ("amina", "nominated"): "withdrawn",
        ("baraka", "full"): "confirmed",
        ("baraka", "tiny"): "confirmed",
        ("baraka", "open"): "confirmed",
    }
    assert seats(sessions, world) == {"full": 1, "tiny": 1, "open": 1, "done": 1, "nominated": 0}

    with sessions() as session:
        officer = session.get(Officer, amina)
        assert officer.full_name == ERASED and officer.erased_at == NOW
        assert (officer.personal_number, officer.email, officer.phone_number) == (None,) * 3
        assert officer.employer is None
        assert (officer.job_group, officer.terms_of_service.value) == ("K", "permanent")
        promoted = session.scalars(
            select(Enrolment).where(Enrolment.reference == world.references[("baraka", "full")])
        ).one()
        assert promoted.promoted_at is not None
        hers = session.scalars(select(Enrolment).where(Enrolment.officer_id == amina)).all()
        assert len(hers) == 5 and {e.sender_id for e in hers} == {None}
        assert {e.channel for e in hers} == {"whatsapp"}
        # Proof of consent stays, linked to the anonymised record; the chat
        # address does not, and nothing is processed on it any more.
        consents = session.scalars(
            select(Consent).where(Consent.sender_id == ERASED).order_by(Consent.id)
        ).all()
        assert len(consents) == 6
        assert {c.officer_id for c in consents} == {amina, None}  # the website one was unlinked
        assert {c.withdrawn_at for c in consents} == {NOW}
        assert (
            session.scalars(select(Consent.withdrawn_at).where(Consent.officer_id == baraka)).all()
            == [None] * 3
        )
        assert (
            session.scalar(
                select(func.count())
                .select_from(ChannelIdentity)
                .where(ChannelIdentity.officer_id == amina)
            )
            == 0
        )
        handoffs = {h.reference: h for h in session.scalars(select(HandoffRequest))}
        assert handoffs["HLP-AMI001"].sender_id == f"erased-{handoffs['HLP-AMI001'].id}"
        assert handoffs["HLP-AMI001"].status is HandoffStatus.OPEN  # still in the queue
        assert handoffs["HLP-AMI002"].sender_id == f"erased-{handoffs['HLP-AMI002'].id}"
        assert handoffs["HLP-BAR001"].sender_id == BARAKA.sender
        assert handoffs["HLP-BAR002"].sender_id == BARAKA.web_sender

    # Erasing again is harmless: nothing changes, nothing is reported.
    snapshot = all_rows(sessions)
    async with async_sessions() as session, session.begin():
        again = await erase_officer(session, amina, now=NOW)
    assert again == Erasure(withdrawn_references=[], conversations=[], values=[])
    assert all_rows(sessions) == snapshot

    with pytest.raises(OfficerNotFound):
        async with async_sessions() as session, session.begin():
            await erase_officer(session, 9999)


async def test_a_chat_handed_on_to_another_officer_stays_theirs(
    world: World, sessions, async_sessions
) -> None:
    """Amina's WhatsApp number now speaks for Baraka (a handed-on phone, relinked
    after Baraka proved who he is) and he has asked for staff from it. Erasing
    Amina still lists that chat for log redaction, but leaves his link, his
    consent and his hand-off request there alone."""
    amina, baraka = world.officers["amina"], world.officers["baraka"]
    async with async_sessions() as session, session.begin():
        await link_identity(session, baraka, "whatsapp", AMINA.sender)
    with sessions.begin() as session:
        session.execute(
            update(HandoffRequest)
            .where(HandoffRequest.reference == "HLP-AMI001")
            .values(status=HandoffStatus.CLOSED)
        )
        session.add(
            HandoffRequest(
                reference="HLP-BAR003",
                channel="whatsapp",
                sender_id=AMINA.sender,
                language="en",
                reason="other",
            )
        )
        session.add(
            Consent(
                officer_id=baraka,
                channel="whatsapp",
                sender_id=AMINA.sender,
                purpose="registration",
                notice_version="2026-11",
                language="en",
            )
        )

    # Access: the chat is Baraka's now, and so is the consent he gave there.
    mine = await report_of(async_sessions, amina)
    assert [i["sender_id"] for i in mine.identities] == [AMINA.web_sender]
    assert len(mine.consents) == 6
    theirs = await report_of(async_sessions, baraka)
    assert len(theirs.consents) == 3 + 1 + 1  # registrations, website, the handed-on phone
    assert not [e for e in theirs.enrolments if e["reference"] in world.refs("amina", "full")]

    async with async_sessions() as session, session.begin():
        erasure = await erase_officer(session, amina, now=NOW)
    assert ("whatsapp", AMINA.sender) in erasure.conversations  # her old messages are there

    with sessions() as session:
        identity = session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.sender_id == AMINA.sender)
        ).one()
        assert identity.officer_id == baraka
        handoffs = {h.reference: h.sender_id for h in session.scalars(select(HandoffRequest))}
        assert handoffs["HLP-BAR003"] == AMINA.sender
        assert handoffs["HLP-AMI001"] == AMINA.sender  # in his chat: not hers to erase
        his = session.scalars(
            select(Consent).where(Consent.officer_id == baraka, Consent.sender_id == AMINA.sender)
        ).one()
        assert his.withdrawn_at is None
        assert session.get(Officer, baraka).full_name == BARAKA.name
    rows = all_rows(sessions)
    assert found_in(rows, AMINA.personal_values) == []


# ---------------------------------------------------------------- consent


async def test_withdrawing_consent_cancels_what_rested_on_it(
    world: World, sessions, async_sessions
) -> None:
    amina, baraka = world.officers["amina"], world.officers["baraka"]
    before = counts(sessions)
    async with async_sessions() as session, session.begin():
        result = await withdraw_consent(session, amina, now=NOW)
    assert result == ConsentWithdrawal(
        withdrawn_references=world.refs("amina", "full", "tiny", "open", "nominated"),
        consents_withdrawn=6,  # five registrations and the website one
    )
    assert statuses(sessions, world) == {
        ("amina", "full"): "withdrawn",
        ("amina", "tiny"): "withdrawn",
        ("amina", "open"): "withdrawn",
        ("amina", "done"): "completed",  # history: past processing stays lawful
        ("amina", "nominated"): "withdrawn",
        ("baraka", "full"): "confirmed",  # her seat passed on
        ("baraka", "tiny"): "confirmed",
        ("baraka", "open"): "confirmed",
    }
    assert seats(sessions, world) == {"full": 1, "tiny": 1, "open": 1, "done": 1, "nominated": 0}
    assert counts(sessions) == before  # nothing deleted

    with sessions() as session:
        withdrawn_at = dict(
            session.execute(
                select(Consent.sender_id, func.max(Consent.withdrawn_at)).group_by(
                    Consent.sender_id
                )
            ).all()
        )
        assert withdrawn_at[AMINA.sender] == NOW and withdrawn_at[AMINA.web_sender] == NOW
        assert withdrawn_at[BARAKA.sender] is None and withdrawn_at[BARAKA.web_sender] is None
        officer = session.get(Officer, amina)
        assert (officer.full_name, officer.email, officer.erased_at) == (
            AMINA.name,
            AMINA.email,
            None,
        )

    # The record is still hers to see, with the withdrawal on it.
    report = await report_of(async_sessions, amina)
    assert {c["withdrawn_at"] for c in report.consents} == {NOW}

    # Again: nothing left to withdraw, and earlier withdrawal times are kept.
    later = datetime(2027, 1, 4, tzinfo=timezone.utc)
    async with async_sessions() as session, session.begin():
        again = await withdraw_consent(session, amina, now=later)
    assert again == ConsentWithdrawal(withdrawn_references=[], consents_withdrawn=0)
    report = await report_of(async_sessions, amina)
    assert {c["withdrawn_at"] for c in report.consents} == {NOW}
    assert (await report_of(async_sessions, baraka)).consents[0]["withdrawn_at"] is None

    with pytest.raises(OfficerNotFound):
        async with async_sessions() as session, session.begin():
            await withdraw_consent(session, 9999)


async def test_a_chat_that_never_registered_withdraws_its_own_consent(
    world: World, sessions, async_sessions
) -> None:
    stranger = "254733000003"
    with sessions.begin() as session:
        for version in ("2026-10", "2026-11"):
            session.add(
                Consent(
                    channel="whatsapp",
                    sender_id=stranger,
                    purpose="registration",
                    notice_version=version,
                    language="en",
                )
            )
        # Baraka's consent given from the same chat (a shared phone) is his, and
        # whoever is typing has not proved they are Baraka.
        session.add(
            Consent(
                officer_id=world.officers["baraka"],
                channel="whatsapp",
                sender_id=stranger,
                purpose="registration",
                notice_version="2026-11",
                language="en",
            )
        )
    async with async_sessions() as session, session.begin():
        assert await withdraw_consent_for_sender(session, "whatsapp", stranger, now=NOW) == 2
    async with async_sessions() as session, session.begin():
        assert await withdraw_consent_for_sender(session, "whatsapp", stranger, now=NOW) == 0
        assert await withdraw_consent_for_sender(session, WEB, stranger, now=NOW) == 0

    with sessions() as session:
        rows = session.execute(
            select(Consent.officer_id, Consent.withdrawn_at).where(Consent.sender_id == stranger)
        ).all()
        assert sorted(rows, key=lambda r: r.officer_id or 0) == [
            (None, NOW),
            (None, NOW),
            (world.officers["baraka"], None),
        ]
        # Nobody else's consent moved.
        assert (
            session.scalar(
                select(func.count()).select_from(Consent).where(Consent.withdrawn_at.is_not(None))
            )
            == 2
        )
    assert statuses(sessions, world)[("amina", "full")] == "confirmed"


# ---------------------------------------------------------------- accountability


async def test_requests_are_recorded_without_personal_data(
    world: World, sessions, async_sessions
) -> None:
    amina, baraka = world.officers["amina"], world.officers["baraka"]
    asked = datetime(2027, 1, 3, 7, 55, tzinfo=timezone.utc)
    async with async_sessions() as session, session.begin():
        export = await record_request(
            session,
            kind=DataRequestKind.EXPORT,
            outcome=DataRequestOutcome.COMPLETED,
            channel="whatsapp",
            officer_id=amina,
            detail=" json ",
        )
        erasure = await record_request(
            session,
            kind="erasure",
            outcome="completed",
            channel="whatsapp",
            officer_id=amina,
            detail="4 enrolments withdrawn; 2 conversations redacted",
            requested_at=asked,
            completed_at=NOW,
        )
        cancelled = await record_request(
            session,
            kind=DataRequestKind.CONSENT_WITHDRAWAL,
            outcome=DataRequestOutcome.CANCELLED,
            channel=WEB,
            officer_id=baraka,
            requested_at=asked,
        )
        refused = await record_request(
            session,
            kind=DataRequestKind.RECTIFICATION,
            outcome=DataRequestOutcome.REFUSED_UNVERIFIED,
            channel="whatsapp",
        )
        ids = [export.id, erasure.id, cancelled.id, refused.id]

    with sessions() as session:
        stored = {r.id: r for r in session.scalars(select(DataRequest))}
    first = stored[ids[0]]
    assert (first.kind, first.outcome, first.detail, first.officer_id) == (
        DataRequestKind.EXPORT,
        DataRequestOutcome.COMPLETED,
        "json",
        amina,
    )
    assert first.requested_at.tzinfo is not None and first.completed_at == first.requested_at
    second = stored[ids[1]]
    assert (second.requested_at, second.completed_at) == (asked, NOW)
    assert second.kind is DataRequestKind.ERASURE
    third = stored[ids[2]]
    assert (third.outcome, third.completed_at, third.channel) == (
        DataRequestOutcome.CANCELLED,
        None,
        WEB,
    )
    fourth = stored[ids[3]]
    assert (fourth.officer_id, fourth.outcome, fourth.detail, fourth.completed_at) == (
        None,
        DataRequestOutcome.REFUSED_UNVERIFIED,
        None,
        None,
    )

    # The records say what, when and how it ended: never who, in words.
    rows = {"data_requests": all_rows(sessions)["data_requests"]}
    assert len(rows["data_requests"]) == 3 + 4
    people = (*AMINA.personal_values, *AMINA.chats, *BARAKA.personal_values, *BARAKA.chats)
    assert found_in(rows, people) == []

    # Each officer sees their own requests only.
    report = await report_of(async_sessions, amina)
    assert sorted((r["kind"], r["outcome"]) for r in report.requests) == [
        ("access", "completed"),
        ("erasure", "completed"),
        ("export", "completed"),
    ]
    times = [r["requested_at"] for r in report.requests]
    assert times == sorted(times)  # oldest first
    report = await report_of(async_sessions, baraka)
    assert sorted((r["kind"], r["outcome"]) for r in report.requests) == [
        ("consent_withdrawal", "cancelled"),
        ("export", "completed"),
    ]

    # The record outlives the erasure, still linked to the anonymised officer.
    async with async_sessions() as session, session.begin():
        await erase_officer(session, amina, now=NOW)
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(DataRequest).where(DataRequest.officer_id == amina)
            )
            == 3
        )


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"detail": "x" * 201}, "longer than 200"),
        ({"kind": "delete_everything"}, "delete_everything"),
        ({"outcome": "maybe"}, "maybe"),
        ({"channel": "  "}, "channel"),
        ({"requested_at": datetime(2027, 1, 3, 8, 0)}, "naive"),
    ],
)
async def test_a_request_record_that_cannot_be_stored_is_refused(
    world: World, sessions, async_sessions, changes: dict[str, Any], message: str
) -> None:
    before = counts(sessions)["data_requests"]
    arguments = {
        "kind": DataRequestKind.ACCESS,
        "outcome": DataRequestOutcome.COMPLETED,
        "channel": "whatsapp",
        "officer_id": world.officers["amina"],
        **changes,
    }
    with pytest.raises(ValueError, match=message):
        async with async_sessions() as session, session.begin():
            await record_request(session, **arguments)
    assert counts(sessions)["data_requests"] == before


async def test_the_schema_refuses_an_unknown_kind_or_outcome(world: World, sessions) -> None:
    """The CHECK constraints hold for writes that bypass Python (``psql``)."""
    for kind, outcome in (("delete", "completed"), ("access", "done")):
        with pytest.raises(IntegrityError), sessions.begin() as session:
            session.execute(
                text(
                    "INSERT INTO data_requests (officer_id, kind, outcome, channel, requested_at)"
                    " VALUES (:officer, :kind, :outcome, 'whatsapp', :at)"
                ),
                {"officer": world.officers["baraka"], "kind": kind, "outcome": outcome, "at": NOW},
            )


def test_the_module_needs_no_rasa() -> None:
    """Domain logic only (the actions wrap it): importing it loads no Rasa."""
    check = (
        "import sys, bot.data_rights; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rasa', 'rasa_sdk')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ---------------------------------------------------------------- migration 0003


def test_downgrading_0003_gives_back_the_0002_schema(
    empty_db_url: str, request: pytest.FixtureRequest
) -> None:
    """0003 drops ``officers.erased_at`` with a table rebuild on SQLite: the unique
    personal number and the CHECK constraint must come through it."""
    backend = "sqlite" if empty_db_url.startswith("sqlite") else "postgres"
    scratch_db_url = request.getfixturevalue(f"scratch_{backend}_url")
    migrate.upgrade(empty_db_url, "0002")
    at_0002 = schema_of(empty_db_url)
    at_head = schema_of(scratch_db_url)
    assert "data_requests" in at_head["tables"] and "data_requests" not in at_0002["tables"]
    assert "erased_at" in [c[0] for c in at_head["tables"]["officers"]["columns"]]
    migrate.downgrade(scratch_db_url, "0002")
    assert schema_of(scratch_db_url) == at_0002
    migrate.upgrade(scratch_db_url)
    assert schema_of(scratch_db_url) == at_head
    migrate.check(scratch_db_url)


def test_0003_keeps_existing_officers(empty_db_url: str) -> None:
    """Officers registered before 0003 are not erased; downgrading keeps them
    (and their unique personal numbers) and drops only the request history."""
    migrate.upgrade(empty_db_url, "0002")
    created = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
    engine = create_sync_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            for n, name in ((1, AMINA.name), (2, BARAKA.name)):
                connection.execute(
                    text(
                        "INSERT INTO officers (id, full_name, personal_number, created_at,"
                        " updated_at) VALUES (:id, :name, :number, :now, :now)"
                    ),
                    {"id": n, "name": name, "number": f"2023000{n}", "now": created},
                )
    finally:
        engine.dispose()

    migrate.upgrade(empty_db_url, "0003")
    engine = create_sync_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            assert connection.execute(
                text("SELECT id, full_name, erased_at FROM officers ORDER BY id")
            ).all() == [(1, AMINA.name, None), (2, BARAKA.name, None)]
            connection.execute(
                text(
                    "INSERT INTO data_requests (officer_id, kind, outcome, channel, requested_at)"
                    " VALUES (1, 'access', 'completed', 'whatsapp', :now)"
                ),
                {"now": created},
            )
    finally:
        engine.dispose()

    migrate.downgrade(empty_db_url, "0002")
    engine = create_sync_engine(empty_db_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(
                text("SELECT id, full_name FROM officers ORDER BY id")
            ).all() == [(1, AMINA.name), (2, BARAKA.name)]
            assert "data_requests" not in set(connection.dialect.get_table_names(connection))
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO officers (full_name, personal_number, created_at, updated_at)"
                    " VALUES ('Someone Else', '20230001', :now, :now)"
                ),
                {"now": created},
            )
    finally:
        engine.dispose()

"""Officers' data rights and Data Protection Act answers, end to end (issue 4
acceptance): a real Rasa server and action server over REST, on SQLite and on
PostgreSQL (enrolment database and tracker store), then every table read
directly. Messages here are never in the training data."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg2
import pytest
from sqlalchemy import MetaData, select

from bot.console import conversations as console_conversations
from bot.db.engine import create_sync_engine
from tests.conftest import Stack

pytestmark = pytest.mark.integration

POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def new_sender() -> str:
    return f"officer-{uuid.uuid4().hex[:10]}"


def text_of(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def payloads(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


@dataclass(frozen=True)
class Officer:
    name: str
    personal_number: str
    email: str
    phone_typed: str
    phone: str
    employer: str

    @property
    def personal_values(self) -> tuple[str, ...]:
        local = "0" + self.phone.removeprefix("+254")
        return (self.name, self.personal_number, self.email.lower(), self.phone, local)


AMINA = Officer(
    "Amina Chepkoech Rotich", "20186655", "amina.rotich@lands.go.ke", "0711 482 905",
    "+254711482905", "Ministry of Lands",
)  # fmt: skip
BARAKA = Officer(
    "Baraka Odhiambo Were", "20179034", "b.were@health.go.ke", "0722 903 417",
    "+254722903417", "Ministry of Health",
)  # fmt: skip
CHARO = Officer(
    "Charo Kahindi Mwadzombo", "20163318", "charo.k@kilifi.go.ke", "0733 150 662",
    "+254733150662", "County Government of Kilifi",
)  # fmt: skip


class DataStack(Stack):
    """A stack whose enrolment database and tracker store can be PostgreSQL."""

    database_url: str | None = None
    tracker_url: str | None = None

    @property
    def env(self) -> dict[str, str]:
        env = super().env
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
            env["TRACKER_STORE_URL"] = self.tracker_url or ""
        return env

    @property
    def enrolment_url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def tracker_store_url(self) -> str:
        return self.env["TRACKER_STORE_URL"]


def _admin(sql: str) -> None:
    connection = psycopg2.connect(f"{POSTGRES}/postgres", connect_timeout=3)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def data_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DataStack]:
    running = DataStack(tmp_path_factory.mktemp(f"rights-{request.param}"))
    databases: list[str] = []
    if request.param == "postgres":
        try:
            _admin("SELECT 1")
        except psycopg2.Error as error:
            pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 ({error})")
        suffix = uuid.uuid4().hex[:10]
        databases = [f"msaidizi_rights_{suffix}", f"msaidizi_rights_tracker_{suffix}"]
        for name in databases:
            _admin(f'CREATE DATABASE "{name}"')
        running.database_url = f"{POSTGRES}/{databases[0]}"
        running.tracker_url = f"{POSTGRES}/{databases[1]}"
    try:
        running.setup_database()
        running.start()
        yield running
    finally:
        running.stop()
        for name in databases:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def all_rows(url: str) -> dict[str, list[str]]:
    """Every row of every table, as text: what a search for a value would find."""
    engine = create_sync_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {
                name: [" | ".join(map(str, row)) for row in connection.execute(select(table))]
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


async def index_console(tracker_store_url: str) -> None:
    engine = console_conversations.create_engine(tracker_store_url)
    try:
        await console_conversations.refresh(engine)
    finally:
        await engine.dispose()


def found_in(rows: dict[str, list[str]], values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (table, value)
        for table, lines in rows.items()
        for value in values
        for line in lines
        if value.lower() in line.lower()
    ]


def query(url: str, sql: str) -> list[tuple]:
    from sqlalchemy import text

    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def register(stack: Stack, sender: str, officer: Officer) -> str:
    """Registers ``officer`` for DGP-202 (June intake); returns the reference."""
    stack.say(sender, "I want to register for DGP-202")
    stack.say(sender, "job group L")
    stack.say(sender, '/inform{"cohort":"DGP-202-2027-06"}')
    stack.say(sender, "/affirm")  # consent
    for answer in (officer.name, officer.personal_number, officer.email, officer.phone_typed,
                   officer.employer):  # fmt: skip
        stack.say(sender, answer)
    done = text_of(stack.say(sender, "/affirm"))
    found = re.search(r"KSG-[A-Z0-9]{6}", done)
    assert found, done
    return found.group(0)


@pytest.fixture(scope="module")
def registered(data_stack: DataStack) -> dict[str, tuple[str, str]]:
    """Three officers registered, each from their own chat: name -> (sender, reference)."""
    out = {}
    for officer in (AMINA, BARAKA, CHARO):
        sender = new_sender()
        out[officer.name] = (sender, register(data_stack, sender, officer))
    return out


def test_access_from_another_chat_needs_proof_and_shows_only_that_officer(
    data_stack: DataStack, registered: dict[str, tuple[str, str]]
) -> None:
    _, reference = registered[AMINA.name]
    sender = new_sender()  # a new chat: not linked to anyone yet
    asked = data_stack.say(sender, "what data do you hold about me?")
    assert "personal number" in text_of(asked).lower()
    data_stack.say(sender, AMINA.personal_number)
    shown = data_stack.say(sender, reference)
    text = text_of(shown)
    for value in (AMINA.name, AMINA.email, AMINA.phone, AMINA.personal_number, reference):
        assert value in text, f"{value} missing from:\n{text}"
    for other in (BARAKA, CHARO):
        assert not [v for v in other.personal_values if v in text]
    assert '/data_export{"export_format":"json"}' in payloads(shown)

    # The copy, as JSON: exactly her data.
    sent = data_stack.say(sender, '/data_export{"export_format":"json"}')
    [file] = [m["custom"] for m in sent if m.get("custom", {}).get("type") == "file"]
    assert file["mime_type"] == "application/json" and file["filename"].endswith(".json")
    exported = json.loads(file["content"])
    assert exported["officer"]["personal_number"] == AMINA.personal_number
    assert [e["reference"] for e in exported["enrolments"]] == [reference]
    assert not [v for o in (BARAKA, CHARO) for v in o.personal_values if v in file["content"]]

    # And as CSV, asked for in words.
    data_stack.say(sender, "nitumie nakala ya taarifa zangu zote")
    sent = data_stack.say(sender, "csv")
    [file] = [m["custom"] for m in sent if m.get("custom", {}).get("type") == "file"]
    rows = list(csv.DictReader(io.StringIO(file["content"])))
    assert {"section", "field", "value"} <= set(rows[0])
    assert any(r["value"] == AMINA.email.lower() or r["value"] == AMINA.email for r in rows)

    kinds = query(
        data_stack.enrolment_url,
        "SELECT kind, outcome, detail FROM data_requests ORDER BY id",
    )
    assert ("access", "completed", None) in kinds
    assert ("export", "completed", "json") in kinds and ("export", "completed", "csv") in kinds


def test_a_stranger_is_refused_and_nothing_is_erased(
    data_stack: DataStack, registered: dict[str, tuple[str, str]]
) -> None:
    stranger = new_sender()
    data_stack.say(stranger, "please erase all the info you keep on me")
    data_stack.say(stranger, BARAKA.personal_number)
    refused = text_of(data_stack.say(stranger, "KSG-ZZ9ZZ9"))
    assert "don't match" in refused
    rows = all_rows(data_stack.enrolment_url)
    assert found_in(rows, (BARAKA.email.lower(),)), "Baraka's record must be untouched"
    assert ("erasure", "refused_unverified") in [
        r[:2] for r in query(data_stack.enrolment_url, "SELECT kind, outcome FROM data_requests")
    ]


def test_erasure_removes_the_officer_from_every_table_and_every_conversation(
    data_stack: DataStack, registered: dict[str, tuple[str, str]]
) -> None:
    sender, reference = registered[BARAKA.name]
    # Baraka's personal number also appears in a chat that was never linked to him.
    elsewhere = new_sender()
    data_stack.say(elsewhere, f"is {BARAKA.personal_number} a valid personal number format?")
    events_before = query(
        data_stack.tracker_store_url, f"SELECT count(*) FROM events WHERE sender_id = '{sender}'"
    )[0][0]

    # The support console has indexed the conversations (its search text).
    asyncio.run(index_console(data_stack.tracker_store_url))
    indexed = " ".join(all_rows(data_stack.tracker_store_url)["console_conversations"]).lower()
    assert sender in indexed
    # His name is his conversation's full_name slot: masked in the index from the start.
    assert BARAKA.name.lower() not in indexed

    question = data_stack.say(sender, "futa data yangu yote tafadhali")
    assert reference in text_of(question)  # the registration that will be withdrawn
    assert "/affirm" in payloads(question)
    done = text_of(data_stack.say(sender, "/affirm"))
    assert "imefutwa" in done

    rows = all_rows(data_stack.enrolment_url)
    assert not found_in(rows, BARAKA.personal_values), found_in(rows, BARAKA.personal_values)
    # Anonymous counts stay: the enrolment row (withdrawn) and the consent.
    [(status,)] = query(
        data_stack.enrolment_url, f"SELECT status FROM enrolments WHERE reference = '{reference}'"
    )
    assert status == "withdrawn"
    # The other officers are untouched.
    assert found_in(rows, (CHARO.email.lower(), CHARO.personal_number))

    events = all_rows(data_stack.tracker_store_url)
    # (This includes the console's index, console_conversations, and its search text.)
    assert not found_in(events, BARAKA.personal_values), found_in(events, BARAKA.personal_values)
    assert found_in(events, (CHARO.name, CHARO.personal_number))
    # His conversation is redacted, not removed: the counts stay, and it goes on.
    events_after = query(
        data_stack.tracker_store_url, f"SELECT count(*) FROM events WHERE sender_id = '{sender}'"
    )[0][0]
    assert events_after >= events_before
    assert data_stack.say(sender, "shukrani, nimeelewa kila kitu sasa")
    # He is no longer on file: his status cannot be seen any more.
    asked = text_of(data_stack.say(sender, "status ya usajili wangu?"))
    assert BARAKA.name not in asked and "nambari yako ya kazi" in asked.lower()
    outcomes = query(
        data_stack.enrolment_url,
        "SELECT kind, outcome, detail FROM data_requests WHERE kind = 'erasure' ORDER BY id",
    )
    assert outcomes[-1][:2] == ("erasure", "completed")
    assert not [v for v in BARAKA.personal_values if v in str(outcomes)]


def test_consent_withdrawal_cancels_the_registration_and_offers_erasure(
    data_stack: DataStack, registered: dict[str, tuple[str, str]]
) -> None:
    sender, reference = registered[CHARO.name]
    question = text_of(data_stack.say(sender, "I'm taking back the consent I gave for my details"))
    assert reference in question
    done = data_stack.say(sender, "/affirm")
    assert "consent is withdrawn" in text_of(done)
    assert "/my_data_erase" in payloads(done)
    [(status,)] = query(
        data_stack.enrolment_url, f"SELECT status FROM enrolments WHERE reference = '{reference}'"
    )
    assert status == "withdrawn"
    withdrawn = query(
        data_stack.enrolment_url,
        "SELECT c.withdrawn_at FROM consents c JOIN officers o ON o.id = c.officer_id"
        f" WHERE o.personal_number = '{CHARO.personal_number}'",
    )
    assert withdrawn and all(w is not None for (w,) in withdrawn)


def test_privacy_notice_and_act_answers_in_both_languages(data_stack: DataStack) -> None:
    sender = new_sender()
    notice = text_of(data_stack.say(sender, "before I sign up, who gets to see my details?"))
    assert "dpo@ksg.example" in notice and "s.32" in notice and "24 months" in notice
    notice_sw = text_of(data_stack.say(sender, "taarifa zangu mtazitunza kwa muda gani?"))
    assert "miezi 24" in notice_sw
    breach = text_of(
        data_stack.say(
            sender,
            "if hackers get into our ministry's HR system, how long do we have to notify the regulator?",
        )
    )
    assert "72" in breach and "s.43" in breach
    breach_sw = text_of(
        data_stack.say(
            sender,
            "mchakataji wa data akigundua uvujaji wa data, amjulishe mdhibiti ndani ya muda gani?",
        )
    )
    assert "48" in breach_sw and "kifungu cha 43" in breach_sw

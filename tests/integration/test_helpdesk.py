"""The helpdesk flows end to end: a real Rasa server and action server over REST,
then the enrolment database read directly to check what each flow stored (issue 3
acceptance). Messages here are never in the training data."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterable

import pytest

from bot import replies
from tests.conftest import Stack

pytestmark = pytest.mark.integration


def new_sender() -> str:
    return f"officer-{uuid.uuid4().hex[:10]}"


def pattern(key: str, language: str) -> re.Pattern:
    """A catalogue reply as a pattern matching it with any placeholder values."""
    text = replies.catalogue()[key][language].strip()
    parts = re.split(r"\{[a-z_]+\}", text)
    return re.compile("(.+?)".join(re.escape(p) for p in parts), re.S)


def all_text(messages: Iterable[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def says(messages: list[dict], key: str, language: str) -> re.Match:
    found = pattern(key, language).search(all_text(messages))
    assert found, f"expected {key!r} in {language}, got:\n{all_text(messages)}"
    return found


def payloads(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


class Database:
    def __init__(self, stack: Stack) -> None:
        self.path = stack.workdir / "msaidizi.db"

    def rows(self, sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(self.path) as db:
            return db.execute(sql, params).fetchall()

    def enrolments_of(self, personal_number: str) -> list[tuple]:
        return self.rows(
            "SELECT e.reference, c.code, e.status, e.declared_prerequisites, e.promoted_at"
            " FROM enrolments e JOIN officers o ON o.id = e.officer_id"
            " JOIN cohorts c ON c.id = e.cohort_id WHERE o.personal_number = ?"
            " ORDER BY e.id",
            personal_number,
        )


@pytest.fixture(scope="module")
def db(stack: Stack) -> Database:
    return Database(stack)


def register(
    stack: Stack,
    sender: str,
    opening: str,
    job_group: str | None,
    cohort: str,
    details: list[str] | None,
    *,
    prerequisite: bool = False,
) -> list[dict]:
    """Goes through the registration form; returns the last reply."""
    stack.say(sender, opening)
    if job_group is not None:
        stack.say(sender, job_group)
    if prerequisite:
        stack.say(sender, "/affirm")
    stack.say(sender, f'/inform{{"cohort":"{cohort}"}}')
    stack.say(sender, "/affirm")  # consent
    for answer in details or []:
        stack.say(sender, answer)
    return stack.say(sender, "/affirm")  # the summary is right


def test_happy_path_registration_in_english_stores_a_confirmed_enrolment(
    stack: Stack, db: Database
) -> None:
    sender = new_sender()
    first = stack.say(sender, "I'd like to enrol in DGP 202 please")
    says(first, "ask_registration_form_job_group", "en")
    cohort_question = stack.say(sender, "I'm job group M")
    says(cohort_question, "eligible_so_far", "en")
    assert '/inform{"cohort":"DGP-202-2027-02"}' in payloads(cohort_question)
    consent = stack.say(sender, '/inform{"cohort":"DGP-202-2027-06"}')
    says(consent, "ask_consent", "en")
    officers_before = db.rows("SELECT count(*) FROM officers")[0][0]
    says(stack.say(sender, "/affirm"), "ask_full_name", "en")
    says(stack.say(sender, "Halima Abdi Hussein"), "ask_personal_number", "en")
    says(stack.say(sender, "PN 19874512"), "ask_email", "en")
    says(stack.say(sender, "Halima.Hussein@Treasury.go.ke"), "ask_phone_number", "en")
    says(stack.say(sender, "0733 410 276"), "ask_employer", "en")
    summary = stack.say(sender, "I work at the National Treasury")
    text = all_text(summary)
    for shown in ("DGP-202", "Halima Abdi Hussein", "19874512", "Halima.Hussein@treasury.go.ke",
                  "+254733410276", "National Treasury", "M"):  # fmt: skip
        assert shown in text
    # Nothing personal is stored before the officer confirms.
    assert db.rows("SELECT count(*) FROM officers")[0][0] == officers_before
    done = stack.say(sender, "/affirm")
    reference = says(done, "registered_confirmed", "en")
    [(stored_ref, cohort, status, _, _)] = db.enrolments_of("19874512")
    assert (cohort, status) == ("DGP-202-2027-06", "confirmed")
    assert stored_ref in all_text(done) and reference
    [(name, email, phone, employer, group)] = db.rows(
        "SELECT full_name, email, phone_number, employer, job_group FROM officers"
        " WHERE personal_number = '19874512'"
    )
    assert (name, email, phone, employer, group) == (
        "Halima Abdi Hussein", "Halima.Hussein@treasury.go.ke", "+254733410276",
        "National Treasury", "M",
    )  # fmt: skip
    [(purpose, language, version)] = db.rows(
        "SELECT c.purpose, c.language, c.notice_version FROM consents c"
        " JOIN officers o ON o.id = c.officer_id WHERE o.personal_number = '19874512'"
    )
    assert (purpose, language) == ("registration", "en") and version
    assert (
        db.rows(
            "SELECT count(*) FROM channel_identities WHERE sender_id = ? AND channel = 'rest'",
            sender,
        )[0][0]
        == 1
    )


def test_happy_path_registration_in_kiswahili_records_the_declared_prerequisite(
    stack: Stack, db: Database
) -> None:
    sender = new_sender()
    says(
        stack.say(sender, "ningependa kujisajili kozi ya cloud"),
        "ask_registration_form_job_group",
        "sw",
    )
    says(stack.say(sender, "kundi langu la kazi ni L"), "ask_prerequisite_declared", "sw")
    says(stack.say(sender, "ndio nimeimaliza"), "ask_cohort", "sw")
    says(stack.say(sender, '/inform{"cohort":"CLD-201-2027-06"}'), "ask_consent", "sw")
    says(stack.say(sender, "ndiyo nakubali"), "ask_full_name", "sw")
    stack.say(sender, "Mwanaisha Juma Bakari")
    stack.say(sender, "20184471")
    stack.say(sender, "mwanaisha.bakari@kilifi.go.ke")
    stack.say(sender, "0711903552")
    summary = stack.say(sender, "Serikali ya Kaunti ya Kilifi")
    says(summary, "summary_prerequisite_declared", "sw")
    done = stack.say(sender, "/affirm")
    says(done, "registered_confirmed", "sw")
    [(_, cohort, status, declared, _)] = db.enrolments_of("20184471")
    assert (cohort, status) == ("CLD-201-2027-06", "confirmed")
    assert "DLF-101" in declared


def test_an_ineligible_officer_gets_every_reason_and_alternatives_and_nothing_is_stored(
    stack: Stack, db: Database
) -> None:
    sender = new_sender()
    officers_before = db.rows("SELECT count(*) FROM officers")[0][0]
    stack.say(sender, "nataka kujiunga na kozi ya akili bandia")
    answer = stack.say(sender, "niko kundi la kazi G")
    says(answer, "eligible_no", "sw")
    says(answer, "reason_job_group_too_low", "sw")
    says(answer, "suggestions", "sw")
    assert any(p.startswith("/course_details") for p in payloads(answer))
    assert "DLF-101" in all_text(answer)  # open to every job group
    # The form ended: the next message is not taken as a registration answer.
    assert "ask_consent" not in all_text(stack.say(sender, "asante kwa maelezo hayo"))
    assert db.rows("SELECT count(*) FROM officers")[0][0] == officers_before


def test_an_intern_is_told_every_reason_in_english(stack: Stack) -> None:
    answer = stack.say(new_sender(), "I'm an intern here, may I take the CLD-201 course?")
    says(answer, "eligible_no", "en")
    says(answer, "reason_interns_only", "en")
    says(answer, "suggestions", "en")


def test_a_full_intake_puts_the_officer_on_the_waiting_list(stack: Stack, db: Database) -> None:
    sender = new_sender()
    done = register(
        stack, sender, "register me for Cloud Computing Fundamentals", "JG N", "CLD-201-2027-03",
        ["Kevin Ochieng Were", "30045128", "k.were@interior.go.ke", "+254 720 118 934",
         "Ministry of Interior"],
        prerequisite=True,
    )  # fmt: skip
    says(done, "registered_waitlisted", "en")
    [(_, cohort, status, _, _)] = db.enrolments_of("30045128")
    assert (cohort, status) == ("CLD-201-2027-03", "waitlisted")
    assert db.rows("SELECT seats_taken, capacity FROM cohorts WHERE code = 'CLD-201-2027-03'") == [
        (25, 25)
    ]


def test_registering_twice_returns_the_same_enrolment_and_reference(
    stack: Stack, db: Database
) -> None:
    sender = new_sender()
    details = ["Ruth Chebet Koech", "20350017", "ruth.koech@agri.go.ke", "0712 003 118", "Ministry of Agriculture"]  # fmt: skip
    first = register(
        stack, sender, "nataka kujisajili DSD 203", "kundi la kazi L", "DSD-203-2027-04", details
    )
    reference = re.search(r"KSG-[A-Z0-9]{6}", all_text(first)).group(0)
    # The chat is now linked to the officer: no personal details asked again.
    stack.say(sender, "nisajili tena kwa DSD-203")
    stack.say(sender, '/inform{"cohort":"DSD-203-2027-04"}')
    summary = stack.say(sender, "/affirm")
    says(summary, "summary_on_file", "sw")
    again = stack.say(sender, "/affirm")
    says(again, "registered_already", "sw")
    assert reference in all_text(again)
    assert len(db.enrolments_of("20350017")) == 1


def test_someone_else_typing_a_registered_personal_number_learns_and_changes_nothing(
    stack: Stack, db: Database
) -> None:
    owner, other = new_sender(), new_sender()
    details = ["Joseph Mwangi Kariuki", "20660044", "j.kariuki@health.go.ke", "0722 660 044", "Ministry of Health"]  # fmt: skip
    first = register(
        stack, owner, "register me for DGP-202", "job group L", "DGP-202-2027-06", details
    )
    reference = re.search(r"KSG-[A-Z0-9]{6}", all_text(first)).group(0)
    forged = ["Someone Else Entirely", "20660044", "someone@example.com", "0722 000 999", "Ministry of Health"]  # fmt: skip
    answer = register(
        stack, other, "register me for DGP-202", "job group L", "DGP-202-2027-06", forged
    )
    says(answer, "registration_identity_conflict", "en")
    assert reference not in all_text(answer)
    assert db.rows("SELECT full_name, email FROM officers WHERE personal_number = '20660044'") == [
        ("Joseph Mwangi Kariuki", "j.kariuki@health.go.ke")
    ]
    assert len(db.enrolments_of("20660044")) == 1


def test_a_correction_and_a_question_mid_form_keep_the_form_going(
    stack: Stack, db: Database
) -> None:
    sender = new_sender()
    stack.say(sender, "I want to apply for the digital project management course")
    stack.say(sender, "my group is JG P")
    stack.say(sender, '/inform{"cohort":"DPM-204-2027-05"}')
    stack.say(sender, "/affirm")
    stack.say(sender, "Peter Kiprono Langat")
    stack.say(sender, "20117745")
    says(stack.say(sender, "peter.langat@ict.go.ke"), "ask_phone_number", "en")
    corrected = stack.say(sender, "sorry, my email is actually plangat@ict.go.ke")
    says(corrected, "ask_phone_number", "en")
    question = stack.say(sender, "hold on, where is this course held?")
    assert "Mombasa" in all_text(question)
    says(question, "ask_phone_number", "en")  # the form asks its question again
    stack.say(sender, "0701 223 998")
    summary = stack.say(sender, "State Department for ICT")
    assert "plangat@ict.go.ke" in all_text(summary)
    assert "peter.langat@" not in all_text(summary)
    stack.say(sender, "/affirm")
    assert db.rows("SELECT email FROM officers WHERE personal_number = '20117745'") == [
        ("plangat@ict.go.ke",)
    ]


def test_invalid_answers_are_explained_and_asked_again(stack: Stack) -> None:
    sender = new_sender()
    stack.say(sender, "register me for DGP-202")
    stack.say(sender, "it is jg L")
    stack.say(sender, '/inform{"cohort":"DGP-202-2027-06"}')
    stack.say(sender, "/affirm")
    says(stack.say(sender, "Wanjiru"), "name_one_word", "en")
    stack.say(sender, "Wanjiru Mwangi")
    says(stack.say(sender, "12ab"), "personal_number_wrong_format", "en")
    stack.say(sender, "20998877")
    says(stack.say(sender, "wanjiru.mwangi at gmail"), "email_has_space", "en")
    stack.say(sender, "wanjiru.mwangi@gmail.com")
    says(stack.say(sender, "020 222 3333"), "phone_landline", "en")


def test_stop_mid_form_saves_nothing(stack: Stack, db: Database) -> None:
    sender = new_sender()
    stack.say(sender, "nataka kujisajili kozi ya usalama wa mtandao")
    stack.say(sender, "kundi la kazi K")
    stopped = stack.say(sender, "acha kabisa, nimeghairi")
    says(stopped, "form_stopped", "sw")
    assert db.rows("SELECT count(*) FROM consents WHERE sender_id = ?", sender) == [(0,)]


def test_consent_refused_stores_nothing(stack: Stack, db: Database) -> None:
    sender = new_sender()
    stack.say(sender, "register me for DGP-202")
    stack.say(sender, "it is jg L")
    stack.say(sender, '/inform{"cohort":"DGP-202-2027-06"}')
    says(stack.say(sender, "/deny"), "consent_refused", "en")
    assert db.rows("SELECT count(*) FROM consents WHERE sender_id = ?", sender) == [(0,)]


def test_status_is_shown_to_the_registering_chat_and_refused_to_a_stranger(
    stack: Stack, db: Database
) -> None:
    owner = new_sender()
    done = register(
        stack, owner, "register me for DGP-202", "JG L", "DGP-202-2027-10",
        ["Amina Wairimu Njoroge", "20446612", "amina.njoroge@lands.go.ke", "0790 118 223",
         "Ministry of Lands"],
    )  # fmt: skip
    reference = re.search(r"KSG-[A-Z0-9]{6}", all_text(done)).group(0)
    status = stack.say(owner, "where is my application at?")
    says(status, "status_intro", "en")
    assert reference in all_text(status) and "DGP-202" in all_text(status)

    stranger = new_sender()
    says(
        stack.say(stranger, "hali ya usajili wangu ikoje?"), "ask_status_form_personal_number", "sw"
    )
    stack.say(stranger, "20446612")  # the owner's personal number...
    refused = stack.say(stranger, "KSG-23456A")  # ...with a made-up reference
    says(refused, "verification_failed", "sw")
    assert reference not in all_text(refused) and "DGP-202" not in all_text(refused)

    # The owner from another chat proves it with personal number + reference.
    other_chat = new_sender()
    stack.say(other_chat, "check my registration status")
    stack.say(other_chat, "20446612")
    proved = stack.say(other_chat, reference.lower().replace("-", " "))
    assert reference in all_text(proved)


def test_withdrawal_frees_the_seat_for_the_first_waitlisted_officer(
    stack: Stack, db: Database
) -> None:
    # One seat left in this intake.
    with sqlite3.connect(db.path) as conn:
        conn.execute("UPDATE cohorts SET seats_taken = capacity - 1 WHERE code = 'DSD-203-2027-09'")
    first, second = new_sender(), new_sender()
    register(stack, first, "register me for DSD-203", "JG M", "DSD-203-2027-09",
             ["Brian Otieno Ouma", "20771100", "b.ouma@transport.go.ke", "0722 771 100",
              "State Department for Transport"])  # fmt: skip
    register(stack, second, "nisajili kozi ya huduma za kidijitali", "kundi la kazi N", "DSD-203-2027-09",
             ["Zawadi Achieng Odhiambo", "20771101", "z.odhiambo@kisumu.go.ke", "0733 771 101",
              "Kaunti ya Kisumu"])  # fmt: skip
    assert db.enrolments_of("20771100")[0][2] == "confirmed"
    assert db.enrolments_of("20771101")[0][2] == "waitlisted"

    ask = stack.say(first, "I can no longer attend, please withdraw me")
    says(ask, "ask_withdraw_confirmed", "en")
    assert db.enrolments_of("20771100")[0][2] == "confirmed"  # not before confirming
    says(stack.say(first, "/affirm"), "withdrawn", "en")
    assert db.enrolments_of("20771100")[0][2] == "withdrawn"
    [(_, _, status, _, promoted_at)] = db.enrolments_of("20771101")
    assert status == "confirmed" and promoted_at is not None
    assert db.rows("SELECT seats_taken = capacity FROM cohorts WHERE code = 'DSD-203-2027-09'") == [
        (1,)
    ]
    says(stack.say(second, "status ya usajili wangu?"), "status_intro", "sw")


def test_a_verified_officer_updates_details_and_a_job_group_change_is_checked(
    stack: Stack, db: Database
) -> None:
    sender = new_sender()
    register(stack, sender, "register me for DGP-202", "JG K", "DGP-202-2027-02",
             ["Samuel Mutua Kilonzo", "20880011", "s.kilonzo@water.go.ke", "0711 880 011",
              "Ministry of Water"])  # fmt: skip
    stack.say(sender, "I have a new mobile number")
    says(stack.say(sender, "0799 880 012"), "details_updated", "en")
    assert db.rows("SELECT phone_number FROM officers WHERE personal_number = '20880011'") == [
        ("+254799880012",)
    ]
    stack.say(sender, "nataka kubadilisha kundi langu la kazi")
    changed = stack.say(sender, "kundi la kazi H")
    says(changed, "details_updated", "sw")
    says(changed, "details_job_group_affects", "sw")  # DGP-202 is for JG K and above
    assert db.rows("SELECT job_group FROM officers WHERE personal_number = '20880011'") == [("H",)]


class StackWithoutDatabase(Stack):
    """Msaidizi whose enrolment database cannot be reached (nothing listens there)."""

    @property
    def env(self) -> dict[str, str]:
        env = super().env
        env["DATABASE_URL"] = "postgresql+asyncpg://msaidizi@127.0.0.1:9/unreachable"
        env["DB_TIMEOUT_SECONDS"] = "3"
        return env


def test_a_database_outage_gets_a_polite_reply_in_the_officers_language(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    down = StackWithoutDatabase(tmp_path_factory.mktemp("no-db")).start()
    try:
        says(down.say(new_sender(), "which courses do you offer?"), "service_unavailable", "en")
        sender = new_sender()
        says(down.say(sender, "nataka kujisajili kozi ya cloud"), "service_unavailable", "sw")
        # The conversation goes on: the bot still answers what needs no database.
        assert down.say(sender, "habari za jioni rafiki")
        says(down.say(new_sender(), "where is my application?"), "service_unavailable", "en")
        log = "".join(down.output)
        assert "Traceback" not in "".join(m.get("text") or "" for m in down.say(sender, "status?"))
        assert "enrolment database unavailable" in log
    finally:
        down.stop()


def test_asking_for_a_person_mid_form_hands_off_and_ends_the_form(
    stack: Stack, db: Database
) -> None:
    sender = new_sender()
    stack.say(sender, "nataka kujisajili kozi ya usimamizi wa miradi")
    handed = stack.say(sender, "naomba kuzungumza na mhudumu wa KSG moja kwa moja")
    assert "HLP-" in all_text(handed)
    assert db.rows("SELECT status FROM handoff_requests WHERE sender_id = ?", sender) == [("open",)]
    # The form is over: a job group now is not taken as its answer.
    assert "Usajili wa" not in all_text(stack.say(sender, "asante sana kwa msaada wenu"))

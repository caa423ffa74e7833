"""The summary of an officer's own data (DPA 2019 s.26; issue 4): every field,
registration, consent, linked chat and earlier request, in the officer's language."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.data_rights import PersonalDataReport
from bot.my_data import render_items, summary_text

WHEN = datetime(2026, 11, 28, 7, 30, tzinfo=timezone.utc)

REPORT = PersonalDataReport(
    officer={
        "full_name": "Wanjiru Njeri Kamau",
        "personal_number": "20231234",
        "email": "wanjiru.kamau@ict.go.ke",
        "phone_number": "+254712345678",
        "employer": "State Department for ICT",
        "job_group": "L",
        "terms_of_service": None,
        "created_at": WHEN,
        "updated_at": WHEN,
    },
    enrolments=[
        {
            "reference": "KSG-7F3K9Q",
            "course_code": "CLD-201",
            "course_title": "Cloud Computing Fundamentals",
            "course_title_sw": "Misingi ya Kompyuta ya Wingu",
            "cohort_code": "CLD-201-2027-03",
            "campus": "Lower Kabete",
            "start_date": date(2027, 3, 1),
            "status": "waitlisted",
        }
    ],
    consents=[
        {
            "purpose": "registration",
            "notice_version": "2026-11-28",
            "language": "sw",
            "channel": "rest",
            "given_at": WHEN,
            "withdrawn_at": None,
        },
        {
            "purpose": "registration",
            "notice_version": "2026-01-01",
            "language": "en",
            "channel": "telegram",
            "given_at": WHEN,
            "withdrawn_at": WHEN,
        },
    ],  # fmt: skip
    identities=[{"channel": "rest", "sender_id": "abc", "created_at": WHEN}],
    requests=[
        {
            "kind": "access",
            "outcome": "completed",
            "requested_at": WHEN,
            "completed_at": WHEN,
            "detail": None,
        },
        {
            "kind": "erasure",
            "outcome": "refused_unverified",
            "requested_at": WHEN,
            "completed_at": None,
            "detail": None,
        },
    ],  # fmt: skip
    generated_at=WHEN,
)


def test_the_english_summary_shows_everything_held() -> None:
    text = summary_text(REPORT, "en")
    for shown in (
        "Name: Wanjiru Njeri Kamau", "Personal number: 20231234",
        "Email: wanjiru.kamau@ict.go.ke", "Mobile: +254712345678",
        "Employer: State Department for ICT", "Job group: L", "On record since: 28 November 2026",
        "KSG-7F3K9Q: CLD-201 Cloud Computing Fundamentals, 1 March 2027, Lower Kabete — on the waiting list",
        "to register for training, given 28 November 2026 (notice of 2026-11-28)",
        "to register for training, given 28 November 2026, withdrawn 28 November 2026",
        "Chats linked to you: rest.", "seeing your data, 28 November 2026: done",
        "erasing your data, 28 November 2026: refused (identity not proved)",
    ):  # fmt: skip
        assert shown in text, shown
    assert "abc" not in text  # a chat's internal id means nothing to the officer


def test_the_kiswahili_summary_uses_kiswahili_titles_and_words() -> None:
    text = summary_text(REPORT, "sw")
    assert "Hizi ndizo data zote" in text
    assert "CLD-201 Misingi ya Kompyuta ya Wingu, 1 Machi 2027" in text
    assert "kwenye orodha ya kusubiri" in text and "Jina: Wanjiru Njeri Kamau" in text


def test_an_officer_with_no_registration_is_told_so() -> None:
    bare = PersonalDataReport(REPORT.officer, [], [], [], [], WHEN)
    assert "Registrations: none." in summary_text(bare, "en")


@pytest.mark.parametrize(
    ("items", "language", "expected"),
    [
        (["KSG-1"], "en", " Cancelled: KSG-1."),
        (["KSG-1", "KSG-2", "KSG-3"], "en", " Cancelled: KSG-1, KSG-2 and KSG-3."),
        (["KSG-1", "KSG-2"], "sw", " Vilivyoghairiwa: KSG-1 na KSG-2."),
    ],
)
def test_lists_read_naturally(items: list[str], language: str, expected: str) -> None:
    assert render_items("consent_withdrawn_cancelled", items, language) == expected

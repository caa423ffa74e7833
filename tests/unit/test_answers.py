"""Replies assembled from results (bot/answers.py): an eligibility verdict with
every reason and what to take instead, the registration summary and outcome, and
an officer's enrolments — in English and Kiswahili."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from bot.answers import (
    eligibility_answer,
    eligible_courses_answer,
    registration_outcome,
    registration_summary,
    status_answer,
)
from bot.courses import CourseInfo
from bot.eligibility import Officer, Verdict, check_eligibility, suggest_courses
from bot.officers import EnrolmentView
from bot.replies import render
from tests.unit.course_builders import TODAY, cohort, course

LITERACY = course(
    "DLF-101",
    title="Digital Literacy Foundations",
    title_sw="Misingi ya Ujuzi wa Kidijitali",
    track="foundations",
    min_job_group="A",
    max_job_group=None,
    interns_allowed=True,
    prerequisites=(),
    cohorts=(cohort("DLF-101-2027-04", date(2027, 4, 5), campus="eLDi", capacity=200),),
)
CLOUD = course("CLD-201")  # J–R, needs DLF-101; March intake full, June open
LEADERSHIP = course(
    "DLS-301",
    title="Digital Leadership for Senior Officers",
    title_sw="Uongozi wa Kidijitali kwa Maafisa Wakuu",
    min_job_group="P",
    max_job_group=None,
    requires_nomination=True,
    prerequisites=(),
    cohorts=(cohort("DLS-301-2027-03", date(2027, 3, 15), capacity=20),),
)
COURSES = {c.code: c for c in (LITERACY, CLOUD, LEADERSHIP)}
NOW = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)


def verdict_for(course_info: CourseInfo, officer: Officer, today: date = TODAY) -> Verdict:
    return check_eligibility(course_info.rule(), officer, today)


def suggestions_for(officer: Officer, exclude: str) -> list[CourseInfo]:
    rules = [c.rule() for c in COURSES.values()]
    return [COURSES[r.code] for r in suggest_courses(rules, officer, TODAY, exclude=[exclude])]


def view(status: str, position: int | None = None, **changes: object) -> EnrolmentView:
    base = EnrolmentView(
        reference="KSG-7F3K9Q",
        course_code="CLD-201",
        course_title="Cloud Computing Fundamentals",
        course_title_sw="Misingi ya Kompyuta ya Wingu",
        cohort_code="CLD-201-2027-06",
        start_date=date(2027, 6, 7),
        end_date=date(2027, 7, 2),
        campus="Lower Kabete",
        status=status,
        created_at=NOW,
        status_changed_at=NOW,
        promoted_at=None,
        waitlist_position=position,
        declared_prerequisites=(),
    )
    return replace(base, **changes)


# --- Eligibility: no -----------------------------------------------------------------------

INTERN_IN_G = Officer(job_group="G", terms_of_service="intern")


def test_every_failed_rule_is_given_not_just_the_first() -> None:
    verdict = verdict_for(CLOUD, INTERN_IN_G)
    text, _ = eligibility_answer(
        CLOUD,
        verdict,
        suggestions_for(INTERN_IN_G, "CLD-201"),
        COURSES,
        "en",
        job_group="G",
        terms="intern",
    )
    lines = text.split("\n")
    assert lines[0] == "Sorry, you cannot take CLD-201 Cloud Computing Fundamentals at the moment:"
    assert "• Interns and attachés may only take DLF-101 Digital Literacy Foundations." in lines
    assert "• It is for job group J and above; you are in job group G." in lines
    assert (
        "• You first need to complete DLF-101 Digital Literacy Foundations"
        " (or an equivalent course)." in lines
    )
    assert len([line for line in lines if line.startswith("• ")]) == len(verdict.reasons) == 3


def test_every_failed_rule_in_kiswahili() -> None:
    verdict = verdict_for(CLOUD, INTERN_IN_G)
    text, _ = eligibility_answer(
        CLOUD,
        verdict,
        suggestions_for(INTERN_IN_G, "CLD-201"),
        COURSES,
        "sw",
        job_group="G",
        terms="intern",
    )
    assert text.startswith("Samahani, huwezi kusoma CLD-201 Misingi ya Kompyuta ya Wingu kwa sasa:")
    assert "pekee" in text and "DLF-101 Misingi ya Ujuzi wa Kidijitali" in text
    assert "Ni kwa kundi la kazi J na zaidi; wewe uko kundi la kazi G." in text


def test_a_refusal_suggests_what_the_officer_can_take_with_buttons() -> None:
    suggestions = suggestions_for(INTERN_IN_G, "CLD-201")
    assert [c.code for c in suggestions] == ["DLF-101"]
    text, buttons = eligibility_answer(
        CLOUD, verdict_for(CLOUD, INTERN_IN_G), suggestions, COURSES, "en", job_group="G"
    )
    assert text.split("\n")[-1] == "Courses you can take: DLF-101 Digital Literacy Foundations."
    assert buttons == [
        {
            "title": "DLF-101 Digital Literacy Foundations",
            "payload": '/course_details{"course":"DLF-101"}',
        }
    ]
    _, buttons_sw = eligibility_answer(
        CLOUD, verdict_for(CLOUD, INTERN_IN_G), suggestions, COURSES, "sw", job_group="G"
    )
    assert buttons_sw[0]["title"] == "DLF-101 Misingi ya Ujuzi wa Kidijitali"


def test_a_refusal_with_nothing_else_open_says_whom_to_ask() -> None:
    officer = Officer(job_group="K", nominated=False)
    verdict = verdict_for(LEADERSHIP, officer)
    text, buttons = eligibility_answer(LEADERSHIP, verdict, [], COURSES, "en", job_group="K")
    assert "• It is for job group P and above; you are in job group K." in text
    assert "• You must first be nominated by your accounting officer." in text
    assert text.split("\n")[-1] == render("suggestions_none", "en")
    assert buttons == []


def test_at_most_five_suggestions_are_offered() -> None:
    many = [course(f"TST-{n:03d}", track="cloud") for n in range(1, 8)]
    verdict = verdict_for(CLOUD, INTERN_IN_G)
    text, buttons = eligibility_answer(CLOUD, verdict, many, COURSES, "en", job_group="G")
    assert len(buttons) == 5
    assert "TST-005" in text and "TST-006" not in text


def test_every_reason_is_worded_in_both_languages() -> None:
    closed_cloud = replace(
        CLOUD, cohorts=(cohort("CLD-201-2026-12", date(2026, 12, 7), deadline=date(2026, 11, 1)),)
    )
    verdicts = [
        (verdict_for(CLOUD, INTERN_IN_G), "G"),  # interns, too low
        (verdict_for(CLOUD, Officer(job_group="U")), "U"),  # too high, prerequisite
        (verdict_for(CLOUD, Officer()), None),  # job group unknown
        (verdict_for(LEADERSHIP, Officer(job_group="P", nominated=False)), "P"),  # nomination
        (verdict_for(closed_cloud, Officer(job_group="M", completed=frozenset({"DLF-101"}))), "M"),
    ]
    codes = {code for v, _ in verdicts for code in v.reason_codes}
    assert codes == {
        "interns_only_dlf",
        "job_group_too_low",
        "job_group_too_high",
        "job_group_unknown",
        "missing_prerequisite",
        "needs_nomination",
        "registration_closed",
    }
    for verdict, job_group in verdicts:
        for language in ("en", "sw"):
            text, _ = eligibility_answer(CLOUD, verdict, [], COURSES, language, job_group=job_group)
            bullets = [line for line in text.split("\n") if line.startswith("• ")]
            assert len(bullets) == len(verdict.reasons)
            assert not any("_" in line for line in bullets)  # no raw reason codes
    closed_text, _ = eligibility_answer(CLOUD, verdicts[-1][0], [], COURSES, "sw", job_group="M")
    assert "tarehe ya mwisho ilikuwa 1 Novemba 2026" in closed_text


# --- Eligibility: yes ------------------------------------------------------------------------


def test_yes_with_an_unchecked_prerequisite_states_it_as_a_condition() -> None:
    """The eligibility question did not ask about DLF-101: the yes depends on it,
    and the officer never declared it, so nothing says they did."""
    officer = Officer(job_group="M", declared_equivalents=frozenset({"DLF-101"}))
    verdict = verdict_for(CLOUD, officer)
    assert verdict.eligible
    text, buttons = eligibility_answer(
        CLOUD, verdict, [], COURSES, "en", job_group="M", conditional_prerequisites=["DLF-101"]
    )
    assert text.split("\n") == [
        "Yes, you can take CLD-201 Cloud Computing Fundamentals.",
        "You need to have completed DLF-101 Digital Literacy Foundations"
        " (or an equivalent course) first.",
    ]
    assert "told me" not in text
    assert buttons == [{"title": "Register", "payload": '/register{"course":"CLD-201"}'}]


def test_yes_with_a_conditional_prerequisite_in_kiswahili() -> None:
    officer = Officer(job_group="M", declared_equivalents=frozenset({"DLF-101"}))
    text, buttons = eligibility_answer(
        CLOUD,
        verdict_for(CLOUD, officer),
        [],
        COURSES,
        "sw",
        job_group="M",
        conditional_prerequisites=["DLF-101"],
    )
    assert text.startswith("Ndiyo, unaweza kusoma CLD-201 Misingi ya Kompyuta ya Wingu.")
    assert "Unahitaji kuwa umemaliza DLF-101 Misingi ya Ujuzi wa Kidijitali" in text
    assert "Umeniambia" not in text
    assert buttons[0]["title"] == "Jisajili"


def test_yes_after_a_declaration_says_it_is_recorded() -> None:
    officer = Officer(job_group="M", declared_equivalents=frozenset({"DLF-101"}))
    text, _ = eligibility_answer(
        CLOUD, verdict_for(CLOUD, officer), [], COURSES, "en", job_group="M"
    )
    assert "You told me you have completed DLF-101 Digital Literacy Foundations" in text


def test_yes_with_notes_about_the_waiting_list_and_a_pending_nomination() -> None:
    only_full = replace(CLOUD, cohorts=(CLOUD.cohorts[0],))
    officer = Officer(job_group="M", completed=frozenset({"DLF-101"}))
    text, _ = eligibility_answer(
        only_full, verdict_for(only_full, officer), [], COURSES, "en", job_group="M"
    )
    assert render("note_full", "en") in text
    text, _ = eligibility_answer(
        LEADERSHIP,
        verdict_for(LEADERSHIP, Officer(job_group="R")),
        [],
        COURSES,
        "sw",
        job_group="R",
    )
    assert render("note_nomination_pending", "sw") in text


def test_which_courses_can_i_take() -> None:
    text, buttons = eligible_courses_answer([LITERACY], "en", job_group=None, terms="intern")
    assert text == "As an intern you can take:\n• DLF-101 Digital Literacy Foundations"
    assert buttons[0]["payload"] == '/course_details{"course":"DLF-101"}'
    text, _ = eligible_courses_answer([LITERACY, CLOUD], "sw", job_group="M", terms=None)
    assert text.startswith("Kama mtumishi wa kundi la kazi M unaweza kusoma:")
    assert eligible_courses_answer([], "en", job_group=None, terms="attache") == (
        "As an attaché, no course is open to you right now.",
        [],
    )


# --- Registration summary --------------------------------------------------------------------

DETAILS = {
    "course": "CLD-201",
    "job_group": "M",
    "prerequisite_declared": True,
    "full_name": "Wanjiru Kamau",
    "personal_number": "20231234",
    "email": "w.kamau@afya.go.ke",
    "phone_number": "+254722123456",
    "employer": "Ministry of Health",
}


def test_the_summary_lists_everything_the_officer_gave() -> None:
    summary = registration_summary(DETAILS, CLOUD, CLOUD.cohorts[1], "en")
    assert summary.split("\n") == [
        "Please check your registration:",
        "Course: CLD-201 Cloud Computing Fundamentals",
        "Intake: 7 June 2027 – 2 July 2027, Lower Kabete",
        "Name: Wanjiru Kamau",
        "Personal number: 20231234",
        "Email: w.kamau@afya.go.ke",
        "Phone: +254722123456",
        "Employer: Ministry of Health",
        "Job group: M",
        "Declared: you have completed DLF-101 or an equivalent.",
        "Is everything correct?",
    ]


def test_the_summary_warns_of_the_waiting_list_in_kiswahili() -> None:
    summary = registration_summary(DETAILS, CLOUD, CLOUD.cohorts[0], "sw")
    assert "Awamu: 1 Machi 2027 – 26 Machi 2027, Lower Kabete" in summary
    assert render("summary_waitlist", "sw") in summary
    assert summary.split("\n")[-1] == "Je, kila kitu ni sahihi?"


def test_the_summary_for_an_intern_on_file() -> None:
    slots = {"course": "DLF-101", "terms_of_service": "intern", "job_group": None}
    summary = registration_summary(slots, LITERACY, LITERACY.cohorts[0], "en")
    assert render("summary_on_file", "en") in summary
    assert "Terms: intern" in summary
    assert "Job group" not in summary and "Name:" not in summary and "Declared" not in summary


# --- Registration outcome --------------------------------------------------------------------


def test_created_and_confirmed() -> None:
    text = registration_outcome("created", view("confirmed"), "en")
    assert text.startswith(
        "You're registered for CLD-201 Cloud Computing Fundamentals, 7 June 2027 – 2 July 2027"
        " at Lower Kabete. Your reference number is KSG-7F3K9Q"
    )
    assert text.endswith(render("next_step_confirmed", "en"))
    assert "Umesajiliwa kwa CLD-201 Misingi ya Kompyuta ya Wingu, 7 Juni 2027" in (
        registration_outcome("created", view("confirmed"), "sw")
    )


def test_created_on_the_waiting_list_gives_the_position() -> None:
    text = registration_outcome("created", view("waitlisted", 3), "en")
    assert "is full, so you are on the waiting list at position 3" in text
    assert "KSG-7F3K9Q" in text
    assert text.endswith(render("next_step_waitlisted", "en"))
    assert "orodha ya kusubiri nafasi ya 3" in registration_outcome(
        "created", view("waitlisted", 3), "sw"
    )


def test_created_pending_nomination_says_what_to_do() -> None:
    text = registration_outcome("created", view("pending_nomination"), "en")
    assert "held pending your accounting officer's nomination" in text
    assert text.endswith(render("next_step_pending_nomination", "en"))


def test_an_existing_registration_is_not_made_twice() -> None:
    text = registration_outcome("existing", view("waitlisted", 2), "en")
    assert text == (
        "You are already registered for CLD-201 Cloud Computing Fundamentals (7 June 2027,"
        " Lower Kabete): status on the waiting list, reference KSG-7F3K9Q."
        " I haven't created a second registration."
    )
    assert "hali imethibitishwa" in registration_outcome("existing", view("confirmed"), "sw")


@pytest.mark.parametrize("status", ["identity_conflict", "closed", "cohort_not_found"])
@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_refused_registration_reveals_nothing(status: str, language: str) -> None:
    text = registration_outcome(status, None, language)
    assert text == render(f"registration_{status}", language)
    assert "KSG-" not in text


# --- Status --------------------------------------------------------------------------------------


def test_a_waitlisted_enrolment_shows_its_position_and_next_step() -> None:
    text = status_answer([view("waitlisted", 4)], "en")
    assert text.split("\n") == [
        "Your registrations (1):",
        "• KSG-7F3K9Q: CLD-201 Cloud Computing Fundamentals, 7 June 2027 – 2 July 2027,"
        " Lower Kabete — on the waiting list",
        "  Position on the waiting list: 4",
        "  Next step: " + render("next_step_waitlisted", "en"),
    ]


def test_status_of_several_enrolments_in_kiswahili() -> None:
    views = [
        view("waitlisted", 1),
        view("confirmed", reference="KSG-ABCDEF", start_date=date(2027, 3, 1)),
    ]
    text = status_answer(views, "sw")
    assert text.startswith("Usajili wako (2):")
    assert "— kwenye orodha ya kusubiri" in text
    assert "Nafasi kwenye orodha ya kusubiri: 1" in text
    assert "• KSG-ABCDEF: CLD-201 Misingi ya Kompyuta ya Wingu, 1 Machi 2027" in text
    assert text.count("Nafasi kwenye orodha") == 1  # only the waitlisted one has a position
    assert text.count("Hatua inayofuata:") == 2


@pytest.mark.parametrize("status", ["withdrawn", "completed", "pending_nomination"])
def test_every_status_has_a_name_and_a_next_step(status: str) -> None:
    for language in ("en", "sw"):
        text = status_answer([view(status)], language)
        assert render(f"status_{status}", language) in text
        assert render(f"next_step_{status}", language) in text


def test_no_enrolments() -> None:
    assert status_answer([], "en") == render("status_none", "en")
    assert status_answer([], "sw") == render("status_none", "sw")

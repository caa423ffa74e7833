"""Answers about courses (issue 3, scope 1): the bot answers what the officer asked
about a course — and only that — in their language, lists courses by track, and
describes each intake the way officers compare them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from bot.course_info import (
    ASPECTS,
    CAMPUS,
    CERTIFICATE,
    CONTENT,
    DURATION,
    FEE,
    MODE,
    PREREQUISITES,
    START,
    WHO_MAY_APPLY,
    asked_aspects,
    cohort_button_title,
    cohort_line,
    course_buttons,
    course_details,
    course_list,
    heading,
    job_group_range,
    payload,
    track_label,
)
from bot.replies import render
from tests.unit.course_builders import TODAY, cohort, course, sample_courses

CLOUD = course()
FULL_MARCH, OPEN_JUNE = CLOUD.cohorts


# --- Which property is asked about ---------------------------------------------------


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("how long is the cloud course?", DURATION),
        ("ni ya muda gani hiyo kozi?", DURATION),
        ("itachukua wiki ngapi jumla", DURATION),
        ("na itafanyika wapi?", CAMPUS),
        ("which campus hosts the AI one", CAMPUS),
        ("ni kampasi gani?", CAMPUS),
        ("and when would it start?", START),
        ("inaanza lini kozi ya data?", START),
        ("are there any seats left?", START),
        ("nafasi ngapi zimebaki?", START),
        ("ni bei gani?", FEE),
        ("how much will it cost me", FEE),
        ("ada yake ni shilingi ngapi", FEE),
        ("who pays for DSD-203, is it sponsored?", FEE),
        ("is there an HCIA exam?", CERTIFICATE),
        ("je, kuna cheti baada ya kozi?", CERTIFICATE),
        ("iko online?", MODE),
        ("do I have to attend in person", MODE),
        ("ni ana kwa ana au mtandaoni?", MODE),
        ("what do I need before joining the AI course?", PREREQUISITES),
        ("kuna masharti yoyote ya kujiunga?", PREREQUISITES),
        ("who can apply for the leadership course", WHO_MAY_APPLY),
        ("ni makundi ya kazi gani yanaruhusiwa", WHO_MAY_APPLY),
        ("what topics does the security course cover", CONTENT),
        ("kozi ya AI inahusu nini hasa", CONTENT),
    ],
)
def test_a_question_about_one_property_is_recognised(question: str, aspect: str) -> None:
    assert asked_aspects(question) == [aspect]


@pytest.mark.parametrize(
    ("question", "aspects"),
    [
        ("when does it start and how much does it cost?", [START, FEE]),
        ("bei gani na inaanza lini", [START, FEE]),
        ("is CLD-201 online or at a campus", [MODE, CAMPUS]),
        ("what's the fee and will I get a certificate", [FEE, CERTIFICATE]),
    ],
)
def test_several_properties_come_back_in_answer_order(question: str, aspects: list[str]) -> None:
    assert asked_aspects(question) == aspects
    assert aspects == [a for a in ASPECTS if a in aspects]


def test_a_bare_question_about_a_course_asks_for_its_content_or_nothing_specific() -> None:
    assert asked_aspects("tell me about CLD-201") in ([CONTENT], [])
    assert asked_aspects("niambie kuhusu CSE-201") in ([CONTENT], [])


def test_what_is_does_not_add_the_summary_to_a_specific_question() -> None:
    """ "What is the fee?" asks for the fee only, not the course description too."""
    assert asked_aspects("what is the fee for the AI course?") == [FEE]
    assert asked_aspects("what is the duration of DGP-202") == [DURATION]


@pytest.mark.parametrize(
    "text", ["", None, "DLS-301", "asante kwa hilo", "the leadership course please", "feedback"]
)
def test_no_recognised_property_gives_no_aspect(text: str | None) -> None:
    assert asked_aspects(text) == []  # type: ignore[arg-type]


def test_cues_match_whole_words_only() -> None:
    assert FEE not in asked_aspects("any feedback from past officers?")
    assert DURATION not in asked_aspects("are classes on weekends?")
    assert CAMPUS not in asked_aspects("placement after the course")


# --- Details of one course ---------------------------------------------------------------


def lines(text: str) -> list[str]:
    return text.split("\n")


def test_only_the_asked_property_is_answered() -> None:
    answer = course_details(CLOUD, [DURATION], "en", TODAY)
    assert lines(answer) == ["CLD-201 Cloud Computing Fundamentals", "Duration: 4 weeks."]


def test_asked_properties_are_answered_in_a_fixed_order_and_nothing_else() -> None:
    answer = course_details(CLOUD, [FEE, START], "en", TODAY)
    assert lines(answer)[0] == "CLD-201 Cloud Computing Fundamentals"
    assert answer.index("Intakes open for registration:") < answer.index("Fee: none")
    for other in ("Duration", "Where:", "Certificate", "Before joining", "Who may apply"):
        assert other not in answer
    assert CLOUD.summary not in answer


def test_no_recognised_property_gives_an_overview_of_every_fact() -> None:
    answer = course_details(CLOUD, [], "en", TODAY)
    assert len(lines(answer)) > len(ASPECTS)  # heading, one per aspect, intakes
    for fact in (
        CLOUD.summary,
        "Duration: 4 weeks.",
        "It is blended",
        "Where: Lower Kabete.",
        "Intakes open for registration:",
        "Fee: none",
        "Certificate: a KSG certificate of completion; the course is HCIA-Cloud",
        "Before joining you need: DLF-101",
        "Who may apply: officers in job groups J to R.",
    ):
        assert fact in answer


def test_details_in_kiswahili_use_the_kiswahili_title_summary_duration_and_dates() -> None:
    answer = course_details(CLOUD, [CONTENT, DURATION, START], "sw", TODAY)
    assert lines(answer)[0] == "CLD-201 Misingi ya Kompyuta ya Wingu"
    assert CLOUD.summary_sw in answer
    assert "Muda: wiki 4." in answer
    assert "7 Juni 2027" in answer and "June" not in answer
    assert "Awamu zilizo wazi kwa usajili:" in answer


def test_start_lists_only_intakes_still_open_full_ones_included() -> None:
    closed = cohort("CLD-201-2026-12", date(2026, 12, 7), deadline=date(2026, 11, 20))
    with_closed = replace(CLOUD, cohorts=(closed, FULL_MARCH, OPEN_JUNE))
    answer = course_details(with_closed, [START], "en", TODAY)
    assert "7 December 2026" not in answer
    assert "1 March 2027 – 26 March 2027, Lower Kabete: full" in answer
    assert "7 June 2027 – 2 July 2027, Lower Kabete: 20 seats left" in answer
    assert answer.count("• ") == 2


def test_start_with_no_open_intake_says_so() -> None:
    answer = course_details(CLOUD, [START], "en", date(2027, 6, 1))
    assert render("detail_no_open_cohort", "en") in answer
    assert "•" not in answer


@pytest.mark.parametrize(
    ("changes", "english", "kiswahili"),
    [
        ({"fee_payer": "none", "fee_kes": None}, "Fee: none", "Ada: hakuna"),
        ({"fee_payer": "employer", "fee_kes": None}, "Fee: none", "Ada: hakuna"),
        (
            {"fee_payer": "employer", "fee_kes": 15000},
            "Fee: KES 15,000, paid by your employer",
            "Ada: KES 15,000, hulipwa na mwajiri wako",
        ),
        (
            {"fee_payer": "officer", "fee_kes": 2500},
            "Fee: KES 2,500, paid by you.",
            "Ada: KES 2,500, unalipa wewe mwenyewe.",
        ),
    ],
)
def test_fee_says_how_much_and_who_pays(changes: dict, english: str, kiswahili: str) -> None:
    priced = replace(CLOUD, **changes)
    assert english in course_details(priced, [FEE], "en", TODAY)
    assert kiswahili in course_details(priced, [FEE], "sw", TODAY)


@pytest.mark.parametrize(
    ("mode", "english"),
    [
        ("online", "It is fully online (Lower Kabete)"),
        ("blended", "It is blended: online study plus hands-on sessions in person at Lower"),
        ("in_person", "It is taught in person at Lower Kabete."),
        ("residential", "It is residential: you stay on campus at Lower Kabete"),
    ],
)
def test_every_mode_is_described_in_both_languages(mode: str, english: str) -> None:
    delivered = replace(CLOUD, mode=mode)
    assert english in course_details(delivered, [MODE], "en", TODAY)
    assert "Lower Kabete" in course_details(delivered, [MODE], "sw", TODAY)


def test_several_campuses_are_all_named() -> None:
    spread = replace(CLOUD, campuses=("Lower Kabete", "Mombasa"))
    assert "Where: Lower Kabete, Mombasa." in course_details(spread, [CAMPUS], "en", TODAY)
    assert "Mahali: Lower Kabete, Mombasa." in course_details(spread, [CAMPUS], "sw", TODAY)


def test_certificate_with_and_without_an_external_exam() -> None:
    assert "HCIA-Cloud Computing aligned" in course_details(CLOUD, [CERTIFICATE], "en", TODAY)
    plain = replace(CLOUD, certification=None)
    assert "no external exam" in course_details(plain, [CERTIFICATE], "en", TODAY)
    assert "hakuna mtihani wa nje" in course_details(plain, [CERTIFICATE], "sw", TODAY)


def test_prerequisites_with_and_without() -> None:
    two = replace(CLOUD, prerequisites=("DLF-101", "CSE-201"))
    assert "Before joining you need: DLF-101, CSE-201" in course_details(
        two, [PREREQUISITES], "en", TODAY
    )
    none = replace(CLOUD, prerequisites=())
    assert "Prerequisites: none." in course_details(none, [PREREQUISITES], "en", TODAY)
    assert "Masharti ya awali: hakuna." in course_details(none, [PREREQUISITES], "sw", TODAY)


def test_who_may_apply_names_the_range_nomination_and_interns() -> None:
    leadership = replace(CLOUD, min_job_group="P", max_job_group=None, requires_nomination=True)
    answer = course_details(leadership, [WHO_MAY_APPLY], "en", TODAY)
    assert "officers in job group P and above. You must be nominated" in answer
    literacy = replace(CLOUD, min_job_group="A", max_job_group=None, interns_allowed=True)
    answer = course_details(literacy, [WHO_MAY_APPLY], "sw", TODAY)
    assert "kundi lolote la kazi" in answer and "interns" in answer


@pytest.mark.parametrize(
    ("low", "high", "english"),
    [
        ("J", "R", "job groups J to R"),
        ("K", None, "job group K and above"),
        ("A", None, "any job group"),
    ],
)
def test_job_group_range(low: str, high: str | None, english: str) -> None:
    assert job_group_range(replace(CLOUD, min_job_group=low, max_job_group=high), "en") == english


def test_a_sample_course_says_its_facts_are_illustrative() -> None:
    sample = replace(CLOUD, is_sample=True)
    assert lines(course_details(sample, [DURATION], "en", TODAY))[-1] == render(
        "sample_catalogue_note", "en"
    )
    assert render("sample_catalogue_note", "en") not in course_details(
        CLOUD, [DURATION], "en", TODAY
    )


@pytest.mark.parametrize("language", ["en", "sw"])
@pytest.mark.parametrize("code", list(sample_courses()))
def test_every_sample_course_has_a_complete_overview(code: str, language: str) -> None:
    info = sample_courses()[code]
    answer = course_details(info, [], language, TODAY)
    assert lines(answer)[0] == heading(info, language)
    assert "{" not in answer and "None" not in answer


# --- One intake ------------------------------------------------------------------------


def test_an_open_intake_shows_dates_campus_seats_and_deadline() -> None:
    assert cohort_line(OPEN_JUNE, "en", TODAY) == (
        "7 June 2027 – 2 July 2027, Lower Kabete: 20 seats left (register by 24 May 2027)"
    )
    assert cohort_line(OPEN_JUNE, "sw", TODAY) == (
        "7 Juni 2027 – 2 Julai 2027, Lower Kabete: nafasi 20 zimebaki"
        " (jisajili kabla ya 24 Mei 2027)"
    )


def test_a_full_intake_offers_the_waiting_list() -> None:
    line = cohort_line(FULL_MARCH, "en", TODAY)
    assert "full — you can join the waiting list (register by 15 February 2027)" in line
    assert "seats left" not in line
    assert "imejaa" in cohort_line(FULL_MARCH, "sw", TODAY)


def test_a_closed_intake_says_when_registration_closed_even_if_full() -> None:
    after = date(2027, 2, 16)
    assert cohort_line(FULL_MARCH, "en", after) == (
        "1 March 2027 – 26 March 2027, Lower Kabete: registration closed on 15 February 2027"
    )
    assert "usajili ulifungwa tarehe 15 Februari 2027" in cohort_line(FULL_MARCH, "sw", after)


def test_the_deadline_day_itself_is_still_open() -> None:
    deadline = OPEN_JUNE.registration_deadline
    assert "seats left" in cohort_line(OPEN_JUNE, "en", deadline)
    assert "closed" in cohort_line(OPEN_JUNE, "en", date.fromordinal(deadline.toordinal() + 1))


def test_intake_buttons_show_seats_or_the_waiting_list() -> None:
    assert cohort_button_title(OPEN_JUNE, "en") == "7 June 2027, Lower Kabete (20 seats)"
    assert cohort_button_title(OPEN_JUNE, "sw") == "7 Juni 2027, Lower Kabete (nafasi 20)"
    assert (
        cohort_button_title(FULL_MARCH, "en") == "1 March 2027, Lower Kabete (full: waiting list)"
    )


# --- The course list --------------------------------------------------------------------


def test_courses_are_grouped_by_track_in_catalogue_order() -> None:
    courses = [
        course("DLF-101", title="Digital Literacy", track="foundations"),
        course("CLD-201", track="cloud"),
        course("DLF-102", title="Digital Literacy II", track="foundations"),
    ]
    text = course_list(courses, "en", TODAY)
    assert text.index("*Foundations*") < text.index("*Cloud computing*")
    foundations = text.split("*Foundations*")[1].split("*Cloud computing*")[0]
    assert "DLF-101 Digital Literacy —" in foundations
    assert "DLF-102 Digital Literacy II —" in foundations
    assert "CLD-201" not in foundations
    assert text.count("*Foundations*") == 1


def test_the_list_counts_courses_and_shows_the_next_intake_or_none() -> None:
    closed = replace(
        course("DSD-203", track="service_design"),
        cohorts=(cohort("DSD-203-2026-12", date(2026, 12, 7), deadline=date(2026, 11, 1)),),
    )
    text = course_list([CLOUD, closed], "en", TODAY)
    assert lines(text)[0] == "We have 2 digital-skills courses for public officers:"
    assert "CLD-201 Cloud Computing Fundamentals — next intake 1 March 2027" in text
    assert "DSD-203 Cloud Computing Fundamentals — no intake open for registration" in text
    assert lines(text)[-1] == render("course_list_outro", "en")


def test_the_list_in_kiswahili() -> None:
    text = course_list([CLOUD], "sw", TODAY)
    assert lines(text)[0] == "Tuna kozi 1 za ujuzi wa kidijitali kwa watumishi wa umma:"
    assert "*Kompyuta ya wingu*" in text
    assert "CLD-201 Misingi ya Kompyuta ya Wingu — awamu ijayo inaanza 1 Machi 2027" in text


def test_the_sample_note_appears_only_when_a_course_is_a_sample() -> None:
    note = render("sample_catalogue_note", "en")
    assert note not in course_list([CLOUD], "en", TODAY)
    assert lines(course_list([CLOUD, replace(CLOUD, is_sample=True)], "en", TODAY))[-1] == note


def test_the_shipped_catalogue_lists_every_course_under_a_named_track() -> None:
    courses = list(sample_courses().values())
    for language in ("en", "sw"):
        text = course_list(courses, language, TODAY)
        assert all(heading(c, language) in text for c in courses)
        assert all(f"*{track_label(c.track, language)}*" in text for c in courses)


def test_a_track_without_a_label_is_shown_readably() -> None:
    assert track_label("quantum_computing", "en") == "Quantum Computing"
    assert track_label("cloud", "sw") == "Kompyuta ya wingu"


# --- Buttons and payloads -----------------------------------------------------------------


def test_payload_is_an_intent_with_json_entities() -> None:
    assert payload("register", course="CLD-201") == '/register{"course":"CLD-201"}'
    assert payload("list_courses") == "/list_courses"
    assert json.loads(payload("inform", cohort="CLD-201-2027-06")[len("/inform") :]) == {
        "cohort": "CLD-201-2027-06"
    }


def test_course_buttons_open_the_course_details() -> None:
    assert course_buttons([CLOUD], "sw") == [
        {
            "title": "CLD-201 Misingi ya Kompyuta ya Wingu",
            "payload": '/course_details{"course":"CLD-201"}',
        }
    ]
    assert course_buttons([CLOUD], "en", intent="register")[0]["payload"] == (
        '/register{"course":"CLD-201"}'
    )

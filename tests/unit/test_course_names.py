"""However an officer names a course, the bot knows which one they mean (issue 3, scope 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalogue import Catalogue
from bot.course_names import (
    COURSE_NAMES_FILE,
    CourseNamesError,
    course_code,
    course_codes,
    default_course_names,
    edit_distance,
    find_course_mentions,
    load_course_names,
)


@pytest.mark.parametrize(
    ("message", "code"),
    [
        # the code, however it is typed
        ("CLD-201", "CLD-201"),
        ("CLD 201", "CLD-201"),
        ("cld201", "CLD-201"),
        ("is CLD-201 online?", "CLD-201"),
        ("tell me about cse 201", "CSE-201"),
        ("DLS-301 iko wapi?", "DLS-301"),
        ("what is the DGP course about", "DGP-202"),
        # short English names
        ("how long is the cloud course?", "CLD-201"),
        ("I want to do cyber", "CSE-201"),
        ("how long is the cybersecurity course?", "CSE-201"),
        ("is the cyber security training in Embu?", "CSE-201"),
        ("I'm job group K, can I do the AI course?", "AIP-201"),
        ("tell me about artificial intelligence", "AIP-201"),
        ("when does the data protection course start?", "DGP-202"),
        ("data governance please", "DGP-202"),
        ("I need digital literacy", "DLF-101"),
        ("the leadership course for senior officers", "DLS-301"),
        ("project management in Mombasa", "DPM-204"),
        ("service design dates", "DSD-203"),
        ("Cloud Computing Fundamentals", "CLD-201"),
        # Kiswahili names
        ("nataka kozi ya usalama wa mtandao", "CSE-201"),
        ("kozi ya akili bandia inaanza lini?", "AIP-201"),
        ("utawala wa data ni wiki ngapi?", "DGP-202"),
        ("ulinzi wa data", "DGP-202"),
        ("usimamizi wa miradi ya kidijitali iko Baringo?", "DPM-204"),
        ("huduma za kidijitali", "DSD-203"),
        ("ujuzi wa kidijitali ni bure?", "DLF-101"),
        ("uongozi wa kidijitali kwa maafisa wakuu", "DLS-301"),
        ("Misingi ya Kompyuta ya Wingu", "CLD-201"),
        # code-switched
        ("nataka kujiandikisha kozi ya cloud", "CLD-201"),
        ("naomba details za cyber course", "CSE-201"),
        ("nataka ku-register AI course", "AIP-201"),
        # phone typing
        ("cybersecurty course", "CSE-201"),
        ("the clowd course", "CLD-201"),
        ("artifical inteligence", "AIP-201"),
        ("projct managment", "DPM-204"),
        ("usalama wa mtandoa", "CSE-201"),
    ],
)
def test_an_officer_can_name_a_course_in_many_ways(message: str, code: str) -> None:
    assert course_code(message) == code


@pytest.mark.parametrize(
    "message",
    [
        "habari",
        "could you help me?",  # "could" is not a misspelt "cloud"
        "what courses do you have?",
        "I have data on my phone",
        "digital courses please",
        "ABC-123",  # looks like a code, but no such course
        "CLD-999",
        "my personal number is 201234",
    ],
)
def test_a_message_that_names_no_course_gives_none(message: str) -> None:
    assert course_code(message) is None


def test_the_longest_name_wins_so_digital_leadership_is_not_digital_literacy() -> None:
    assert course_code("digital leadership") == "DLS-301"
    assert course_code("digital literacy") == "DLF-101"
    assert find_course_mentions("data protection course") == [("DGP-202", 0, 15)]


def test_every_course_mentioned_is_found_with_its_span_for_entity_annotation() -> None:
    text = "I did DLF-101, can I do cloud or akili bandia?"
    mentions = find_course_mentions(text)
    assert [code for code, _, _ in mentions] == ["DLF-101", "CLD-201", "AIP-201"]
    assert [text[start:end] for _, start, end in mentions] == ["DLF-101", "cloud", "akili bandia"]


def test_the_first_course_named_is_the_answer_and_all_are_available() -> None:
    assert course_code("I did DLF-101, can I do cloud?") == "DLF-101"
    assert course_codes("cloud or cyber or cloud again") == ["CLD-201", "CSE-201"]


def test_misspellings_are_tolerated_only_in_longer_words() -> None:
    assert edit_distance("clowd", "cloud") == 1
    assert edit_distance("cluod", "cloud") == 1  # two letters swapped
    assert course_code("cloyd") == "CLD-201"
    assert course_code("ia course") is None  # "ia" is too short to be a typo of "ai"


def test_every_course_in_the_catalogue_has_a_name_in_both_languages(catalogue: Catalogue) -> None:
    names = default_course_names()
    for course in catalogue.courses:
        assert course.code in names.names.values()
        assert course_code(course.title) == course.code
        assert course_code(course.title_sw) == course.code


def test_a_name_for_a_course_not_in_the_catalogue_is_refused(tmp_path: Path) -> None:
    path = tmp_path / COURSE_NAMES_FILE
    path.write_text("names:\n  XYZ-999:\n    en: [underwater basket weaving]\n")
    with pytest.raises(CourseNamesError, match="XYZ-999: not a course code in courses.yml"):
        load_course_names(path, ["CLD-201"])


def test_one_name_for_two_courses_is_refused(tmp_path: Path) -> None:
    path = tmp_path / COURSE_NAMES_FILE
    path.write_text("names:\n  CLD-201:\n    en: [the course]\n  CSE-201:\n    en: [The Course]\n")
    with pytest.raises(CourseNamesError, match="'The Course' is already a name of CLD-201"):
        load_course_names(path, ["CLD-201", "CSE-201"])


def test_administrators_can_add_names(tmp_path: Path) -> None:
    path = tmp_path / COURSE_NAMES_FILE
    path.write_text("names:\n  CLD-201:\n    sw: [kozi ya mawingu]\n")
    names = load_course_names(path, ["CLD-201"])
    assert course_code("nataka kozi ya mawingu", names) == "CLD-201"


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("what does the Data Protection Act say about photos?", []),
        ("who is our data protection officer", []),
        ("sheria ya ulinzi wa data inasema nini kuhusu picha", []),
        ("haki za ulinzi wa data ni zipi", []),
        ("I'd like to do the data protection course", ["DGP-202"]),
        ("nataka kozi ya ulinzi wa data", ["DGP-202"]),
        ("Data Governance and Data Protection Act", ["DGP-202"]),  # the full title is the course
    ],
)
def test_the_data_protection_act_is_not_the_course(text: str, codes: list[str]) -> None:
    assert course_codes(text) == codes

"""Officers give their job group however they write it; the bot reads the letter
(contract §3, §5; domain brief §2; issue 3, scope 2)."""

from __future__ import annotations

import pytest

from bot.catalogue import CsgGrade, JobGroups
from bot.job_groups import (
    CSG_UNKNOWN,
    LETTERS,
    NOT_A_JOB_GROUP,
    NOT_FOUND,
    default_job_groups,
    in_range,
    is_valid,
    job_group,
    parse_job_group,
    rank,
)


@pytest.mark.parametrize(
    ("message", "letter"),
    [
        ("JG K", "K"),
        ("jg k", "K"),
        ("jg-k", "K"),
        ("JGK", "K"),
        ("J.G. L", "L"),
        ("job group K", "K"),
        ("Job Group 'K'", "K"),
        ('Job Group: "N"', "N"),
        ("my job group is p.", "P"),
        ("I'm job group K, can I do the AI course?", "K"),
        ("kundi la kazi K", "K"),
        ("mimi ni kundi la kazi ni M", "M"),
        ("niko kundi L, naweza kusoma cloud?", "L"),
        ("I am JG-J in the county government", "J"),
        ("job group a", "A"),
        ("JG U", "U"),
    ],
)
def test_a_job_group_is_read_however_the_officer_writes_it(message: str, letter: str) -> None:
    assert job_group(message) == letter


@pytest.mark.parametrize(("message", "letter"), [("CSG 10", "K"), ("csg11", "J"), ("CSG-9", "L")])
def test_the_newer_csg_grades_are_read_through_the_mapping_file(message: str, letter: str) -> None:
    result = parse_job_group(message)
    assert result.value == letter
    assert result.csg_unconfirmed  # job_groups.yml awaits the PSC's confirmation


def test_a_csg_grade_the_mapping_does_not_know_gives_no_letter_and_says_why() -> None:
    result = parse_job_group("I am CSG 12")
    assert result.value is None
    assert result.problem == CSG_UNKNOWN
    assert result.csg == 12
    assert parse_job_group("CSG 3").problem == CSG_UNKNOWN  # not guessed from neighbours


def test_a_confirmed_mapping_is_not_flagged() -> None:
    groups = JobGroups(
        letters=LETTERS, csg={"K": CsgGrade(10, "PSC guidelines")}, csg_confirmed=True
    )
    assert parse_job_group("CSG 10", job_groups=groups).csg_unconfirmed is False


@pytest.mark.parametrize("message", ["JG I", "job group O", "kundi la kazi I", "JG Z"])
def test_letters_that_are_not_job_groups_are_refused(message: str) -> None:
    result = parse_job_group(message)
    assert result.value is None
    assert result.problem == NOT_A_JOB_GROUP


def test_a_letter_alone_counts_only_when_the_bot_asked_for_the_job_group() -> None:
    assert job_group("K") is None
    assert job_group("K", bare_letter=True) == "K"
    assert job_group(" 'm' ", bare_letter=True) == "M"
    assert parse_job_group("I", bare_letter=True).problem == NOT_A_JOB_GROUP
    assert parse_job_group("o", bare_letter=True).problem == NOT_A_JOB_GROUP
    assert parse_job_group("I want to apply", bare_letter=True).problem == NOT_FOUND


def test_a_message_without_a_job_group_says_so() -> None:
    result = parse_job_group("which courses are there?")
    assert (result.value, result.problem) == (None, NOT_FOUND)


def test_the_letters_are_a_to_h_j_to_n_p_to_u_as_in_job_groups_yml() -> None:
    assert "".join(LETTERS) == "ABCDEFGHJKLMNPQRSTU"
    assert default_job_groups().letters == LETTERS
    assert not is_valid("I") and not is_valid("O") and is_valid("k")


def test_seniority_skips_the_missing_letters() -> None:
    assert rank("J") == rank("H") + 1
    assert rank("P") == rank("N") + 1
    assert rank("A") < rank("K") < rank("U")
    with pytest.raises(ValueError, match="'O' is not a job group"):
        rank("O")


def test_ranges_include_both_ends_and_none_means_no_limit() -> None:
    assert in_range("J", "J", "R") and in_range("R", "J", "R")
    assert not in_range("H", "J", "R") and not in_range("S", "J", "R")
    assert in_range("U", "K", None)
    assert in_range("A", None, "K")

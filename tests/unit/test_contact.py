"""The registration form checks contact details and says what is wrong (issue 3, scope 3)."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.contact import (
    BAD_DOMAIN,
    DOMAIN_WITHOUT_DOT,
    EMPTY,
    HAS_SPACE,
    LANDLINE,
    MISSING_AT,
    MISSING_DOMAIN,
    MISSING_NAME,
    NOT_A_NUMBER,
    NOT_KENYAN,
    TOO_LONG,
    TOO_MANY_AT,
    TOO_SHORT,
    WRONG_FORMAT,
    check_phone,
    is_valid_email,
    is_valid_personal_number,
    normalise_phone,
)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("0712345678", "+254712345678"),
        ("0712 345 678", "+254712345678"),
        ("0712-345-678", "+254712345678"),
        ("0112 345 678", "+254112345678"),
        ("0101234567", "+254101234567"),
        ("254712345678", "+254712345678"),
        ("+254712345678", "+254712345678"),
        ("+254 712 345 678", "+254712345678"),
        ("+254 (0) 712 345678", "+254712345678"),
        ("00254 712 345 678", "+254712345678"),
        ("2541 1234 5678", "+254112345678"),
        ("712345678", "+254712345678"),
    ],
)
def test_kenyan_mobile_numbers_are_normalised_to_plus_254(typed: str, normalised: str) -> None:
    assert normalise_phone(typed) == normalised


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", EMPTY),
        ("071234567", TOO_SHORT),
        ("0712", TOO_SHORT),
        ("+25471234567", TOO_SHORT),
        ("07123456789", TOO_LONG),
        ("+2547123456789", TOO_LONG),
        ("020 2222222", LANDLINE),  # Nairobi landline
        ("041 222 2222", LANDLINE),  # Mombasa landline
        ("+256 712 345678", NOT_KENYAN),  # Uganda
        ("+1 202 555 0143", NOT_KENYAN),
        ("0712abc678", NOT_A_NUMBER),
        ("sina simu", NOT_A_NUMBER),
    ],
)
def test_numbers_that_cannot_be_a_kenyan_mobile_are_refused_with_a_reason(
    typed: str, problem: str
) -> None:
    result = check_phone(typed)
    assert (result.value, result.problem) == (None, problem)
    assert not result


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("jane.wanjiku@treasury.go.ke", "jane.wanjiku@treasury.go.ke"),
        ("Jane.Wanjiku@Treasury.GO.KE", "Jane.Wanjiku@treasury.go.ke"),
        ("  otieno@gmail.com ", "otieno@gmail.com"),
        ("otieno@nairobi.go.ke.", "otieno@nairobi.go.ke"),  # end of a sentence
        ("a.b+ksg@county-kisumu.go.ke", "a.b+ksg@county-kisumu.go.ke"),
    ],
)
def test_valid_emails_are_kept_with_the_domain_lower_cased(typed: str, stored: str) -> None:
    result = is_valid_email(typed)
    assert result
    assert result.value == stored


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", EMPTY),
        ("jane.wanjiku.treasury.go.ke", MISSING_AT),
        ("jane@@treasury.go.ke", TOO_MANY_AT),
        ("jane wanjiku@treasury.go.ke", HAS_SPACE),
        ("@treasury.go.ke", MISSING_NAME),
        ("jane@", MISSING_DOMAIN),
        ("jane@gmailcom", DOMAIN_WITHOUT_DOT),
        ("jane@gmail.c", BAD_DOMAIN),
        ("jane@-gmail.com", BAD_DOMAIN),
        ("jane@gmail..com", BAD_DOMAIN),
    ],
)
def test_emails_with_a_mistake_are_refused_with_what_is_wrong(typed: str, problem: str) -> None:
    result = is_valid_email(typed)
    assert (result.value, result.problem) == (None, problem)


def test_the_personal_number_follows_the_configured_pattern() -> None:
    assert is_valid_personal_number("20231234").value == "20231234"
    assert is_valid_personal_number("2023 1234").value == "20231234"
    assert is_valid_personal_number("12345").problem == WRONG_FORMAT
    assert is_valid_personal_number("PN-2023").problem == WRONG_FORMAT
    assert is_valid_personal_number("  ").problem == EMPTY


def test_an_operator_can_change_the_personal_number_pattern() -> None:
    pattern = Settings.from_env(
        {"PERSONAL_NUMBER_PATTERN": r"^[A-Z]{2}\d{5}$"}
    ).personal_number_pattern
    assert is_valid_personal_number("KS12345", pattern)
    assert is_valid_personal_number("20231234", pattern).problem == WRONG_FORMAT
    assert Settings.from_env({}).personal_number_pattern == r"^\d{6,10}$"

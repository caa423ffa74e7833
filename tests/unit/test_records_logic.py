"""Reading what an officer says in the status, withdrawal and update forms
(issue 3, scope 4–6; bot/records.py): proof of identity, which registration to
withdraw from, and which detail changes to what."""

from __future__ import annotations

from typing import Any

import pytest

from bot.records import (
    check_detail,
    check_reference,
    field_named,
    interpret_update,
    interpret_verification,
    interpret_withdrawal,
)
from bot.registration import Checked, Message

PATTERN = r"^\d{6,10}$"


def said(
    text: str, intent: str | None = "inform", confidence: float = 0.9, **entities: Any
) -> Message:
    return Message(
        text=text,
        intent=intent,
        confidence=confidence,
        entities=[{"entity": name, "value": value} for name, value in entities.items()],
    )


# --- Which detail -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("my email address changed recently", "email"),
        ("nimebadilisha barua pepe yangu", "email"),
        ("I need to update my e-mail", "email"),
        ("I got a new mobile number", "phone_number"),
        ("namba ya simu imebadilika", "phone_number"),
        ("I was promoted last month", "job_group"),
        ("nimepandishwa cheo", "job_group"),
        ("my CSG is now 11", "job_group"),
        ("update my JG please", "job_group"),
        ("nimehamishwa wiki iliyopita", "employer"),
        ("I've been transferred to Kaunti ya Kisumu", "employer"),
        ("I moved to another ministry", "employer"),
        ("mwajiri wangu amebadilika", "employer"),
    ],
)
def test_the_detail_a_message_talks_about(text: str, field: str) -> None:
    assert field_named(text) == field


@pytest.mark.parametrize("text", ["change my phone and email", "habari za jioni rafiki", ""])
def test_no_single_detail_named(text: str) -> None:
    assert field_named(text) is None


# --- Proving who you are ---------------------------------------------------------------------------


def test_entities_give_the_personal_number_and_reference_wherever_asked() -> None:
    message = said(
        "namba yangu ni 20231234 na kumbukumbu KSG-7F3K9Q",
        personal_number="20231234",
        reference="KSG-7F3K9Q",
    )
    assert interpret_verification(message, "personal_number") == {
        "personal_number": "20231234",
        "reference": "KSG-7F3K9Q",
    }


@pytest.mark.parametrize(
    ("slot", "text"), [("personal_number", "2019 8877"), ("reference", "ksg 4h7m2p")]
)
def test_raw_text_answers_the_question_asked(slot: str, text: str) -> None:
    assert interpret_verification(said(text, "nlu_fallback", 0.4), slot) == {slot: text}


def test_verification_ignores_stop_yes_and_questions() -> None:
    assert interpret_verification(said("stop", "stop", 0.99), "reference") == {}
    assert interpret_verification(said("yes sure", "affirm", 0.99), "reference") == {}
    question = said("where do I find my reference number?", "ask_help", 0.95)
    assert interpret_verification(question, "reference") == {}


def test_a_number_the_model_is_wrongly_sure_about_is_still_an_answer() -> None:
    assert interpret_verification(said("12ab", "affirm", 0.85), "personal_number") == {
        "personal_number": "12ab"
    }


def test_verification_takes_nothing_for_a_question_it_did_not_ask() -> None:
    assert interpret_verification(said("20231234"), "withdraw_reference") == {}
    assert interpret_verification(said("20231234"), None) == {}


# --- Withdrawing --------------------------------------------------------------------------------------


def test_the_registration_to_withdraw_from_by_entity_or_text() -> None:
    by_entity = said("withdraw KSG-7F3K9Q", reference="KSG-7F3K9Q")
    assert interpret_withdrawal(by_entity, "withdraw_reference") == {
        "withdraw_reference": "KSG-7F3K9Q"
    }
    assert interpret_withdrawal(said("ksg-4h7m2p"), "withdraw_reference") == {
        "withdraw_reference": "ksg-4h7m2p"
    }


def test_a_reference_given_while_proving_identity_is_not_the_one_to_withdraw() -> None:
    message = said("KSG-7F3K9Q", reference="KSG-7F3K9Q")
    assert interpret_withdrawal(message, "reference") == {"reference": "KSG-7F3K9Q"}


def test_stop_while_choosing_what_to_withdraw_answers_nothing() -> None:
    """Anything taken here would keep the form from being rejected, and the stop
    rule would never run."""
    assert interpret_withdrawal(said("stop", "stop", 0.99), "withdraw_reference") == {}
    assert interpret_withdrawal(said("acha tu", "stop", 0.7), "withdraw_confirmed") == {}


def test_a_question_while_choosing_what_to_withdraw_answers_nothing() -> None:
    question = said("how long is the AI course anyway?", "course_details", 0.95)
    assert interpret_withdrawal(question, "withdraw_reference") == {}


def test_a_bare_yes_is_not_a_reference() -> None:
    assert (
        interpret_withdrawal(said("yes, that's right", "affirm", 0.99), "withdraw_reference") == {}
    )


@pytest.mark.parametrize(
    ("text", "intent", "value"),
    [("ndiyo, niondoe kabisa", "affirm", True), ("hapana, niache humo", "deny", False)],
)
def test_confirming_the_withdrawal(text: str, intent: str, value: bool) -> None:
    assert interpret_withdrawal(said(text, intent, 0.99), "withdraw_confirmed") == {
        "withdraw_confirmed": value
    }


def test_no_confirmation_without_a_yes_or_no() -> None:
    question = said("what happens to my seat?", "ask_help", 0.95)
    assert interpret_withdrawal(question, "withdraw_confirmed") == {}


# --- Updating a detail --------------------------------------------------------------------------------


def test_a_change_with_the_new_value_gives_field_and_value_at_once() -> None:
    message = said("my email has changed to a@b.ke", "update_details", 0.95, email="a@b.ke")
    expected = {"detail_field": "email", "detail_value": "a@b.ke"}
    assert interpret_update(message, "detail_field", None) == expected
    assert interpret_update(message, None, None) == expected


def test_a_promotion_with_the_new_job_group() -> None:
    message = said("nimepandishwa hadi JG N", "update_details", 0.95, job_group="N")
    assert interpret_update(message, "detail_field", None) == {
        "detail_field": "job_group",
        "detail_value": "N",
    }


def test_naming_the_detail_only() -> None:
    assert interpret_update(said("my phone"), "detail_field", None) == {
        "detail_field": "phone_number"
    }
    assert interpret_update(said("barua pepe"), "detail_field", None) == {"detail_field": "email"}
    chosen = said("the email one", detail_field="email")
    assert interpret_update(chosen, "detail_field", None) == {"detail_field": "email"}


def test_the_new_value_by_entity_or_text() -> None:
    phone = said("0733 000 111", phone_number="+254733000111")
    assert interpret_update(phone, "detail_value", "phone_number") == {
        "detail_field": "phone_number",
        "detail_value": "+254733000111",
    }
    assert interpret_update(
        said("Kilimo House", "nlu_fallback", 0.3), "detail_value", "employer"
    ) == {"detail_value": "Kilimo House"}


def test_a_new_employer_loses_its_prefix() -> None:
    message = said("I work at the Ministry of Energy", "inform", 0.7)
    assert interpret_update(message, "detail_value", "employer") == {
        "detail_value": "Ministry of Energy"
    }


def test_an_entity_for_another_field_is_not_the_value_of_this_one() -> None:
    """While asked for a new phone number, an email entity is not the new phone."""
    message = said("mkulima@kilimo.go.ke", email="mkulima@kilimo.go.ke")
    values = interpret_update(message, "detail_value", "phone_number")
    assert values.get("detail_field") != "email"


@pytest.mark.parametrize(
    "message",
    [
        Message("stop", "stop", 0.99),
        Message("yes indeed", "affirm", 0.99),
        Message("how long is the AI course?", "course_details", 0.95),
    ],
)
def test_stop_yes_and_questions_give_no_new_value(message: Message) -> None:
    assert interpret_update(message, "detail_value", "email") == {}


# --- Checks ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KSG-7F3K9Q", "KSG-7F3K9Q"),
        ("ksg 7f3k9q", "KSG-7F3K9Q"),
        ("7F3K9Q", "KSG-7F3K9Q"),
        ("ksg_7f3k9q.", "KSG-7F3K9Q"),
    ],
)
def test_check_reference_normalises(text: str, expected: str) -> None:
    assert check_reference(text) == Checked(value=expected)


@pytest.mark.parametrize(
    "text", ["KSG-7F3K9O", "KSG-123", "HLP-7F3K9Q", "not a reference", "", None]
)
def test_check_reference_refuses_what_cannot_be_a_reference(text: str | None) -> None:
    assert check_reference(text) == Checked(problem="reference_wrong_format")


def test_check_detail_uses_the_check_for_that_field() -> None:
    assert check_detail("email", "A@B.KE", PATTERN) == Checked(value="A@b.ke")
    assert check_detail("phone_number", "0733 000 111", PATTERN) == Checked(value="+254733000111")
    assert check_detail("employer", "ab", PATTERN) == Checked(problem="employer_too_short")
    assert check_detail("job_group", "JG N", PATTERN) == Checked(value="N")
    assert check_detail("full_name", "Jane Doe", PATTERN) == Checked(problem="detail_field_unknown")

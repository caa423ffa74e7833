"""The language detector, as an officer would notice it: replies come in the
language they wrote in. These sentences are the developer's own checks; the
measured accuracy comes from the separate labelled set (test_language_accuracy.py)."""

from __future__ import annotations

import pytest

from bot.language import detect, detect_language, is_unfamiliar, reply_language, tokens


@pytest.mark.parametrize(
    "text",
    [
        "Habari yako",
        "Ninaomba msaada tafadhali",
        "Je, kozi hii inafundishwa wapi?",
        "nimejaribu mara tatu bila mafanikio",
        "sasa msee, mambo vipi",
        "Wewe ni mtu au mashine?",
    ],
)
def test_kiswahili_is_kiswahili(text: str) -> None:
    assert detect_language(text) == "sw"


@pytest.mark.parametrize(
    "text",
    [
        "Good afternoon",
        "Can you tell me more please",
        "I would like to speak with somebody from the school",
        "what time does the office open",
        "thx",
    ],
)
def test_english_is_english(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Kiswahili grammar around English nouns and verbs: answered in Kiswahili.
        ("nataka ku-apply for the cloud computing course", "sw"),
        ("hii kozi ya cybersecurity iko online?", "sw"),
        ("mimi ni JG K, naweza join?", "sw"),
        # An English message with a Kiswahili courtesy word is mostly English.
        ("can you send me the details, asante", "en"),
        ("okay thank you so much, kwaheri", "en"),
    ],
)
def test_code_switched_follows_the_contract_rule(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    "text", ["CLD-201", "20231234", "jane@example.go.ke", "+254712345678", "ok", "", "???", "👍"]
)
def test_messages_without_words_have_no_language(text: str) -> None:
    assert detect_language(text) is None


def test_codes_numbers_and_emails_are_not_words() -> None:
    assert tokens("Email jane.doe@example.go.ke re CLD-201, ref KSG-7F3K9Q") == [
        "email",
        "re",
        "ref",
    ]


def test_hyphenated_kiswahili_prefix_counts_as_kiswahili() -> None:
    assert detect("ku-register").swahili > 0


def test_an_explicit_choice_wins_until_changed() -> None:
    assert reply_language(detected="en", preference="sw", previous="en") == "sw"
    assert reply_language(detected="sw", preference=None, previous="en") == "sw"


def test_a_message_without_language_keeps_the_conversation_language() -> None:
    assert reply_language(detected=None, preference=None, previous="sw") == "sw"
    assert reply_language(detected=None, preference=None, previous=None) == "en"
    assert reply_language(detected=None, preference=None, previous=None, default="sw") == "sw"


@pytest.mark.parametrize("text", ["zxqv plorg wubba", "hola amigo que tal", "qwerty"])
def test_messages_with_no_known_word_are_unfamiliar(text: str) -> None:
    assert is_unfamiliar(text, vocabulary={"kozi"})


@pytest.mark.parametrize("text", ["CLD-201", "20231234", "zxqv kozi", "hello zxqv", ""])
def test_one_known_word_or_no_words_at_all_is_not_unfamiliar(text: str) -> None:
    assert not is_unfamiliar(text, vocabulary={"kozi"})

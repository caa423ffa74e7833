"""The Data Protection Act answers (issue 4 scope 1): at least 25 topics, each in
English and Kiswahili, short, naming its section, with training examples in both
languages and held-out questions written apart from them."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bot.evaluate import load_heldout
from bot.language import detect_language
from tests.conftest import is_kiswahili_variation
from tests.unit.test_domain import training_examples

PREFIX = "utter_data_protection/"
# A section in English ("s.43", "ss.48–50") and in Kiswahili ("kifungu cha 43",
# "vifungu 48–50").
SECTION = {"en": re.compile(r"\bss?\.\s?\d+"), "sw": re.compile(r"\b(?:kifungu|vifungu)\b[^.]*\d")}
# The three 2021 regulations are named by their legal notice, not a section of the Act.
NO_SECTION = {"regulations"}
MAX_LENGTH = 500


@pytest.fixture(scope="module")
def topics(responses: dict) -> dict[str, list[dict]]:
    return {k.removeprefix(PREFIX): v for k, v in responses.items() if k.startswith(PREFIX)}


def test_there_are_at_least_25_topics(topics: dict) -> None:
    assert len(topics) >= 25, sorted(topics)


def test_every_answer_is_bilingual_short_and_names_its_section(topics: dict) -> None:
    problems = []
    for topic, variations in topics.items():
        by_language = {"sw" if is_kiswahili_variation(v) else "en": v["text"] for v in variations}
        if len(variations) != 2 or set(by_language) != {"en", "sw"}:
            problems.append((topic, "not exactly one English and one Kiswahili text"))
            continue
        for language, text in by_language.items():
            if len(text) > MAX_LENGTH:
                problems.append((topic, language, f"{len(text)} characters"))
            if topic not in NO_SECTION and not SECTION[language].search(text):
                problems.append((topic, language, "no section named"))
            if detect_language(text) != language:
                problems.append((topic, language, "reads as the other language"))
    assert not problems


def test_facts_the_brief_marks_uncertain_are_worded_with_care(topics: dict) -> None:
    careful = re.compile(r"confirm|generally|commonly|reported|thibitisha|kwa kawaida", re.I)
    for topic in ("request_response_time", "registration", "dpia"):
        for variation in topics[topic]:
            assert careful.search(variation["text"]), (topic, variation["text"])


def test_every_topic_has_training_examples_in_both_languages(topics: dict) -> None:
    examples = training_examples()
    thin = []
    for topic in topics:
        texts = examples.get(f"data_protection/{topic}", [])
        languages = Counter(detect_language(t) for t in texts)
        if len(texts) < 10 or not languages["sw"] or not languages["en"]:
            thin.append((topic, len(texts), dict(languages)))
    assert not thin
    assert not [k for k in examples if k.startswith("data_protection/")
                and k.removeprefix("data_protection/") not in topics]  # fmt: skip


def test_the_held_out_set_covers_every_topic_in_both_languages(topics: dict) -> None:
    questions = [i for i in load_heldout() if i.response_key]
    assert len(questions) >= 60
    covered = Counter(i.response_key.removeprefix("data_protection/") for i in questions)
    assert set(covered) == set(topics)
    for topic in topics:
        languages = {i.language for i in questions if i.response_key.endswith(f"/{topic}")}
        assert "en" in languages and languages & {"sw", "mixed"}, (topic, languages)

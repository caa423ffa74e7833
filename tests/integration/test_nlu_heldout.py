"""The trained model on the held-out NLU set (tests/nlu/): messages written apart
from the training data and never trained on (tests/unit/test_training_data.py
checks), so the figures say how the bot understands officers it has not seen.

Loads the newest models/*.tar.gz in this process (no servers). `make test` trains
first; run alone without a model, these tests skip and say so. On failure the
per-intent × per-language table and every miss are printed.

The thresholds are issue 5's targets (bot.nlu_report.TARGETS), the same figures
`make evaluate` writes to docs/evaluation.md.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.evaluate import (
    HeldOutMessage,
    IntentReport,
    ModelParser,
    TopicReport,
    intent_accuracy,
    load_heldout,
    newest_model,
    remembered,
    topic_accuracy,
)
from bot.nlu_report import DANGEROUS, OUT_OF_SCOPE, TARGETS, Figures, miss_lines, run

pytestmark = pytest.mark.integration

OVERALL = TARGETS["intent_accuracy"]
KISWAHILI_AND_MIXED = TARGETS["sw_mixed_accuracy"]
ENGLISH = 0.95
# Data Protection Act questions (issue 4): the right answer for >= 95% of them.
DPA_TOPICS = 0.95
DPA_MIN_QUESTIONS = 60


@pytest.fixture(scope="module")
def heldout() -> list[HeldOutMessage]:
    return load_heldout()


@pytest.fixture(scope="module")
def parser() -> Iterator[ModelParser]:
    model = newest_model()
    if model is None:
        pytest.skip("no trained model in models/ (*.tar.gz): run `make train` (make test does)")
    with ModelParser(model) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def parse(parser: ModelParser):  # noqa: ANN201 - a ParseFunction
    return remembered(parser)


@pytest.fixture(scope="module")
def report(parser: ModelParser, parse, heldout: list[HeldOutMessage]) -> IntentReport:  # noqa: ANN001
    in_scope = [item for item in heldout if item.intent != OUT_OF_SCOPE]
    scored = intent_accuracy(parse, in_scope)
    print(f"\nmodel {parser.model_path}\n{scored.as_text()}")
    return scored


@pytest.fixture(scope="module")
def topics(parse, heldout: list[HeldOutMessage]) -> TopicReport:  # noqa: ANN001
    scored = topic_accuracy(parse, heldout)
    print(f"\n{scored.as_text()}")
    return scored


def test_the_model_knows_every_held_out_intent(
    parser: ModelParser, heldout: list[HeldOutMessage]
) -> None:
    missing = sorted({item.intent for item in heldout} - set(parser.intents))
    assert not missing, f"{parser.model_path} was trained without intents {missing}"


@pytest.fixture(scope="module")
def figures(parse, heldout: list[HeldOutMessage]) -> Figures:  # noqa: ANN001
    return Figures(run(parse, heldout))


def test_overall_intent_accuracy(report: IntentReport) -> None:
    assert report.accuracy >= OVERALL, report.as_text()


def test_english_intent_accuracy(report: IntentReport) -> None:
    assert report.accuracy_in("en") >= ENGLISH, report.as_text()


def test_kiswahili_and_mixed_intent_accuracy(report: IntentReport) -> None:
    # Both are answered in Kiswahili (contract §4), so they are held to one figure.
    assert report.accuracy_in("sw", "mixed") >= KISWAHILI_AND_MIXED, report.as_text()


def test_entities(figures: Figures) -> None:
    total = figures.entity_totals
    assert total.support >= 100, f"only {total.support} annotated entities in the set"
    detail = {e: (p.true_positive, p.predicted, p.support) for e, p in figures.per_entity.items()}
    assert figures.entity_f1 >= TARGETS["entity_f1"], detail


def test_out_of_scope_messages_are_declined(figures: Figures) -> None:
    assert len(figures.out_of_scope) >= 200, "the out-of-scope set has at least 200 messages"
    wrong = "\n".join(miss_lines(Figures([o for o in figures.outcomes if not o.in_scope]), 60))
    assert figures.oos_rejection >= TARGETS["oos_rejection"], wrong


def test_out_of_scope_never_starts_an_enrolment_flow(figures: Figures) -> None:
    taken = [(o.text, o.got) for o in figures.oos_dangerous]
    assert not taken, f"taken for {'/'.join(DANGEROUS)}: {taken}"


def test_data_protection_questions_get_the_right_answer(topics: TopicReport) -> None:
    assert topics.total >= DPA_MIN_QUESTIONS, f"only {topics.total} held-out DPA questions"
    assert {"en", "sw"} <= set(topics.by_language), "DPA questions in both languages"
    assert topics.accuracy >= DPA_TOPICS, topics.as_text()

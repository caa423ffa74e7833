"""Measures the language detector on the hand-labelled set in tests/language/.

Contract §4 and the foundation issue: at least 95% right on at least 150 messages,
at least 40 of them code-switched. Prints the figures (pytest -s, or `make evaluate`).
"""

from __future__ import annotations

from bot.evaluate import LABELLED_SET, language_accuracy


def test_labelled_set_is_big_enough() -> None:
    report = language_accuracy(LABELLED_SET)
    assert report.total >= 150
    assert report.by_kind["mixed"].total >= 40


def test_detector_accuracy_is_at_least_95_percent() -> None:
    report = language_accuracy(LABELLED_SET)
    print("\n" + report.as_text())
    assert report.accuracy >= 0.95, report.as_text()
    assert report.by_kind["mixed"].accuracy >= 0.90, report.as_text()


def test_messages_without_language_are_left_alone() -> None:
    report = language_accuracy(LABELLED_SET)
    assert report.neutral_total >= 20
    assert report.neutral_correct / report.neutral_total >= 0.9, report.as_text()

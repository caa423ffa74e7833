"""The evaluation report's figures (bot/nlu_report.py), computed from fake parses:
precision/recall/F1, per-language accuracy, entity F1, out-of-scope rejection, the
threshold sweep, percentiles, and the rendering of tables and the image."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluate import HeldOutMessage
from bot.nlu_report import (
    Figures,
    confusion_matrix_image,
    entity_table,
    intent_table,
    outcome_of,
    percentile,
    run,
    source_table,
    with_thresholds,
)


def item(text: str, intent: str, language: str = "en", entities=()) -> HeldOutMessage:  # noqa: ANN001
    return HeldOutMessage(text, intent, language, [dict(e) for e in entities])


def parsed(intent: str, confidence: float, ranking=(), entities=()) -> dict:  # noqa: ANN001
    return {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]
        or [{"name": intent, "confidence": confidence}],
        "entities": [{"entity": e, "value": v} for e, v in entities],
    }


COURSE = {"entity": "course", "value": "CLD-201", "start": 0, "end": 7}
ANSWERS = {
    "register CLD-201": parsed("register", 0.9, entities=[("course", "CLD-201")]),
    "nisajili": parsed("register", 0.8),
    "status": parsed("check_status", 0.7),
    "hali yangu": parsed("register", 0.6, [("register", 0.6), ("check_status", 0.55)]),
    "weather": parsed("out_of_scope", 0.9),
    "hali ya hewa": parsed("nlu_fallback", 0.4, [("nlu_fallback", 0.4), ("greet", 0.3)]),
    "withdraw cash": parsed("withdraw", 0.7, entities=[("course", "CLD-201")]),
    "zxqv": parsed("nlu_fallback", 0.0, [("nlu_fallback", 0.0), ("register", 0.9)]),
}
ITEMS = [
    item("register CLD-201", "register", entities=[COURSE]),
    item("nisajili", "register", "sw"),
    item("status", "check_status"),
    item("hali yangu", "check_status", "mixed"),
    item("weather", "out_of_scope"),
    item("hali ya hewa", "out_of_scope", "sw"),
    item("withdraw cash", "out_of_scope"),
    item("zxqv", "register"),
]


@pytest.fixture(scope="module")
def figures() -> Figures:
    return Figures(run(lambda text: ANSWERS[text], ITEMS))


def test_accuracy_counts_in_scope_messages_per_language(figures: Figures) -> None:
    assert figures.intent_accuracy == pytest.approx(3 / 5)
    assert figures.accuracy("en") == pytest.approx(2 / 3)
    assert figures.sw_mixed_accuracy == pytest.approx(1 / 2)


def test_out_of_scope_is_rejected_by_either_intent_and_dangerous_ones_are_named(
    figures: Figures,
) -> None:
    assert figures.oos_rejection == pytest.approx(2 / 3)
    assert [o.text for o in figures.oos_dangerous] == ["withdraw cash"]
    assert figures.false_fallback == pytest.approx(1 / 5)


def test_precision_recall_f1_per_intent(figures: Figures) -> None:
    register = figures.per_intent["register"]
    # 3 labelled register (2 right, 1 fell back); predicted register 3 times.
    assert (register.support, register.true_positive, register.predicted) == (3, 2, 3)
    assert register.precision == pytest.approx(2 / 3)
    assert register.recall == pytest.approx(2 / 3)
    assert figures.per_intent["check_status"].f1 == pytest.approx(2 * 1 * 0.5 / 1.5)
    assert "| *nlu_fallback* (predicted only) |" in "\n".join(intent_table(figures))


def test_entities_are_scored_on_in_scope_messages_only(figures: Figures) -> None:
    course = figures.per_entity["course"]
    assert (course.support, course.true_positive, course.predicted) == (1, 1, 1)
    assert figures.entity_f1 == 1.0
    assert "| **all** | 100.0% | 100.0% | 100.0% | 1 |" in entity_table(figures)


def test_thresholds_are_simulated_from_the_ranking_except_forced_fallbacks() -> None:
    confident = outcome_of(
        item("a", "register"), parsed("register", 0.6, [("register", 0.6), ("withdraw", 0.1)]), 0.0
    )
    assert with_thresholds(confident, 0.5, 0.1) == "register"
    assert with_thresholds(confident, 0.7, 0.1) == "nlu_fallback"
    fell_back = outcome_of(
        item("b", "register"),
        parsed("nlu_fallback", 0.7, [("nlu_fallback", 0.7), ("register", 0.65), ("stop", 0.3)]),
        0.0,
    )
    assert with_thresholds(fell_back, 0.6, 0.1) == "register"
    forced = outcome_of(item("zxqv", "register"), ANSWERS["zxqv"], 0.0)
    assert forced.forced_fallback
    assert with_thresholds(forced, 0.1, 0.0) == "nlu_fallback"
    ambiguous = outcome_of(item("c", "x"), ANSWERS["hali yangu"], 0.0)
    assert with_thresholds(ambiguous, 0.3, 0.1) == "nlu_fallback"
    assert with_thresholds(ambiguous, 0.3, 0.0) == "register"


def test_the_sweep_and_the_failures_list(figures: Figures) -> None:
    rows = figures.sweep([0.0, 0.95], [0.0])
    assert rows[1][2] == 0.0  # everything falls back at 0.95
    assert rows[1][4] == 1.0  # so everything out of scope is rejected
    failures = figures.failures()
    assert any(f.startswith("intent_accuracy 60.0%") for f in failures)
    assert any("taken for register/withdraw/check_status" in f for f in failures)


def test_accuracy_per_file() -> None:
    items = [item._replace(source="a.yml" if i < 4 else "b.yml") for i, item in enumerate(ITEMS)]
    table = source_table(Figures(run(lambda text: ANSWERS[text], items)))
    assert "| `a.yml` | 4 | 75.0% |" in table
    assert "| `b.yml` | 4 | 50.0% |" in table


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) == 0.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile(list(range(1, 101)), 0.95) == 95


def test_the_confusion_matrix_is_a_png(figures: Figures, tmp_path: Path) -> None:
    path = tmp_path / "cm.png"
    confusion_matrix_image(figures, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

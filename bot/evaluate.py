"""Evaluation figures that need no Rasa model: the language detector on the
hand-labelled set. ``python -m bot.evaluate`` prints them (``make evaluate``)."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.language import detect_language

LABELLED_SET = PROJECT_ROOT / "tests" / "language" / "labelled_messages.yml"


@dataclass
class Score:
    total: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass
class LanguageReport:
    total: int = 0
    correct: int = 0
    by_kind: dict[str, Score] = field(default_factory=dict)
    errors: list[tuple[str, str, str | None]] = field(default_factory=list)
    neutral_total: int = 0
    neutral_correct: int = 0
    neutral_errors: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def as_text(self) -> str:
        lines = [
            f"language detector: {self.correct}/{self.total} = {self.accuracy:.1%}",
            *(
                f"  {kind:6} {s.correct}/{s.total} = {s.accuracy:.1%}"
                for kind, s in sorted(self.by_kind.items())
            ),
            f"  no-language messages left alone: {self.neutral_correct}/{self.neutral_total}",
        ]
        lines += [f"  wrong: {t!r} expected {e}, got {g}" for t, e, g in self.errors]
        lines += [f"  wrong (neutral): {t!r} got {g}" for t, g in self.neutral_errors]
        return "\n".join(lines)


def language_accuracy(path: Path = LABELLED_SET) -> LanguageReport:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    report = LanguageReport()
    for item in data["messages"]:
        got = detect_language(item["text"])
        score = report.by_kind.setdefault(item["kind"], Score())
        score.total += 1
        report.total += 1
        if got == item["expected"]:
            score.correct += 1
            report.correct += 1
        else:
            report.errors.append((item["text"], item["expected"], got))
    for text in data.get("neutral") or []:
        got = detect_language(text)
        report.neutral_total += 1
        if got is None:
            report.neutral_correct += 1
        else:
            report.neutral_errors.append((text, got))
    return report


def main() -> int:
    report = language_accuracy()
    print(report.as_text())
    kinds = Counter({k: s.total for k, s in report.by_kind.items()})
    print(f"  set: {report.total} messages {dict(kinds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

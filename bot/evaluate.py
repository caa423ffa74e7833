"""Evaluation figures: the language detector on the hand-labelled set, and the
trained model's intents on the held-out NLU set in ``tests/nlu/``.
``python -m bot.evaluate`` prints them (``make evaluate``).

The held-out scoring takes a parse function (text -> the parse dict Rasa's
``/model/parse`` returns) rather than a model, so the same figures come from a model
loaded in this process (:class:`ModelParser`), from a running server
(:func:`http_parser`), or from a fake in unit tests. Rasa is imported only where a
model or the YAML reader is needed: ``bot/`` modules have no Rasa import at the top.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from bot.config import PROJECT_ROOT
from bot.language import detect_language

if TYPE_CHECKING:
    from rasa.core.agent import Agent

LABELLED_SET = PROJECT_ROOT / "tests" / "language" / "labelled_messages.yml"
HELDOUT_DIR = PROJECT_ROOT / "tests" / "nlu"
MODELS_DIR = PROJECT_ROOT / "models"
#: ``metadata.language`` of a held-out message; mixed is code-switched text.
HELDOUT_LANGUAGES = ("en", "sw", "mixed")

#: What the scorer needs from a model: text in, Rasa's parse dict out.
ParseFunction = Callable[[str], dict[str, Any]]


@dataclass
class Score:
    total: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def add(self, correct: bool) -> None:
        self.total += 1
        self.correct += int(correct)


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


# ------------------------------------------------------------------ held-out NLU set


class HeldOutMessage(NamedTuple):
    """One labelled officer message. ``entities`` are as Rasa's reader gives them
    (``entity``, ``value``, ``start``, ``end``), values already normalised."""

    text: str
    intent: str
    language: str
    entities: list[dict[str, Any]]
    #: For a retrieval intent, the full label ("data_protection/breach_controller").
    response_key: str | None = None
    #: The file it came from (``helpdesk.yml``).
    source: str = ""


def load_heldout(folder: Path = HELDOUT_DIR) -> list[HeldOutMessage]:
    """Every message in ``folder``'s ``*.yml`` files, in file order.

    Read with Rasa's own NLU reader, so an annotation means here exactly what it
    would mean in training data. That reader silently drops an example repeated
    under the same intent; the unit tests count examples to notice.
    """
    from rasa.shared.nlu.training_data.loading import load_data

    items: list[HeldOutMessage] = []
    for path in sorted(folder.glob("*.yml")):
        for message in load_data(str(path)).training_examples:
            text = message.get("text")
            metadata = (message.get("metadata") or {}).get("example") or {}
            language = metadata.get("language")
            if language not in HELDOUT_LANGUAGES:
                raise ValueError(
                    f"{path}: {text!r} has language {language!r}, "
                    f"expected one of {', '.join(HELDOUT_LANGUAGES)} under metadata"
                )
            entities = [
                {k: e[k] for k in ("entity", "value", "start", "end")}
                for e in message.get("entities") or []
            ]
            items.append(
                HeldOutMessage(
                    text,
                    message.get("intent"),
                    language,
                    entities,
                    message.get("intent_response_key"),
                    path.name,
                )
            )
    return items


@dataclass(frozen=True)
class Miss:
    """A message the model put under the wrong intent."""

    text: str
    language: str
    expected: str
    got: str | None
    confidence: float | None


@dataclass
class IntentReport:
    """Intent accuracy overall, by language, by intent and by (intent, language).

    Entities are counted too ((type, value) pairs the model found out of those
    annotated), for information: the thresholds are on intents.
    """

    total: int = 0
    correct: int = 0
    by_language: dict[str, Score] = field(default_factory=dict)
    by_intent: dict[str, Score] = field(default_factory=dict)
    cells: dict[tuple[str, str], Score] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    entities_expected: int = 0
    entities_found: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def accuracy_in(self, *languages: str) -> float:
        """Accuracy over messages in any of ``languages`` ("sw", "mixed" together:
        both are answered in Kiswahili)."""
        scores = [self.by_language[lang] for lang in languages if lang in self.by_language]
        total = sum(s.total for s in scores)
        return sum(s.correct for s in scores) / total if total else 0.0

    def as_text(self) -> str:
        languages = [lang for lang in HELDOUT_LANGUAGES if lang in self.by_language]
        width = max([len("intent"), *(len(i) for i in self.by_intent)])
        overall = f"{self.correct}/{self.total} = {self.accuracy:.1%}"
        en, sw = self.accuracy_in("en"), self.accuracy_in("sw", "mixed")
        heading = "".join(f"{name:>10}" for name in [*languages, "all"])
        lines = [
            f"intents on the held-out set: {overall}  (en {en:.1%}, sw+mixed {sw:.1%})",
            f"  {'intent':{width}}{heading}",
        ]

        def cell(score: Score | None) -> str:
            return f"{score.correct}/{score.total}".rjust(10) if score else " " * 10

        for intent in sorted(self.by_intent):
            row = "".join(cell(self.cells.get((intent, lang))) for lang in languages)
            lines.append(f"  {intent:{width}}{row}{cell(self.by_intent[intent])}")
        lines.append(
            f"  {'all':{width}}"
            + "".join(cell(self.by_language[lang]) for lang in languages)
            + cell(Score(self.total, self.correct))
        )
        if self.entities_expected:
            found = f"{self.entities_found}/{self.entities_expected}"
            lines.append(f"  entities (type and value) found: {found}")
        for miss in self.misses:
            confidence = "" if miss.confidence is None else f" ({miss.confidence:.2f})"
            lines.append(
                f"  miss [{miss.language}] {miss.text!r}: expected {miss.expected}, "
                f"got {miss.got}{confidence}"
            )
        return "\n".join(lines)


def intent_accuracy(parse: ParseFunction, items: Iterable[HeldOutMessage]) -> IntentReport:
    """Parses every message and scores the top intent against its label.

    ``nlu_fallback`` is a miss like any other wrong intent: the officer who typed
    a clear request and got "sorry, I didn't understand" was not helped.
    """
    report = IntentReport()
    for item in items:
        parsed = parse(item.text) or {}
        intent = parsed.get("intent") or {}
        got = intent.get("name")
        right = got == item.intent
        report.total += 1
        report.correct += int(right)
        report.by_language.setdefault(item.language, Score()).add(right)
        report.by_intent.setdefault(item.intent, Score()).add(right)
        report.cells.setdefault((item.intent, item.language), Score()).add(right)
        if not right:
            report.misses.append(
                Miss(item.text, item.language, item.intent, got, intent.get("confidence"))
            )
        found = {(e.get("entity"), e.get("value")) for e in parsed.get("entities") or []}
        for entity in item.entities:
            report.entities_expected += 1
            report.entities_found += int((entity["entity"], entity["value"]) in found)
    return report


@dataclass
class TopicReport:
    """For retrieval intents (``data_protection``): how many held-out questions were
    routed to the right answer — the right intent *and* the right topic
    (``data_protection/<topic>``), since a wrong topic gives a wrong answer."""

    total: int = 0
    correct: int = 0
    by_language: dict[str, Score] = field(default_factory=dict)
    by_topic: dict[str, Score] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def accuracy_in(self, *languages: str) -> float:
        scores = [self.by_language[lang] for lang in languages if lang in self.by_language]
        total = sum(s.total for s in scores)
        return sum(s.correct for s in scores) / total if total else 0.0

    def as_text(self) -> str:
        en, sw = self.accuracy_in("en"), self.accuracy_in("sw", "mixed")
        lines = [
            f"topics of retrieval intents on the held-out set: {self.correct}/{self.total}"
            f" = {self.accuracy:.1%}  (en {en:.1%}, sw+mixed {sw:.1%},"
            f" {len(self.by_topic)} topics)"
        ]
        for topic, score in sorted(self.by_topic.items()):
            if score.correct < score.total:
                lines.append(f"  {topic}: {score.correct}/{score.total}")
        for miss in self.misses:
            confidence = "" if miss.confidence is None else f" ({miss.confidence:.2f})"
            lines.append(
                f"  miss [{miss.language}] {miss.text!r}: expected {miss.expected}, "
                f"got {miss.got}{confidence}"
            )
        return "\n".join(lines)


def selected_response(parsed: dict[str, Any], intent: str) -> tuple[str | None, float | None]:
    """The response key the ResponseSelector chose for retrieval ``intent``."""
    selector = (parsed.get("response_selector") or {}).get(intent) or {}
    response = selector.get("response") or {}
    return response.get("intent_response_key"), response.get("confidence")


def topic_accuracy(parse: ParseFunction, items: Iterable[HeldOutMessage]) -> TopicReport:
    """Scores the held-out messages of retrieval intents: right only if the top
    intent is the retrieval intent and the selected response is the labelled one."""
    report = TopicReport()
    for item in items:
        if not item.response_key:
            continue
        parsed = parse(item.text) or {}
        got_intent = (parsed.get("intent") or {}).get("name")
        key, confidence = selected_response(parsed, item.intent)
        got = key if got_intent == item.intent else got_intent
        right = got == item.response_key
        report.total += 1
        report.correct += int(right)
        report.by_language.setdefault(item.language, Score()).add(right)
        report.by_topic.setdefault(item.response_key, Score()).add(right)
        if not right:
            report.misses.append(Miss(item.text, item.language, item.response_key, got, confidence))
    return report


def remembered(parse: ParseFunction) -> ParseFunction:
    """``parse`` that parses each distinct text once (intents and topics are scored
    from the same parse)."""
    seen: dict[str, dict[str, Any]] = {}

    def parse_once(text: str) -> dict[str, Any]:
        if text not in seen:
            seen[text] = parse(text)
        return seen[text]

    return parse_once


def newest_model(folder: Path = MODELS_DIR) -> Path | None:
    """The ``*.tar.gz`` in ``folder`` with the latest modification time, or None when
    nothing has been trained. (``make train`` writes one file, msaidizi.tar.gz; Rasa
    itself picks by ctime, which only differs when several models lie there.)"""
    models = sorted(folder.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


class ModelParser:
    """A trained model loaded in this process, used as a :data:`ParseFunction`.

    Rasa's agent parses in a coroutine; the scorer takes a plain function so the
    same code also scores a server over HTTP. One private event loop runs every
    parse, rather than ``asyncio.run`` per message, because the agent's objects are
    created on the loop that loaded it. Use it as a context manager, or ``close()``.
    """

    def __init__(self, model_path: Path) -> None:
        import structlog
        from rasa.core.agent import load_agent
        from rasa.utils.log_utils import configure_structlog

        # Rasa's CLI configures structlog; loaded in-process nobody has, and
        # structlog's default then prints a debug line for every parsed message.
        if not structlog.is_configured():
            configure_structlog(logging.WARNING)
        self.model_path = model_path
        self._loop = asyncio.new_event_loop()
        try:
            self.agent: Agent = self._loop.run_until_complete(
                load_agent(model_path=str(model_path))
            )
        except BaseException:
            self._loop.close()
            raise
        if not self.agent.is_ready():
            self._loop.close()
            raise ValueError(f"could not load a model from {model_path}")

    @property
    def intents(self) -> list[str]:
        """The intents the model's domain knows."""
        return list(self.agent.domain.intents)

    def __call__(self, text: str) -> dict[str, Any]:
        return self._loop.run_until_complete(self.agent.parse_message(text))

    def close(self) -> None:
        self._loop.close()

    def __enter__(self) -> ModelParser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def http_parser(url: str, timeout: float = 30.0) -> ParseFunction:
    """A :data:`ParseFunction` that asks a running Rasa server (``make run``) at
    ``url`` through its ``/model/parse`` endpoint."""
    endpoint = url.rstrip("/") + "/model/parse"

    def parse(text: str) -> dict[str, Any]:
        request = urllib.request.Request(
            endpoint,
            data=json.dumps({"text": text}).encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return json.loads(reply.read().decode("utf-8"))

    return parse


def print_scores(parse: ParseFunction, items: list[HeldOutMessage]) -> None:
    """The in-scope intent table, out-of-scope rejection and the DPA topics."""
    in_scope = [item for item in items if item.intent != "out_of_scope"]
    out_of_scope = [item for item in items if item.intent == "out_of_scope"]
    print(intent_accuracy(parse, in_scope).as_text())
    rejected = sum(
        ((parse(item.text) or {}).get("intent") or {}).get("name")
        in ("out_of_scope", "nlu_fallback")
        for item in out_of_scope
    )
    if out_of_scope:
        print(
            f"out of scope rejected: {rejected}/{len(out_of_scope)} = "
            f"{rejected / len(out_of_scope):.1%}"
        )
    print(topic_accuracy(parse, items).as_text())


def main(argv: list[str] | None = None) -> int:
    """Prints the language-detector figures, then the held-out intent table for the
    newest model in ``models/`` (or ``--model``, or a server at ``--url``). Never
    trains: with no model it says so and prints only the detector figures."""
    arguments = argparse.ArgumentParser(prog="python -m bot.evaluate", description=main.__doc__)
    arguments.add_argument("--model", type=Path, help="model file (default: newest in models/)")
    arguments.add_argument(
        "--url", help="score a running Rasa server instead, e.g. http://localhost:5005"
    )
    arguments.add_argument(
        "--report",
        type=Path,
        help="train from scratch, score, compare and write this report (docs/evaluation.md)",
    )
    arguments.add_argument(
        "--retrain-baseline",
        action="store_true",
        help="with --report: retrain Rasa's default pipeline even if a model of the same "
        "data is in models/eval/",
    )
    arguments.add_argument(
        "--skip-baseline", action="store_true", help="with --report: leave the baseline out"
    )
    args = arguments.parse_args(argv)

    report = language_accuracy()
    print(report.as_text())
    kinds = Counter({k: s.total for k, s in report.by_kind.items()})
    print(f"  set: {report.total} messages {dict(kinds)}")
    print()
    if args.report:
        from bot.nlu_report import evaluate_all

        ours = evaluate_all(
            args.report,
            baseline=not args.skip_baseline,
            reuse_baseline=not args.retrain_baseline,
        )
        print(f"report written to {args.report}")
        for name, value in ours.figures.summary().items():
            print(f"  {name}: {value:.3f}")
        failed = ours.figures.failures()
        print("targets met" if not failed else "targets missed: " + "; ".join(failed))
        return 0 if not failed else 1

    items = load_heldout()
    if args.url:
        print(f"held-out NLU set: {len(items)} messages, server {args.url}")
        parse = remembered(http_parser(args.url))
        print_scores(parse, items)
        return 0
    model = args.model or newest_model()
    if model is None:
        print(f"held-out NLU set: no trained model in {MODELS_DIR} (run `make train`)")
        return 0
    print(f"held-out NLU set: {len(items)} messages, model {model}")
    with ModelParser(model) as model_parser:
        parse = remembered(model_parser)
        print_scores(parse, items)
    return 0


if __name__ == "__main__":
    sys.exit(main())

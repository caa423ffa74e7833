"""The NLU evaluation report (``make evaluate`` -> ``docs/evaluation.md``).

Scores a model on the held-out sets in ``tests/nlu/`` (in-scope messages and the
out-of-scope set, never trained on) and computes, from one pass over the set:

- per-intent precision, recall and F1 (``nlu_fallback`` counts as a prediction:
  an officer who gets "sorry, I didn't understand" was not helped);
- intent accuracy per language (en, sw, mixed; sw + mixed together);
- entity precision, recall and F1 per entity type ((type, value) pairs per message);
- out-of-scope rejection (predicted ``out_of_scope`` or ``nlu_fallback``), and how
  many out-of-scope messages were taken for register, withdraw or check_status;
- the in-scope false-fallback rate;
- a sweep of the FallbackClassifier thresholds, simulated from the rankings the
  model returned (no retraining), to set config.yml's values on figures;
- parse latency p50/p95 (one message at a time, in this process);
- a confusion matrix image.

The functions take the parse dicts Rasa's ``/model/parse`` returns, so they are
unit-tested with fakes; :func:`bot.evaluate.main` wires them to trained models,
Rasa's cross-validation and the comparison models (Rasa's default pipeline; ours
without the spaCy tokenizer).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT
from bot.evaluate import HeldOutMessage, ParseFunction

OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
#: What an out-of-scope message must never be taken for: each starts a flow that
#: changes or reveals an officer's enrolment.
DANGEROUS = ("register", "withdraw", "check_status")
REJECTED = (OUT_OF_SCOPE, FALLBACK)

#: issue 5's targets.
TARGETS = {
    "intent_accuracy": 0.97,
    "sw_mixed_accuracy": 0.95,
    "entity_f1": 0.95,
    "oos_rejection": 0.95,
}


@dataclass(frozen=True)
class Outcome:
    """One held-out message and what the model made of it."""

    text: str
    language: str
    expected: str
    got: str | None
    confidence: float
    #: The ranking before any fallback: (intent, confidence), best first.
    ranking: tuple[tuple[str, float], ...]
    #: Set when a rule (not a confidence threshold) forced ``nlu_fallback``.
    forced_fallback: bool
    entities_expected: frozenset[tuple[str, str]]
    entities_got: frozenset[tuple[str, str]]
    seconds: float
    source: str = ""

    @property
    def in_scope(self) -> bool:
        return self.expected != OUT_OF_SCOPE

    @property
    def right(self) -> bool:
        if self.in_scope:
            return self.got == self.expected
        return self.got in REJECTED


def outcome_of(item: HeldOutMessage, parsed: dict[str, Any], seconds: float) -> Outcome:
    intent = parsed.get("intent") or {}
    got = intent.get("name")
    ranking = [
        (r.get("name"), float(r.get("confidence") or 0.0))
        for r in parsed.get("intent_ranking") or []
    ]
    # Rasa's FallbackClassifier puts nlu_fallback first and keeps the classifier's
    # ranking after it; our UnfamiliarWordsFallback does the same at confidence 0.
    forced = got == FALLBACK and float(intent.get("confidence") or 0.0) == 0.0
    original = tuple((name, c) for name, c in ranking if name != FALLBACK)
    entities = frozenset(
        (str(e.get("entity")), str(e.get("value")))
        for e in parsed.get("entities") or []
        if e.get("entity") != "message_language"
    )
    return Outcome(
        item.text,
        item.language,
        item.intent,
        got,
        float(intent.get("confidence") or 0.0),
        original,
        forced,
        frozenset((e["entity"], str(e["value"])) for e in item.entities),
        entities,
        seconds,
        item.source,
    )


def run(parse: ParseFunction, items: Iterable[HeldOutMessage]) -> list[Outcome]:
    """Parses every message once, timing each parse."""
    outcomes = []
    for item in items:
        started = time.perf_counter()
        parsed = parse(item.text) or {}
        outcomes.append(outcome_of(item, parsed, time.perf_counter() - started))
    return outcomes


def with_thresholds(outcome: Outcome, threshold: float, ambiguity: float) -> str | None:
    """The intent ``outcome`` would have got under other FallbackClassifier settings."""
    if outcome.forced_fallback or not outcome.ranking:
        return outcome.got
    best, confidence = outcome.ranking[0]
    second = outcome.ranking[1][1] if len(outcome.ranking) > 1 else 0.0
    if confidence < threshold or confidence - second < ambiguity:
        return FALLBACK
    return best


# ---------------------------------------------------------------------- figures


@dataclass
class PRF:
    support: int = 0
    true_positive: int = 0
    predicted: int = 0

    @property
    def precision(self) -> float:
        return self.true_positive / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


@dataclass
class Figures:
    """Every figure of one model on the held-out sets."""

    outcomes: list[Outcome]
    per_intent: dict[str, PRF] = field(default_factory=dict)
    per_entity: dict[str, PRF] = field(default_factory=dict)

    def __post_init__(self) -> None:
        per_intent: dict[str, PRF] = defaultdict(PRF)
        for o in self.outcomes:
            # Out-of-scope messages are right when rejected either way, so both
            # rejections count as the label out_of_scope here.
            got = OUT_OF_SCOPE if (not o.in_scope and o.got in REJECTED) else o.got
            per_intent[o.expected].support += 1
            per_intent[str(got)].predicted += 1
            if got == o.expected:
                per_intent[o.expected].true_positive += 1
        self.per_intent = dict(per_intent)
        per_entity: dict[str, PRF] = defaultdict(PRF)
        for o in self.in_scope:
            for entity, _ in o.entities_expected:
                per_entity[entity].support += 1
            for entity, _ in o.entities_got:
                per_entity[entity].predicted += 1
            for entity, _ in o.entities_expected & o.entities_got:
                per_entity[entity].true_positive += 1
        self.per_entity = dict(per_entity)

    @property
    def in_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.in_scope]

    @property
    def out_of_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.in_scope]

    def accuracy(self, *languages: str) -> float:
        chosen = [o for o in self.in_scope if not languages or o.language in languages]
        return _ratio(sum(o.right for o in chosen), len(chosen))

    @property
    def intent_accuracy(self) -> float:
        return self.accuracy()

    @property
    def sw_mixed_accuracy(self) -> float:
        return self.accuracy("sw", "mixed")

    @property
    def oos_rejection(self) -> float:
        return _ratio(sum(o.right for o in self.out_of_scope), len(self.out_of_scope))

    @property
    def oos_dangerous(self) -> list[Outcome]:
        return [o for o in self.out_of_scope if o.got in DANGEROUS]

    @property
    def false_fallback(self) -> float:
        return _ratio(sum(o.got == FALLBACK for o in self.in_scope), len(self.in_scope))

    @property
    def entity_totals(self) -> PRF:
        total = PRF()
        for prf in self.per_entity.values():
            total.support += prf.support
            total.predicted += prf.predicted
            total.true_positive += prf.true_positive
        return total

    @property
    def entity_f1(self) -> float:
        return self.entity_totals.f1

    def latency(self, quantile: float) -> float:
        return percentile([o.seconds for o in self.outcomes], quantile)

    def sweep(
        self, thresholds: Sequence[float], ambiguities: Sequence[float]
    ) -> list[tuple[float, float, float, float, float]]:
        """(threshold, ambiguity, in-scope accuracy, sw+mixed accuracy, out-of-scope
        rejection) for each pair of settings."""
        rows = []
        for threshold in thresholds:
            for ambiguity in ambiguities:
                inside = [(o, with_thresholds(o, threshold, ambiguity)) for o in self.in_scope]
                right = [got == o.expected for o, got in inside]
                sw = [r for (o, _), r in zip(inside, right, strict=True) if o.language != "en"]
                rejected = [
                    with_thresholds(o, threshold, ambiguity) in REJECTED for o in self.out_of_scope
                ]
                rows.append(
                    (
                        threshold,
                        ambiguity,
                        _ratio(sum(right), len(right)),
                        _ratio(sum(sw), len(sw)),
                        _ratio(sum(rejected), len(rejected)),
                    )
                )
        return rows

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.right]

    def summary(self) -> dict[str, float]:
        return {
            "intent_accuracy": self.intent_accuracy,
            "sw_mixed_accuracy": self.sw_mixed_accuracy,
            "en_accuracy": self.accuracy("en"),
            "entity_f1": self.entity_f1,
            "oos_rejection": self.oos_rejection,
            "false_fallback": self.false_fallback,
            "oos_dangerous": float(len(self.oos_dangerous)),
            "latency_p50_ms": self.latency(0.5) * 1000,
            "latency_p95_ms": self.latency(0.95) * 1000,
        }

    def failures(self) -> list[str]:
        """The targets this model misses, in words (empty when it meets them all)."""
        failed = []
        summary = self.summary()
        for name, target in TARGETS.items():
            if summary[name] < target:
                failed.append(f"{name} {summary[name]:.1%} < {target:.0%}")
        if self.oos_dangerous:
            failed.append(
                f"{len(self.oos_dangerous)} out-of-scope messages taken for " + "/".join(DANGEROUS)
            )
        return failed


def percentile(values: Sequence[float], quantile: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(quantile * len(ordered)))
    return ordered[rank - 1]


# ---------------------------------------------------------------------- rendering


def confusion_matrix_image(figures: Figures, path: Path) -> None:
    """Rows: expected intent; columns: predicted (``nlu_fallback`` included). Counts
    on the cells; the diagonal is right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = [
        (o.expected, OUT_OF_SCOPE if (not o.in_scope and o.got in REJECTED) else str(o.got))
        for o in figures.outcomes
    ]
    labels = sorted({e for e, _ in pairs} | {g for _, g in pairs})
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for expected, got in pairs:
        counts[index[expected]][index[got]] += 1
    rows = [[c / max(1, sum(row)) for c in row] for row in counts]
    size = max(8.0, 0.42 * len(labels))
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("expected")
    for i, row in enumerate(counts):
        for j, count in enumerate(row):
            if count:
                colour = "white" if rows[i][j] > 0.5 else "black"
                ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color=colour)
    ax.set_title("Held-out set: expected vs predicted intent (counts; colour = share of row)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def pct(value: float) -> str:
    return f"{value:.1%}"


def intent_table(figures: Figures) -> list[str]:
    lines = ["| intent | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for intent, prf in sorted(figures.per_intent.items()):
        if prf.support:
            lines.append(
                f"| {intent} | {pct(prf.precision)} | {pct(prf.recall)} | {pct(prf.f1)} "
                f"| {prf.support} |"
            )
    spurious = {i: p for i, p in figures.per_intent.items() if not p.support and p.predicted}
    for intent, prf in sorted(spurious.items()):
        lines.append(f"| *{intent}* (predicted only) | | | | 0 (predicted {prf.predicted}) |")
    return lines


def entity_table(figures: Figures) -> list[str]:
    lines = ["| entity | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for entity, prf in sorted(figures.per_entity.items()):
        lines.append(
            f"| {entity} | {pct(prf.precision)} | {pct(prf.recall)} | {pct(prf.f1)} "
            f"| {prf.support} |"
        )
    total = figures.entity_totals
    lines.append(
        f"| **all** | {pct(total.precision)} | {pct(total.recall)} | {pct(total.f1)} "
        f"| {total.support} |"
    )
    return lines


def language_table(figures: Figures) -> list[str]:
    lines = ["| language | messages | accuracy |", "|---|---:|---:|"]
    for languages, name in (
        (("en",), "English"),
        (("sw",), "Kiswahili"),
        (("mixed",), "code-switched"),
        (("sw", "mixed"), "Kiswahili + code-switched"),
        ((), "all in-scope"),
    ):
        chosen = [o for o in figures.in_scope if not languages or o.language in languages]
        lines.append(f"| {name} | {len(chosen)} | {pct(figures.accuracy(*languages))} |")
    return lines


def source_table(figures: Figures) -> list[str]:
    """Accuracy per held-out file: a file written after tuning shows whether the
    tuning fitted the others."""
    lines = ["| file | messages | right |", "|---|---:|---:|"]
    by_source: dict[str, list[Outcome]] = defaultdict(list)
    for o in figures.outcomes:
        by_source[o.source].append(o)
    for source, outcomes in sorted(by_source.items()):
        right = sum(o.right for o in outcomes)
        lines.append(f"| `{source}` | {len(outcomes)} | {pct(_ratio(right, len(outcomes)))} |")
    return lines


def oos_lines(figures: Figures) -> list[str]:
    oos = figures.out_of_scope
    by_language = Counter(o.language for o in oos)
    taken = Counter(str(o.got) for o in oos if not o.right)
    lines = [
        f"- {len(oos)} out-of-scope messages "
        f"({', '.join(f'{k} {v}' for k, v in sorted(by_language.items()))}).",
        f"- Rejected (`out_of_scope` or `nlu_fallback`): "
        f"**{sum(o.right for o in oos)}/{len(oos)} = {pct(figures.oos_rejection)}** "
        f"(as `out_of_scope` {sum(o.got == OUT_OF_SCOPE for o in oos)}, "
        f"as `nlu_fallback` {sum(o.got == FALLBACK for o in oos)}).",
        f"- Taken for register / withdraw / check_status: **{len(figures.oos_dangerous)}**.",
    ]
    if taken:
        lines.append(
            "- The others were taken for: "
            + ", ".join(f"{k} {v}" for k, v in taken.most_common())
            + "."
        )
    lines.append(
        f"- In-scope messages that fell back (false fallback): "
        f"{sum(o.got == FALLBACK for o in figures.in_scope)}/{len(figures.in_scope)} "
        f"= {pct(figures.false_fallback)}."
    )
    return lines


def sweep_table(
    figures: Figures,
    thresholds: Sequence[float],
    ambiguities: Sequence[float],
    chosen: tuple[float, float],
) -> list[str]:
    lines = [
        "| threshold | ambiguity | in-scope accuracy | sw + mixed | out-of-scope rejection |",
        "|---:|---:|---:|---:|---:|",
    ]
    for threshold, ambiguity, accuracy, sw, oos in figures.sweep(thresholds, ambiguities):
        mark = " ←" if (round(threshold, 3), round(ambiguity, 3)) == chosen else ""
        lines.append(
            f"| {threshold:.2f} | {ambiguity:.2f} | {pct(accuracy)} | {pct(sw)} "
            f"| {pct(oos)}{mark} |"
        )
    return lines


def miss_lines(figures: Figures, limit: int = 80) -> list[str]:
    misses = figures.misses()
    lines = [f"{len(misses)} messages, first {min(limit, len(misses))}:", ""]
    for o in misses[:limit]:
        text = o.text.replace("|", "\\|")
        lines.append(
            f"- [{o.language}] {text!r}: expected `{o.expected}`, "
            f"got `{o.got}` ({o.confidence:.2f})"
        )
    return lines


# ---------------------------------------------------------------------- the run
# Everything below trains or loads Rasa models: it is what `make evaluate` runs,
# not what the unit tests call.


RASA = str(Path(sys.executable).with_name("rasa"))
CONFIG = PROJECT_ROOT / "config.yml"
BASELINE_CONFIG = PROJECT_ROOT / "bot" / "nlu" / "baseline_config.yml"
NLU_DATA = PROJECT_ROOT / "data" / "nlu"
DOMAIN = PROJECT_ROOT / "domain"
EVAL_MODELS = PROJECT_ROOT / "models" / "eval"
SPACY_TOKENIZER = "bot.nlu.spacy_tokenizer.SpacyNormalisingTokenizer"
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)
AMBIGUITIES = (0.0, 0.05)


def _fingerprint(*paths: Path) -> str:
    """A hash of the files under ``paths`` (names and contents)."""
    digest = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file())
        for path in files:
            if "__pycache__" in path.parts:
                continue
            inside = path.is_relative_to(PROJECT_ROOT)
            digest.update(str(path.relative_to(PROJECT_ROOT) if inside else path.name).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _rasa(*args: str, log: Path) -> float:
    """Runs ``rasa`` with ``args`` (output to ``log``); returns the seconds it took."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    started = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(
            [RASA, *args], cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT, env=env
        )
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"rasa {' '.join(args[:2])} failed ({done.returncode}): see {log}")
    return seconds


def train_nlu(
    config: Path, name: str, *, reuse: bool, code: Sequence[Path] = ()
) -> tuple[Path, float, bool]:
    """An NLU-only model of ``config`` on the training data, in models/eval/.

    With ``reuse``, a model trained earlier from the same config, data and code is
    taken as it is (Rasa's default pipeline takes many minutes on two cores);
    ``code`` names the folders of our components it depends on.
    Returns (model, training seconds, reused)."""
    key = _fingerprint(config, NLU_DATA, DOMAIN, *code)
    EVAL_MODELS.mkdir(parents=True, exist_ok=True)
    model = EVAL_MODELS / f"{name}-{key}.tar.gz"
    sidecar = model.with_suffix("").with_suffix(".json")
    if reuse and model.exists() and sidecar.exists():
        return model, json.loads(sidecar.read_text())["seconds"], True
    for old in EVAL_MODELS.glob(f"{name}-*"):
        old.unlink()
    seconds = _rasa(
        "train",
        "nlu",
        "--config",
        str(config),
        "--nlu",
        str(NLU_DATA),
        "--domain",
        str(DOMAIN),
        "--out",
        str(EVAL_MODELS),
        "--fixed-model-name",
        model.name[:-7],
        "--num-threads",
        "2",
        log=EVAL_MODELS / f"{name}-train.log",
    )
    sidecar.write_text(json.dumps({"seconds": seconds}))
    return model, seconds, False


def train_full(out: Path) -> tuple[Path, float]:
    """The whole model (NLU and dialogue) from scratch, as `make train` makes it;
    returns (model, seconds)."""
    seconds = _rasa(
        "train",
        "--config",
        str(CONFIG),
        "--domain",
        str(DOMAIN),
        "--data",
        str(PROJECT_ROOT / "data"),
        "--out",
        str(out),
        "--fixed-model-name",
        "evaluated",
        "--num-threads",
        "2",
        "--force",
        log=out / "train.log",
    )
    return out / "evaluated.tar.gz", seconds


def cross_validate(config: Path, out: Path, folds: int = 5) -> dict[str, Any]:
    """Rasa's own cross-validation of ``config`` on the training data."""
    seconds = _rasa(
        "test",
        "nlu",
        "--cross-validation",
        "--folds",
        str(folds),
        "--config",
        str(config),
        "--nlu",
        str(NLU_DATA),
        "--domain",
        str(DOMAIN),
        "--out",
        str(out),
        log=out / "cv.log",
    )
    intents = json.loads((out / "intent_report.json").read_text())
    result: dict[str, Any] = {
        "folds": folds,
        "seconds": seconds,
        "examples": intents["weighted avg"]["support"],
        "accuracy": intents["accuracy"],
        "weighted_f1": intents["weighted avg"]["f1-score"],
        "macro_f1": intents["macro avg"]["f1-score"],
    }
    entities = out / "HelpdeskEntityExtractor_report.json"
    if entities.exists():
        report = json.loads(entities.read_text())
        result["entity_f1"] = report["micro avg"]["f1-score"]
        result["entity_support"] = report["micro avg"]["support"]
    topics = out / "response_selection_report.json"
    if topics.exists():
        result["topic_accuracy"] = json.loads(topics.read_text()).get("accuracy")
    return result


GUARD = "bot.nlu.other_services.OtherServicesGuard"


def ablations(out: Path) -> list[tuple[str, str, Path]]:
    """config.yml without each of our spaCy-based components, one at a time:
    (name, description, config file). A component config.yml does not use is
    skipped."""
    text = CONFIG.read_text(encoding="utf-8")
    variants = []
    if SPACY_TOKENIZER in text:
        path = out / "config-without-spacy-tokenizer.yml"
        path.write_text(text.replace(SPACY_TOKENIZER, "WhitespaceTokenizer"), encoding="utf-8")
        variants.append(
            (
                "without spaCy tokenizer",
                "config.yml with Rasa's WhitespaceTokenizer in place of the spaCy "
                "normalising tokenizer",
                path,
            )
        )
    if GUARD in text:
        path = out / "config-without-guard.yml"
        lines = [line for line in text.splitlines() if GUARD not in line]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        variants.append(
            (
                "without guard",
                "config.yml without the other-services guard (spaCy PhraseMatcher)",
                path,
            )
        )
    return variants


def score(model: Path, items: Sequence[HeldOutMessage]) -> Figures:
    from bot.evaluate import ModelParser

    with ModelParser(model) as parser:
        parser(items[0].text)  # the first parse builds caches; not an officer's wait
        return Figures(run(parser, items))


def fallback_settings() -> tuple[float, float]:
    import yaml

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] == "FallbackClassifier":
            return float(component["threshold"]), float(component["ambiguity_threshold"])
    return 0.0, 0.0


@dataclass
class Variant:
    name: str
    description: str
    figures: Figures
    train_seconds: float
    reused: bool = False


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def evaluate_all(
    report: Path, *, baseline: bool = True, reuse_baseline: bool = True, folds: int = 5
) -> Variant:
    """Trains and scores everything, writes ``report`` (+ the confusion matrix
    beside it) and returns our model's figures."""
    from bot.evaluate import load_heldout

    items = load_heldout()
    work = Path(tempfile.mkdtemp(prefix="msaidizi-eval-"))
    try:
        print("==> training the full model from scratch (timed)", flush=True)
        model, seconds = train_full(work)
        print(f"    {seconds:.0f} s; scoring it on {len(items)} held-out messages", flush=True)
        ours = Variant(
            "Msaidizi", "config.yml, as `make train` builds it", score(model, items), seconds
        )
        variants = [ours]
        for name, description, config in ablations(work):
            print(f"==> {name} (ablation)", flush=True)
            path, secs, _ = train_nlu(
                config, name.replace(" ", "-"), reuse=False, code=[PROJECT_ROOT / "bot"]
            )
            variants.append(Variant(name, description, score(path, items), secs))
        if baseline:
            print("==> Rasa's default pipeline (`rasa init`), NLU only", flush=True)
            path, secs, reused = train_nlu(BASELINE_CONFIG, "baseline", reuse=reuse_baseline)
            variants.append(
                Variant(
                    "rasa init baseline",
                    f"Rasa 3.6's default pipeline ({BASELINE_CONFIG.relative_to(PROJECT_ROOT)})",
                    score(path, items),
                    secs,
                    reused,
                )
            )
        print(f"==> {folds}-fold cross-validation on the training data", flush=True)
        (work / "cv").mkdir()
        cv = cross_validate(CONFIG, work / "cv", folds)
        image = report.with_name("confusion_matrix.png")
        confusion_matrix_image(ours.figures, image)
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(render(variants, cv, items, image), encoding="utf-8")
        return ours
    finally:
        shutil.rmtree(work, ignore_errors=True)


def render(
    variants: list[Variant], cv: dict[str, Any], items: Sequence[HeldOutMessage], image: Path
) -> str:
    ours = variants[0]
    f = ours.figures
    threshold, ambiguity = fallback_settings()
    in_scope = [i for i in items if i.intent != OUT_OF_SCOPE]
    languages = Counter(i.language for i in in_scope)
    non_en = languages["sw"] + languages["mixed"]
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# NLU evaluation",
        "",
        f"Written by `make evaluate` ({now}, commit `{git_commit()}`) on this machine "
        f"({os.cpu_count()} cores). All figures are from that one run: the model was trained "
        "from scratch in it, and the held-out sets in `tests/nlu/` are never in the "
        "training data (`tests/unit/test_training_data.py` checks).",
        "",
        "## Targets",
        "",
        "| figure | target | " + " | ".join(v.name for v in variants) + " |",
        "|---|---:|" + "---:|" * len(variants),
    ]

    def row(label: str, target: str, values: list[str]) -> str:
        return f"| {label} | {target} | " + " | ".join(values) + " |"

    fig = [v.figures for v in variants]
    lines += [
        row("intent accuracy, in-scope", "≥ 97%", [pct(x.intent_accuracy) for x in fig]),
        row("… English", "", [pct(x.accuracy("en")) for x in fig]),
        row("… Kiswahili + code-switched", "≥ 95%", [pct(x.sw_mixed_accuracy) for x in fig]),
        row("entity F1", "≥ 95%", [pct(x.entity_f1) for x in fig]),
        row("out-of-scope rejection", "≥ 95%", [pct(x.oos_rejection) for x in fig]),
        row(
            "out-of-scope taken for register/withdraw/check_status",
            "0",
            [str(len(x.oos_dangerous)) for x in fig],
        ),
        row(
            "in-scope false fallback",
            "",
            [
                f"{pct(x.false_fallback)} ({sum(o.got == FALLBACK for o in x.in_scope)})"
                for x in fig
            ],
        ),
        row("parse latency p50", "", [f"{x.latency(0.5) * 1000:.1f} ms" for x in fig]),
        row("parse latency p95", "", [f"{x.latency(0.95) * 1000:.1f} ms" for x in fig]),
        row(
            "training time",
            "< 5 min",
            [
                f"{v.train_seconds:.0f} s"
                + (" (NLU only" + (", reused" if v.reused else "") + ")" if v is not ours else "")
                for v in variants
            ],
        ),
    ]
    failed = f.failures()
    lines += [
        "",
        ("**All targets met.**" if not failed else "**Targets missed:** " + "; ".join(failed)),
        "",
        "Columns: " + "; ".join(f"**{v.name}**: {v.description}" for v in variants) + ".",
        "Training time of Msaidizi is the whole model (NLU and dialogue policies, "
        "`rasa train --force`); the others are NLU only.",
        "",
        "## Held-out sets",
        "",
        f"- In scope: {len(in_scope)} messages, {len({i.intent for i in in_scope})} intents; "
        f"English {languages['en']}, Kiswahili {languages['sw']}, code-switched "
        f"{languages['mixed']} ({non_en / max(1, len(in_scope)):.0%} Kiswahili or code-switched).",
        f"- Out of scope: {len(items) - len(in_scope)} messages ("
        + ", ".join(sorted({f"`{i.source}`" for i in items if i.intent == OUT_OF_SCOPE}))
        + ").",
        f"- Entities annotated: {f.entity_totals.support}.",
        "",
        "Right per file (in scope: the expected intent; out of scope: rejected):",
        "",
        *source_table(f),
        "",
        "## Intents (Msaidizi)",
        "",
        *intent_table(f),
        "",
        "## Accuracy per language (in-scope, Msaidizi)",
        "",
        *language_table(f),
        "",
        "## Entities per type (Msaidizi)",
        "",
        *entity_table(f),
        "",
        "## Out of scope (Msaidizi)",
        "",
        *oos_lines(f),
        "",
        "## Fallback thresholds",
        "",
        f"config.yml has FallbackClassifier threshold {threshold} and ambiguity threshold "
        f"{ambiguity} (←). Other settings, simulated on this run's rankings:",
        "",
        *sweep_table(
            f,
            sorted({*THRESHOLDS, threshold}),
            sorted({*AMBIGUITIES, ambiguity}),
            (round(threshold, 3), round(ambiguity, 3)),
        ),
        "",
        "## Confusion matrix (Msaidizi)",
        "",
        f"![confusion matrix]({image.name})",
        "",
        "## Parse latency",
        "",
        "One message at a time through the loaded model in this process (no HTTP), "
        f"{len(f.outcomes)} messages: p50 {f.latency(0.5) * 1000:.1f} ms, "
        f"p95 {f.latency(0.95) * 1000:.1f} ms, max "
        f"{max(o.seconds for o in f.outcomes) * 1000:.1f} ms.",
        "",
        f"## {cv['folds']}-fold cross-validation on the training data (Msaidizi)",
        "",
        f"Rasa's `rasa test nlu --cross-validation` over {cv['examples']} training examples "
        f"({cv['seconds']:.0f} s): intent accuracy {pct(cv['accuracy'])}, weighted F1 "
        f"{pct(cv['weighted_f1'])}, macro F1 {pct(cv['macro_f1'])}"
        + (
            f"; entities (rules) F1 {pct(cv['entity_f1'])} over {cv['entity_support']} annotated"
            if "entity_f1" in cv
            else ""
        )
        + (f"; DPA topic {pct(cv['topic_accuracy'])}" if cv.get("topic_accuracy") else "")
        + ". Each fold leaves out a fifth of every intent's training examples and scores "
        "the pipeline on them; the training data holds many deliberately odd forms "
        "(one-word, SMS, slang), one or two of a kind, so a left-out one often has no "
        "sibling left to learn from. No held-out message is used here.",
        "",
        "## Messages the model got wrong (Msaidizi)",
        "",
        *miss_lines(f),
        "",
    ]
    return "\n".join(lines)

"""Every reply exists in English and Kiswahili, and the training data covers both
languages for every intent."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from bot.language import detect_language
from tests.conftest import is_kiswahili_variation

ROOT = Path(__file__).resolve().parents[2]


def load_yaml_dir(folder: str, key: str) -> dict:
    found: dict = {}
    for path in sorted((ROOT / folder).rglob("*.yml")):
        found.update(yaml.safe_load(path.read_text()).get(key) or {})
    return found


RESPONSES = load_yaml_dir("domain", "responses")


def payloads(variation: dict) -> list[str]:
    return [
        b["payload"]
        for b in variation.get("buttons", [])
        if not b["payload"].startswith("/switch_language")
    ]


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_has_one_english_default_and_one_kiswahili_variation(name: str) -> None:
    variations = RESPONSES[name]
    english = [v for v in variations if "condition" not in v]
    kiswahili = [v for v in variations if is_kiswahili_variation(v)]
    assert english, f"{name} has no English default"
    assert kiswahili, f"{name} has no Kiswahili variation"
    assert len(english) + len(kiswahili) == len(variations), f"{name} has other conditions"
    for en, sw in zip(english, kiswahili, strict=False):
        placeholders = set(re.findall(r"\{(\w+)\}", en["text"]))
        assert placeholders == set(re.findall(r"\{(\w+)\}", sw["text"])), name
        # Same choices offered in both languages, titles translated (a language
        # button may offer the other language).
        assert payloads(en) == payloads(sw), name
        assert detect_language(en["text"]) == "en", f"{name}: English text is not English"
        assert detect_language(sw["text"]) == "sw", f"{name}: Kiswahili text is not Kiswahili"


@lru_cache(maxsize=1)
def training_examples() -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    for path in sorted((ROOT / "data" / "nlu").rglob("*.yml")):
        for block in yaml.safe_load(path.read_text()).get("nlu") or []:
            if "intent" in block:
                lines = [
                    line[2:] for line in block["examples"].splitlines() if line.startswith("- ")
                ]
                examples.setdefault(block["intent"], []).extend(lines)
    return examples


def plain(example: str) -> str:
    """Training text without entity annotations: [Kiswahili]{...} -> Kiswahili."""
    return re.sub(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))", r"\1", example)


@pytest.mark.parametrize("intent", sorted(training_examples()))
def test_every_intent_is_trained_in_english_and_kiswahili(intent: str) -> None:
    languages = Counter(detect_language(plain(e)) for e in training_examples()[intent])
    assert languages["en"] >= 5 and languages["sw"] >= 5, f"{intent}: {dict(languages)}"


def test_button_payloads_render_as_intents_without_template_errors() -> None:
    """Rasa fills ``{slot}`` placeholders in button payloads too: a payload with
    JSON entities must render to itself, with no error logged (Rasa logs through
    structlog, captured here)."""
    import json

    from rasa.core.nlg.interpolator import interpolate
    from structlog.testing import capture_logs

    slots = {"language": "sw", "course": "CLD-201"}
    rendered = []
    with capture_logs() as logged:
        for variations in RESPONSES.values():
            for variation in variations:
                for button in variation.get("buttons", []):
                    rendered.append(interpolate(button["payload"], slots))
    assert [entry for entry in logged if entry.get("log_level") in ("error", "warning")] == []
    language_buttons = [p for p in rendered if p.startswith("/switch_language")]
    assert len(language_buttons) >= 6
    for payload in language_buttons:
        entities = json.loads(payload[len("/switch_language") :])
        assert entities in ({"language": "en"}, {"language": "sw"}), payload

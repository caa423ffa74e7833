"""Test messages are never training data: a test that the model memorised proves
nothing about officers' real messages."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.evaluate import load_heldout
from tests.unit.test_domain import plain, training_examples

ROOT = Path(__file__).resolve().parents[2]
# The contract's own examples (contract §2 and the foundation issue's acceptance):
# officers do type exactly these, and the bot must know them.
CONTRACT_EXAMPLES = {
    "habari",
    "hello",
    "what data do you hold about me",
    "delete my data",
    "how soon must a breach be reported",
}


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", plain(text).lower()).split())


def conversation_test_messages() -> list[str]:
    messages = []
    for path in (ROOT / "tests" / "conversations").glob("*.yml"):
        for story in yaml.safe_load(path.read_text())["stories"]:
            messages += [step["user"].strip() for step in story["steps"] if "user" in step]
    return messages


def integration_test_messages() -> list[str]:
    messages = []
    for path in (ROOT / "tests" / "integration").glob("test_*.py"):
        source = path.read_text()
        messages += re.findall(r'\.say\(\s*[\w()]+,\s*"([^"]+)"', source)
        for group in re.findall(r"for message in \(([^)]*)\)", source):
            messages += re.findall(r'"([^"]+)"', group)
    return [m for m in messages if not m.startswith("/")]


def heldout_nlu_messages() -> list[str]:
    """The held-out NLU set in tests/nlu/ (bot.evaluate scores the model on it)."""
    return [item.text for item in load_heldout()]


def test_there_are_test_messages_to_check() -> None:
    assert len(conversation_test_messages()) >= 10
    assert len(integration_test_messages()) >= 15
    assert len(heldout_nlu_messages()) >= 200


def test_no_test_message_is_in_the_training_data() -> None:
    trained = {normalise(e) for examples in training_examples().values() for e in examples}
    leaked = [
        m
        for m in conversation_test_messages() + integration_test_messages() + heldout_nlu_messages()
        if normalise(m) in trained and normalise(m) not in CONTRACT_EXAMPLES
    ]
    assert not leaked, f"test messages copied into training data: {leaked}"

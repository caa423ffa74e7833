"""DIET learns a retrieval intent's topics as labels and reports the intent
(bot/nlu/eager_loading.py): the relabelling must not touch the messages the
ResponseSelector trains on, and the reported ranking must sum the topics."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.eager_loading import merge_topics, topics_as_intents


def _message(text: str, intent: str, topic: str | None = None) -> Message:
    data = {"text": text, "intent": intent}
    if topic:
        data["intent_response_key"] = topic
    return Message(data=data)


def test_topics_become_labels_on_copies_only() -> None:
    original = TrainingData(
        [
            _message(
                "how soon must we report a breach",
                "data_protection",
                "data_protection/breach_controller",
            ),
            _message("what is personal data", "data_protection", "data_protection/personal_data"),
            _message("habari", "greet"),
        ]  # fmt: skip
    )
    relabelled = topics_as_intents(original)
    assert relabelled.intents == {
        "data_protection/breach_controller", "data_protection/personal_data", "greet",
    }  # fmt: skip
    assert original.intents == {"data_protection", "greet"}
    assert [m.get("intent") for m in original.training_examples] == [
        "data_protection", "data_protection", "greet",
    ]  # fmt: skip


def test_the_ranking_reports_the_intent_with_its_topics_summed() -> None:
    ranking = [
        {"name": "greet", "confidence": 0.40},
        {"name": "data_protection/consent", "confidence": 0.35},
        {"name": "data_protection/photos", "confidence": 0.20},
        {"name": "stop", "confidence": 0.05},
    ]
    merged = merge_topics(ranking)
    assert [m["name"] for m in merged] == ["data_protection", "greet", "stop"]
    assert abs(merged[0]["confidence"] - 0.55) < 1e-9
    assert abs(sum(m["confidence"] for m in merged) - 1.0) < 1e-9

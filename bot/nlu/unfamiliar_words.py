"""Rasa component: a message made only of words never seen in training data nor in
our word lists falls back to ``nlu_fallback``, whatever DIET's confidence.

Runs after Rasa's FallbackClassifier and does what it does (same intent, same
place in the ranking), for the case it cannot see: a classifier is often confident
about gibberish. The rule itself is :func:`bot.language.is_unfamiliar`; a word
counts as known when it or its lemma (from the tokenizer: "stoooop" -> "stop") was
seen, and a message in which an entity was found ("JGK", "CLD-201") is never
unfamiliar.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.fallback_classifier import _fallback_intent
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language import is_unfamiliar, tokens

VOCABULARY_FILE = "vocabulary.json"


def _lemmas(message: Message) -> list[str]:
    """The lemmas the tokenizer gave the message's words ("stoooop" -> "stop")."""
    return [
        token.lemma
        for token in message.get(TOKENS_NAMES[TEXT]) or []
        if token.lemma and token.lemma != token.text
    ]


def _has_entities(message: Message) -> bool:
    return any(
        entity.get(ENTITY_ATTRIBUTE_TYPE) != "message_language"
        for entity in message.get(ENTITIES) or []
    )


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class UnfamiliarWordsFallback(GraphComponent):
    """Predicts ``nlu_fallback`` for messages with no known word in them."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"confidence": 0.0}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: frozenset[str] = frozenset(),
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnfamiliarWordsFallback:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        vocabulary = {
            word.rstrip("_")
            for example in training_data.training_examples
            for word in tokens(" ".join([example.get(TEXT) or "", *_lemmas(example)]))
        }
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(sorted(vocabulary)))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnfamiliarWordsFallback:
        with model_storage.read_from(resource) as directory:
            vocabulary = json.loads((directory / VOCABULARY_FILE).read_text())
        return cls(config, model_storage, resource, frozenset(vocabulary))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if message.get(INTENT, {}).get("name") == "nlu_fallback":
                continue
            if _has_entities(message):
                # "JGK", "CLD-201", an email: understood, whatever the words.
                continue
            text = " ".join([message.get(TEXT) or "", *_lemmas(message)])
            if is_unfamiliar(text, self._vocabulary):
                fallback = _fallback_intent(self._config["confidence"])
                message.data[INTENT] = fallback
                message.data.setdefault(INTENT_RANKING_KEY, [])
                message.data[INTENT_RANKING_KEY].insert(0, dict(fallback))
        return messages

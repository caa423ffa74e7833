"""Rasa pipeline component that tags every message with the language it is in.

The verdict comes from :mod:`bot.language`; this adapter only puts it where Rasa can
use it: as a ``message_language`` entity (which fills the ``language`` slot through
an ordinary ``from_entity`` mapping, so it works even when the action server is
down) and as ``detected_language`` in the parse data (for the console and logs).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language import detect

DETECTED_LANGUAGE = "detected_language"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds the message's language (``en``/``sw``) as an entity; nothing when unknown."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"entity": "message_language"}

    def __init__(self, config: dict[str, Any]) -> None:
        self._entity = config["entity"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Training examples are not tagged: no model learns from this entity.
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            verdict = detect(text)
            message.set(
                DETECTED_LANGUAGE,
                {
                    "language": verdict.language,
                    "swahili": round(verdict.swahili, 2),
                    "english": round(verdict.english, 2),
                },
                add_to_output=True,
            )
            if verdict.language is None:
                continue
            entity = {
                ENTITY_ATTRIBUTE_TYPE: self._entity,
                ENTITY_ATTRIBUTE_VALUE: verdict.language,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_CONFIDENCE: round(verdict.swahili_share, 3)
                if verdict.language == "sw"
                else round(1 - verdict.swahili_share, 3),
                EXTRACTOR: self.__class__.__name__,
            }
            message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages

"""DIET, the ResponseSelector and TED that train as usual but load without TensorFlow graph tracing.

Rasa builds a model at load time by fitting it on one example, which traces the
whole training graph: on a 2-core machine loading took 85 s for DIET and 30 s for
TED. These subclasses train in graph mode (fast) and load in eager mode (no
tracing): the whole model now loads in about 5 s and ``make run`` restarts in about
15 s. The cost is eager inference, roughly 0.15 s per parsed message.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RUN_EAGERLY

from bot.config import get_settings

MAX_PER_TOPIC = "max_examples_per_retrieval_topic"


def capped_retrieval_topics(training_data: TrainingData, cap: int) -> TrainingData:
    """``training_data`` with at most ``cap`` examples per retrieval topic
    (``data_protection/<topic>``); other examples are all kept."""
    kept: list[Message] = []
    by_topic: dict[str, list[Message]] = {}
    for message in training_data.training_examples:
        topic = message.get(INTENT_RESPONSE_KEY)
        if topic and message.get(INTENT):
            by_topic.setdefault(topic, []).append(message)
        else:
            kept.append(message)
    for messages in by_topic.values():
        ranked = sorted(messages, key=lambda m: hashlib.sha1(str(m.get(TEXT)).encode()).hexdigest())
        kept.extend(ranked[:cap])
    return TrainingData(
        training_examples=kept,
        entity_synonyms=training_data.entity_synonyms,
        regex_features=training_data.regex_features,
        lookup_tables=training_data.lookup_tables,
        responses=training_data.responses,
    )


def _eager(config: dict[str, Any]) -> dict[str, Any]:
    if not get_settings().eager_model_loading:  # EAGER_MODEL_LOADING=false
        return config
    return {**config, RUN_EAGERLY: True}


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class EagerLoadingDIETClassifier(DIETClassifier):
    """Rasa's DIETClassifier, loaded eagerly, and trained with the retrieval
    intent's examples capped per topic.

    ``data_protection`` has 33 topics and ~25 questions each (the ResponseSelector
    needs them all to tell topics apart); to DIET it is one intent with ten times
    the examples of any other, and it learned to claim anything mentioning
    "personal", "ministry" or "data". ``max_examples_per_retrieval_topic`` keeps
    that many per topic (chosen by a stable hash of the text, so training stays
    reproducible) for DIET only: the intent still sees every topic, and the
    ResponseSelector still trains on everything. None keeps everything.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DIETClassifier.get_default_config(), MAX_PER_TOPIC: None}

    def train(self, training_data: TrainingData) -> Resource:
        cap = self.component_config.get(MAX_PER_TOPIC)
        return super().train(capped_retrieval_topics(training_data, cap) if cap else training_data)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EagerLoadingDIETClassifier:
        return super().load(_eager(config), model_storage, resource, execution_context, **kwargs)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True
)
class EagerLoadingTEDPolicy(TEDPolicy):
    """Rasa's TEDPolicy, loaded eagerly.

    TED builds its TensorFlow model from the configuration stored with the trained
    model, not the one passed to ``load``, so the switch is made there.
    """

    @classmethod
    def _load_tf_model(cls, model_utilities: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        eager = {**model_utilities, "model_config": _eager(model_utilities["model_config"])}
        return super()._load_tf_model(eager, *args, **kwargs)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class EagerLoadingResponseSelector(ResponseSelector):
    """Rasa's ResponseSelector (a DIET model underneath), loaded eagerly."""

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EagerLoadingResponseSelector:
        return super().load(_eager(config), model_storage, resource, execution_context, **kwargs)

"""DIET, the ResponseSelector and TED that train as usual but load without TensorFlow graph tracing.

Rasa builds a model at load time by fitting it on one example, which traces the
whole training graph: on a 2-core machine loading took 85 s for DIET and 30 s for
TED. These subclasses train in graph mode (fast) and load in eager mode (no
tracing): the whole model now loads in about 5 s and ``make run`` restarts in about
15 s. The cost is eager inference, roughly 0.15 s per parsed message.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_RESPONSE_KEY,
    RESPONSE_IDENTIFIER_DELIMITER,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH, RUN_EAGERLY

from bot.config import get_settings

TOPICS_AS_LABELS = "retrieval_topics_as_labels"


def topics_as_intents(training_data: TrainingData) -> TrainingData:
    """``training_data`` with each retrieval example labelled by its topic
    (``data_protection/consent``) instead of its retrieval intent. Copies: the
    ResponseSelector trains on the same messages and must see them unchanged."""
    examples = [
        Message(
            data={**message.data, INTENT: message.get(INTENT_RESPONSE_KEY)},
            output_properties=set(message.output_properties),
            time=message.time,
            features=message.features,
        )
        if message.get(INTENT_RESPONSE_KEY) and message.get(INTENT)
        else message
        for message in training_data.training_examples
    ]
    return TrainingData(
        training_examples=examples,
        entity_synonyms=training_data.entity_synonyms,
        regex_features=training_data.regex_features,
        lookup_tables=training_data.lookup_tables,
        responses=training_data.responses,
    )


def merge_topics(ranking: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An intent ranking with every ``intent/topic`` label folded into ``intent``,
    whose confidence is the sum of its topics' (the probability of the intent)."""
    merged: dict[str, float] = {}
    for entry in ranking:
        name = str(entry["name"]).split(RESPONSE_IDENTIFIER_DELIMITER, 1)[0]
        merged[name] = merged.get(name, 0.0) + float(entry["confidence"])
    ranked = sorted(merged.items(), key=lambda item: -item[1])
    return [{"name": name, "confidence": confidence} for name, confidence in ranked]


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
    """Rasa's DIETClassifier, loaded eagerly; optionally trained with the topics of
    a retrieval intent as its labels.

    ``data_protection`` has 33 topics of ~27 questions each (the ResponseSelector
    needs them all); as one intent it has ten times the examples of any other, and
    DIET learned to claim anything that mentions "personal", "ministry" or "data".
    With ``retrieval_topics_as_labels``, DIET learns each topic as a label of its
    own — classes the size of the other intents — and reports the retrieval intent
    with the summed confidence of its topics, so everything after it (the
    FallbackClassifier, the rules) sees ``data_protection`` as usual. The
    ResponseSelector still picks the answer.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DIETClassifier.get_default_config(), TOPICS_AS_LABELS: False}

    def train(self, training_data: TrainingData) -> Resource:
        if self.component_config.get(TOPICS_AS_LABELS):
            training_data = topics_as_intents(training_data)
        return super().train(training_data)

    def _predict_label(self, predict_out: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        if not self.component_config.get(TOPICS_AS_LABELS):
            return super()._predict_label(predict_out)
        wanted = self.component_config[RANKING_LENGTH]
        self.component_config[RANKING_LENGTH] = 0  # every label, to sum the topics
        try:
            label, ranking = super()._predict_label(predict_out)
        finally:
            self.component_config[RANKING_LENGTH] = wanted
        if not ranking:
            return label, ranking
        merged = merge_topics(ranking)
        return dict(merged[0]), merged[:wanted] if wanted else merged

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

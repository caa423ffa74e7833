"""DIET and TED that train as usual but load without TensorFlow graph tracing.

Rasa builds a model at load time by fitting it on one example, which traces the
whole training graph; on a 2-core machine that took 85 s for DIET and 30 s for TED
of a 2-minute start-up. These subclasses train in graph mode (fast) and load in
eager mode (no tracing), so ``make run`` restarts in well under a minute. The cost
is eager inference, measured at roughly 0.1 s per message.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.utils.tensorflow.constants import RUN_EAGERLY


def _eager(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, RUN_EAGERLY: True}


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class EagerLoadingDIETClassifier(DIETClassifier):
    """Rasa's DIETClassifier, loaded eagerly."""

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
    """Rasa's TEDPolicy, loaded eagerly."""

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EagerLoadingTEDPolicy:
        return super().load(_eager(config), model_storage, resource, execution_context, **kwargs)

"""DIET and TED that train as usual but load without TensorFlow graph tracing.

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
from rasa.utils.tensorflow.constants import RUN_EAGERLY

from bot.config import get_settings


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
    """Rasa's TEDPolicy, loaded eagerly.

    TED builds its TensorFlow model from the configuration stored with the trained
    model, not the one passed to ``load``, so the switch is made there.
    """

    @classmethod
    def _load_tf_model(cls, model_utilities: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        eager = {**model_utilities, "model_config": _eager(model_utilities["model_config"])}
        return super()._load_tf_model(eager, *args, **kwargs)

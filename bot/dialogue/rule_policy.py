"""Rasa's RulePolicy with its rule lookup remembered per dialogue state.

To predict, RulePolicy checks every rule it learned (763 rules and 224 unhappy-path
conditions for our data) against the conversation's states, newest first, on every
prediction: several predictions per message. Under load that lookup was 13–15 % of
the Rasa server's time (bench/README.md).

The lookup is a pure function of the rule table and of the conversation's newest
states: a rule of n turns is decided by the newest n states, and once the lookup
has gone further back than the longest rule, every remaining key passes. So the
result for the newest ``longest rule`` states is remembered (a bounded LRU), and a
state seen before costs one dictionary look-up. Everything else, including which
of the matching rules wins and the loop and fallback handling, is Rasa's.

Only a loaded (trained) policy remembers: during training Rasa adds and removes
rules in the same tables while it checks them.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.generator import State

#: Remembered lookups; each holds a few rule keys. Distinct dialogue states are far
#: fewer than conversations (they hold intents, slots' featurised values and the
#: active form, not what the officer typed).
CACHE_SIZE = 4096


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class CachedRulePolicy(RulePolicy):
    """``RulePolicy`` whose rule lookup is remembered per dialogue state once loaded."""

    _lookup_cache: OrderedDict[tuple[int, str], frozenset[str]] | None = None

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CachedRulePolicy:
        policy = super().load(config, model_storage, resource, execution_context, **kwargs)
        assert isinstance(policy, CachedRulePolicy)
        policy._lookup_cache = OrderedDict()
        policy._longest = {}
        return policy

    def _get_possible_keys(self, lookup: dict[str, str], states: list[State]) -> set[str]:
        cache = self._lookup_cache
        if cache is None:
            return super()._get_possible_keys(lookup, states)
        table = id(lookup)
        longest = self._longest.get(table)
        if longest is None:
            longest = max((len(self._rule_key_to_state(key)) for key in lookup), default=0)
            self._longest[table] = longest
        # Only the newest ``longest`` states can rule a key out (see the docstring).
        newest = states[-longest:] if longest else []
        key = (table, json.dumps(newest, sort_keys=True))
        found = cache.get(key)
        if found is None:
            found = frozenset(super()._get_possible_keys(lookup, newest))
            cache[key] = found
            if len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        return set(found)

"""Keeps the bot quiet while a member of staff has the conversation (issue 7).

When an agent claims a hand-off request in the support console, the console sets
the slot ``handoff_agent`` (the agent's display name) through Rasa's HTTP API.
While it is set this policy decides every turn, whatever the officer writes:

- after the officer's message: ``action_deliver_agent_messages``, which sends
  whatever the agent wrote that has not reached the officer yet (on REST, the only
  way it can: with the response to the officer's next message); nothing else;
- after that action: listen (also when it was the hand-back notice that
  cleared the slot, so the message that brought it is not answered twice).

So the bot itself says nothing: the officer's words wait for the agent, who reads
them in the console. The slot is cleared when the officer has been told that the
bot has the conversation again, and from then on this policy abstains (all-zero
probabilities) and the other policies decide as before.

Its prediction is certain (1.0), has the highest priority of the ensemble, and is
marked as not depending on the user's message, so it also beats a form's "happy
path" prediction (RulePolicy marks those the same way).
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue import DELIVER_ACTION, HANDOFF_AGENT_SLOT
from bot.dialogue.rule_based import USER, RuleBasedPolicy, last_turn

#: Above RulePolicy (6), the highest of Rasa's own policies.
PRIORITY = 7


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class HandoffPolicy(RuleBasedPolicy):
    """Listen-only while ``handoff_agent`` is set (see the module's docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": PRIORITY}

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        last = last_turn(tracker)
        if last == DELIVER_ACTION:
            # Also when that delivery was the hand-back notice and cleared the slot:
            # the officer's message that carried it is not answered twice.
            action = ACTION_LISTEN_NAME
        elif not tracker.get_slot(HANDOFF_AGENT_SLOT):
            return self._prediction(probabilities)
        else:
            action = DELIVER_ACTION if last == USER else ACTION_LISTEN_NAME
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)

"""What our two dialogue policies share: nothing to train, and where the
conversation stands (the officer spoke last, or which action the bot took last)."""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_EXTRACT_SLOTS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

#: What :func:`last_turn` returns when the officer's message is the newest.
USER = "user"


class RuleBasedPolicy(Policy):
    """A policy whose behaviour is a fixed rule about a few slots: it learns
    nothing from the training data and stores nothing with the model."""

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        return self._resource


def last_turn(tracker: DialogueStateTracker) -> str | None:
    """:data:`USER` if the officer's message is newer than any action of the bot's,
    else the latest action's name (Rasa's slot extraction after every message does
    not count); None for an empty conversation."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return USER
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_EXTRACT_SLOTS:
            return event.action_name
    return None

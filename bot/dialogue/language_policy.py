"""Keeps the answer language sticky inside the Rasa server (contract §4).

The ``language`` slot follows each message's detected language (its
``from_entity`` mapping on ``message_language``); ``language_preference`` is set
when the officer asks to switch. This policy settles the two after each message,
before the bot acts on it, with :func:`bot.language.answer_language`:

- an explicit choice ("reply in Kiswahili") wins until the officer asks again;
  a named language that is neither English nor Kiswahili is dropped;
- an answer to a form question with no language of its own (a name, an email, a
  number) keeps the conversation's language;
- otherwise the message's language.

It never predicts an action (all-zero probabilities): it only adds the
``SlotSet`` events that correct the slots, which Rasa applies before the predicted
action runs. This replaced ``action_validate_slot_mappings``, a call to the action
server after every message that did the same (issue 8: one round trip of the whole
tracker less per message; and the choice now sticks when the action server is down).
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.rule_based import USER, RuleBasedPolicy, last_turn
from bot.language import LANGUAGES, answer_language

LANGUAGE = "language"
PREFERENCE = "language_preference"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class LanguagePolicy(RuleBasedPolicy):
    """Corrects ``language`` / ``language_preference`` after each message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Never chosen (it predicts nothing); the lowest priority, unlike any other.
        return {"priority": 0}

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        return self._prediction(self._default_predictions(domain), events=settle(tracker))


def settle(tracker: DialogueStateTracker) -> list[Event]:
    """The slot events that settle this message's language; none when the bot has
    already acted since the officer's last message, or nothing needs changing."""
    if last_turn(tracker) != USER:
        return []  # not the first decision after a message: already settled
    extracted: dict[str, Any] = {}
    before: str | None = None
    seen_message = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            seen_message = True
        elif isinstance(event, SlotSet) and not seen_message:
            extracted.setdefault(event.key, event.value)  # the newest of this message
        elif isinstance(event, SlotSet) and event.key == LANGUAGE:
            before = event.value
            break

    events: list[Event] = []
    preference = tracker.get_slot(PREFERENCE)
    if PREFERENCE in extracted and preference not in LANGUAGES:
        events.append(SlotSet(PREFERENCE, None))
        preference = None
    if PREFERENCE in extracted and preference in LANGUAGES:
        wanted = preference
    elif LANGUAGE in extracted:
        answering = tracker.get_slot("requested_slot") if tracker.active_loop_name else None
        wanted = answer_language(extracted[LANGUAGE], preference, before or "en", answering)
    else:
        return events
    if tracker.get_slot(LANGUAGE) != wanted:
        events.append(SlotSet(LANGUAGE, wanted))
    return events

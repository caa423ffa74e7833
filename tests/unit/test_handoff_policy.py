"""HandoffPolicy on real trackers and the project's domain: certain when a member
of staff holds the conversation, silent (all zeros) otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue import DELIVER_ACTION, HANDOFF_AGENT_SLOT
from bot.dialogue.handoff_policy import HandoffPolicy

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))


@pytest.fixture
def policy(tmp_path: Path) -> HandoffPolicy:
    return HandoffPolicy.create(
        HandoffPolicy.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("handoff_policy"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("officer-1", [ActionExecuted("action_listen"), *events])


def hi() -> UserUttered:
    return UserUttered("hi", intent={"name": "greet", "confidence": 0.99})


def predicted(policy: HandoffPolicy, t: DialogueStateTracker) -> str | None:
    prediction = policy.predict_action_probabilities(t, DOMAIN)
    if max(prediction.probabilities) == 0:
        return None
    assert max(prediction.probabilities) == 1.0 and prediction.is_no_user_prediction
    assert prediction.policy_priority == 7
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


def test_it_abstains_while_no_agent_holds_the_conversation(policy: HandoffPolicy) -> None:
    assert predicted(policy, tracker(hi())) is None
    assert (
        predicted(
            policy,
            tracker(
                SlotSet(HANDOFF_AGENT_SLOT, "Wanjiku"), SlotSet(HANDOFF_AGENT_SLOT, None), hi()
            ),
        )
        is None
    )


def test_while_held_the_officer_only_gets_what_the_agent_wrote(policy: HandoffPolicy) -> None:
    held = SlotSet(HANDOFF_AGENT_SLOT, "Wanjiku")
    # Nothing new from the officer: listen (the console pushes the agent's messages).
    assert predicted(policy, tracker(held)) == "action_listen"
    # The officer writes (Rasa's slot extraction runs first): deliver, then listen.
    after_message = tracker(held, hi(), ActionExecuted("action_extract_slots"))
    assert predicted(policy, after_message) == DELIVER_ACTION
    after_message.update(ActionExecuted(DELIVER_ACTION))
    assert predicted(policy, after_message) == "action_listen"
    # Whatever the intent: a request for a person, a form answer, a fallback.
    for intent in ("human_handoff", "register", "nlu_fallback", "restart"):
        message = UserUttered("x", intent={"name": intent, "confidence": 1.0})
        assert predicted(policy, tracker(held, message)) == DELIVER_ACTION


def test_the_message_that_brings_the_hand_back_notice_is_not_answered_twice(
    policy: HandoffPolicy,
) -> None:
    # REST: the officer's message ran the delivery, which sent "you are back with
    # the bot" and cleared the slot; the bot listens, and answers the next message.
    handed_back = tracker(
        SlotSet(HANDOFF_AGENT_SLOT, "Wanjiku"),
        hi(),
        ActionExecuted(DELIVER_ACTION),
        SlotSet(HANDOFF_AGENT_SLOT, None),
    )
    assert predicted(policy, handed_back) == "action_listen"
    handed_back.update(ActionExecuted("action_listen"))
    handed_back.update(hi())
    assert predicted(policy, handed_back) is None

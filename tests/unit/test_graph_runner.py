"""The model's graph, run in dependency order without dask (bot.rasa_patches),
gives exactly what dask's run gives: the same parse of every message and the same
prediction, policy and events for every conversation state."""

from __future__ import annotations

import copy

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_patches import install
from tests.conftest import MODEL

MESSAGES = [
    "habari",
    "hi there, good morning",
    "nataka kujiandikisha kozi ya cloud computing",
    "which courses do you have for job group L?",
    "sttus ya maombi yangu",
    "what does the data protection act say about consent?",
    "naweza kufuta data yangu?",
    "I want to talk to a person",
    "asdfgh qwerty",
    "register my company please",
    "/greet",
    '/switch_language{"language": "sw"}',
    "Wanjiku Kamau",
    "",
]


@pytest.fixture(scope="module")
def agent():
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does)")
    install()
    return Agent.load(str(MODEL))


def dask_run(function):
    """Runs ``function`` with Rasa's own (dask) graph runner."""
    ours = DaskGraphRunner.run
    DaskGraphRunner.run = ours.dask_run
    try:
        return function()
    finally:
        DaskGraphRunner.run = ours


async def test_every_message_parses_as_with_dask(agent) -> None:
    assert getattr(DaskGraphRunner.run, "_msaidizi_in_order", False)
    for text in MESSAGES:
        ours = await agent.processor.parse_message(UserMessage(text, sender_id="a"))
        theirs = await dask_run(
            lambda text=text: agent.processor.parse_message(UserMessage(text, sender_id="a"))
        )
        assert ours == theirs, text


def conversations(agent) -> list[DialogueStateTracker]:
    """Conversation states: each message just said, in a fresh conversation, after
    a greeting, and inside the registration form."""
    domain = agent.domain
    made = []
    for text in MESSAGES[:-1]:
        parse = {"intent": {"name": "greet", "confidence": 1.0}, "entities": [], "text": text}
        for before in (
            [],
            [
                ActionExecuted("action_listen"),
                UserUttered("hi", parse),
                ActionExecuted("utter_greet"),
            ],
            [ActiveLoop("registration_form"), SlotSet("requested_slot", "full_name")],
        ):
            made.append((text, before))
    trackers = []
    for text, before in made:
        tracker = DialogueStateTracker.from_events("c", [], domain.slots)
        for event in [*before, ActionExecuted("action_listen")]:
            tracker.update(event, domain)
        trackers.append((text, tracker))
    return trackers


async def test_every_prediction_is_the_same_as_with_dask(agent) -> None:
    processor = agent.processor
    for text, tracker in conversations(agent):
        parse = await processor.parse_message(UserMessage(text, sender_id="c"))
        tracker.update(UserUttered(text, parse["intent"], parse["entities"], parse), agent.domain)
        ours = processor._predict_next_with_tracker(copy.deepcopy(tracker))
        theirs = dask_run(
            lambda tracker=tracker: processor._predict_next_with_tracker(copy.deepcopy(tracker))
        )
        assert ours.max_confidence_index == theirs.max_confidence_index, text
        assert ours.probabilities == theirs.probabilities, text
        assert ours.policy_name == theirs.policy_name, text
        assert ours.events == theirs.events, text
        assert ours.optional_events == theirs.optional_events, text


async def test_messages_are_run_by_the_plan_not_handed_back_to_dask(agent) -> None:
    """A plan of None would silently send every message back to dask."""
    processor = agent.processor
    await processor.parse_message(UserMessage("habari", sender_id="d"))
    plans = processor.graph_runner.__dict__.get("_msaidizi_plans", {})
    assert plans and all(plan is not None for plan in plans.values())
    assert any(len(plan.steps) > 5 for plan in plans.values())


def rule_policy(agent):
    from bot.dialogue.rule_policy import CachedRulePolicy

    nodes = agent.processor.graph_runner._instantiated_nodes
    found = [
        node._component
        for node in nodes.values()
        if isinstance(getattr(node, "_component", None), CachedRulePolicy)
    ]
    assert len(found) == 1, "the model's rule policy is CachedRulePolicy (config.yml)"
    return found[0]


async def test_remembered_rule_lookups_predict_what_rasas_rule_policy_predicts(agent) -> None:
    """Every conversation state, predicted twice with the remembered lookup (the
    second from memory) and once with Rasa's own lookup: the same action, policy
    confidence and events each time."""
    policy = rule_policy(agent)
    processor = agent.processor
    cache = policy._lookup_cache
    assert cache is not None
    for text, tracker in conversations(agent):
        parse = await processor.parse_message(UserMessage(text, sender_id="r"))
        tracker.update(UserUttered(text, parse["intent"], parse["entities"], parse), agent.domain)
        first = policy.predict_action_probabilities(copy.deepcopy(tracker), agent.domain)
        again = policy.predict_action_probabilities(copy.deepcopy(tracker), agent.domain)
        policy._lookup_cache = None  # Rasa's RulePolicy lookup
        try:
            rasa = policy.predict_action_probabilities(copy.deepcopy(tracker), agent.domain)
        finally:
            policy._lookup_cache = cache
        for ours in (first, again):
            assert ours.probabilities == rasa.probabilities, text
            assert ours.events == rasa.events, text
            assert ours.optional_events == rasa.optional_events, text
    assert len(cache) > 0

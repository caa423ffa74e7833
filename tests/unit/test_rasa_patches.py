"""The Rasa server's faster action-answer validation refuses what Rasa's refuses
and accepts what it accepts; the action server wait is bounded."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError

VALID = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "language", "value": "sw"}],
        "responses": [{"text": "Habari"}],
    },
    {"events": [{"event": "followup", "name": "action_listen"}]},
    {},
]
INVALID = [
    {"events": [{"name": "no event type"}]},
    {"events": [{"event": "slot", "name": 5}]},
    {"events": "not a list"},
]


@pytest.fixture(scope="module")
def patched():
    from rasa.core.actions import action as rasa_action
    from rasa.shared.core.events import Event
    from rasa.utils import endpoints

    from bot.rasa_patches import install

    original = (
        rasa_action.RemoteAction._validate_action_result,
        rasa_action.DEFAULT_REQUEST_TIMEOUT,
        endpoints.DEFAULT_REQUEST_TIMEOUT,
    )
    resolve = Event.__dict__["resolve_by_type"]
    install()
    install()  # idempotent
    yield rasa_action
    (
        rasa_action.RemoteAction._validate_action_result,
        rasa_action.DEFAULT_REQUEST_TIMEOUT,
        endpoints.DEFAULT_REQUEST_TIMEOUT,
    ) = original
    Event.resolve_by_type = resolve


@pytest.mark.parametrize("answer", VALID)
def test_valid_answers_pass_as_in_rasa(patched, answer) -> None:
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_x", None)
    assert action._validate_action_result(answer) is True


@pytest.mark.parametrize("answer", INVALID)
def test_invalid_answers_are_refused_as_in_rasa(patched, answer) -> None:
    from jsonschema import validate
    from rasa.core.actions.action import RemoteAction

    with pytest.raises(ValidationError):
        validate(answer, RemoteAction.action_response_format_spec())  # Rasa's own check
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        RemoteAction("action_x", None)._validate_action_result(answer)


def test_the_action_server_wait_is_bounded(patched) -> None:
    from rasa.utils import endpoints

    assert patched.DEFAULT_REQUEST_TIMEOUT == 30.0
    assert endpoints.DEFAULT_REQUEST_TIMEOUT == 30.0


def test_event_classes_resolve_as_in_rasa(patched) -> None:
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        Event,
        SlotSet,
        UserUttered,
        deserialise_events,
    )

    for _ in range(2):  # the second time from the remembered classes
        assert Event.resolve_by_type("user") is UserUttered
        assert Event.resolve_by_type("bot") is BotUttered
        assert Event.resolve_by_type("slot") is SlotSet
        assert Event.resolve_by_type("topic") is None
        assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
        with pytest.raises(ValueError, match="Unknown event name"):
            Event.resolve_by_type("no_such_event")
    stored = [
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {"event": "user", "text": "habari", "parse_data": {"intent": {"name": "greet"}}},
        {"event": "slot", "name": "language", "value": "sw"},
        {"event": "bot", "text": "Habari!"},
    ]
    events = deserialise_events(stored)
    assert [type(e) for e in events] == [ActionExecuted, UserUttered, SlotSet, BotUttered]
    assert events[2].value == "sw" and events[3].text == "Habari!"

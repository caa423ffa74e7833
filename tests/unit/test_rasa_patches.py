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
    from rasa.utils import endpoints

    from bot.rasa_patches import install

    original = (
        rasa_action.RemoteAction._validate_action_result,
        rasa_action.DEFAULT_REQUEST_TIMEOUT,
        endpoints.DEFAULT_REQUEST_TIMEOUT,
    )
    install()
    yield rasa_action
    (
        rasa_action.RemoteAction._validate_action_result,
        rasa_action.DEFAULT_REQUEST_TIMEOUT,
        endpoints.DEFAULT_REQUEST_TIMEOUT,
    ) = original


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

"""Two changes to how the Rasa server (3.6.21) calls the action server, installed
by ``python -m bot.rasa_server`` before Rasa starts (issue 8):

- **The answer is validated with a validator built once.** Rasa checks every
  action server answer with ``jsonschema.validate(result, schema)``, which first
  re-checks the schema itself against the JSON-Schema meta-schema: 16 ms of CPU on
  each call, two to three calls per officer's message, about two thirds of the
  Rasa process's CPU per message (bench/README.md). Here the same schema
  validates the same answers through a validator made once; an invalid answer is
  refused exactly as before, with Rasa's message.
- **A bounded wait.** Rasa waits up to 5 minutes for the action server;
  ``ACTION_TIMEOUT_SECONDS`` (default 30) bounds it, so an action server that
  hangs is treated as down and the officer is told (``bot.rasa_server``).
"""

from __future__ import annotations

from typing import Any

from bot.config import get_settings

DOCS = "https://rasa.com/docs/rasa/custom-actions"


def install() -> None:
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions import action as rasa_action
    from rasa.utils import endpoints as rasa_endpoints

    schema = rasa_action.RemoteAction.action_response_format_spec()
    validator = validator_for(schema)(schema)

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure your "
                f"response from the Action endpoint is valid. For more information "
                f"about the format visit {DOCS}"
            )
            raise error
        return True

    rasa_action.RemoteAction._validate_action_result = _validate_action_result
    timeout = get_settings().action_timeout_seconds
    rasa_action.DEFAULT_REQUEST_TIMEOUT = timeout
    rasa_endpoints.DEFAULT_REQUEST_TIMEOUT = timeout

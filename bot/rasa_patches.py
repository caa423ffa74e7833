"""Changes to the Rasa server (3.6.21) that make a message cheaper without
changing what it does, installed by ``python -m bot.rasa_server`` before Rasa
starts (issue 8; figures in bench/README.md):

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
- **Event classes are looked up once.** Rebuilding a conversation from the tracker
  store (every message) turns each stored event into its class with
  ``Event.resolve_by_type``, which walks every subclass of ``Event`` recursively,
  for every event: 57 % of the time to load a 200-event conversation. Here a
  type name, once resolved, is remembered; unknown names still raise, ``default``
  and the old "topic" events behave as before.
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
    _remember_event_classes()
    timeout = get_settings().action_timeout_seconds
    rasa_action.DEFAULT_REQUEST_TIMEOUT = timeout
    rasa_endpoints.DEFAULT_REQUEST_TIMEOUT = timeout


def _remember_event_classes() -> None:
    from rasa.shared.core.events import Event

    original = Event.__dict__["resolve_by_type"].__func__
    if getattr(original, "_msaidizi_cached", False):
        return
    known: dict[str, type] = {}

    def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
        found = known.get(type_name)
        if found is not None:
            return found
        try:
            found = original(type_name)
        except ValueError:
            if default is not None:
                return default
            raise
        if found is not None:
            known[type_name] = found
        return found

    resolve_by_type._msaidizi_cached = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)

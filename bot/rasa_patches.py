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
  Each event is checked against the one event variant it names rather than all
  23 of the schema's ``oneOf`` (5 % of the server's time under load): the same
  answers pass; anything else goes to the full validator, which refuses it with
  Rasa's message.
- **Requests to the action server are encoded with ujson.** The conversation
  goes to the action server with every call, as JSON: 5 % of the server's time
  under load with ``json.dumps``, about half that with ujson. The decoded body is
  the same.
- **The model's graph runs without dask.** Rasa hands its graph (NLU for each
  message, the policies for each prediction) to dask's scheduler, which orders the
  graph again on every run: 9 % of the server's time under load. The same nodes
  are called here in dependency order, planned once per set of targets; each
  node gets its inputs exactly as dask gives them, and failures are reported the
  same way. Anything unusual (an input named like a node) still goes to dask.
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

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import ujson

from bot.config import get_settings

DOCS = "https://rasa.com/docs/rasa/custom-actions"


def install() -> None:
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions import action as rasa_action
    from rasa.utils import endpoints as rasa_endpoints

    schema = rasa_action.RemoteAction.action_response_format_spec()
    validator = validator_for(schema)(schema)
    is_valid = _quick_check(schema)

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        if is_valid(result):
            return True
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
    rasa_endpoints.EndpointConfig.session = _session_with_fast_json
    _remember_event_classes()
    _run_graphs_in_order()
    timeout = get_settings().action_timeout_seconds
    rasa_action.DEFAULT_REQUEST_TIMEOUT = timeout
    rasa_endpoints.DEFAULT_REQUEST_TIMEOUT = timeout


def _fast_dumps(value: Any) -> str:
    """``json.dumps`` through ujson (about twice as fast); anything ujson cannot
    encode as JSON goes through ``json.dumps``, which gives the same text or error."""
    try:
        return ujson.dumps(value)
    except (TypeError, OverflowError, ValueError):
        return json.dumps(value)


def _session_with_fast_json(self: Any) -> aiohttp.ClientSession:
    """Rasa's ``EndpointConfig.session`` with the request body encoded by ujson."""
    from rasa.utils import endpoints as rasa_endpoints

    auth = (
        aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        if self.basic_auth
        else None
    )
    return aiohttp.ClientSession(
        headers=self.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=rasa_endpoints.DEFAULT_REQUEST_TIMEOUT),
        json_serialize=_fast_dumps,
    )


def _quick_check(schema: dict[str, Any]) -> Callable[[Any], bool]:
    """A check equivalent to validating against ``schema``, without ``oneOf``.

    Each event in an answer must match exactly one of the schema's 23 event
    variants (``oneOf``), so the validator tries every variant on every event; each
    variant fixes ``event`` to one constant. Here an event is checked against the
    one variant its ``event`` names (with the properties every event shares), and
    the rest of the answer without the events. When the schema is not shaped like
    that (another Rasa version), every answer goes through the full validator.
    A ``False`` only means "ask the full validator", which gives Rasa's error.
    """
    from jsonschema.validators import validator_for

    full = validator_for(schema)(schema)
    try:
        events = schema["properties"]["events"]
        shared = {key: value for key, value in events["items"].items() if key != "oneOf"}
        variants = {
            variant["properties"]["event"]["const"]: variant for variant in events["items"]["oneOf"]
        }
        if len(variants) != len(events["items"]["oneOf"]):
            raise KeyError("two variants for one event")
    except (KeyError, TypeError):
        return full.is_valid
    outer_schema = {
        **schema,
        "properties": {**schema["properties"], "events": {"type": "array"}},
    }
    outer = validator_for(schema)(outer_schema)
    by_event = {
        name: validator_for(schema)({**shared, "allOf": [variant]})
        for name, variant in variants.items()
    }

    def is_valid(result: Any) -> bool:
        if not outer.is_valid(result):
            return False
        for event in result.get("events") or ():
            check = by_event.get(event.get("event")) if isinstance(event, dict) else None
            if check is None or not check.is_valid(event):
                return False
        return True

    return is_valid


def _run_graphs_in_order() -> None:
    """Runs the model's graph (NLU, then the policies, several times a message) by
    calling its nodes in dependency order, planned once per set of targets, instead
    of handing it to dask each time (see the module's docstring)."""
    from rasa.engine.runner.dask import DaskGraphRunner

    original = DaskGraphRunner.run
    if getattr(original, "_msaidizi_in_order", False):
        return

    def run(
        self: DaskGraphRunner,
        inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None,
    ) -> dict[str, Any]:
        from rasa.engine.exceptions import GraphRunError

        run_targets = list(targets) if targets else self._graph_schema.target_names
        given = inputs or {}
        plans = self.__dict__.setdefault("_msaidizi_plans", {})
        key = (tuple(run_targets), tuple(given))
        if key not in plans:
            plans[key] = _plan(self, run_targets, given)
        plan = plans[key]
        if plan is None:
            return original(self, inputs, targets)
        results: dict[str, Any] = {}
        for name, value in given.items():
            if isinstance(value, str) and value in plan.nodes:
                # Rasa's own check, with its message (dask would look the value up).
                return original(self, inputs, targets)
            results[name] = (name, value)
        try:
            for name, node, needs in plan.steps:
                # A need that names no node or input is passed as its name, as dask does.
                results[name] = node(*[results.get(need, need) for need in needs])
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)

    run._msaidizi_in_order = True  # type: ignore[attr-defined]
    run.dask_run = original  # type: ignore[attr-defined]
    DaskGraphRunner.run = run


@dataclass(frozen=True)
class _Plan:
    nodes: frozenset[str]
    steps: tuple[tuple[str, Any, tuple[str, ...]], ...]


def _plan(runner: Any, targets: list[str], inputs: dict[str, Any]) -> _Plan | None:
    """The nodes ``targets`` need, each after the nodes it needs; ``None`` leaves
    the run to dask (an input that replaces a node, a target that is nothing)."""
    import heapq

    from dask.order import order

    graph = runner._build_dask_graph(runner._graph_schema.minimal_graph_schema(targets))
    if any(name in graph for name in inputs) or any(
        target not in graph and target not in inputs for target in targets
    ):
        return None
    # Among nodes that are ready at the same time, dask's own priority.
    priority = order({**graph, **{name: (name, None) for name in inputs}})
    waiting = {name: {need for need in task[1:] if need in graph} for name, task in graph.items()}
    needed_by: dict[str, list[str]] = {}
    for name, needs in waiting.items():
        for need in needs:
            needed_by.setdefault(need, []).append(name)
    ready = [(priority[name], name) for name, needs in waiting.items() if not needs]
    heapq.heapify(ready)
    steps = []
    while ready:
        _, name = heapq.heappop(ready)
        task = graph[name]
        steps.append((name, task[0], tuple(task[1:])))
        for later in needed_by.get(name, ()):
            waiting[later].discard(name)
            if not waiting[later]:
                heapq.heappush(ready, (priority[later], later))
    if len(steps) != len(graph):  # a cycle: dask reports it
        return None
    return _Plan(frozenset(graph), tuple(steps))


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

"""The Rasa server's faster action-answer validation refuses what Rasa's refuses
and accepts what it accepts; the action server wait is bounded."""

from __future__ import annotations

import json

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


def _answers() -> list:
    """Every kind of event Rasa can take from an action server, as Rasa writes it,
    and the same answers broken in the ways an action server could break them."""
    from rasa.shared.core import events as e

    made = [
        e.UserUttered("habari", {"name": "greet", "confidence": 0.9}, [], None, None, "rest"),
        e.ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0),
        e.SlotSet("language", "sw"),
        e.SlotSet("course", None),
        e.EntitiesAdded([{"entity": "course", "value": "AI", "start": 0, "end": 2}]),
        e.BotUttered("Habari!", {"buttons": [{"title": "Ndio", "payload": "/affirm"}]}),
        e.ActiveLoop("registration_form"),
        e.ActiveLoop(None),
        e.LoopInterrupted(True),
        e.ActionExecutionRejected("action_x"),
        e.FollowupAction("action_listen"),
        e.AllSlotsReset(),
        e.ConversationPaused(),
        e.ConversationResumed(),
        e.Restarted(),
        e.UserUtteranceReverted(),
        e.ActionReverted(),
        e.SessionStarted(),
        e.ReminderCancelled(name="r"),
        e.AgentUttered("hi"),
        e.StoryExported(),
    ]
    valid = [{"events": [event.as_dict()], "responses": [{"text": "x"}]} for event in made]
    valid.append({"events": [event.as_dict() for event in made]})
    broken = []
    for answer in valid[:-1]:
        event = answer["events"][0]
        broken.append({"events": [{**event, "event": "no-such-event"}]})
        broken.append({"events": [{k: v for k, v in event.items() if k != "event"}]})
        broken.append({"events": [{**event, "timestamp": "yesterday"}]})
        broken.append({"events": [{**event, "metadata": ["not", "an", "object"]}]})
        for key in event:
            if key not in ("event", "timestamp", "metadata"):
                broken.append({"events": [{**event, key: {"unexpected": object.__name__}}]})
                broken.append({"events": [{**event, key: 12345}]})
    broken += [
        {"events": ["slot"]},
        {"events": [None]},
        {"events": None},
        {"responses": "text"},
        {"responses": ["text"]},
        [],
        "answer",
    ]
    return valid + broken


def test_the_quick_check_agrees_with_the_full_validator() -> None:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    from bot.rasa_patches import _quick_check

    schema = RemoteAction.action_response_format_spec()
    full = validator_for(schema)(schema)
    quick = _quick_check(schema)
    answers = _answers()
    verdicts = [(full.is_valid(answer), quick(answer)) for answer in answers]
    assert sum(valid for valid, _ in verdicts) >= 22  # the corpus has both kinds
    assert sum(not valid for valid, _ in verdicts) >= 100
    assert [quick for _, quick in verdicts] == [valid for valid, _ in verdicts]


async def test_action_server_requests_carry_the_same_json(patched, aiohttp_echo) -> None:
    """The body Rasa sends (encoded by ujson now) decodes to what was sent, with
    Kiswahili, nested objects and floats intact; what ujson cannot encode goes
    through json.dumps, which raises as before."""
    from rasa.utils.endpoints import EndpointConfig

    from bot.rasa_patches import _fast_dumps

    body = {
        "next_action": "action_x",
        "tracker": {
            "events": [
                {
                    "event": "user",
                    "text": "Habari, ninaomba msaada — ñ/é",
                    "timestamp": 1764406800.123456,
                }
            ]
        },
        "slots": {"language": "sw", "job_group": None, "nominated": True, "count": 3},
    }
    answer = await EndpointConfig(aiohttp_echo).request(json=body, method="post")
    assert answer == body
    assert json.loads(_fast_dumps({"big": 2**70})) == {"big": 2**70}
    assert json.loads(_fast_dumps({1: "a", None: float("inf")})) == json.loads(
        json.dumps({1: "a", None: float("inf")})
    )
    with pytest.raises(TypeError):  # not JSON: refused as json.dumps refuses it
        _fast_dumps({"photo": b"\x89PNG"})


@pytest.fixture
async def aiohttp_echo():
    """A local HTTP server answering every POST with the JSON it received."""
    from aiohttp import web

    async def echo(request: web.Request) -> web.Response:
        return web.json_response(await request.json())

    app = web.Application()
    app.router.add_post("/webhook", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/webhook"
    await runner.cleanup()

"""When a custom action cannot run because the action server does not answer, the
officer is told so in their language and the bot listens again (bot/rasa_server.py).
The same end to end, with the action servers really stopped, is in
tests/integration/test_reliability.py."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from rasa.core.actions.action import ActionExecutionRejection
from rasa.shared.core.events import BotUttered, FollowupAction
from rasa.shared.exceptions import RasaException

from bot import replies
from bot.rasa_server import _ExplainedWhenUnavailable, is_action_server_failure


class Tracker:
    def __init__(self, language: str | None) -> None:
        self.language = language

    def get_slot(self, name: str) -> str | None:
        return self.language if name == "language" else None


class FailingAction:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def name(self) -> str:
        return "action_submit_registration"

    async def run(self, *args: object) -> list:
        raise self.error


def raised_by_rasa(cause: BaseException) -> RasaException:
    """What Rasa's RemoteAction raises: a RasaException while handling the cause."""
    try:
        try:
            raise cause
        except aiohttp.ClientError as error:
            raise RasaException("Failed to execute custom action") from error
    except RasaException as wrapped:
        return wrapped


def connection_refused() -> aiohttp.ClientConnectionError:
    return aiohttp.ClientConnectionError("Cannot connect to host localhost:5055")


@pytest.mark.parametrize("language", ["sw", "en"])
async def test_an_unreachable_action_server_is_explained_in_the_officer_s_language(
    language: str,
) -> None:
    action = _ExplainedWhenUnavailable(FailingAction(raised_by_rasa(connection_refused())))
    events = await action.run(None, None, Tracker(language), None)
    assert isinstance(events[0], BotUttered)
    assert events[0].text == replies.render("actions_unavailable", language)
    # Then the bot listens: no further action runs (and fails) in this turn.
    assert events[1] == FollowupAction("action_listen")
    assert action.name() == "action_submit_registration"


def test_errors_from_the_action_server_count_and_others_do_not() -> None:
    assert is_action_server_failure(raised_by_rasa(connection_refused()))
    assert is_action_server_failure(asyncio.TimeoutError())  # what aiohttp raises
    assert not is_action_server_failure(RasaException("a bug in a built-in action"))


async def test_other_failures_and_rejections_are_left_to_rasa() -> None:
    with pytest.raises(KeyError):
        await _ExplainedWhenUnavailable(FailingAction(KeyError("slot"))).run(
            None, None, Tracker("en"), None
        )
    with pytest.raises(ActionExecutionRejection):
        await _ExplainedWhenUnavailable(
            FailingAction(ActionExecutionRejection("registration_form"))
        ).run(None, None, Tracker("en"), None)


# --- /health ------------------------------------------------------------------------


class _App:
    def __init__(self, agent: object | None) -> None:
        self.ctx = type("Ctx", (), {"agent": agent})()


class _Engine:
    def __init__(self, fail: bool) -> None:
        self.fail = fail

    def connect(self):  # noqa: ANN201
        import sqlalchemy as sa

        if self.fail:
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed"))
        return sa.create_engine("sqlite://").connect()


class _Agent:
    def __init__(self, ready: bool = True, db_fails: bool = False, redis_fails: bool = False):
        self.ready = ready
        self.tracker_store = type("Store", (), {"engine": _Engine(db_fails)})()

        class _Red:
            def ping(self) -> None:
                if redis_fails:
                    raise ConnectionError("redis down")

        self.lock_store = type("Locks", (), {"red": _Red()})()

    def is_ready(self) -> bool:
        return self.ready


async def test_health_names_what_is_missing() -> None:
    from bot.rasa_server import health_checks

    assert await health_checks(_App(None)) == {"model": "not loaded"}
    assert await health_checks(_App(_Agent())) == {
        "model": "ok",
        "tracker_store": "ok",
        "lock_store": "ok",
    }
    down = await health_checks(_App(_Agent(ready=False, db_fails=True, redis_fails=True)))
    assert down == {
        "model": "not loaded",
        "tracker_store": "unavailable (OperationalError)",
        "lock_store": "unavailable (ConnectionError)",
    }

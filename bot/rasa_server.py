"""``python -m bot.rasa_server run …``: Rasa's command line (``rasa run …``) with
Msaidizi's one addition to the Rasa server installed first.

**A custom action that cannot run is explained to the officer.** When the action
server is down, unreachable, times out or answers with an error, Rasa 3.6 logs the
exception, drops the action's events and carries on — so the officer gets no reply
at all (measured: with the action server stopped, "nataka kujiandikisha kozi ya
DGP-202" got ``[]``), against contract §4 ("when the action server or database is
down, the officer is told so"). Here such a failure ends the bot's turn with one
message in the conversation's language (``actions_unavailable`` in
``bot/replies/service.yml``) asking the officer to send their last message again
shortly. Nothing else changes: the failed action's events are dropped as before, so
an open form stays where it was with every answer already given, and the same
message sent again once the action server is back continues the conversation.

:mod:`bot.serve` starts Rasa this way (under :mod:`bot.log_masking`).
"""

from __future__ import annotations

import asyncio
import logging
import runpy
import sys
from collections.abc import Sequence
from typing import Any

from bot import replies
from bot.gc_tuning import freeze_once_started
from bot.sanic_apps import extend_app_factory

logger = logging.getLogger(__name__)

_INSTALLED = "_msaidizi_tells_officer_when_actions_fail"


def is_action_server_failure(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is a failed call to the action server:
    refused or dropped connection, timeout, or an error status (Rasa wraps each in a
    ``RasaException`` raised while handling the original)."""
    import aiohttp

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError)):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def unavailable_reply(language: str | None) -> str:
    return replies.render("actions_unavailable", language)


class _ExplainedWhenUnavailable:
    """Wraps the action the processor is about to run; everything but ``run`` is
    the action's own."""

    def __init__(self, action: Any) -> None:
        self._action = action

    def __getattr__(self, name: str) -> Any:
        return getattr(self._action, name)

    async def run(self, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list:
        from rasa.core.actions.action import ActionExecutionRejection, create_bot_utterance
        from rasa.shared.core.constants import ACTION_LISTEN_NAME
        from rasa.shared.core.events import FollowupAction

        try:
            return await self._action.run(output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except Exception as error:
            if not is_action_server_failure(error):
                raise
            logger.error(
                "Action '%s' could not run (%s: %s); the officer is asked to try again.",
                self._action.name(),
                type(error).__name__,
                error,
            )
            # The reply, then listen: no further action is predicted in this turn
            # (each would fail the same way and the officer would hear it twice).
            return [
                create_bot_utterance({"text": unavailable_reply(tracker.get_slot("language"))}),
                FollowupAction(ACTION_LISTEN_NAME),
            ]


def install() -> None:
    """Makes the processor run every action through :class:`_ExplainedWhenUnavailable`.
    Idempotent. (Rasa is pinned to 3.6.21; ``_run_action`` is the one place every
    predicted action passes through.)"""
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor._run_action
    if getattr(original, _INSTALLED, False):
        return

    async def _run_action(self: Any, action: Any, *args: Any, **kwargs: Any) -> bool:
        return await original(self, _ExplainedWhenUnavailable(action), *args, **kwargs)

    setattr(_run_action, _INSTALLED, True)
    MessageProcessor._run_action = _run_action


# --- /health -----------------------------------------------------------------------

#: Longest one health check may take (a hung database must not hang the probe).
HEALTH_CHECK_SECONDS = 3.0


async def health_checks(app: Any) -> dict[str, str]:
    """What the Rasa server needs to answer officers, each "ok" or why not: a
    loaded model, the tracker store's database, the lock store's Redis."""
    agent = getattr(app.ctx, "agent", None)
    checks = {"model": "ok" if agent is not None and agent.is_ready() else "not loaded"}
    if agent is None:
        return checks

    def tracker_store() -> None:
        store = agent.tracker_store
        engine = getattr(getattr(store, "_tracker_store", store), "engine", None)
        if engine is not None:  # an SQL store (behind Rasa's fail-safe wrapper)
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")

    def lock_store() -> None:
        red = getattr(agent.lock_store, "red", None)
        if red is not None:  # Redis
            red.ping()

    for name, check in (("tracker_store", tracker_store), ("lock_store", lock_store)):
        try:
            await asyncio.wait_for(asyncio.to_thread(check), HEALTH_CHECK_SECONDS)
            checks[name] = "ok"
        except Exception as error:  # noqa: BLE001 - reported, not raised
            checks[name] = f"unavailable ({type(error).__name__})"
    return checks


def add_health_route(app: Any) -> None:
    """``GET /health``: 200 and ``{"status": "ok", "checks": …}`` when every check
    passes, else 503 with the same body naming what failed. No token needed; it
    says nothing about any conversation."""
    from sanic import response

    async def health(request: Any) -> Any:
        checks = await health_checks(request.app)
        ok = all(value == "ok" for value in checks.values())
        return response.json(
            {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
        )

    app.add_route(health, "/health", methods=["GET"], name="msaidizi_health")


def _extend_app(app: Any) -> None:
    add_health_route(app)
    # After Rasa's own listeners: the model is loaded by then (bot.gc_tuning).
    freeze_once_started(app, "Rasa server")


def install_health_route() -> None:
    """Makes Rasa's app factory add :func:`add_health_route` and, once the model is
    loaded, leave what it loaded out of garbage collection. Idempotent."""
    from rasa.core import run

    extend_app_factory(run, "configure_app", _extend_app, _INSTALLED)


def main(argv: Sequence[str]) -> None:
    from bot import rasa_patches

    install()
    install_health_route()
    rasa_patches.install()
    sys.argv = ["rasa", *argv]
    runpy.run_module("rasa", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])

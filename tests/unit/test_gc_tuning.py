"""Both servers leave what they loaded at start out of garbage collection
(bot.gc_tuning), and what they make afterwards is still collected."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_loaded_objects_are_frozen_and_later_garbage_is_still_collected() -> None:
    script = textwrap.dedent(
        """
        import gc, weakref
        from bot.gc_tuning import freeze_loaded_objects

        loaded = [[i] for i in range(50_000)]  # lists are tracked by the collector
        frozen = freeze_loaded_objects("test")
        assert frozen >= 50_000, frozen
        assert gc.get_freeze_count() == frozen

        class Node: pass
        a, b = Node(), Node()
        a.other, b.other = b, a          # a cycle made after the freeze
        gone = weakref.ref(a)
        del a, b
        gc.collect()
        assert gone() is None, "a cycle made after start is still collected"
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def listeners_of(app) -> dict[str, list[str]]:
    """Sanic's listeners by event ("server.init.after" is after_server_start)."""
    found: dict[str, list[str]] = {}
    for route in app.signal_router.routes:
        listener = route.handler.keywords.get("listener")
        found.setdefault(route.name, []).append(getattr(listener, "__name__", ""))
    return found


def test_the_action_server_freezes_once_started() -> None:
    """bot.serve starts the action server through bot.action_server (the
    integration tests run it that way)."""
    from rasa_sdk import endpoint

    from bot import action_server

    action_server.install()
    action_server.install()  # idempotent: one listener
    app = endpoint.create_app("actions")
    assert listeners_of(app).get("server.init.after") == ["freeze_loaded_objects_once_started"]


def test_the_rasa_server_freezes_once_its_model_is_loaded() -> None:
    from rasa.core import run

    from bot import rasa_server

    rasa_server.install_health_route()
    app = run.configure_app(enable_api=False)
    assert "freeze_loaded_objects_once_started" in listeners_of(app).get("server.init.after", [])

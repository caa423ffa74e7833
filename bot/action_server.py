"""``python -m bot.action_server --actions actions --port …``: the Rasa SDK action
server (``python -m rasa_sdk …``) that, once started, leaves the objects it loaded
out of garbage collection (:mod:`bot.gc_tuning`).

Under 50 officers' load its full collections took 55–75 ms each, about every 4 s,
and held up every action call in flight. :mod:`bot.serve` starts the action
server this way (under :mod:`bot.log_masking`).
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence

from bot.gc_tuning import freeze_once_started
from bot.sanic_apps import extend_app_factory

_INSTALLED = "_msaidizi_freezes_after_start"


def install() -> None:
    """Makes rasa_sdk's app factory add the freeze after start. Idempotent."""
    from rasa_sdk import endpoint

    extend_app_factory(
        endpoint, "create_app", lambda app: freeze_once_started(app, "action server"), _INSTALLED
    )


def main(argv: Sequence[str]) -> None:
    install()
    sys.argv = ["rasa_sdk", *argv]
    runpy.run_module("rasa_sdk", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])

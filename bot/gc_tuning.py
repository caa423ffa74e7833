"""Python's garbage collector, told that what a server loads at start stays.

The Rasa server holds about 520,000 objects once its model is loaded (TensorFlow,
spaCy, scikit-learn, Rasa itself). Every full ("generation 2") collection walks
all of them: 280–380 ms on this machine, during which the server answers nobody.
Under 50 officers' load it happened every 10–15 s, and each pause held up every
message in flight; it was most of the latency above the 90th percentile
(bench/README.md).

:func:`freeze_loaded_objects` collects once and then moves everything alive into
the permanent generation (``gc.freeze``), which collections skip. Objects made
later are collected as before. The price is that garbage cycles among the frozen
objects are never freed, so it is called after loading, once the loader's garbage
has been collected.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

logger = logging.getLogger(__name__)


def freeze_loaded_objects(what: str) -> int:
    """Collects, then freezes every live object; returns how many were frozen."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    # (The count is not logged: log masking would hide a long number.)
    logger.info(
        "%s: the objects loaded at start are left out of garbage collection (%.0f ms)",
        what,
        (time.perf_counter() - started) * 1000,
    )
    return frozen


def freeze_once_started(app: Any, what: str) -> None:
    """Makes the Sanic ``app`` call :func:`freeze_loaded_objects` after it has
    started (after its own start-up listeners, which load the model)."""

    async def freeze_loaded_objects_once_started(_app: Any, _loop: Any = None) -> None:
        freeze_loaded_objects(what)

    app.register_listener(freeze_loaded_objects_once_started, "after_server_start")

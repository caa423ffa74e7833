"""Adding to the Sanic apps that Rasa and the Rasa SDK build for themselves."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any


def extend_app_factory(
    module: ModuleType, name: str, extend: Callable[[Any], None], marker: str
) -> None:
    """Replaces the app factory ``module.name`` by one that passes every app it
    makes to ``extend`` before returning it. ``marker`` names the change, so doing
    it again changes nothing."""
    original = getattr(module, name)
    if getattr(original, marker, False):
        return

    def factory(*args: Any, **kwargs: Any) -> Any:
        app = original(*args, **kwargs)
        extend(app)
        return app

    setattr(factory, marker, True)
    setattr(module, name, factory)

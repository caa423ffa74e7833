"""Settings come from the environment, with safe local defaults and clear errors."""

from __future__ import annotations

import pytest

from bot.config import PROJECT_ROOT, Settings


def test_defaults_are_local_sqlite_files_under_var() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'msaidizi.db'}"
    assert settings.tracker_store_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
    assert settings.eager_model_loading is True


def test_environment_overrides_defaults() -> None:
    settings = Settings.from_env(
        {"DATABASE_URL": "postgresql://u@h/db", "EAGER_MODEL_LOADING": "false"}
    )
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.eager_model_loading is False


def test_a_flag_that_is_neither_true_nor_false_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="expected true or false, got 'maybe'"):
        Settings.from_env({"EAGER_MODEL_LOADING": "maybe"})

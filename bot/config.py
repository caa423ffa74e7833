"""Configuration, read once from environment variables with safe local defaults.

Every other module asks this one; nothing else reads ``os.environ`` for settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'msaidizi.db'}"


def _default_tracker_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"


@dataclass(frozen=True)
class Settings:
    """What an operator can change without touching code."""

    database_url: str = field(default_factory=_default_database_url)
    tracker_store_url: str = field(default_factory=_default_tracker_url)
    catalogue_dir: Path = PROJECT_ROOT / "data" / "catalogue"
    db_timeout_seconds: float = 5.0
    # Load DIET and TED without graph tracing: ~5 s instead of ~2 min to start, at
    # ~0.1 s more per message. Production may prefer tracing (see eager_loading.py).
    eager_model_loading: bool = True
    # The HR payroll "personal number" format is not confirmed (domain brief §2), so
    # the pattern an officer's answer must fully match is configuration.
    personal_number_pattern: str = r"^\d{6,10}$"
    # Pretend today is this date (ISO, e.g. 2026-11-28) when comparing with
    # registration deadlines: for demos and tests of the sample catalogue only.
    catalogue_today: date | None = None
    # The web page (chat widget, later the support console) and where its widget
    # finds Rasa's socket.io channel: the address a browser uses, which behind a
    # proxy is not the one the servers use between themselves.
    web_host: str = "0.0.0.0"
    web_port: int = 8000
    rasa_public_url: str = "http://localhost:5005"
    # Where the support console reaches Rasa's HTTP API (server to server): any
    # replica will do, they share the tracker store and lock store. With a token
    # when Rasa runs with --auth-token.
    rasa_url: str = "http://localhost:5005"
    rasa_auth_token: str | None = None
    rasa_timeout_seconds: float = 10.0
    # Per sender (channel + id): at most this many messages reach the bot per
    # window (bot/channels/rate_limit.py); counted in Redis when a URL is given
    # (shared by every Rasa replica), else in each process.
    # Longest the Rasa server waits for the action server (Rasa's own: 5 minutes).
    action_timeout_seconds: float = 30.0
    rate_limit_messages: int = 30
    rate_limit_window_seconds: float = 60.0
    rate_limit_redis_url: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        defaults = cls()
        return cls(
            database_url=env.get("DATABASE_URL") or defaults.database_url,
            tracker_store_url=env.get("TRACKER_STORE_URL") or defaults.tracker_store_url,
            catalogue_dir=Path(env.get("CATALOGUE_DIR") or defaults.catalogue_dir),
            db_timeout_seconds=float(env.get("DB_TIMEOUT_SECONDS") or defaults.db_timeout_seconds),
            eager_model_loading=_flag(env.get("EAGER_MODEL_LOADING"), defaults.eager_model_loading),
            personal_number_pattern=env.get("PERSONAL_NUMBER_PATTERN")
            or defaults.personal_number_pattern,
            catalogue_today=date.fromisoformat(env["CATALOGUE_TODAY"])
            if env.get("CATALOGUE_TODAY")
            else None,
            web_host=env.get("WEB_HOST") or defaults.web_host,
            web_port=int(env.get("WEB_PORT") or defaults.web_port),
            rasa_public_url=(
                env.get("RASA_PUBLIC_URL") or f"http://localhost:{env.get('RASA_PORT') or 5005}"
            ).rstrip("/"),
            rasa_url=(
                env.get("RASA_URL") or f"http://localhost:{env.get('RASA_PORT') or 5005}"
            ).rstrip("/"),
            rasa_auth_token=env.get("RASA_AUTH_TOKEN") or None,
            rasa_timeout_seconds=float(
                env.get("RASA_TIMEOUT_SECONDS") or defaults.rasa_timeout_seconds
            ),
            action_timeout_seconds=float(
                env.get("ACTION_TIMEOUT_SECONDS") or defaults.action_timeout_seconds
            ),
            rate_limit_messages=int(env.get("RATE_LIMIT_MESSAGES") or defaults.rate_limit_messages),
            rate_limit_window_seconds=float(
                env.get("RATE_LIMIT_WINDOW_SECONDS") or defaults.rate_limit_window_seconds
            ),
            rate_limit_redis_url=env.get("RATE_LIMIT_REDIS_URL")
            or _redis_url(env.get("LOCK_STORE_URL")),
        )


def _redis_url(url: str | None) -> str | None:
    url = (url or "").strip()
    return url if url.startswith(("redis://", "rediss://")) else None


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def get_settings() -> Settings:
    return Settings.from_env()

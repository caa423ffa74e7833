"""The credentials Rasa runs with: ``credentials.yml`` plus a channel for each
messaging platform whose environment variables are set.

Secrets stay out of the repository (and out of ``credentials.yml``): Telegram,
WhatsApp and Twilio are configured by environment variables only, and a channel
is enabled exactly when all its required variables are set. Some but not all of
them is a mistake that would otherwise show up as an officer's message going
nowhere, so it stops the start with a message naming the missing ones.

:mod:`bot.serve` writes the result to a private temporary file and passes it to
``rasa run --credentials``; every entry of ``credentials.yml`` (``rest``,
``socketio`` or a class path) is passed through unchanged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT

BASE_CREDENTIALS = PROJECT_ROOT / "credentials.yml"


class ChannelConfigError(ValueError):
    """A channel configured by half: some of its required variables are missing."""


@dataclass(frozen=True)
class ChannelSpec:
    """Which environment variables configure a channel, and the credential key
    each becomes (the keys the channel's ``from_credentials`` reads)."""

    name: str
    title: str
    class_path: str
    required: dict[str, str]
    optional: dict[str, str] = field(default_factory=dict)


CHANNELS = (
    ChannelSpec(
        "telegram",
        "Telegram",
        "bot.channels.telegram.TelegramInput",
        required={
            "TELEGRAM_TOKEN": "access_token",
            "TELEGRAM_SECRET_TOKEN": "secret_token",
            "TELEGRAM_BOT_NAME": "verify",
        },
        optional={
            "TELEGRAM_WEBHOOK_URL": "webhook_url",
            "TELEGRAM_API_BASE_URL": "api_base_url",
        },
    ),
    ChannelSpec(
        "whatsapp",
        "WhatsApp (Cloud API)",
        "bot.channels.whatsapp.WhatsAppInput",
        required={
            "WHATSAPP_ACCESS_TOKEN": "access_token",
            "WHATSAPP_APP_SECRET": "app_secret",
            "WHATSAPP_VERIFY_TOKEN": "verify_token",
            "WHATSAPP_PHONE_NUMBER_ID": "phone_number_id",
        },
        optional={
            "WHATSAPP_API_BASE_URL": "api_base_url",
            "WHATSAPP_API_VERSION": "api_version",
        },
    ),
    ChannelSpec(
        "twilio",
        "Twilio",
        "bot.channels.twilio.TwilioInput",
        required={
            "TWILIO_ACCOUNT_SID": "account_sid",
            "TWILIO_AUTH_TOKEN": "auth_token",
            "TWILIO_NUMBER": "twilio_number",
        },
        optional={
            "TWILIO_WEBHOOK_URL": "webhook_url",
            "TWILIO_API_BASE_URL": "api_base_url",
        },
    ),
)

#: Telegram accepts only these characters in a webhook's secret token.
_TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _spec(name: str) -> ChannelSpec:
    for spec in CHANNELS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def channel_credentials(name: str, env: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """One channel's credentials from the environment; None when it is not
    configured at all."""
    env = os.environ if env is None else env
    spec = _spec(name)
    given = {var: env[var].strip() for var in spec.required if (env.get(var) or "").strip()}
    if not given:
        return None
    missing = [var for var in spec.required if var not in given]
    if missing:
        raise ChannelConfigError(
            f"{spec.title} is only partly configured: set {', '.join(missing)} as well "
            f"(or unset {', '.join(given)} to run without {spec.title})."
        )
    if name == "telegram" and not _TELEGRAM_SECRET.match(given["TELEGRAM_SECRET_TOKEN"]):
        raise ChannelConfigError(
            "TELEGRAM_SECRET_TOKEN may only hold letters, digits, _ and - (1 to 256 of them): "
            "Telegram refuses any other secret."
        )
    credentials = {spec.required[var]: value for var, value in given.items()}
    for var, key in spec.optional.items():
        if (env.get(var) or "").strip():
            credentials[key] = env[var].strip()
    return credentials


def enabled_channels(env: Mapping[str, str] | None = None) -> list[str]:
    """The messaging channels the environment configures (raises for half ones)."""
    return [spec.name for spec in CHANNELS if channel_credentials(spec.name, env) is not None]


def load_base(path: Path = BASE_CREDENTIALS) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return dict(data or {})


def effective_credentials(
    base: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``base`` (credentials.yml, every entry unchanged) plus each configured
    channel under its class path, the environment's values over any there."""
    problems: list[str] = []
    credentials = dict(base)
    for spec in CHANNELS:
        try:
            configured = channel_credentials(spec.name, env)
        except ChannelConfigError as error:
            problems.append(str(error))
            continue
        if configured is not None:
            credentials[spec.class_path] = {**(base.get(spec.class_path) or {}), **configured}
    if problems:
        raise ChannelConfigError("\n".join(problems))
    return credentials


def write_credentials(credentials: Mapping[str, Any], directory: Path) -> Path:
    """Writes the credentials where only this user can read them (they hold
    tokens); the caller removes the directory when Rasa stops."""
    path = directory / "credentials.yml"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        yaml.safe_dump(dict(credentials), file, sort_keys=False)
    return path

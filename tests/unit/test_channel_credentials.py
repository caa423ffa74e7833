"""Messaging channels are configured by environment variables only: enabled when
all of a channel's variables are set, refused at start when only some are, and
credentials.yml's own entries always kept as they are."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from bot.channels.credentials import (
    ChannelConfigError,
    channel_credentials,
    effective_credentials,
    enabled_channels,
    load_base,
    write_credentials,
)

TELEGRAM = {
    "TELEGRAM_TOKEN": "123456:ABC-def_ghi",
    "TELEGRAM_SECRET_TOKEN": "s3cret_Token-1",
    "TELEGRAM_BOT_NAME": "msaidizi_bot",
}
WHATSAPP = {
    "WHATSAPP_ACCESS_TOKEN": "EAAG-token",
    "WHATSAPP_APP_SECRET": "app-secret",
    "WHATSAPP_VERIFY_TOKEN": "verify-me",
    "WHATSAPP_PHONE_NUMBER_ID": "109876543210",
}
TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "auth-token",
    "TWILIO_NUMBER": "whatsapp:+14155238886",
}


def test_without_channel_variables_only_credentials_yml_s_entries_are_used() -> None:
    base = load_base()
    assert effective_credentials(base, {}) == base
    # The socket.io channel is Rasa's, fixed, named by its class path (bot/web).
    assert {"bot.channels.rest.RestInput", "bot.web.socketio_channel.SocketIOInput"} <= set(base)
    assert enabled_channels({}) == []


def test_each_fully_configured_channel_is_added_under_its_class_path() -> None:
    env = {**TELEGRAM, **WHATSAPP, **TWILIO, "TWILIO_WEBHOOK_URL": "https://bot.example/tw"}
    credentials = effective_credentials({"rest": None}, env)
    assert credentials["rest"] is None
    assert credentials["bot.channels.telegram.TelegramInput"] == {
        "access_token": "123456:ABC-def_ghi",
        "secret_token": "s3cret_Token-1",
        "verify": "msaidizi_bot",
    }
    assert credentials["bot.channels.whatsapp.WhatsAppInput"]["phone_number_id"] == "109876543210"
    assert credentials["bot.channels.twilio.TwilioInput"]["webhook_url"] == "https://bot.example/tw"
    assert enabled_channels(env) == ["telegram", "whatsapp", "twilio"]


def test_unknown_entries_such_as_a_socketio_class_path_pass_through_unchanged() -> None:
    base = {
        "rest": None,
        "bot.web.socketio_channel.SocketIOInput": {"user_message_evt": "user_uttered"},
        "some.other.Channel": {"x": 1},
    }
    assert effective_credentials(base, TELEGRAM) | base == effective_credentials(base, TELEGRAM)
    assert effective_credentials(base, {}) == base


def test_the_environment_wins_over_values_in_credentials_yml() -> None:
    base = {"bot.channels.telegram.TelegramInput": {"verify": "old_name", "extra": "kept"}}
    merged = effective_credentials(base, TELEGRAM)["bot.channels.telegram.TelegramInput"]
    assert merged["verify"] == "msaidizi_bot" and merged["extra"] == "kept"


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"TELEGRAM_TOKEN": "123:abc"}, "TELEGRAM_SECRET_TOKEN, TELEGRAM_BOT_NAME"),
        (
            {k: v for k, v in WHATSAPP.items() if k != "WHATSAPP_APP_SECRET"},
            "WHATSAPP_APP_SECRET",
        ),
        ({"TWILIO_NUMBER": "+14155238886", "TWILIO_AUTH_TOKEN": " "}, "TWILIO_ACCOUNT_SID, "),
    ],
)
def test_a_half_configured_channel_is_refused_naming_what_is_missing(
    env: dict[str, str], missing: str
) -> None:
    with pytest.raises(ChannelConfigError, match="only partly configured") as refused:
        effective_credentials({}, env)
    assert f"set {missing}" in str(refused.value)


def test_every_half_configured_channel_is_named_at_once() -> None:
    with pytest.raises(ChannelConfigError) as refused:
        effective_credentials({}, {"TELEGRAM_TOKEN": "1:a", "TWILIO_NUMBER": "+1415"})
    assert "Telegram" in str(refused.value) and "Twilio" in str(refused.value)


def test_optional_variables_alone_do_not_enable_a_channel() -> None:
    assert channel_credentials("whatsapp", {"WHATSAPP_API_VERSION": "v21.0"}) is None


def test_a_telegram_secret_telegram_would_refuse_is_refused_at_start() -> None:
    with pytest.raises(ChannelConfigError, match="letters, digits"):
        channel_credentials("telegram", {**TELEGRAM, "TELEGRAM_SECRET_TOKEN": "has spaces!"})


def test_the_written_file_is_readable_by_rasa_and_by_this_user_only(tmp_path: Path) -> None:
    credentials = effective_credentials(load_base(), TELEGRAM)
    path = write_credentials(credentials, tmp_path)
    assert yaml.safe_load(path.read_text()) == credentials
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rasa_builds_every_configured_channel_from_the_file(tmp_path: Path) -> None:
    from rasa.core.run import create_http_input_channels

    path = write_credentials(
        effective_credentials(load_base(), {**TELEGRAM, **WHATSAPP, **TWILIO}), tmp_path
    )
    names = {channel.name() for channel in create_http_input_channels(None, str(path))}
    assert {"rest", "socketio", "telegram", "whatsapp", "twilio"} <= names

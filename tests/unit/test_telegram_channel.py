"""The Telegram connector reads Bot API updates and writes Bot API calls: text,
edits, button presses, stickers and photos, group chats, and anything else."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.channels.common import OfferedChoices
from bot.channels.telegram import (
    CALLBACK_DATA_LIMIT,
    BotApi,
    Incoming,
    TelegramApiError,
    TelegramInput,
    TelegramOutput,
    inline_keyboard,
    read_update,
    text_messages,
)
from tests.fake_apis import FakeApis

BOT = "msaidizi_bot"
OFFICER = {"id": 7001, "is_bot": False, "first_name": "Wanjiru", "language_code": "sw"}
PRIVATE = {"id": 7001, "type": "private", "first_name": "Wanjiru"}
GROUP = {"id": -100200300, "type": "supergroup", "title": "KSG cohort 12"}


def message(text: str | None = None, chat: dict = PRIVATE, **extra: object) -> dict:
    body = {"message_id": 11, "from": OFFICER, "chat": chat, "date": 1796000000, **extra}
    if text is not None:
        body["text"] = text
    return body


def test_a_private_text_message_is_a_message_for_the_bot() -> None:
    update = {"update_id": 501, "message": message("habari za asubuhi")}
    assert read_update(update, BOT) == Incoming("text", "7001", "habari za asubuhi", 501)


def test_an_edited_message_is_read_as_the_corrected_text() -> None:
    update = {"update_id": 502, "edited_message": message("my email is w@example.org")}
    assert read_update(update, BOT).text == "my email is w@example.org"


def test_a_button_press_is_its_payload_with_the_query_to_answer() -> None:
    update = {
        "update_id": 503,
        "callback_query": {
            "id": "cbq-1",
            "from": OFFICER,
            "message": message("Which course?"),
            "chat_instance": "x",
            "data": '/inform{"course":"CLD-201"}',
        },
    }
    assert read_update(update, BOT) == Incoming(
        "button", "7001", '/inform{"course":"CLD-201"}', 503, "cbq-1"
    )


@pytest.mark.parametrize(
    "content",
    [
        {"sticker": {"file_id": "CAAC", "emoji": "👍"}},
        {"photo": [{"file_id": "AgAC", "width": 90, "height": 90}], "caption": "my letter"},
        {"voice": {"file_id": "AwAC", "duration": 3}},
        {"document": {"file_id": "BQAC", "file_name": "cv.pdf"}},
    ],
)
def test_stickers_photos_and_files_are_not_text(content: dict) -> None:
    incoming = read_update({"update_id": 504, "message": message(**content)}, BOT)
    assert incoming.kind == "not_text" and incoming.chat_id == "7001"


def test_telegram_s_own_commands_mean_greeting_and_help() -> None:
    assert read_update({"update_id": 1, "message": message("/start")}, BOT).text == "/greet"
    assert read_update({"update_id": 2, "message": message("/help@msaidizi_bot")}, BOT).text == (
        "/ask_help"
    )


def test_in_a_group_only_a_message_addressed_to_the_bot_gets_an_answer() -> None:
    addressed = read_update({"update_id": 3, "message": message("@Msaidizi_Bot hi", GROUP)}, BOT)
    assert addressed == Incoming("group", "-100200300", update_id=3)
    reply_to_bot = message("and the fee?", GROUP, reply_to_message=message("x", GROUP))
    reply_to_bot["reply_to_message"]["from"] = {"id": 1, "is_bot": True, "username": BOT}
    assert read_update({"update_id": 4, "message": reply_to_bot}, BOT).kind == "group"
    chatter = read_update({"update_id": 5, "message": message("lunch at 1?", GROUP)}, BOT)
    assert chatter.kind == "ignore"
    sticker = read_update({"update_id": 6, "message": message(None, GROUP, sticker={})}, BOT)
    assert sticker.kind == "ignore"


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 7, "my_chat_member": {"chat": PRIVATE}},
        {"update_id": 8, "channel_post": message("news", {"id": -5, "type": "channel"})},
        {"update_id": 9, "message": {"chat": {"id": "not-a-number"}, "text": "hi"}},
        {"update_id": 10, "message": "not an object"},
        {"update_id": 11, "message": message("   ")},
        {"update_id": 12, "message": message(None, new_chat_title="x")},
        {},
    ],
)
def test_unknown_or_malformed_updates_are_ignored(update: dict) -> None:
    assert read_update(update, BOT).kind == "ignore"


def test_a_button_in_a_group_message_is_acknowledged_but_not_acted_on() -> None:
    query = {"id": "cbq-2", "message": message("x", GROUP), "data": "/greet"}
    incoming = read_update({"update_id": 13, "callback_query": query}, BOT)
    assert incoming.kind == "ignore" and incoming.callback_query_id == "cbq-2"


def test_buttons_become_an_inline_keyboard_one_per_row() -> None:
    keyboard = inline_keyboard(
        [{"title": "English", "payload": '/switch_language{"language": "en"}'}, {"title": "Help"}]
    )
    assert keyboard == {
        "inline_keyboard": [
            [{"text": "English", "callback_data": '/switch_language{"language": "en"}'}],
            [{"text": "Help", "callback_data": "Help"}],
        ]
    }


def test_a_payload_longer_than_telegram_allows_is_sent_as_its_choice_number() -> None:
    long_payload = '/inform{"cohort":"DGP-202-2027-06","course":"DGP-202","x":"yyyyyyyyyy"}'
    assert len(long_payload.encode()) > CALLBACK_DATA_LIMIT
    keyboard = inline_keyboard([{"title": "a", "payload": "/greet"}, {"title": "b", "payload": long_payload}], True)  # fmt: skip
    assert [row[0]["callback_data"] for row in keyboard["inline_keyboard"]] == [
        "/greet",
        "#choice:2",
    ]


def test_a_long_reply_is_sent_in_parts_with_the_keyboard_on_the_last() -> None:
    calls = text_messages("7001", "word " * 2000, [{"title": "OK", "payload": "/affirm"}])
    assert len(calls) == 3 and all(len(c["text"]) <= 4096 for c in calls)
    assert "reply_markup" in calls[-1] and "reply_markup" not in calls[0]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeApis]:
    apis = FakeApis().start()
    yield apis
    apis.stop()


async def test_replies_reach_the_bot_api_at_the_configured_server(fake: FakeApis) -> None:
    choices = OfferedChoices()
    out = TelegramOutput(BotApi("123:tok", fake.url), choices)
    await out.send_response(
        "7001", {"text": "Chagua lugha", "buttons": [{"title": "Kiswahili", "payload": "/sw"}]}
    )
    await out.send_custom_json(
        "7001",
        {"type": "file", "filename": "data.json", "mime_type": "application/json", "content": "{}"},
    )
    await out.answer_callback_query("cbq-9")
    sent = fake.calls_to("sendMessage", text="Chagua lugha")[-1]
    assert sent.path == "/bot123:tok/sendMessage" and sent.fields["chat_id"] == "7001"
    assert sent.fields["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "/sw"
    document = fake.calls_to("sendDocument")[-1]
    assert document.fields["chat_id"] == "7001"
    assert document.files["document"]["filename"] == "data.json"
    assert json.loads(document.files["document"]["content"]) == {}
    assert fake.calls_to("answerCallbackQuery", callback_query_id="cbq-9")
    assert choices.pick("7001", "1") == "/sw"


async def test_a_refusal_from_the_bot_api_is_an_error_naming_the_method(fake: FakeApis) -> None:
    with pytest.raises(TelegramApiError, match="Telegram unknownMethod failed \\(404\\)"):
        await BotApi("123:tok", fake.url + "/nowhere").call("unknownMethod")


def test_the_channel_is_built_without_calling_telegram() -> None:
    channel = TelegramInput.from_credentials(
        {"access_token": "123:tok", "verify": "@msaidizi_bot", "secret_token": "s"}
    )
    assert channel.bot_name == "msaidizi_bot" and channel.name() == "telegram"
    with pytest.raises(ValueError, match="lack secret_token"):
        TelegramInput.from_credentials({"access_token": "123:tok", "verify": "b"})


def test_set_webhook_registers_the_public_url_with_the_secret(
    fake: FakeApis, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from bot.channels.telegram import ALLOWED_UPDATES, main

    env = {
        "TELEGRAM_TOKEN": "555:cli-token",
        "TELEGRAM_SECRET_TOKEN": "cli_secret",
        "TELEGRAM_BOT_NAME": "msaidizi_bot",
        "TELEGRAM_API_BASE_URL": fake.url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL", raising=False)
    assert main(["set-webhook"]) == 2
    assert "TELEGRAM_WEBHOOK_URL" in capsys.readouterr().err
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example/webhooks/telegram/webhook")
    assert main(["set-webhook"]) == 0
    [call] = fake.calls_to("setWebhook")
    assert call.path == "/bot555:cli-token/setWebhook"
    assert call.fields == {
        "url": "https://bot.example/webhooks/telegram/webhook",
        "secret_token": "cli_secret",
        "allowed_updates": ALLOWED_UPDATES,
    }
    assert main(["webhook-info"]) == 0 and fake.calls_to("getWebhookInfo")


def test_set_webhook_without_telegram_configured_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from bot.channels.telegram import main

    for name in ("TELEGRAM_TOKEN", "TELEGRAM_SECRET_TOKEN", "TELEGRAM_BOT_NAME"):
        monkeypatch.delenv(name, raising=False)
    assert main(["set-webhook"]) == 2
    assert "TELEGRAM_TOKEN, TELEGRAM_SECRET_TOKEN" in capsys.readouterr().err

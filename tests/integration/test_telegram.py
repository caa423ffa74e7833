"""Telegram end to end: realistic Bot API updates posted to the real Rasa server's
/webhooks/telegram/webhook, and the Bot API calls Msaidizi then makes, as
recorded by a fake Bot API server."""

from __future__ import annotations

import json
import random
import time

import pytest
import requests

from bot.replies import render
from tests.conftest import CHANNEL_SETTINGS, ChannelStack, is_response
from tests.fake_apis import ApiCall, FakeApis

pytestmark = pytest.mark.integration

SECRET = CHANNEL_SETTINGS["TELEGRAM_SECRET_TOKEN"]
BOT = CHANNEL_SETTINGS["TELEGRAM_BOT_NAME"]
_update_ids = iter(range(random.randint(10_000, 90_000), 10**9))


def new_chat() -> int:
    return random.randint(10**8, 10**10)


def officer(chat_id: int) -> dict:
    return {"id": chat_id, "is_bot": False, "first_name": "Kipchumba", "language_code": "en"}


def message_update(chat_id: int, key: str = "message", chat_type: str = "private", **body) -> dict:
    chat = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = "Kipchumba"
    else:
        chat["title"] = "KSG digital cohort"
    return {
        "update_id": next(_update_ids),
        key: {
            "message_id": random.randint(1, 10**6),
            "from": officer(abs(chat_id)),
            "chat": chat,
            "date": int(time.time()),
            **body,
        },
    }


def text_update(chat_id: int, text: str) -> dict:
    return message_update(chat_id, text=text)


def post(
    stack: ChannelStack, update: dict | str | bytes, secret: str | None = SECRET
) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    body = update if isinstance(update, str | bytes) else json.dumps(update)
    return requests.post(
        f"{stack.url}/webhooks/telegram/webhook", data=body, headers=headers, timeout=60
    )


def sent_to(fake: FakeApis, chat_id: int) -> list[ApiCall]:
    return fake.calls_to("sendMessage", chat_id=str(chat_id))


def test_a_kiswahili_message_gets_a_kiswahili_reply_in_the_same_chat(
    channel_stack: ChannelStack, fake_apis: FakeApis, responses: dict
) -> None:
    chat = new_chat()
    answer = post(channel_stack, text_update(chat, "habari yako rafiki yangu"))
    assert answer.status_code == 200
    [reply] = sent_to(fake_apis, chat)
    assert reply.path == f"/bot{CHANNEL_SETTINGS['TELEGRAM_TOKEN']}/sendMessage"
    assert is_response(reply.fields["text"], responses, "utter_greet", "sw")
    assert channel_stack.user_messages(str(chat)) == ["habari yako rafiki yangu"]


def test_an_english_message_gets_an_english_reply(
    channel_stack: ChannelStack, fake_apis: FakeApis, responses: dict
) -> None:
    chat = new_chat()
    post(channel_stack, text_update(chat, "good afternoon there"))
    assert is_response(sent_to(fake_apis, chat)[0].fields["text"], responses, "utter_greet", "en")


def test_start_greets_and_msaidizi_started_without_calling_telegram(
    channel_stack: ChannelStack, fake_apis: FakeApis, responses: dict
) -> None:
    chat = new_chat()
    post(channel_stack, text_update(chat, "/start"))
    assert is_response(sent_to(fake_apis, chat)[0].fields["text"], responses, "utter_greet", "en")
    # Rasa's own channel calls setWebhook at start-up and getMe on every message.
    assert not fake_apis.calls_to("setWebhook") and not fake_apis.calls_to("getMe")


def test_buttons_are_an_inline_keyboard_and_a_press_is_answered_and_acted_on(
    channel_stack: ChannelStack, fake_apis: FakeApis, responses: dict
) -> None:
    chat = new_chat()
    post(channel_stack, text_update(chat, "what are you able to do for me?"))
    [help_reply] = sent_to(fake_apis, chat)
    assert is_response(help_reply.fields["text"], responses, "utter_help", "en")
    keyboard = help_reply.fields["reply_markup"]["inline_keyboard"]
    callbacks = {row[0]["text"]: row[0]["callback_data"] for row in keyboard}
    assert callbacks["Talk to a person"] == "/human_handoff"

    press = {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cbq-{chat}",
            "from": officer(chat),
            "message": {
                "message_id": help_reply.fields.get("message_id", 1),
                "chat": {"id": chat, "type": "private"},
                "date": int(time.time()),
                "text": help_reply.fields["text"],
            },
            "chat_instance": "-42",
            "data": callbacks["Kiswahili"],
        },
    }
    assert post(channel_stack, press).status_code == 200
    assert fake_apis.calls_to("answerCallbackQuery", callback_query_id=f"cbq-{chat}")
    switched = sent_to(fake_apis, chat)[-1]
    assert is_response(switched.fields["text"], responses, "utter_language_switched", "sw")
    assert channel_stack.tracker(str(chat))["slots"]["language_preference"] == "sw"


def test_a_sticker_gets_a_kind_text_only_reply_in_the_officer_s_language(
    channel_stack: ChannelStack, fake_apis: FakeApis
) -> None:
    chat = new_chat()
    sticker = {"file_id": "CAACAgIAAxkBAAE", "emoji": "👍", "is_animated": False}
    assert post(channel_stack, message_update(chat, sticker=sticker)).status_code == 200
    # A first message: the language is not known yet, so both.
    first = sent_to(fake_apis, chat)[-1].fields["text"]
    assert render("channel_text_only", "sw") in first and render("channel_text_only", "en") in first
    post(channel_stack, text_update(chat, "shikamoo, naomba msaada"))
    photo = [{"file_id": "AgACAgQAAxkBAAI", "file_unique_id": "x", "width": 800, "height": 600}]
    post(channel_stack, message_update(chat, photo=photo, caption="barua yangu"))
    assert sent_to(fake_apis, chat)[-1].fields["text"] == render("channel_text_only", "sw")
    assert channel_stack.user_messages(str(chat)) == ["shikamoo, naomba msaada"]


def test_an_edited_message_is_answered_as_the_corrected_text(
    channel_stack: ChannelStack, fake_apis: FakeApis, responses: dict
) -> None:
    chat = new_chat()
    post(channel_stack, message_update(chat, "edited_message", text="hey, good evening"))
    assert is_response(sent_to(fake_apis, chat)[-1].fields["text"], responses, "utter_greet", "en")


def test_in_a_group_the_bot_asks_to_be_written_to_privately(
    channel_stack: ChannelStack, fake_apis: FakeApis
) -> None:
    group = -new_chat()
    post(channel_stack, message_update(group, chat_type="supergroup", text="lunch anyone?"))
    assert sent_to(fake_apis, group) == []
    addressed = f"@{BOT} how do I register for the cloud course?"
    assert post(channel_stack, message_update(group, chat_type="group", text=addressed)).ok
    [reply] = sent_to(fake_apis, group)
    assert f"https://t.me/{BOT}" in reply.fields["text"]
    assert channel_stack.user_messages(str(group)) == []


def test_unknown_updates_are_acknowledged_and_ignored(
    channel_stack: ChannelStack, fake_apis: FakeApis
) -> None:
    before = len(fake_apis.calls)
    chat = new_chat()
    for update in (
        {"update_id": next(_update_ids), "my_chat_member": {"chat": {"id": chat}}},
        {"update_id": next(_update_ids), "poll": {"id": "1", "question": "?", "options": []}},
        message_update(chat, new_chat_title="renamed"),
        {"update_id": "not-a-number", "message": None},
    ):
        assert post(channel_stack, update).status_code == 200
    assert len(fake_apis.calls) == before


def test_a_repeated_delivery_is_answered_once(
    channel_stack: ChannelStack, fake_apis: FakeApis
) -> None:
    chat = new_chat()
    update = text_update(chat, "hi, good day to you")
    assert post(channel_stack, update).ok and post(channel_stack, update).ok
    assert len(sent_to(fake_apis, chat)) == 1
    assert len(channel_stack.user_messages(str(chat))) == 1


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("wrong-secret", 403), ("", 401)])
def test_an_update_without_the_secret_token_is_refused_and_never_reaches_the_bot(
    channel_stack: ChannelStack, fake_apis: FakeApis, secret: str | None, status: int
) -> None:
    chat = new_chat()
    answer = post(channel_stack, text_update(chat, "hello from an impostor"), secret=secret)
    assert answer.status_code == status
    assert sent_to(fake_apis, chat) == []
    assert channel_stack.user_messages(str(chat)) == []


def test_a_ten_thousand_character_message_gets_a_polite_too_long(
    channel_stack: ChannelStack, fake_apis: FakeApis
) -> None:
    chat = new_chat()
    answer = post(channel_stack, text_update(chat, "please help me " * 667))
    assert answer.status_code == 200
    assert sent_to(fake_apis, chat)[-1].fields["text"] == render(
        "channel_too_long", "en", limit=4096
    )
    assert channel_stack.user_messages(str(chat)) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [("{not json", 400), ("[1, 2, 3]", 400), (b"\xff\xfe", 400), ("x" * 300_000, 413)],
)
def test_malformed_or_oversized_bodies_get_a_clean_4xx(
    channel_stack: ChannelStack, body: str | bytes, status: int
) -> None:
    assert post(channel_stack, body).status_code == status


def test_the_rest_channel_still_works_alongside(channel_stack: ChannelStack) -> None:
    assert channel_stack.say("rest-next-to-telegram", "good morning to all")

"""WhatsApp (Meta Cloud API) end to end: Meta's verification handshake and signed
webhook notifications posted to the real Rasa server's
/webhooks/whatsapp/webhook, and the Graph API calls Msaidizi then makes, as
recorded by a fake Graph API server."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import uuid

import pytest
import requests

from bot.replies import render
from tests.conftest import CHANNEL_SETTINGS, ChannelStack, is_response
from tests.fake_apis import ApiCall, FakeApis

pytestmark = pytest.mark.integration

APP_SECRET = CHANNEL_SETTINGS["WHATSAPP_APP_SECRET"]
PHONE_ID = CHANNEL_SETTINGS["WHATSAPP_PHONE_NUMBER_ID"]
VERSION = CHANNEL_SETTINGS["WHATSAPP_API_VERSION"]


OFFICERS: list[str] = []


def new_officer() -> str:
    OFFICERS.append(f"2547{random.randint(10**7, 10**8 - 1)}")
    return OFFICERS[-1]


def notification(value: dict) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "254700123456",
                                "phone_number_id": PHONE_ID,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def message(sender: str, kind: str, content: dict) -> dict:
    return notification(
        {
            "contacts": [{"profile": {"name": "Atieno"}, "wa_id": sender}],
            "messages": [
                {
                    "from": sender,
                    "id": f"wamid.{uuid.uuid4().hex}",
                    "timestamp": str(int(time.time())),
                    "type": kind,
                    kind: content,
                }
            ],
        }
    )


def text(sender: str, body: str) -> dict:
    return message(sender, "text", {"body": body})


def signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(
    stack: ChannelStack, payload: dict | bytes, sign: str | None = "valid"
) -> requests.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if sign == "valid":
        headers["X-Hub-Signature-256"] = signature(body)
    elif sign is not None:
        headers["X-Hub-Signature-256"] = sign
    return requests.post(
        f"{stack.url}/webhooks/whatsapp/webhook", data=body, headers=headers, timeout=60
    )


def sent_to(fake: FakeApis, officer: str) -> list[ApiCall]:
    return fake.calls_to("messages", to=officer)


def body_of(call: ApiCall) -> str:
    fields = call.fields
    return (
        fields["text"]["body"]
        if fields["type"] == "text"
        else fields["interactive"]["body"]["text"]
    )


def test_the_verification_handshake_echoes_the_challenge_for_our_token_only(
    channel_stack: ChannelStack,
) -> None:
    url = f"{channel_stack.url}/webhooks/whatsapp/webhook"
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": CHANNEL_SETTINGS["WHATSAPP_VERIFY_TOKEN"],
        "hub.challenge": "1158201444",
    }
    accepted = requests.get(url, params=query, timeout=10)
    assert (accepted.status_code, accepted.text) == (200, "1158201444")
    refused = requests.get(url, params={**query, "hub.verify_token": "guessed"}, timeout=10)
    assert refused.status_code == 403 and "1158201444" not in refused.text
    assert requests.get(url, timeout=10).status_code == 403


def test_a_kiswahili_message_gets_a_kiswahili_reply_to_the_sender(
    channel_stack: ChannelStack, fake_apis: FakeApis, responses: dict
) -> None:
    officer = new_officer()
    assert post(channel_stack, text(officer, "hujambo ndugu yangu")).status_code == 200
    [reply] = sent_to(fake_apis, officer)
    assert reply.path == f"/{VERSION}/{PHONE_ID}/messages"
    assert reply.headers["Authorization"] == f"Bearer {CHANNEL_SETTINGS['WHATSAPP_ACCESS_TOKEN']}"
    assert reply.fields["messaging_product"] == "whatsapp" and reply.fields["type"] == "text"
    assert is_response(body_of(reply), responses, "utter_greet", "sw")
    assert channel_stack.user_messages(officer) == ["hujambo ndugu yangu"]


def test_five_buttons_are_a_list_and_a_chosen_row_is_acted_on(
    channel_stack: ChannelStack, fake_apis: FakeApis, responses: dict
) -> None:
    officer = new_officer()
    post(channel_stack, text(officer, "what are you able to do for me?"))
    [help_reply] = sent_to(fake_apis, officer)
    interactive = help_reply.fields["interactive"]
    assert interactive["type"] == "list"
    assert is_response(interactive["body"]["text"], responses, "utter_help", "en")
    assert interactive["action"]["button"] == render("channel_options", "en")
    rows = interactive["action"]["sections"][0]["rows"]
    assert [r["title"] for r in rows][:2] == ["Courses", "Register"]
    assert all(len(r["title"]) <= 24 for r in rows) and len(rows) <= 10

    chosen = next(r for r in rows if r["title"] == "Kiswahili")
    reply = {"type": "list_reply", "list_reply": {"id": chosen["id"], "title": chosen["title"]}}
    assert post(channel_stack, message(officer, "interactive", reply)).status_code == 200
    switched = sent_to(fake_apis, officer)[-1]
    assert is_response(body_of(switched), responses, "utter_language_switched", "sw")
    assert channel_stack.tracker(officer)["slots"]["language_preference"] == "sw"


def test_a_reply_button_press_is_its_payload(
    channel_stack: ChannelStack, fake_apis: FakeApis, responses: dict
) -> None:
    officer = new_officer()
    press = {"type": "button_reply", "button_reply": {"id": "/ask_help", "title": "Msaada"}}
    post(channel_stack, text(officer, "habari, mimi ni afisa wa kaunti"))
    post(channel_stack, message(officer, "interactive", press))
    help_reply = sent_to(fake_apis, officer)[-1]
    assert is_response(body_of(help_reply), responses, "utter_help", "sw")
    assert help_reply.fields["interactive"]["action"]["button"] == render("channel_options", "sw")


def test_an_image_gets_a_kind_text_only_reply_and_no_bot_turn(
    channel_stack: ChannelStack, fake_apis: FakeApis
) -> None:
    officer = new_officer()
    post(channel_stack, text(officer, "good evening, I need some help"))
    image = {"caption": "my letter", "mime_type": "image/jpeg", "sha256": "x", "id": "8812"}
    assert post(channel_stack, message(officer, "image", image)).status_code == 200
    assert body_of(sent_to(fake_apis, officer)[-1]) == render("channel_text_only", "en")
    sticker = {"mime_type": "image/webp", "sha256": "y", "id": "8813", "animated": False}
    post(channel_stack, message(officer, "sticker", sticker))
    assert body_of(sent_to(fake_apis, officer)[-1]) == render("channel_text_only", "en")
    assert channel_stack.user_messages(officer) == ["good evening, I need some help"]


def test_status_callbacks_and_other_numbers_messages_are_ignored_safely(
    channel_stack: ChannelStack, fake_apis: FakeApis
) -> None:
    officer = new_officer()
    before = len(fake_apis.calls)
    for status in ("sent", "delivered", "read", "failed"):
        update = notification(
            {
                "statuses": [
                    {
                        "id": f"wamid.{uuid.uuid4().hex}",
                        "status": status,
                        "timestamp": str(int(time.time())),
                        "recipient_id": officer,
                        "conversation": {"id": "c1", "origin": {"type": "service"}},
                        "pricing": {"billable": True, "category": "service"},
                    }
                ]
            }
        )
        assert post(channel_stack, update).status_code == 200
    elsewhere = text(officer, "hello there")
    elsewhere["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "555"
    assert post(channel_stack, elsewhere).status_code == 200
    unknown = {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "x"}]}]}
    assert post(channel_stack, unknown).status_code == 200
    assert len(fake_apis.calls) == before
    assert channel_stack.user_messages(officer) == []


@pytest.mark.parametrize(
    "sign",
    [None, "", "sha256=" + "0" * 64, "forged", signature(b"another body"), "other-secret"],
)
def test_a_notification_without_a_valid_signature_is_refused_and_never_reaches_the_bot(
    channel_stack: ChannelStack, fake_apis: FakeApis, sign: str | None
) -> None:
    officer = new_officer()
    payload = text(officer, "hello from an impostor")
    if sign == "other-secret":
        sign = signature(json.dumps(payload).encode(), "not-the-app-secret")
    answer = post(channel_stack, payload, sign=sign)
    assert answer.status_code in (401, 403)
    assert sent_to(fake_apis, officer) == []
    assert channel_stack.user_messages(officer) == []


def test_a_ten_thousand_character_message_gets_a_polite_too_long(
    channel_stack: ChannelStack, fake_apis: FakeApis
) -> None:
    officer = new_officer()
    answer = post(channel_stack, text(officer, "tafadhali nisaidie " * 527))
    assert answer.status_code == 200
    reply = body_of(sent_to(fake_apis, officer)[-1])
    assert reply == render("channel_too_long", "sw", limit=4096)
    assert channel_stack.user_messages(officer) == []


@pytest.mark.parametrize(
    ("body", "status"), [(b"{not json", 400), (b"\xff\xfe\x00", 400), (b"x" * 300_000, 413)]
)
def test_malformed_or_oversized_bodies_get_a_clean_4xx(
    channel_stack: ChannelStack, body: bytes, status: int
) -> None:
    assert post(channel_stack, body).status_code == status


def test_a_json_body_that_is_not_a_notification_is_ignored(channel_stack: ChannelStack) -> None:
    assert post(channel_stack, b"[1, 2, 3]").status_code == 200
    assert post(channel_stack, b'"text"').status_code == 200


def test_no_officer_s_number_reaches_the_logs(channel_stack: ChannelStack) -> None:
    assert OFFICERS, "run with the tests above"
    logged = "".join(channel_stack.output)
    assert not [number for number in OFFICERS if number[3:] in logged]

"""The WhatsApp Cloud API connector: the verification handshake, the signature on
every notification, reading messages and statuses, and writing text, reply
buttons, lists and numbered choices within WhatsApp's limits."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest

from bot.channels.common import OfferedChoices
from bot.channels.whatsapp import (
    GraphApi,
    Incoming,
    WhatsAppApiError,
    WhatsAppOutput,
    handshake_challenge,
    is_signed,
    read_notification,
    reply_messages,
    signature,
)
from bot.replies import render
from tests.fake_apis import FakeApis

PHONE_ID = "109876543210"
OFFICER = "254722000111"


def notification(*messages: dict, statuses: list | None = None, phone_id: str = PHONE_ID) -> dict:
    value: dict = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "254700000000", "phone_number_id": phone_id},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Otieno"}, "wa_id": OFFICER}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA-1", "changes": [{"value": value, "field": "messages"}]}],
    }


def text(body: str, message_id: str = "wamid.A1") -> dict:
    return {"from": OFFICER, "id": message_id, "timestamp": "1796000000", "type": "text",
            "text": {"body": body}}  # fmt: skip


def test_the_signature_is_hmac_sha256_of_the_raw_body_with_the_app_secret() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    expected = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    assert signature(body, "app-secret") == expected
    assert is_signed(body, expected, "app-secret")
    assert not is_signed(body + b" ", expected, "app-secret")  # any change to the body
    assert not is_signed(body, signature(body, "another-secret"), "app-secret")
    assert not is_signed(body, expected.removeprefix("sha256="), "app-secret")
    assert not is_signed(body, None, "app-secret")


def test_the_handshake_echoes_the_challenge_only_for_our_verify_token() -> None:
    ok = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    assert handshake_challenge(ok, "verify-me") == "1158201444"
    assert handshake_challenge({**ok, "hub.verify_token": "guess"}, "verify-me") is None
    assert handshake_challenge({**ok, "hub.mode": "unsubscribe"}, "verify-me") is None
    assert handshake_challenge({"hub.mode": "subscribe"}, "verify-me") is None


def test_text_and_interactive_replies_are_read_as_messages_and_payloads() -> None:
    button = {"from": OFFICER, "id": "wamid.B", "type": "interactive", "interactive": {
        "type": "button_reply", "button_reply": {"id": "/affirm", "title": "Yes"}}}  # fmt: skip
    row = {"from": OFFICER, "id": "wamid.C", "type": "interactive", "interactive": {
        "type": "list_reply",
        "list_reply": {"id": '/inform{"course":"AIP-201"}', "title": "Artificial Intellige…"},
    }}  # fmt: skip
    template = {"from": OFFICER, "id": "wamid.D", "type": "button",
                "button": {"payload": "/greet", "text": "Hi"}}  # fmt: skip
    assert read_notification(notification(text("habari"), button, row, template), PHONE_ID) == [
        Incoming("text", OFFICER, "habari", "wamid.A1"),
        Incoming("button", OFFICER, "/affirm", "wamid.B"),
        Incoming("button", OFFICER, '/inform{"course":"AIP-201"}', "wamid.C"),
        Incoming("button", OFFICER, "/greet", "wamid.D"),
    ]


def test_images_and_stickers_are_not_text() -> None:
    image = {"from": OFFICER, "id": "wamid.E", "type": "image",
             "image": {"id": "media-1", "mime_type": "image/jpeg"}}  # fmt: skip
    sticker = {"from": OFFICER, "id": "wamid.F", "type": "sticker", "sticker": {"id": "m2"}}
    kinds = [m.kind for m in read_notification(notification(image, sticker), PHONE_ID)]
    assert kinds == ["not_text", "not_text"]


def test_statuses_other_numbers_and_unknown_changes_give_nothing() -> None:
    status = {"id": "wamid.X", "status": "delivered", "timestamp": "1", "recipient_id": OFFICER}
    assert read_notification(notification(statuses=[status]), PHONE_ID) == []
    assert read_notification(notification(text("hi"), phone_id="999"), PHONE_ID) == []
    other_field = notification(text("hi"))
    other_field["entry"][0]["changes"][0]["field"] = "account_update"
    assert read_notification(other_field, PHONE_ID) == []
    for junk in ([], "x", {"entry": "x"}, {"entry": [{"changes": [None, 3]}]}):
        assert read_notification(junk, PHONE_ID) == []
    unknown = {"from": OFFICER, "id": "wamid.G", "type": "unsupported", "errors": []}
    assert read_notification(notification(unknown), PHONE_ID) == []


def buttons(count: int, title: str = "Option") -> list[dict]:
    return [{"title": f"{title} {n}", "payload": f"/choice_{n}"} for n in range(1, count + 1)]


def test_up_to_three_buttons_are_reply_buttons_with_short_titles() -> None:
    [message] = reply_messages(OFFICER, "Do you agree?", buttons(3, "A very long button title"))
    interactive = message["interactive"]
    assert message["to"] == OFFICER and interactive["type"] == "button"
    assert interactive["body"] == {"text": "Do you agree?"}
    reply_buttons = interactive["action"]["buttons"]
    assert [b["reply"]["id"] for b in reply_buttons] == ["/choice_1", "/choice_2", "/choice_3"]
    assert all(len(b["reply"]["title"]) <= 20 for b in reply_buttons)


def test_four_to_ten_buttons_are_a_list_labelled_in_the_reply_s_language() -> None:
    titles = buttons(8, "Cloud Computing Fundamentals (HCIA-Cloud Computing aligned)")
    [message] = reply_messages(
        OFFICER, "Tuna kozi nane za ujuzi wa kidijitali kwa watumishi", titles
    )
    listed = message["interactive"]
    assert listed["type"] == "list"
    assert listed["action"]["button"] == render("channel_options", "sw")
    rows = listed["action"]["sections"][0]["rows"]
    assert len(rows) == 8 and all(len(r["title"]) <= 24 for r in rows)
    assert all(len(r["description"]) <= 72 for r in rows)
    assert rows[0]["id"] == "/choice_1"


def test_more_than_ten_buttons_are_numbered_text() -> None:
    [message] = reply_messages(OFFICER, "Which topic?", buttons(12))
    assert message["type"] == "text"
    assert "12. Option 12" in message["text"]["body"]


def test_a_long_text_goes_first_and_the_buttons_follow_with_the_rest() -> None:
    messages = reply_messages(OFFICER, "word " * 1500, buttons(2))
    assert [m["type"] for m in messages] == ["text", "text", "interactive"]
    assert len(messages[-1]["interactive"]["body"]["text"]) > 1000
    assert len(messages[-1]["interactive"]["body"]["text"]) <= 1024
    assert all(len(m["text"]["body"]) <= 4096 for m in messages[:-1])


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeApis]:
    apis = FakeApis().start()
    yield apis
    apis.stop()


async def test_replies_reach_the_graph_api_with_the_access_token(fake: FakeApis) -> None:
    choices = OfferedChoices()
    out = WhatsAppOutput(GraphApi("EAAG-token", PHONE_ID, fake.url, "v21.0"), choices)
    await out.send_response(OFFICER, {"text": "Which topic?", "buttons": buttons(11)})
    await out.send_custom_json(
        OFFICER, {"type": "file", "filename": "d.csv", "mime_type": "text/csv", "content": "a,b"}
    )
    sent = fake.calls_to("messages", to=OFFICER)
    assert sent[0].path == f"/v21.0/{PHONE_ID}/messages"
    assert sent[0].headers["Authorization"] == "Bearer EAAG-token"
    assert "11. Option 11" in sent[0].fields["text"]["body"]
    assert choices.pick(OFFICER, "11") == "/choice_11"
    upload = fake.calls_to("media")[-1]
    assert upload.fields["messaging_product"] == "whatsapp"
    assert upload.files["file"]["content"] == "a,b"
    assert sent[-1].fields["document"]["filename"] == "d.csv"


async def test_a_refusal_from_the_graph_api_is_an_error(fake: FakeApis) -> None:
    with pytest.raises(WhatsAppApiError, match="404"):
        await GraphApi("t", PHONE_ID, fake.url + "/nowhere/x").upload("a", b"", "text/plain")

"""The Twilio connector: Twilio's request signature (made here by the real twilio
library), reading its form fields, and buttons as numbered choices."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from bot.channels.common import OfferedChoices
from bot.channels.twilio import (
    BODY_LIMIT,
    TwilioInput,
    TwilioOutput,
    TwilioRestApi,
    is_signed,
    outgoing_bodies,
    read_form,
    sender_of_whatsapp,
)
from bot.replies import render
from tests.fake_apis import FakeApis

TOKEN = "twilio-auth-token"
URL = "https://msaidizi.example.go.ke/webhooks/twilio/webhook"
FORM = {
    "SmsMessageSid": "SM11", "NumMedia": "0", "ProfileName": "Achieng", "MessageSid": "SM11",
    "AccountSid": "AC" + "0" * 32, "From": "whatsapp:+254722000111",
    "To": "whatsapp:+14155238886", "Body": "Habari, nataka kujua kuhusu kozi",
}  # fmt: skip


def signed(form: dict[str, str], url: str = URL, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


def test_a_request_signed_by_twilio_for_our_url_is_accepted() -> None:
    fields = read_form(urlencode(FORM).encode())
    assert is_signed(RequestValidator(TOKEN), URL, fields, signed(FORM))


@pytest.mark.parametrize(
    "forged",
    [
        signed(FORM, token="someone-else"),
        signed({**FORM, "Body": "something else"}),
        signed(FORM, url="http://localhost:5005/webhooks/twilio/webhook"),
        "",
        None,
    ],
)
def test_a_forged_or_missing_signature_is_refused(forged: str | None) -> None:
    fields = read_form(urlencode(FORM).encode())
    assert not is_signed(RequestValidator(TOKEN), URL, fields, forged)


def test_repeated_form_fields_are_signed_as_twilio_signs_them() -> None:
    body = urlencode([("Body", "hi"), ("MediaUrl", "b"), ("MediaUrl", "a")]).encode()
    fields = read_form(body)
    # Twilio's documented algorithm: the URL, then each name and value, sorted.
    signed_text = f"{URL}BodyhiMediaUrlaMediaUrlb".encode()
    expected = base64.b64encode(hmac.new(TOKEN.encode(), signed_text, hashlib.sha1).digest())
    assert is_signed(RequestValidator(TOKEN), URL, fields, expected.decode())
    assert fields.first("MediaUrl") == "b" and fields.first("Missing") is None


def test_buttons_become_a_numbered_list_in_the_reply_s_language() -> None:
    [body] = outgoing_bodies(
        "Je, ungependa kuendelea na usajili wako sasa?",
        [{"title": "Ndiyo", "payload": "/affirm"}, {"title": "Hapana", "payload": "/deny"}],
    )
    assert "1. Ndiyo\n2. Hapana" in body
    assert body.endswith(render("channel_choose_by_number", "sw"))


def test_long_replies_fit_twilio_s_limit() -> None:
    assert all(len(b) <= BODY_LIMIT for b in outgoing_bodies("maneno " * 1000))


def test_a_whatsapp_reply_comes_from_the_whatsapp_number() -> None:
    assert sender_of_whatsapp("+14155238886", "whatsapp:+254722000111") == "whatsapp:+14155238886"
    assert sender_of_whatsapp("whatsapp:+14155238886", "whatsapp:+2547") == "whatsapp:+14155238886"
    assert sender_of_whatsapp("+14155238886", "+254722000111") == "+14155238886"  # SMS


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeApis]:
    apis = FakeApis().start()
    yield apis
    apis.stop()


async def test_replies_reach_twilio_s_messages_resource(fake: FakeApis) -> None:
    sid = "AC" + "1" * 32
    choices = OfferedChoices()
    out = TwilioOutput(TwilioRestApi(sid, TOKEN, fake.url), "+14155238886", choices)
    await out.send_response(
        "whatsapp:+254722000111",
        {"text": "Shall I continue?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
    )
    await out.send_custom_json("whatsapp:+254722000111", {"type": "file", "content": "secret"})
    [question, no_file] = fake.calls_to("Messages.json", To="whatsapp:+254722000111")
    assert question.path == f"/2010-04-01/Accounts/{sid}/Messages.json"
    assert question.fields["From"] == "whatsapp:+14155238886"
    assert question.headers["Authorization"].startswith("Basic ")
    assert "1. Yes" in question.fields["Body"]
    assert "secret" not in no_file.fields["Body"]
    assert render("channel_file_not_sent", "en") in no_file.fields["Body"]
    assert choices.pick("whatsapp:+254722000111", "1") == "/affirm"


def test_the_channel_keeps_the_public_url_to_validate_against() -> None:
    channel = TwilioInput.from_credentials(
        {"account_sid": "AC1", "auth_token": TOKEN, "twilio_number": "+1", "webhook_url": URL}
    )
    assert channel.webhook_url == URL and channel.name() == "twilio"
    with pytest.raises(ValueError, match="lack auth_token"):
        TwilioInput.from_credentials({"account_sid": "AC1", "twilio_number": "+1"})

"""Twilio (WhatsApp) end to end: form posts signed with the real twilio library
for the configured public URL, sent to the real Rasa server's
/webhooks/twilio/webhook, and the messages Msaidizi then creates with Twilio's
REST API, as recorded by a fake Twilio server."""

from __future__ import annotations

import random
import uuid
from urllib.parse import urlencode

import pytest
import requests
from twilio.request_validator import RequestValidator

from bot.replies import render
from tests.conftest import CHANNEL_SETTINGS, ChannelStack, is_response
from tests.fake_apis import ApiCall, FakeApis

pytestmark = pytest.mark.integration

PUBLIC_URL = CHANNEL_SETTINGS["TWILIO_WEBHOOK_URL"]
ACCOUNT = CHANNEL_SETTINGS["TWILIO_ACCOUNT_SID"]
NUMBER = CHANNEL_SETTINGS["TWILIO_NUMBER"]
VALIDATOR = RequestValidator(CHANNEL_SETTINGS["TWILIO_AUTH_TOKEN"])


def new_officer() -> str:
    return f"whatsapp:+2547{random.randint(10**7, 10**8 - 1)}"


def inbound(sender: str, body: str, **extra: str) -> dict[str, str]:
    sid = f"SM{uuid.uuid4().hex}"
    return {
        "SmsMessageSid": sid, "NumMedia": "0", "ProfileName": "Chebet", "SmsSid": sid,
        "WaId": sender.removeprefix("whatsapp:+"), "SmsStatus": "received", "Body": body,
        "To": NUMBER, "NumSegments": "1", "MessageSid": sid, "AccountSid": ACCOUNT,
        "From": sender, "ApiVersion": "2010-04-01", **extra,
    }  # fmt: skip


def post(
    stack: ChannelStack, form: dict[str, str], signature: str | None = "valid"
) -> requests.Response:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "valid":
        headers["X-Twilio-Signature"] = VALIDATOR.compute_signature(PUBLIC_URL, form)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return requests.post(
        f"{stack.url}/webhooks/twilio/webhook", data=urlencode(form), headers=headers, timeout=60
    )


def sent_to(fake: FakeApis, officer: str) -> list[ApiCall]:
    return fake.calls_to("Messages.json", To=officer)


def test_a_kiswahili_message_gets_a_kiswahili_reply_from_our_number(
    channel_stack: ChannelStack, fake_apis: FakeApis, responses: dict
) -> None:
    officer = new_officer()
    answer = post(channel_stack, inbound(officer, "habari za leo ndugu"))
    assert answer.status_code == 200 and "<Response>" in answer.text
    [reply] = sent_to(fake_apis, officer)
    assert reply.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert reply.fields["From"] == NUMBER
    assert is_response(reply.fields["Body"], responses, "utter_greet", "sw")
    assert channel_stack.user_messages(officer) == ["habari za leo ndugu"]


def test_buttons_are_numbered_and_the_number_answers_them(
    channel_stack: ChannelStack, fake_apis: FakeApis, responses: dict
) -> None:
    officer = new_officer()
    post(channel_stack, inbound(officer, "what are you able to do for me?"))
    [menu] = sent_to(fake_apis, officer)
    assert (
        "1. Courses\n2. Register\n3. My registration\n4. Talk to a person\n5. Kiswahili"
        in (menu.fields["Body"])
    )
    assert menu.fields["Body"].endswith(render("channel_choose_by_number", "en"))
    post(channel_stack, inbound(officer, "5"))
    switched = sent_to(fake_apis, officer)[-1]
    assert is_response(switched.fields["Body"], responses, "utter_language_switched", "sw")
    assert channel_stack.user_messages(officer)[-1] == '/switch_language{"language": "sw"}'


def test_a_photo_gets_a_kind_text_only_reply_and_no_bot_turn(
    channel_stack: ChannelStack, fake_apis: FakeApis
) -> None:
    officer = new_officer()
    media = {
        "NumMedia": "1",
        "MediaContentType0": "image/jpeg",
        "MediaUrl0": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/MM1/Media/ME1",
    }
    assert post(channel_stack, inbound(officer, "", **media)).status_code == 200
    reply = sent_to(fake_apis, officer)[-1].fields["Body"]
    assert render("channel_text_only", "en") in reply and render("channel_text_only", "sw") in reply
    assert channel_stack.user_messages(officer) == []


def test_a_status_callback_is_ignored(channel_stack: ChannelStack, fake_apis: FakeApis) -> None:
    officer = new_officer()
    status = {
        "MessageSid": f"SM{uuid.uuid4().hex}", "MessageStatus": "delivered",
        "AccountSid": ACCOUNT, "From": NUMBER, "To": officer, "ApiVersion": "2010-04-01",
    }  # fmt: skip
    assert post(channel_stack, status).status_code == 200
    assert sent_to(fake_apis, officer) == []
    assert channel_stack.user_messages(NUMBER) == []


def signed_for_another_url(form: dict[str, str]) -> str:
    return VALIDATOR.compute_signature("http://localhost/webhooks/twilio/webhook", form)


@pytest.mark.parametrize(
    "forge",
    [
        lambda form: None,
        lambda form: "",
        lambda form: RequestValidator("not-our-token").compute_signature(PUBLIC_URL, form),
        signed_for_another_url,
        lambda form: VALIDATOR.compute_signature(PUBLIC_URL, {**form, "Body": "something else"}),
    ],
    ids=["missing", "empty", "other-token", "other-url", "other-body"],
)
def test_a_request_not_signed_by_twilio_is_refused_and_never_reaches_the_bot(
    channel_stack: ChannelStack, fake_apis: FakeApis, forge
) -> None:
    officer = new_officer()
    form = inbound(officer, "hello from an impostor")
    answer = post(channel_stack, form, signature=forge(form))
    assert answer.status_code in (401, 403)
    assert sent_to(fake_apis, officer) == []
    assert channel_stack.user_messages(officer) == []


def test_a_ten_thousand_character_message_gets_a_polite_too_long(
    channel_stack: ChannelStack, fake_apis: FakeApis
) -> None:
    officer = new_officer()
    assert post(channel_stack, inbound(officer, "please help me " * 667)).status_code == 200
    assert sent_to(fake_apis, officer)[-1].fields["Body"] == render(
        "channel_too_long", "en", limit=4096
    )
    assert channel_stack.user_messages(officer) == []


def test_an_oversized_or_undecodable_body_gets_a_clean_4xx(channel_stack: ChannelStack) -> None:
    url = f"{channel_stack.url}/webhooks/twilio/webhook"
    headers = {"X-Twilio-Signature": "x", "Content-Type": "application/x-www-form-urlencoded"}
    big = requests.post(url, data=b"Body=" + b"x" * 300_000, headers=headers, timeout=30)
    assert big.status_code == 413
    garbled = requests.post(url, data=b"Body=%ff%fe\xff", headers=headers, timeout=30)
    assert 400 <= garbled.status_code < 500

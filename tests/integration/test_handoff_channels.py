"""A member of staff's replies reach officers on the messaging channels that can
push (Telegram, WhatsApp) at once, through Rasa's HTTP API and the channel's own
output, as recorded by the fake platform APIs; the bot stays quiet in between.
The console is driven over HTTP here (the browser test covers the web widget and
REST)."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

import pytest
import requests

from tests.conftest import ROOT, ChannelStack
from tests.fake_apis import FakeApis
from tests.integration import test_telegram as telegram
from tests.integration import test_whatsapp as whatsapp

pytestmark = pytest.mark.integration

PASSWORD = "correct horse 42 battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Console:
    """An agent signed in to the stack's console (a requests session)."""

    def __init__(self, stack: ChannelStack) -> None:
        self.url = f"{stack.web_url}/console"
        self.username = f"akinyi{uuid.uuid4().hex[:6]}"
        subprocess.run(
            [sys.executable, "-m", "bot.console", "users", "create", "--username", self.username,
             "--display-name", "Akinyi", "--role", "agent", "--password-stdin"],
            cwd=ROOT, env=stack.env, input=PASSWORD + "\n", text=True, check=True,
            capture_output=True, timeout=120,
        )  # fmt: skip
        self.http = requests.Session()
        token = CSRF.search(self.http.get(f"{self.url}/login", timeout=30).text).group(1)
        signed_in = self.http.post(
            f"{self.url}/login",
            data={"username": self.username, "password": PASSWORD, "csrf_token": token},
            timeout=30,
        )
        assert "Signed in as" in signed_in.text

    def request_of(self, channel: str, sender: str) -> int:
        """The id of ``sender``'s request (the inbox shows a sender's last four
        characters; other tests share this stack)."""
        inbox = self.http.get(f"{self.url}/handoffs", timeout=30).text
        ids = [
            int(request_id)
            for request_id, row in re.findall(
                r'<a href="/console/handoffs/(\d+)">HLP-\w+</a>(.*?)</tr>', inbox, re.S
            )
            if f"<td>{channel}</td>" in row and f"…{sender[-4:]}" in row
        ]
        assert len(ids) == 1, inbox
        return ids[0]

    def post(self, request_id: int, action: str, **data: str) -> str:
        page = self.http.get(f"{self.url}/handoffs/{request_id}", timeout=30).text
        token = CSRF.search(page).group(1)
        return self.http.post(
            f"{self.url}/handoffs/{request_id}/{action}",
            data={"csrf_token": token, **data},
            timeout=60,
        ).text


@pytest.fixture(scope="module")
def console(channel_stack: ChannelStack) -> Console:
    return Console(channel_stack)


def test_a_telegram_officer_hears_from_the_agent_at_once(
    channel_stack: ChannelStack, fake_apis: FakeApis, console: Console
) -> None:
    chat = telegram.new_chat()
    telegram.post(channel_stack, telegram.text_update(chat, "naomba kuongea na mtu tafadhali"))
    assert "foleni" in telegram.sent_to(fake_apis, chat)[-1].fields["text"]

    request_id = console.request_of("telegram", str(chat))
    assert "claimed. Sent." in console.post(request_id, "claim")
    replied = console.post(request_id, "reply", text="Habari, nimepokea ombi lako.")
    assert "Reply queued. Sent." in replied
    sent = [call.fields["text"] for call in telegram.sent_to(fake_apis, chat)]
    assert sent[-2].startswith("Akinyi kutoka timu ya msaada amejiunga")
    assert sent[-1] == "Akinyi (timu ya msaada): Habari, nimepokea ombi lako."

    # The officer writes while the agent has the chat: no reply from the bot.
    telegram.post(channel_stack, telegram.text_update(chat, "sawa, nasubiri"))
    assert len(telegram.sent_to(fake_apis, chat)) == len(sent)
    assert channel_stack.user_messages(str(chat))[-1] == "sawa, nasubiri"

    console.post(request_id, "close")
    back = telegram.sent_to(fake_apis, chat)[-1].fields["text"]
    assert back.startswith("Akinyi amekurudisha kwangu, Msaidizi.")
    telegram.post(channel_stack, telegram.text_update(chat, "habari yako"))
    assert len(telegram.sent_to(fake_apis, chat)) == len(sent) + 2  # the bot answers again


def test_a_whatsapp_officer_hears_from_the_agent_at_once(
    channel_stack: ChannelStack, fake_apis: FakeApis, console: Console
) -> None:
    officer = whatsapp.new_officer()
    whatsapp.post(channel_stack, whatsapp.text(officer, "I want to speak to a human agent"))
    request_id = console.request_of("whatsapp", officer)
    console.post(request_id, "claim")
    console.post(request_id, "reply", text="Hello, I can help with that.")
    bodies = [whatsapp.body_of(call) for call in whatsapp.sent_to(fake_apis, officer)]
    assert bodies[-2].startswith("Akinyi from the support team has joined")
    assert bodies[-1] == "Akinyi (support team): Hello, I can help with that."
    console.post(request_id, "close")
    bodies = [whatsapp.body_of(call) for call in whatsapp.sent_to(fake_apis, officer)]
    assert bodies[-1].startswith("Akinyi has handed you back to me, Msaidizi.")

"""A hand-off from end to end, on a real Msaidizi (Rasa, action server, web app;
the session's `stack`) and a real browser: two officers ask for a person, one in
the web widget (socket.io) and one over REST; an agent signs in to the console,
claims both, replies, watches the officer's next message arrive while the bot
stays quiet, and hands both back to the bot. Screenshots in test-artifacts/browser/.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_chat_widget import BOT, USER, ask, screenshot
from tests.conftest import ROOT, Stack

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PASSWORD = "correct horse 42 battery"
JOINED_SW = "Wanjiku kutoka timu ya msaada amejiunga"
JOINED_EN = "Wanjiku from the support team has joined"


@pytest.fixture(scope="module")
def agent(stack: Stack) -> str:
    """An agent account in the stack's own database (the accounts CLI)."""
    username = f"wanjiku{uuid.uuid4().hex[:6]}"
    subprocess.run(
        [sys.executable, "-m", "bot.console", "users", "create", "--username", username,
         "--display-name", "Wanjiku", "--role", "agent", "--password-stdin"],
        cwd=ROOT, env=stack.env, input=PASSWORD + "\n", text=True, check=True,
        capture_output=True, timeout=120,
    )  # fmt: skip
    return username


def texts(replies: list[dict]) -> list[str]:
    return [reply.get("text", "") for reply in replies]


def open_request(page, stack: Stack, channel: str, sender: str) -> None:  # noqa: ANN001
    """Opens the request of ``sender`` (other tests share this stack's inbox)."""
    page.goto(f"{stack.web_url}/console/handoffs")
    row = page.locator("tbody tr").filter(has_text=channel).filter(has_text=f"…{sender[-4:]}")
    expect(row).to_have_count(1)
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Hand-off HLP-"))).to_be_visible()


def test_an_agent_takes_over_replies_in_both_channels_and_hands_back(
    stack: Stack,
    agent: str,
    context,
    artifacts,  # noqa: ANN001
) -> None:
    # Two officers ask for a person: one in the widget (Kiswahili), one over REST.
    officer = context.new_page()
    officer.goto(stack.web_url)
    expect(officer.locator("#msaidizi-chat")).to_have_attribute("data-state", "ready")
    ask(officer, "naomba kuongea na mtu wa msaada tafadhali")
    expect(officer.locator(BOT).filter(has_text="foleni")).to_have_count(1)

    widget_officer = officer.evaluate("localStorage.getItem('msaidizi.session_id')")
    # The agent signs in and waits on the inbox; a new request appears by itself.
    console = context.new_page()
    console.goto(f"{stack.web_url}/console/")
    console.get_by_label("Username").fill(agent)
    console.get_by_label("Password").fill(PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    expect(console.get_by_text("Signed in as")).to_be_visible()
    console.goto(f"{stack.web_url}/console/handoffs")
    rest_officer = f"rest-handoff-{uuid.uuid4().hex[:8]}"
    asked = texts(stack.say(rest_officer, "can I talk to a human please"))
    assert any("queue" in text for text in asked), asked
    expect(
        console.locator("#requests tbody tr").filter(has_text=f"…{rest_officer[-4:]}")
    ).to_have_count(1)
    open_request(console, stack, "socketio", widget_officer)
    expect(console.locator("#conversation")).to_contain_text("naomba kuongea na mtu")
    console.get_by_role("button", name=re.compile(r"^Claim HLP-")).click()
    expect(console.get_by_role("status")).to_contain_text("claimed. Sent.")
    # At once, in the officer's language, in their open chat.
    expect(officer.locator(BOT).filter(has_text=JOINED_SW)).to_have_count(1)

    console.get_by_label(re.compile("Reply to the officer")).fill(
        "Habari! Nitakusaidia na usajili wako."
    )
    console.get_by_role("button", name="Send reply").click()
    expect(console.get_by_role("status")).to_contain_text("Reply queued. Sent.")
    expect(
        officer.locator(BOT).filter(
            has_text="Wanjiku (timu ya msaada): Habari! Nitakusaidia na usajili wako."
        )
    ).to_have_count(1)

    # The officer writes again: the bot stays quiet, and the agent sees the message
    # appear on the open page (it refreshes itself).
    bot_messages = officer.locator(BOT).count()
    ask(officer, "asante, kozi ya cloud inaanza lini?")
    expect(console.locator("#conversation")).to_contain_text("kozi ya cloud inaanza lini")
    officer.wait_for_timeout(2000)
    expect(officer.locator(BOT)).to_have_count(bot_messages)
    screenshot(officer, artifacts / "handoff-widget-with-agent.png")
    console.screenshot(path=str(artifacts / "handoff-console-reply.png"), full_page=True)

    # The officer closes the page; the agent answers meanwhile; when the officer
    # comes back, the page asks for what it missed and shows it, once.
    officer.close()
    console.get_by_label(re.compile("Reply to the officer")).fill("Kozi ya cloud inaanza Juni.")
    console.get_by_role("button", name="Send reply").click()
    expect(console.get_by_role("status")).to_contain_text("Reply queued. Sent.")
    officer = context.new_page()
    officer.goto(stack.web_url)
    expect(officer.locator("#msaidizi-chat")).to_have_attribute("data-state", "ready")
    expect(
        officer.locator(BOT).filter(
            has_text="Wanjiku (timu ya msaada): Kozi ya cloud inaanza Juni."
        )
    ).to_have_count(1)
    officer.wait_for_timeout(1000)
    expect(officer.locator(BOT).filter(has_text="Nitakusaidia na usajili wako")).to_have_count(1)
    expect(officer.locator(BOT).filter(has_text=JOINED_SW)).to_have_count(1)

    # The REST officer: claimed and answered; it arrives with their next message.
    open_request(console, stack, "rest", rest_officer)
    console.get_by_role("button", name=re.compile(r"^Claim HLP-")).click()
    expect(console.get_by_role("status")).to_contain_text("cannot push")
    console.get_by_label(re.compile("Reply to the officer")).fill("Hello, I am looking at it.")
    console.get_by_role("button", name="Send reply").click()
    expect(console.get_by_text("Waiting to reach the officer")).to_be_visible()
    got = texts(stack.say(rest_officer, "hello? anyone there?"))
    assert len(got) == 2 and got[0].startswith(JOINED_EN), got
    assert got[1] == "Wanjiku (support team): Hello, I am looking at it.", got
    assert texts(stack.say(rest_officer, "what courses are there?")) == []  # quiet
    console.reload()
    expect(console.get_by_text("Waiting to reach the officer")).to_have_count(0)
    expect(console.locator("#conversation")).to_contain_text("Wanjiku (staff):")

    # Both handed back: the widget officer is told at once, the REST officer with
    # their next message; from then on the bot answers again.
    console.get_by_role("button", name=re.compile(r"^Close HLP-")).click()
    expect(console.get_by_role("status")).to_contain_text("closed: the bot has the conversation")
    back = texts(stack.say(rest_officer, "ok"))
    assert len(back) == 1 and "handed you back to me, Msaidizi" in back[0], back
    answered = texts(stack.say(rest_officer, "what courses do you offer?"))
    assert answered and not any("support team" in text for text in answered), answered

    open_request(console, stack, "socketio", widget_officer)
    console.get_by_role("button", name=re.compile(r"^Close HLP-")).click()
    expect(officer.locator(BOT).filter(has_text="amekurudisha kwangu, Msaidizi")).to_have_count(1)
    before = officer.locator(BOT).count()
    ask(officer, "ni kozi gani mnazotoa?")
    expect(officer.locator(BOT).filter(has_text="Tuna kozi")).to_have_count(1)
    assert officer.locator(BOT).count() > before
    expect(officer.locator(USER)).to_have_count(3)
    screenshot(officer, artifacts / "handoff-widget-handed-back.png")

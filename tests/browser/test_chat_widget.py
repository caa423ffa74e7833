"""The chat page as an officer uses it, in a real browser against a real Msaidizi
(Rasa + action server + web page)."""

from __future__ import annotations

import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import ROOT, Stack, free_port

pytestmark = [pytest.mark.integration, pytest.mark.browser]

BOT = ".msaidizi-bot"
USER = ".msaidizi-user"


def ask(page, message: str) -> None:
    page.get_by_label("Your message").fill(message)
    page.get_by_label("Your message").press("Enter")


def screenshot(page, path) -> None:
    """The whole conversation, not only what the widget's scroll box shows."""
    page.locator("#msaidizi-chat").evaluate("e => { e.style.maxHeight = 'none' }")
    page.screenshot(path=str(path), full_page=True)
    page.locator("#msaidizi-chat").evaluate("e => { e.style.maxHeight = '' }")


def session_id(page) -> str:
    return page.evaluate("localStorage.getItem('msaidizi.session_id')")


def test_an_officer_asks_in_kiswahili_picks_a_course_and_a_reload_keeps_the_chat(
    stack: Stack, context, artifacts
) -> None:
    page = context.new_page()
    page.goto(stack.web_url)
    expect(page.locator("#msaidizi-chat")).to_have_attribute("data-state", "ready")
    # The welcome is in both languages, whatever the UI language.
    expect(page.locator(BOT).first).to_contain_text("Habari! Mimi ni Msaidizi")
    expect(page.locator(BOT).first).to_contain_text("Hello! I'm Msaidizi")

    ask(page, "ni kozi gani mnazotoa kwa watumishi wa umma?")
    expect(page.locator(USER)).to_have_count(1)
    expect(page.locator(BOT).filter(has_text="Tuna kozi")).to_have_count(1)  # the sw list
    # Headings marked *like this* are shown bold, without the asterisks.
    expect(page.locator(".msaidizi-bot strong").first).to_be_visible()
    assert "*" not in page.locator(".msaidizi-bot strong").first.inner_text()
    choices = page.locator(".msaidizi-choice")
    expect(choices.first).to_be_visible()
    assert choices.count() >= 5
    chosen = choices.filter(has_text="CLD-201")
    expect(chosen).to_have_count(1)

    replies_before = page.locator(BOT).count()
    chosen.click()
    # The button's title is shown as the officer's message, its payload sent.
    expect(page.locator(USER).last).to_contain_text("CLD-201")
    expect(page.locator(BOT).nth(replies_before)).to_contain_text("CLD-201")
    page.wait_for_timeout(1000)  # any further message of the same turn
    screenshot(page, artifacts / "kiswahili-conversation.png")

    sid = session_id(page)
    tracker = stack.tracker(sid)
    user_events = [e for e in tracker["events"] if e["event"] == "user"]
    assert [e["input_channel"] for e in user_events] == ["socketio", "socketio"]
    assert user_events[-1]["parse_data"]["intent"]["name"] == "course_details"
    assert tracker["slots"]["language"] == "sw"
    assert tracker["slots"]["course"] == "CLD-201"

    shown = page.locator(".msaidizi-message").all_inner_texts()
    page.reload()
    expect(page.locator("#msaidizi-chat")).to_have_attribute("data-state", "ready")
    assert page.locator(".msaidizi-message").all_inner_texts() == shown
    assert session_id(page) == sid
    # ...and the conversation goes on where it was: "how long is it?" is about CLD-201.
    replies_before = page.locator(BOT).count()
    ask(page, "inachukua muda gani?")
    expect(page.locator(BOT).nth(replies_before)).to_contain_text("Muda")
    assert len([e for e in stack.tracker(sid)["events"] if e["event"] == "user"]) == 3
    screenshot(page, artifacts / "after-reload.png")

    # On a shared computer: "New conversation" forgets this one.
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".msaidizi-message")).to_have_count(1)  # the welcome
    expect(page.locator("#msaidizi-chat")).to_have_attribute("data-state", "ready")
    assert session_id(page) not in (None, sid)
    page.reload()
    expect(page.locator(".msaidizi-message")).to_have_count(1)


def test_nothing_is_fetched_from_outside_localhost(stack: Stack, context) -> None:
    requested: list[str] = []
    console_errors: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("websocket", lambda socket: requested.append(socket.url))  # not a "request"
    page.goto(stack.web_url)
    expect(page.locator("#msaidizi-chat")).to_have_attribute("data-state", "ready")
    page.wait_for_timeout(1000)

    hosts = {urlsplit(url).hostname for url in requested if not url.startswith(("data:", "blob:"))}
    assert hosts == {"localhost"}, requested
    assert any(urlsplit(u).port == stack.rasa_port for u in requested)  # socket.io
    assert any(urlsplit(u).port == stack.web_port for u in requested)  # the page
    assert not console_errors  # no CSP violation, no failed load


@pytest.fixture
def page_without_rasa(tmp_path) -> str:
    """The web page alone, its widget pointed at a port where nothing listens."""
    port = free_port()
    env = {
        **Stack(tmp_path).env,
        "WEB_PORT": str(port),
        "RASA_PUBLIC_URL": f"http://localhost:{free_port()}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.web"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the web app did not start")
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_the_page_says_so_when_msaidizi_cannot_be_reached(
    page_without_rasa: str, context, artifacts
) -> None:
    page = context.new_page()
    page.goto(page_without_rasa)
    widget = page.locator("#msaidizi-chat")
    expect(widget).to_have_attribute("data-state", "unreachable")
    expect(page.get_by_role("status")).to_contain_text("Msaidizi cannot be reached right now")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    # What the officer typed stays in the box, and the UI speaks Kiswahili on request.
    page.get_by_label("Your message").fill("habari")
    page.get_by_role("button", name="Kiswahili").click()
    expect(page.get_by_role("status")).to_contain_text("Msaidizi hapatikani kwa sasa")
    expect(page.get_by_label("Ujumbe wako")).to_have_value("habari")
    screenshot(page, artifacts / "unreachable.png")

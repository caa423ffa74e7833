"""The support console in a real browser (Playwright + /usr/bin/chromium) against
the real web service (`python -m bot.web`) on its own enrolment database and
tracker store: an agent signs in, filters the conversations, opens a transcript
with personal data masked; a supervisor reveals it. Screenshots are kept in
test-artifacts/browser/."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import ROOT, free_port

PASSWORD = "correct horse 42 battery"
# Written by a subprocess: no event loop may run in this thread next to Playwright's.
WRITE_CONVERSATIONS = """
import asyncio, sys
from bot.tracker_store import URLTrackerStore
from tests.unit.test_console_conversations import DOMAIN, write_all
store = URLTrackerStore(domain=DOMAIN, host=sys.argv[1])
asyncio.run(write_all(store))
store.engine.dispose()
"""


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("console")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'enrolment.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{folder / 'tracker.db'}",
        "WEB_PORT": str(port),
        "WEB_HOST": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
    }
    run(env, "-m", "bot.db", "setup")
    for username, role in (("wanjiku", "agent"), ("otieno", "supervisor")):
        run(
            env,
            "-m",
            "bot.console",
            "users",
            "create",
            "--username",
            username,
            "--role",
            role,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
    run(env, "-c", WRITE_CONVERSATIONS, env["TRACKER_STORE_URL"])
    log = (folder / "web.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.web"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the web service did not start: see {folder / 'web.log'}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def sign_in(page, url: str, username: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/console/")
    expect(page).to_have_url(f"{url}/console/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()


def test_an_agent_filters_and_reads_a_masked_transcript(
    console: str,
    context,
    artifacts: Path,  # noqa: ANN001
) -> None:
    from tests.unit.test_console_conversations import EMAIL, NAME, NUMBER

    page = context.new_page()
    sign_in(page, console, "wanjiku")
    page.get_by_role("link", name="Conversations").first.click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(4)
    page.get_by_label("Channel").fill("rest")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("registered")
    page.screenshot(path=str(artifacts / "console-conversations.png"), full_page=True)

    rows.first.get_by_role("link").click()
    transcript = page.locator(".transcript")
    expect(transcript).to_contain_text("register (0.93)")
    expect(transcript).to_contain_text("action_submit_registration")
    body = page.content()
    assert NAME not in body and EMAIL not in body and NUMBER not in body
    expect(page.get_by_role("button", name="Reveal personal data (audited)")).to_have_count(0)
    page.screenshot(path=str(artifacts / "console-transcript-masked.png"), full_page=True)


def test_a_supervisor_reveals_and_the_audit_log_says_so(
    console: str,
    context,
    artifacts: Path,  # noqa: ANN001
) -> None:
    from tests.unit.test_console_conversations import NAME

    page = context.new_page()
    sign_in(page, console, "otieno")
    page.goto(f"{console}/console/conversations?channel=rest")
    page.locator("tbody tr").first.get_by_role("link").click()
    page.get_by_role("button", name="Reveal personal data (audited)").click()
    expect(page.locator(".transcript")).to_contain_text(NAME)
    page.screenshot(path=str(artifacts / "console-transcript-revealed.png"), full_page=True)
    page.get_by_role("link", name="Audit log").first.click()
    expect(page.locator("tbody")).to_contain_text("reveal")
    expect(page.locator("tbody")).to_contain_text("view_transcript")


def test_an_agent_labels_an_nlu_inbox_message_and_exports_it(
    console: str,
    context,
    artifacts: Path,  # noqa: ANN001
) -> None:
    page = context.new_page()
    sign_in(page, console, "wanjiku")
    page.get_by_role("link", name="NLU inbox").first.click()
    row = page.locator("tbody tr", has_text="nataka kuongea na mtu")
    expect(row).to_have_count(1)
    row.get_by_role("combobox").select_option("human_handoff")
    page.screenshot(path=str(artifacts / "console-nlu-inbox.png"), full_page=True)
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.locator("tbody tr", has_text="nataka kuongea na mtu")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="export the labelled messages").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "- intent: human_handoff" in exported and "nataka kuongea na mtu" in exported

"""A headless system Chromium (``make chromium``) driven by Playwright. Playwright
never downloads a browser here: it is pointed at /usr/bin/chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"


# Per module, not per session: while Playwright's sync API is open it keeps an
# event loop running in this thread, and every async test after it would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.fail(f"no {CHROMIUM}: run `make chromium` (make test does)")
    from playwright.sync_api import expect, sync_playwright

    # A first reply waits for the model to warm up; 2 cores, TensorFlow.
    expect.set_options(timeout=60_000)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser) -> Iterator:
    """A fresh profile (empty localStorage) per test, in English UI by default."""
    context = browser.new_context(locale="en-GB", viewport={"width": 900, "height": 900})
    context.set_default_timeout(60_000)
    yield context
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

"""Shared fixtures: the project's real domain, and a real running Msaidizi stack
(Rasa server + action server + web page, started by ``python -m bot.serve``) on
free ports with its own throw-away databases."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import yaml

from tests.fake_apis import FakeApis

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "msaidizi.tar.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def responses() -> dict:
    """Every response in domain/, by name."""
    found: dict = {}
    for path in sorted((ROOT / "domain").rglob("*.yml")):
        found.update(yaml.safe_load(path.read_text()).get("responses") or {})
    return found


def is_kiswahili_variation(variation: dict) -> bool:
    """A response variation chosen when the `language` slot is sw."""
    return variation.get("condition") == [{"type": "slot", "name": "language", "value": "sw"}]


def texts_of(responses: dict, name: str, language: str) -> list[str]:
    """The texts a response can produce in one language (before {placeholders})."""
    return [v["text"] for v in responses[name] if is_kiswahili_variation(v) == (language == "sw")]


def is_response(text: str, responses: dict, name: str, language: str) -> bool:
    """Whether ``text`` is response ``name`` in ``language`` ({placeholders} filled)."""
    for template in texts_of(responses, name, language):
        parts = re.split(r"\{[a-z_]+\}", template)
        if re.fullmatch("(.+?)".join(re.escape(p.strip()) for p in parts), text.strip(), re.S):
            return True
    return False


@dataclass
class Stack:
    """A running Msaidizi: Rasa, the action server and the web page, started as
    `make run` does."""

    workdir: Path
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    output: list[str] = field(default_factory=list)
    ready_seconds: float | None = None

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            RASA_PORT=str(self.rasa_port),
            ACTION_SERVER_PORT=str(self.action_port),
            WEB_PORT=str(self.web_port),
            RASA_PUBLIC_URL=self.url,
            ACTION_ENDPOINT_URL=f"http://localhost:{self.action_port}/webhook",
            DATABASE_URL=f"sqlite:///{self.workdir / 'msaidizi.db'}",
            TRACKER_STORE_URL=f"sqlite:///{self.workdir / 'tracker.db'}",
            MODEL_PATH=str(MODEL),
            # The sample catalogue's deadlines are fixed dates: test on a fixed day.
            CATALOGUE_TODAY="2026-11-28",
        )
        return env

    @property
    def url(self) -> str:
        return f"http://localhost:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://localhost:{self.web_port}"

    def setup_database(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "bot.db", "setup"], cwd=ROOT, env=self.env, check=True,
            capture_output=True,
        )  # fmt: skip

    def start(self, timeout: float = 300) -> Stack:
        if not MODEL.exists():
            pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does)")
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.serve"], cwd=ROOT, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        ready = threading.Event()

        def pump() -> None:
            for line in self.process.stdout:
                self.output.append(line)
                if "[msaidizi] ready" in line:
                    ready.set()

        threading.Thread(target=pump, daemon=True).start()
        while not ready.wait(0.5):
            if self.process.poll() is not None or time.monotonic() - started > timeout:
                self.stop()
                pytest.fail("Msaidizi did not start:\n" + "".join(self.output[-60:]))
        self.ready_seconds = time.monotonic() - started
        return self

    def stop(self) -> int:
        """Ctrl-C, as an operator would; returns the launcher's exit code."""
        if not self.process or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def say(self, sender: str, message: str) -> list[dict]:
        reply = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=60,
        )
        reply.raise_for_status()
        return reply.json()

    def tracker(self, sender: str) -> dict:
        reply = requests.get(f"{self.url}/conversations/{sender}/tracker", timeout=30)
        reply.raise_for_status()
        return reply.json()


#: Settings for every messaging channel (bot/channels/), with the platforms' APIs
#: replaced by a local fake (tests/fake_apis.py) that records what is sent.
CHANNEL_SETTINGS = {
    "TELEGRAM_TOKEN": "123456789:TEST-token_for-msaidizi",
    "TELEGRAM_SECRET_TOKEN": "telegram-secret_0123456789",
    "TELEGRAM_BOT_NAME": "msaidizi_test_bot",
    "WHATSAPP_ACCESS_TOKEN": "EAAG-test-access-token",
    "WHATSAPP_APP_SECRET": "whatsapp-app-secret-for-tests",
    "WHATSAPP_VERIFY_TOKEN": "whatsapp-verify-token",
    "WHATSAPP_PHONE_NUMBER_ID": "109876543210",
    "WHATSAPP_API_VERSION": "v21.0",
    "TWILIO_ACCOUNT_SID": "AC" + "5" * 32,
    "TWILIO_AUTH_TOKEN": "twilio-auth-token-for-tests",
    "TWILIO_NUMBER": "whatsapp:+14155238886",
    "TWILIO_WEBHOOK_URL": "https://msaidizi.example.go.ke/webhooks/twilio/webhook",
}


@dataclass
class ChannelStack(Stack):
    """A running Msaidizi with Telegram, WhatsApp and Twilio enabled, talking to
    the fake APIs at ``fake_api_url``."""

    fake_api_url: str = ""

    @property
    def env(self) -> dict[str, str]:
        return {
            **super().env,
            **CHANNEL_SETTINGS,
            "TELEGRAM_API_BASE_URL": self.fake_api_url,
            "WHATSAPP_API_BASE_URL": self.fake_api_url,
            "TWILIO_API_BASE_URL": self.fake_api_url,
        }

    def user_messages(self, sender: str) -> list[str]:
        """What the bot received from a sender (empty: no bot turn ever ran)."""
        events = self.tracker(sender).get("events") or []
        return [e.get("text") for e in events if e.get("event") == "user"]


@pytest.fixture(scope="session")
def fake_apis() -> Iterator[FakeApis]:
    apis = FakeApis().start()
    yield apis
    apis.stop()


@pytest.fixture(scope="session")
def channel_stack(
    tmp_path_factory: pytest.TempPathFactory, fake_apis: FakeApis
) -> Iterator[ChannelStack]:
    """One Msaidizi with every messaging channel on, shared by the channel tests."""
    running = ChannelStack(tmp_path_factory.mktemp("channel-stack"), fake_api_url=fake_apis.url)
    running.setup_database()
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One Msaidizi shared by the integration tests that only talk to it."""
    running = Stack(tmp_path_factory.mktemp("stack"))
    running.setup_database()
    running.start()
    yield running
    running.stop()

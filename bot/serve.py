"""Starts Msaidizi in the foreground: the action server, the Rasa server and the
web page with the chat widget.

``make run`` calls this after setting up the database and the model. Ctrl-C (or
SIGTERM) stops every process it started and waits for them; if one of them dies,
the others are stopped too and the exit code says so, so nothing is left running
half-broken.

    python -m bot.serve            # ports from RASA_PORT / ACTION_SERVER_PORT / WEB_PORT
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bot.channels.credentials import (
    ChannelConfigError,
    effective_credentials,
    enabled_channels,
    load_base,
    write_credentials,
)
from bot.config import PROJECT_ROOT, Settings
from bot.endpoints import (
    EndpointConfigError,
    describe,
    effective_endpoints,
    write_endpoints,
)
from bot.endpoints import load_base as load_base_endpoints

STOP_GRACE_SECONDS = 15
READY_TIMEOUT_SECONDS = 300


@dataclass
class Service:
    name: str
    command: list[str]
    health_url: str
    process: subprocess.Popen | None = None


def service_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every process gets: the caller's, plus local defaults for
    what ``endpoints.yml`` reads (it has no defaults of its own)."""
    env = dict(os.environ if env is None else env)
    settings = Settings.from_env(env)
    action_port = env.setdefault("ACTION_SERVER_PORT", "5055")
    env.setdefault("RASA_PORT", "5005")
    env.setdefault("WEB_PORT", "8000")
    env.setdefault("ACTION_ENDPOINT_URL", f"http://localhost:{action_port}/webhook")
    env.setdefault("DATABASE_URL", settings.database_url)
    env.setdefault("TRACKER_STORE_URL", settings.tracker_store_url)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    # TensorFlow's start-up chatter about missing GPUs says nothing to an operator.
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def _masked() -> list[str]:
    # Every server starts under bot.log_masking: no officer's email, phone or
    # personal number reaches its log (DPA 2019 s.25, issue 4).
    return [sys.executable, "-m", "bot.log_masking"]


def action_server(env: dict[str, str], port: str, name: str = "actions") -> Service:
    """The Rasa SDK action server on ``port`` (through :mod:`bot.action_server`)."""
    # Rasa reads LOG_LEVEL itself; the action server needs a flag.
    debug = env.get("LOG_LEVEL", "").upper() == "DEBUG"
    return Service(
        name,
        [*_masked(), "bot.action_server", "--actions", "actions", "--port", port,
         *(["--debug"] if debug else [])],
        f"http://localhost:{port}/health",
    )  # fmt: skip


def rasa_server(
    env: dict[str, str],
    port: str,
    credentials: Path | None = None,
    endpoints: Path | None = None,
    *,
    name: str = "rasa",
    interface: str | None = None,
) -> Service:
    """A Rasa server on ``port`` (all interfaces unless ``interface``), reading
    ``credentials`` (default credentials.yml: REST and socket.io only) and
    ``endpoints`` (default endpoints.yml)."""
    model = env.get("MODEL_PATH", str(PROJECT_ROOT / "models"))
    return Service(
        name,
        [
            # bot.rasa_server: `rasa` itself, plus telling the officer when a
            # custom action cannot run (the action server is down).
            *_masked(), "bot.rasa_server", "run",
            "--model", model,
            "--port", port,
            *(["--interface", interface] if interface else []),
            "--enable-api",
            *(["--auth-token", env["RASA_AUTH_TOKEN"]] if env.get("RASA_AUTH_TOKEN") else []),
            "--cors", env.get("RASA_CORS", "*"),
            "--endpoints", str(endpoints or PROJECT_ROOT / "endpoints.yml"),
            "--credentials", str(credentials or PROJECT_ROOT / "credentials.yml"),
        ],
        f"http://localhost:{port}/health",
    )  # fmt: skip


def web_app(env: dict[str, str]) -> Service:
    """The chat page (and console); its widget finds Rasa at RASA_PUBLIC_URL
    (default http://localhost:RASA_PORT)."""
    return Service("web", [*_masked(), "bot.web"], f"http://localhost:{env['WEB_PORT']}/health")


def services(
    env: dict[str, str], credentials: Path | None = None, endpoints: Path | None = None
) -> list[Service]:
    """The action server, Rasa and the web page, on the ports in ``env``."""
    return [
        action_server(env, env["ACTION_SERVER_PORT"]),
        rasa_server(env, env["RASA_PORT"], credentials, endpoints),
        web_app(env),
    ]


def start(service: Service, env: dict[str, str], verb: str = "started") -> None:
    """Starts ``service`` in its own session: a terminal Ctrl-C reaches only the
    launcher, which stops the children in order and waits for them, instead of
    each racing its own shutdown."""
    service.process = subprocess.Popen(
        service.command, cwd=PROJECT_ROOT, env=env, start_new_session=True
    )
    print(f"[msaidizi] {verb} {service.name} (pid {service.process.pid})", flush=True)


def is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def stop(running: list[Service]) -> None:
    """Ctrl-C to every running service, then waits (killing what does not stop)."""
    for service in running:
        if service.process and service.process.poll() is None:
            service.process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for service in running:
        if not service.process:
            continue
        try:
            service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"[msaidizi] {service.name} did not stop in time; killing it", flush=True)
            service.process.kill()
            service.process.wait()


def main() -> int:
    env = service_environment()
    # Channels with secrets (Telegram, WhatsApp, Twilio) come from the environment:
    # a half-configured one stops the start here, saying which variables are missing.
    # So do the lock store and event broker (LOCK_STORE_URL, EVENT_BROKER_URL).
    try:
        credentials = effective_credentials(load_base(), env)
        channels = enabled_channels(env)
        endpoints = effective_endpoints(load_base_endpoints(), env)
    except (ChannelConfigError, EndpointConfigError) as error:
        print(f"[msaidizi] cannot start: {error}", file=sys.stderr, flush=True)
        return 2
    private_dir = Path(tempfile.mkdtemp(prefix="msaidizi-"))
    try:
        return _run(
            env,
            write_credentials(credentials, private_dir),
            channels,
            write_endpoints(endpoints, private_dir),
            describe(endpoints) if {"lock_store", "event_broker"} & endpoints.keys() else None,
        )
    finally:
        shutil.rmtree(private_dir, ignore_errors=True)


def _run(
    env: dict[str, str],
    credentials: Path,
    channels: list[str],
    endpoints: Path | None = None,
    stores: str | None = None,
) -> int:
    running = services(env, credentials, endpoints)
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    started = time.monotonic()
    for service in running:
        start(service, env)

    ready = False
    exit_code = 0
    while not stopping:
        dead = [s for s in running if s.process and s.process.poll() is not None]
        if dead:
            for service in dead:
                print(
                    f"[msaidizi] {service.name} exited with code {service.process.returncode};"
                    " stopping the rest",
                    flush=True,
                )
            exit_code = 1
            break
        if not ready:
            if all(is_up(s.health_url) for s in running):
                ready = True
                print(
                    f"[msaidizi] ready in {time.monotonic() - started:.0f}s: "
                    f"Rasa http://localhost:{env['RASA_PORT']} "
                    f"(REST /webhooks/rest/webhook, socket.io, HTTP API; "
                    f"messaging channels: {', '.join(channels) or 'none configured'}), "
                    f"actions http://localhost:{env['ACTION_SERVER_PORT']}, "
                    f"chat page http://localhost:{env['WEB_PORT']}/. "
                    + (f"{stores[:1].upper()}{stores[1:]}. " if stores else "")
                    + "Ctrl-C stops all.",
                    flush=True,
                )
            elif time.monotonic() - started > READY_TIMEOUT_SECONDS:
                print("[msaidizi] services did not become ready in time", flush=True)
                exit_code = 1
                break
        time.sleep(0.5)

    print("[msaidizi] stopping…", flush=True)
    stop(running)
    print("[msaidizi] stopped", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

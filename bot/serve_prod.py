"""Starts Msaidizi's production profile in the foreground (``make run-prod``).

What ``make run`` starts once, this starts several times behind one address:

- ``RASA_REPLICAS`` Rasa servers (default 2) sharing the SQL tracker store on
  PostgreSQL and a Redis lock store (:mod:`bot.lock_store`), so any replica can
  take any message of any conversation and two messages of one conversation are
  handled one after the other;
- ``ACTION_SERVERS`` action servers (default 2) on the enrolment database on
  PostgreSQL;
- the web app (chat page, support console);
- nginx, run as the current user with a configuration generated under
  ``PROD_DIR`` (default ``var/prod/``): on ``PUBLIC_PORT`` (default 8080) it
  serves the chat page and console, the Rasa webhooks and socket.io (sticky by
  client address, which socket.io's long-polling needs), and — only to
  ``INTERNAL_ALLOW`` addresses, default this machine — Rasa's HTTP API and the
  action endpoint the replicas call (``/actions/``), spread over the action
  servers. Every other process listens on 127.0.0.1 only;
- optionally Rasa publishes every event to RabbitMQ (``EVENT_BROKER_URL``), and
  :mod:`bot.events_consumer` reads them to keep the console's conversation index
  current.

Before starting anything it creates the PostgreSQL databases if missing, migrates
and seeds the enrolment database, creates the tracker store's tables, and checks
that Redis (and RabbitMQ, when configured) answer — each failure stops the start
with a message saying what to do. Ctrl-C (or SIGTERM) stops everything and waits.
A process that dies after start-up is started again (after 1 s, then 2, 4… up to
30 s; the others carry on meanwhile); one that dies five times in five minutes, or
before the start-up finished, stops everything with exit status 1.

Every variable, sizing, TLS and backups: docs/deploying.md.

    python -m bot.serve_prod
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from bot.channels.credentials import (
    ChannelConfigError,
    effective_credentials,
    enabled_channels,
    load_base,
    write_credentials,
)
from bot.config import PROJECT_ROOT
from bot.db.engine import mask_url, sync_url
from bot.endpoints import (
    EndpointConfigError,
    describe,
    effective_endpoints,
    mask_password,
    write_endpoints,
)
from bot.endpoints import load_base as load_base_endpoints
from bot.serve import (
    READY_TIMEOUT_SECONDS,
    Service,
    action_server,
    is_up,
    rasa_server,
    service_environment,
    start,
    stop,
    web_app,
)

LOOPBACK = "127.0.0.1"
RESTART_DELAYS = (1, 2, 4, 8, 16, 30)
#: A process that dies this often within RESTART_WINDOW_SECONDS is not restarted again.
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 300
#: A process that ran this long before dying is restarted after the shortest delay.
STABLE_AFTER_SECONDS = 60


class ProdConfigError(ValueError):
    """A setting the production profile cannot run with."""


class NotReachable(RuntimeError):
    """A server the profile needs does not answer; the message says what to do."""


def _default_postgres(database: str) -> str:
    # This machine's server as its superuser (Debian's trust-auth default); a real
    # deployment sets DATABASE_URL / TRACKER_STORE_URL with its own role.
    return f"postgresql://postgres@127.0.0.1:5432/{database}"


@dataclass(frozen=True)
class ProdSettings:
    """The production profile's shape, from the environment (docs/deploying.md)."""

    replicas: int = 2
    action_servers: int = 2
    public_host: str = "0.0.0.0"
    public_port: int = 8080
    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8000
    internal_allow: tuple[str, ...] = ("127.0.0.1", "::1")
    prod_dir: Path = PROJECT_ROOT / "var" / "prod"
    nginx: str = "nginx"
    tls_certificate: str | None = None
    tls_certificate_key: str | None = None
    # With TLS, nginx also listens here, plain HTTP on 127.0.0.1 only, for the
    # calls between the servers (the certificate names the public host, not
    # 127.0.0.1).
    internal_port: int | None = None
    events_consumer: bool = True

    @property
    def rasa_ports(self) -> list[int]:
        return [self.rasa_port + i for i in range(self.replicas)]

    @property
    def action_ports(self) -> list[int]:
        return [self.action_port + i for i in range(self.action_servers)]

    @property
    def scheme(self) -> str:
        return "https" if self.tls_certificate else "http"

    @property
    def local_url(self) -> str:
        """nginx as reached from this machine (the replicas, the console, tests)."""
        return f"http://{LOOPBACK}:{self.internal_port or self.public_port}"

    @classmethod
    def from_env(cls, env: dict[str, str]) -> ProdSettings:
        defaults = cls()

        def number(name: str, default: int, lowest: int = 1) -> int:
            raw = env.get(name) or str(default)
            try:
                value = int(raw)
            except ValueError:
                raise ProdConfigError(f"{name} must be a whole number, not {raw!r}") from None
            if value < lowest:
                raise ProdConfigError(f"{name} must be at least {lowest}")
            return value

        certificate = env.get("TLS_CERTIFICATE") or None
        key = env.get("TLS_CERTIFICATE_KEY") or None
        if bool(certificate) != bool(key):
            raise ProdConfigError("set both TLS_CERTIFICATE and TLS_CERTIFICATE_KEY, or neither")
        allow = env.get("INTERNAL_ALLOW")
        public_port = number("PUBLIC_PORT", defaults.public_port)
        return cls(
            replicas=number("RASA_REPLICAS", defaults.replicas),
            action_servers=number("ACTION_SERVERS", defaults.action_servers),
            public_host=env.get("PUBLIC_HOST") or defaults.public_host,
            public_port=public_port,
            rasa_port=number("RASA_PORT", defaults.rasa_port),
            action_port=number("ACTION_SERVER_PORT", defaults.action_port),
            web_port=number("WEB_PORT", defaults.web_port),
            internal_allow=tuple(allow.replace(",", " ").split())
            if allow
            else defaults.internal_allow,
            prod_dir=Path(env.get("PROD_DIR") or defaults.prod_dir).resolve(),
            nginx=env.get("NGINX") or defaults.nginx,
            tls_certificate=certificate,
            tls_certificate_key=key,
            internal_port=number("INTERNAL_PORT", public_port + 1) if certificate else None,
            events_consumer=(env.get("EVENTS_CONSUMER") or "true").lower()
            not in ("0", "false", "no", "off"),
        )


def prod_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every process gets: the caller's, the production defaults
    (PostgreSQL, Redis, everything behind nginx), then :func:`bot.serve.service_environment`'s."""
    env = dict(os.environ if env is None else env)
    settings = ProdSettings.from_env(env)
    env.setdefault("DATABASE_URL", _default_postgres("msaidizi"))
    env.setdefault("TRACKER_STORE_URL", _default_postgres("msaidizi_tracker"))
    env.setdefault("LOCK_STORE_URL", "redis://127.0.0.1:6379/0")
    env["RASA_PORT"] = str(settings.rasa_port)
    env["ACTION_SERVER_PORT"] = str(settings.action_port)
    env["WEB_PORT"] = str(settings.web_port)
    # Rasa calls its actions through nginx, which spreads them over the action
    # servers and skips one that is down.
    env.setdefault("ACTION_ENDPOINT_URL", f"{settings.local_url}/actions/webhook")
    # Browsers reach Rasa's socket.io through nginx; so does the console its API.
    env.setdefault("RASA_PUBLIC_URL", f"{settings.scheme}://localhost:{settings.public_port}")
    env.setdefault("RASA_URL", settings.local_url)
    # Only nginx listens beyond this machine.
    env["WEB_HOST"] = LOOPBACK
    env["SANIC_HOST"] = LOOPBACK  # the action servers' interface (rasa_sdk reads it)
    return service_environment(env)


def check_settings(env: dict[str, str], settings: ProdSettings) -> None:
    for name in ("DATABASE_URL", "TRACKER_STORE_URL"):
        if sync_url(env[name]).get_backend_name() != "postgresql":
            raise ProdConfigError(f"{name} must be a postgresql:// URL in the production profile")
    if settings.replicas > 1 and not env.get("LOCK_STORE_URL"):
        raise ProdConfigError(
            "several Rasa replicas need a shared lock store: set LOCK_STORE_URL=redis://…"
        )
    ports = [
        settings.public_port, *settings.rasa_ports, *settings.action_ports, settings.web_port,
        *([settings.internal_port] if settings.internal_port else []),
    ]  # fmt: skip
    if len(set(ports)) != len(ports):
        raise ProdConfigError(
            f"ports overlap: PUBLIC_PORT {settings.public_port}, Rasa {settings.rasa_ports},"
            f" action servers {settings.action_ports}, WEB_PORT {settings.web_port}"
            + (f", INTERNAL_PORT {settings.internal_port}" if settings.internal_port else "")
        )


# --- What must be there before anything starts ------------------------------------


def ensure_database(url: str) -> bool:
    """Creates the PostgreSQL database ``url`` names unless it exists; returns
    whether it was created. Raises :class:`NotReachable` when the server does not
    answer or refuses."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    target = sync_url(url)
    name = target.database
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if exists:
                return False
            quoted = engine.dialect.identifier_preparer.quote(name)
            connection.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    except (OperationalError, ProgrammingError) as error:
        first = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise NotReachable(
            f"PostgreSQL at {mask_url(target.set(database='postgres'))} did not let us check or"
            f" create database {name!r} ({first}). Start PostgreSQL (e.g. `service postgresql"
            " start`), or point DATABASE_URL / TRACKER_STORE_URL at a server and user that"
            " can create it (or create it yourself)."
        ) from None
    finally:
        engine.dispose()


def create_tracker_tables(url: str) -> None:
    """The tracker store's tables, once, before the replicas start: otherwise each
    replica races to create them and all but one log an error."""
    from bot.tracker_store import URLTrackerStore

    URLTrackerStore(host=url).engine.dispose()


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as error:
        raise NotReachable(
            f"Redis is not reachable at {mask_password(url)} ({error})."
            " Start it (e.g. `service redis-server start`) or set LOCK_STORE_URL."
        ) from None


def check_rabbitmq(url: str) -> None:
    import aio_pika

    async def connect() -> None:
        connection = await aio_pika.connect(url, timeout=5)
        await connection.close()

    try:
        asyncio.run(connect())
    except Exception as error:  # aio_pika raises many kinds; all mean "not usable"
        raise NotReachable(
            f"RabbitMQ is not reachable at {mask_password(url)} ({type(error).__name__}: {error})."
            " Start it (e.g. `service rabbitmq-server start`), fix EVENT_BROKER_URL, or unset"
            " it to run without the event broker."
        ) from None


def prepare(env: dict[str, str]) -> None:
    """Databases, schema, seed data, and the servers the profile depends on."""
    for name in ("DATABASE_URL", "TRACKER_STORE_URL"):
        if ensure_database(env[name]):
            print(f"[msaidizi] created database {mask_url(env[name])}", flush=True)
    setup = subprocess.run(
        [sys.executable, "-m", "bot.db", "setup"], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    if setup.returncode != 0:
        raise NotReachable(f"the enrolment database could not be set up: {setup.stderr.strip()}")
    print(f"[msaidizi] {setup.stdout.strip()}", flush=True)
    create_tracker_tables(env["TRACKER_STORE_URL"])
    if env.get("LOCK_STORE_URL"):
        check_redis(env["LOCK_STORE_URL"])
    if env.get("EVENT_BROKER_URL"):
        check_rabbitmq(env["EVENT_BROKER_URL"])


# --- nginx ------------------------------------------------------------------------


def _proxy_headers(indent: str) -> str:
    return "".join(
        f"{indent}proxy_set_header {header};\n"
        for header in (
            "Host $http_host",
            "X-Real-IP $remote_addr",
            "X-Forwarded-For $proxy_add_x_forwarded_for",
            "X-Forwarded-Proto $scheme",
        )
    )


def nginx_config(settings: ProdSettings) -> str:
    """nginx's whole configuration: one server on PUBLIC_PORT in front of everything."""
    state = settings.prod_dir
    allow = "".join(f"            allow {address};\n" for address in settings.internal_allow)

    def servers(ports: list[int]) -> str:
        # A request to a server that refuses the connection (dead, or restarting)
        # goes to the next one (proxy_next_upstream). max_fails=0: never mark a
        # server down for a while — on loopback a refused connection costs nothing,
        # and a server that is back takes requests at once, not after fail_timeout.
        return "".join(f"        server {LOOPBACK}:{port} max_fails=0;\n" for port in ports)

    if settings.tls_certificate:
        listen = (
            f"        listen {settings.public_host}:{settings.public_port} ssl;\n"
            f"        ssl_certificate {settings.tls_certificate};\n"
            f"        ssl_certificate_key {settings.tls_certificate_key};\n"
            "        ssl_protocols TLSv1.2 TLSv1.3;\n"
            "        ssl_session_cache shared:msaidizi_tls:10m;\n"
            '        add_header Strict-Transport-Security "max-age=31536000" always;\n'
            # The servers' own calls to each other (actions, the console's API
            # calls) stay on this machine, in plain HTTP.
            f"        listen {LOOPBACK}:{settings.internal_port};\n"
        )
    else:
        listen = f"        listen {settings.public_host}:{settings.public_port};\n"
    temp = "".join(
        f"    {kind}_temp_path {state / 'tmp' / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    headers = _proxy_headers("            ")
    return f"""\
# Generated by bot/serve_prod.py at every start (make run-prod): change the
# generator or its environment variables (docs/deploying.md), not this file.
worker_processes auto;
pid {state / "nginx.pid"};
daemon off;
error_log stderr warn;

events {{
    worker_connections 4096;
}}

http {{
    # No access log: request lines carry conversation ids, and a WhatsApp
    # conversation's id is the officer's phone number.
    access_log off;
    server_tokens off;
{temp}    # Bodies and proxied responses stay in memory (nothing written under PROD_DIR).
    client_max_body_size 1m;
    client_body_buffer_size 1m;
    proxy_max_temp_file_size 0;
    proxy_buffer_size 16k;
    proxy_buffers 16 16k;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        "" close;
    }}

    # Rasa replicas: REST and messaging webhooks, HTTP API. Any replica can take any
    # message (shared tracker store, Redis lock store).
    upstream rasa {{
        least_conn;
{servers(settings.rasa_ports)}    }}

    # socket.io: every request of one session must reach the replica that holds it
    # (long-polling is several requests), so by client address.
    upstream rasa_socketio {{
        ip_hash;
{servers(settings.rasa_ports)}    }}

    upstream actions {{
        least_conn;
{servers(settings.action_ports)}    }}

    upstream web {{
        server {LOOPBACK}:{settings.web_port};
    }}

    server {{
{listen}        proxy_http_version 1.1;
        proxy_connect_timeout 2s;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_tries 2;

        location /socket.io/ {{
            proxy_pass http://rasa_socketio;
{headers}            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }}

        location /webhooks/ {{
            proxy_pass http://rasa;
{headers}            proxy_read_timeout 60s;
        }}

        # Rasa's HTTP API reads and changes any conversation: this machine only
        # (and INTERNAL_ALLOW), plus RASA_AUTH_TOKEN when set.
        location ~ ^/(conversations|model|status|version|domain)(/|$) {{
{allow}            deny all;
            proxy_pass http://rasa;
{headers}            proxy_read_timeout 60s;
        }}

        # The action endpoint the replicas call: /actions/webhook -> /webhook.
        location /actions/ {{
{allow}            deny all;
            proxy_pass http://actions/;
{headers}            proxy_read_timeout 30s;
        }}

        location / {{
            proxy_pass http://web;
{headers}        }}
    }}
}}
"""


def write_nginx_config(settings: ProdSettings) -> Path:
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (settings.prod_dir / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    path = settings.prod_dir / "nginx.conf"
    path.write_text(nginx_config(settings), encoding="utf-8")
    return path


def find_nginx(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not found:
        raise NotReachable(
            f"nginx is needed in front of the replicas and was not found ({name!r}):"
            " install it (Debian/Ubuntu: `apt-get install nginx-light`) or set NGINX to its path"
        )
    return found


# --- Processes --------------------------------------------------------------------


def prod_services(
    env: dict[str, str],
    settings: ProdSettings,
    credentials: Path,
    endpoints: Path,
    nginx_conf: Path,
    nginx: str,
) -> list[Service]:
    running = [
        action_server(env, str(port), name=f"actions-{i}")
        for i, port in enumerate(settings.action_ports, start=1)
    ]
    running += [
        rasa_server(env, str(port), credentials, endpoints, name=f"rasa-{i}", interface=LOOPBACK)
        for i, port in enumerate(settings.rasa_ports, start=1)
    ]
    running.append(web_app(env))
    running.append(
        Service(
            "nginx",
            [nginx, "-e", "stderr", "-p", str(settings.prod_dir), "-c", str(nginx_conf)],
            # The web app's /health through nginx: nginx is up and routing.
            f"{settings.local_url}/health",
        )
    )
    if env.get("EVENT_BROKER_URL") and settings.events_consumer:
        # Drains the broker's queue into the console's conversation index.
        running.append(Service("events", [sys.executable, "-m", "bot.events_consumer"], ""))
    return running


@dataclass
class _Restarts:
    """When each service died recently, and when it is due to start again."""

    deaths: dict[str, deque] = field(default_factory=dict)
    due: dict[str, float] = field(default_factory=dict)
    back: dict[str, float] = field(default_factory=dict)

    def died(self, service: Service, ran_for: float) -> float | None:
        """Records a death; returns the delay before restarting, or None to give up."""
        now = time.monotonic()
        recent = self.deaths.setdefault(service.name, deque())
        recent.append(now)
        while recent and now - recent[0] > RESTART_WINDOW_SECONDS:
            recent.popleft()
        if len(recent) >= MAX_RESTARTS:
            return None
        step = 0 if ran_for > STABLE_AFTER_SECONDS else len(recent) - 1
        delay = RESTART_DELAYS[min(step, len(RESTART_DELAYS) - 1)]
        self.due[service.name] = now + delay
        return delay


def _healthy(service: Service) -> bool:
    if not service.health_url:  # the events consumer: alive is enough
        return service.process is not None and service.process.poll() is None
    return is_up(service.health_url)


def supervise(env: dict[str, str], running: list[Service], banner: str) -> int:
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    started = time.monotonic()
    started_at: dict[str, float] = {}
    for service in running:
        start(service, env)
        started_at[service.name] = time.monotonic()

    restarts = _Restarts()
    ready = False
    exit_code = 0
    while not stopping:
        now = time.monotonic()
        for service in running:
            if service.name in restarts.due or service.process.poll() is None:
                continue
            code = service.process.returncode
            if not ready:
                print(
                    f"[msaidizi] {service.name} exited with code {code} before start-up"
                    " finished; stopping the rest",
                    flush=True,
                )
                exit_code = 1
                stopping = True
                break
            delay = restarts.died(service, now - started_at[service.name])
            if delay is None:
                print(
                    f"[msaidizi] {service.name} exited with code {code}, the {MAX_RESTARTS}th"
                    f" time in {RESTART_WINDOW_SECONDS // 60} minutes; stopping the rest",
                    flush=True,
                )
                exit_code = 1
                stopping = True
                break
            print(
                f"[msaidizi] {service.name} exited with code {code}; the others carry on;"
                f" restarting it in {delay}s",
                flush=True,
            )
        if stopping:
            break
        for service in running:
            due = restarts.due.get(service.name)
            if due is not None and now >= due:
                del restarts.due[service.name]
                start(service, env, verb="restarted")
                started_at[service.name] = restarts.back[service.name] = time.monotonic()
        for name, since in list(restarts.back.items()):
            service = next(s for s in running if s.name == name)
            if name not in restarts.due and _healthy(service):
                del restarts.back[name]
                print(
                    f"[msaidizi] {name} is back ({time.monotonic() - since:.0f}s after restart)",
                    flush=True,
                )
        if not ready:
            if all(_healthy(s) for s in running):
                ready = True
                print(f"[msaidizi] ready in {now - started:.0f}s: {banner}", flush=True)
            elif now - started > READY_TIMEOUT_SECONDS:
                print("[msaidizi] services did not become ready in time", flush=True)
                exit_code = 1
                break
        time.sleep(0.5)

    print("[msaidizi] stopping…", flush=True)
    stop(running)
    print("[msaidizi] stopped", flush=True)
    return exit_code


def banner(env: dict[str, str], settings: ProdSettings, endpoints: dict, channels: list) -> str:
    rasa = ", ".join(str(p) for p in settings.rasa_ports)
    actions = ", ".join(str(p) for p in settings.action_ports)
    return (
        f"{settings.scheme}://localhost:{settings.public_port} (chat page /, console /console,"
        f" REST /webhooks/rest/webhook, socket.io; messaging channels:"
        f" {', '.join(channels) or 'none configured'}) through nginx to"
        f" {settings.replicas} Rasa replica(s) on {LOOPBACK}:{rasa} and"
        f" {settings.action_servers} action server(s) on {actions}; enrolment database"
        f" {mask_url(env['DATABASE_URL'])}, tracker store {mask_url(env['TRACKER_STORE_URL'])};"
        f" {describe(endpoints)}. Ctrl-C stops all."
    )


def main() -> int:
    try:
        env = prod_environment()
        settings = ProdSettings.from_env(env)
        check_settings(env, settings)
        credentials = effective_credentials(load_base(), env)
        channels = enabled_channels(env)
        endpoints = effective_endpoints(load_base_endpoints(), env)
        nginx = find_nginx(settings.nginx)
        prepare(env)
    except (ProdConfigError, ChannelConfigError, EndpointConfigError) as error:
        print(f"[msaidizi] cannot start: {error}", file=sys.stderr, flush=True)
        return 2
    except NotReachable as error:
        print(f"[msaidizi] cannot start: {error}", file=sys.stderr, flush=True)
        return 1
    nginx_conf = write_nginx_config(settings)
    private_dir = Path(tempfile.mkdtemp(prefix="msaidizi-prod-"))
    try:
        running = prod_services(
            env,
            settings,
            write_credentials(credentials, private_dir),
            write_endpoints(endpoints, private_dir),
            nginx_conf,
            nginx,
        )
        return supervise(env, running, banner(env, settings, endpoints, channels))
    finally:
        shutil.rmtree(private_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

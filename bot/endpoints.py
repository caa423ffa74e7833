"""The endpoints Rasa runs with: ``endpoints.yml`` plus a lock store and an event
broker when the environment asks for them.

Rasa's endpoint files substitute ``${VAR}`` in values only, so a whole section (a
Redis lock store, a RabbitMQ broker) cannot be switched on by the environment in
``endpoints.yml`` itself. As for the messaging channels' credentials
(:mod:`bot.channels.credentials`), the launcher (:mod:`bot.serve`,
:mod:`bot.serve_prod`) writes the result to a private temporary file and passes it
to ``rasa run --endpoints``:

- ``LOCK_STORE_URL`` (``redis://[:password@]host:port/db``, ``rediss://`` for TLS):
  conversations are locked in Redis (:class:`bot.lock_store.AtomicRedisLockStore`),
  which several Rasa replicas need so that two messages of one conversation are never
  handled at once. Unset: Rasa's in-memory lock store, right for one process.
  ``LOCK_STORE_KEY_PREFIX`` (letters and digits, default ``msaidizi``) keeps several
  deployments (or tests) apart on one Redis.
- ``EVENT_BROKER_URL`` (``amqp://user:password@host:port/vhost``, ``amqps://`` for
  TLS): every tracker event is also published to RabbitMQ (Rasa's
  ``PikaEventBroker``), on the fanout exchange ``EVENT_BROKER_EXCHANGE`` (default
  ``msaidizi-events``) and the durable queue ``EVENT_BROKER_QUEUE`` (default
  ``msaidizi_events``). Unset: no broker.

With neither set the result is ``endpoints.yml`` unchanged, which is what ``make
run`` has always used. The file holds passwords from those URLs, hence the private
file; ``endpoints.yml`` itself never does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import yaml

from bot.config import PROJECT_ROOT

BASE_ENDPOINTS = PROJECT_ROOT / "endpoints.yml"
DEFAULT_KEY_PREFIX = "msaidizi"
DEFAULT_EXCHANGE = "msaidizi-events"
DEFAULT_QUEUE = "msaidizi_events"


class EndpointConfigError(ValueError):
    """An endpoint URL or name the launcher cannot use; the message says which."""


def load_base(path: Path = BASE_ENDPOINTS) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def lock_store(env: Mapping[str, str]) -> dict[str, Any] | None:
    """The ``lock_store`` section for ``LOCK_STORE_URL``, or ``None`` (in memory)."""
    url = (env.get("LOCK_STORE_URL") or "").strip()
    if not url:
        return None
    if urlsplit(url).scheme not in ("redis", "rediss"):
        raise EndpointConfigError(
            "LOCK_STORE_URL must be a Redis URL (redis://host:6379/0 or rediss://…)"
        )
    prefix = env.get("LOCK_STORE_KEY_PREFIX") or DEFAULT_KEY_PREFIX
    # Rasa silently ignores a prefix that is not alphanumeric, which would put two
    # deployments' locks on the same keys: refuse it instead.
    if not prefix.isalnum():
        raise EndpointConfigError("LOCK_STORE_KEY_PREFIX must be letters and digits only")
    return {"type": "bot.lock_store.AtomicRedisLockStore", "url": url, "key_prefix": prefix}


def event_broker(env: Mapping[str, str]) -> dict[str, Any] | None:
    """The ``event_broker`` section for ``EVENT_BROKER_URL``, or ``None``."""
    url = (env.get("EVENT_BROKER_URL") or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise EndpointConfigError(
            "EVENT_BROKER_URL must be an AMQP URL (amqp://user:password@host:5672/)"
        )
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    # Rasa's PikaEventBroker wants the credentials apart and puts them back into
    # the URL itself; the vhost (path) and options (query) pass through.
    bare = urlunsplit((parts.scheme, f"{parts.hostname}:{port}", parts.path, parts.query, ""))
    return {
        "type": "pika",
        "url": bare,
        "port": port,
        "username": unquote(parts.username or "guest"),
        "password": unquote(parts.password or "guest"),
        "queues": [env.get("EVENT_BROKER_QUEUE") or DEFAULT_QUEUE],
        "exchange_name": env.get("EVENT_BROKER_EXCHANGE") or DEFAULT_EXCHANGE,
        # Start-up waits at most ~10 s for RabbitMQ (Rasa's default is 100 s);
        # the launcher has checked it is reachable before starting Rasa.
        "connection_attempts": 5,
        "retry_delay_in_seconds": 2,
    }


def effective_endpoints(
    base: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``base`` (``endpoints.yml``) with the lock store and event broker that the
    environment selects; anything ``base`` already configures is kept."""
    env = os.environ if env is None else env
    endpoints = dict(base)
    for name, section in (("lock_store", lock_store(env)), ("event_broker", event_broker(env))):
        if section is not None:
            endpoints[name] = section
    return endpoints


def write_endpoints(endpoints: Mapping[str, Any], directory: Path) -> Path:
    """Writes the endpoints where only this user can read them (they may hold the
    Redis and RabbitMQ passwords); the caller removes the directory afterwards."""
    path = directory / "endpoints.yml"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        yaml.safe_dump(dict(endpoints), file, sort_keys=False)
    return path


def describe(endpoints: Mapping[str, Any]) -> str:
    """One line for the operator, without passwords."""
    lock = endpoints.get("lock_store")
    broker = endpoints.get("event_broker")
    lock_text = (
        f"Redis {mask_password(lock['url'])} (prefix {lock['key_prefix']})" if lock else "in memory"
    )
    broker_text = (
        f"RabbitMQ {broker['url']} queue {broker['queues'][0]}" if broker else "no event broker"
    )
    return f"lock store: {lock_text}; {broker_text}"


def mask_password(url: str) -> str:
    """``url`` as it may be printed: any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + netloc, parts.path, parts.query, parts.fragment))

"""The production profile's configuration (bot/serve_prod.py, bot/endpoints.py):
what the environment selects, what is refused, and the nginx configuration it
generates. The profile running under faults is tests/integration/test_reliability.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.endpoints import (
    EndpointConfigError,
    describe,
    effective_endpoints,
    load_base,
    write_endpoints,
)
from bot.serve import Service
from bot.serve_prod import (
    MAX_RESTARTS,
    ProdConfigError,
    ProdSettings,
    _Restarts,
    check_settings,
    nginx_config,
    prod_environment,
    prod_services,
    write_nginx_config,
)

REDIS = "redis://:s3cret-pass@cache.internal:6380/2"
AMQP = "amqps://msaidizi:rabbit%2Fpass@mq.internal:5671/msaidizi"


def test_without_lock_store_or_broker_make_run_gets_endpoints_yml_unchanged() -> None:
    assert effective_endpoints(load_base(), {}) == load_base()


def test_the_environment_selects_a_redis_lock_store_and_a_rabbitmq_broker(tmp_path) -> None:
    endpoints = effective_endpoints(
        load_base(), {"LOCK_STORE_URL": REDIS, "EVENT_BROKER_URL": AMQP, "EVENT_BROKER_QUEUE": "q1"}
    )
    assert endpoints["tracker_store"] == load_base()["tracker_store"]
    assert endpoints["lock_store"] == {
        "type": "bot.lock_store.AtomicRedisLockStore", "url": REDIS, "key_prefix": "msaidizi",
    }  # fmt: skip
    broker = endpoints["event_broker"]
    assert (broker["type"], broker["url"], broker["port"]) == (
        "pika", "amqps://mq.internal:5671/msaidizi", 5671,
    )  # fmt: skip
    assert (broker["username"], broker["password"], broker["queues"]) == (
        "msaidizi", "rabbit/pass", ["q1"],
    )  # fmt: skip
    # The operator's line shows where, never the passwords.
    line = describe(endpoints)
    assert "cache.internal:6380" in line and "mq.internal" in line
    assert "s3cret" not in line and "rabbit" not in line
    # The file holding them is the user's alone.
    path = write_endpoints(endpoints, tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "env, complaint",
    [
        ({"LOCK_STORE_URL": "memcached://x"}, "Redis URL"),
        ({"LOCK_STORE_URL": REDIS, "LOCK_STORE_KEY_PREFIX": "msaidizi-prod"}, "letters and digits"),
        ({"EVENT_BROKER_URL": "kafka://broker:9092"}, "AMQP URL"),
    ],
)
def test_settings_rasa_would_misread_are_refused(env: dict, complaint: str) -> None:
    with pytest.raises(EndpointConfigError, match=complaint):
        effective_endpoints(load_base(), env)


def test_production_defaults_are_postgresql_redis_and_everything_behind_nginx() -> None:
    env = prod_environment({})
    assert env["DATABASE_URL"] == "postgresql://postgres@127.0.0.1:5432/msaidizi"
    assert env["TRACKER_STORE_URL"] == "postgresql://postgres@127.0.0.1:5432/msaidizi_tracker"
    assert env["LOCK_STORE_URL"].startswith("redis://127.0.0.1:6379")
    assert env["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:8080/actions/webhook"
    assert env["RASA_PUBLIC_URL"] == "http://localhost:8080"
    # Only nginx listens beyond this machine.
    assert env["WEB_HOST"] == env["SANIC_HOST"] == "127.0.0.1"
    check_settings(env, ProdSettings.from_env(env))


@pytest.mark.parametrize(
    "change, complaint",
    [
        ({"DATABASE_URL": "sqlite:////tmp/m.db"}, "DATABASE_URL must be a postgresql"),
        ({"TRACKER_STORE_URL": "sqlite:////tmp/t.db"}, "TRACKER_STORE_URL must be"),
        ({"LOCK_STORE_URL": ""}, "shared lock store"),
        ({"PUBLIC_PORT": "5006"}, "ports overlap"),
    ],
)
def test_a_profile_that_cannot_work_is_refused_before_anything_starts(
    change: dict, complaint: str
) -> None:
    env = {**prod_environment({}), **change}
    with pytest.raises(ProdConfigError, match=complaint):
        check_settings(env, ProdSettings.from_env(env))


def test_half_a_tls_configuration_is_refused() -> None:
    with pytest.raises(ProdConfigError, match="TLS_CERTIFICATE"):
        ProdSettings.from_env({"TLS_CERTIFICATE": "/etc/ssl/msaidizi.pem"})


def test_nginx_spreads_rasa_and_actions_and_keeps_socketio_sessions_on_one_replica(
    tmp_path: Path,
) -> None:
    settings = ProdSettings.from_env(
        {"RASA_REPLICAS": "3", "ACTION_SERVERS": "2", "PROD_DIR": str(tmp_path)}
    )
    config = nginx_config(settings)
    socketio = config.split("upstream rasa_socketio {")[1].split("}")[0]
    assert "ip_hash;" in socketio
    for port in (5005, 5006, 5007):
        assert f"server 127.0.0.1:{port} " in socketio
    actions = config.split("upstream actions {")[1].split("}")[0]
    assert "127.0.0.1:5055" in actions and "127.0.0.1:5056" in actions
    assert "proxy_pass http://actions/;" in config  # /actions/webhook -> /webhook
    # The HTTP API and the action endpoint answer this machine only.
    for location in (
        "location ~ ^/(conversations|model|status|version|domain)",
        "location /actions/",
    ):
        block = config.split(location)[1].split("}")[0]
        assert "allow 127.0.0.1;" in block and "deny all;" in block
    webhooks = config.split("location /webhooks/ {")[1].split("}")[0]
    assert "deny" not in webhooks
    assert "access_log off;" in config
    assert "ssl" not in config


def test_with_a_certificate_nginx_serves_tls_only(tmp_path: Path) -> None:
    settings = ProdSettings.from_env(
        {
            "PROD_DIR": str(tmp_path),
            "TLS_CERTIFICATE": "/etc/ssl/msaidizi/fullchain.pem",
            "TLS_CERTIFICATE_KEY": "/etc/ssl/msaidizi/privkey.pem",
            "PUBLIC_PORT": "8443",
        }
    )
    config = nginx_config(settings)
    assert "listen 0.0.0.0:8443 ssl;" in config
    assert "ssl_certificate /etc/ssl/msaidizi/fullchain.pem;" in config
    assert "Strict-Transport-Security" in config
    # The servers call each other on a plain listener of this machine's only: the
    # certificate names the public host, not 127.0.0.1.
    assert "listen 127.0.0.1:8444;" in config
    env = prod_environment({"TLS_CERTIFICATE": "a", "TLS_CERTIFICATE_KEY": "b"})
    assert env["RASA_PUBLIC_URL"] == "https://localhost:8080"
    assert env["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:8081/actions/webhook"


@pytest.mark.skipif(not shutil.which("nginx", path="/usr/sbin:/usr/bin"), reason="no nginx")
def test_nginx_accepts_the_generated_configuration(tmp_path: Path) -> None:
    settings = ProdSettings.from_env({"PROD_DIR": str(tmp_path)})
    path = write_nginx_config(settings)
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin")
    result = subprocess.run(
        [nginx, "-t", "-e", "stderr", "-p", str(tmp_path), "-c", str(path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_each_replica_and_action_server_listens_on_loopback_on_its_own_port(tmp_path) -> None:
    env = prod_environment({"RASA_REPLICAS": "2", "ACTION_SERVERS": "3"})
    settings = ProdSettings.from_env(env)
    running = {
        s.name: s
        for s in prod_services(
            env, settings, tmp_path / "c.yml", tmp_path / "e.yml", tmp_path / "n.conf", "nginx"
        )
    }
    assert set(running) == {
        "actions-1",
        "actions-2",
        "actions-3",
        "rasa-1",
        "rasa-2",
        "web",
        "nginx",
    }
    for name, port in (("rasa-1", "5005"), ("rasa-2", "5006")):
        command = running[name].command
        assert command[command.index("--port") + 1] == port
        assert command[command.index("--interface") + 1] == "127.0.0.1"
        assert command[command.index("--endpoints") + 1] == str(tmp_path / "e.yml")
    assert "5057" in running["actions-3"].command
    # The events consumer runs only with a broker.
    with_broker = {**env, "EVENT_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/"}
    names = [s.name for s in prod_services(with_broker, settings, *[tmp_path] * 3, "nginx")]
    assert "events" in names


def test_a_process_that_keeps_dying_is_given_up_on() -> None:
    restarts = _Restarts()
    service = Service("rasa-2", [], "")
    delays = [restarts.died(service, ran_for=5) for _ in range(MAX_RESTARTS)]
    assert delays == [1, 2, 4, 8, None]
    # One that had been running for a while is restarted after the shortest delay.
    assert _Restarts().died(service, ran_for=3600) == 1

"""The launcher gives every process what endpoints.yml needs, without overriding
what the operator set."""

from __future__ import annotations

from bot.serve import service_environment, services


def test_local_defaults_fill_what_endpoints_yml_reads() -> None:
    env = service_environment({})
    assert env["ACTION_ENDPOINT_URL"] == "http://localhost:5055/webhook"
    assert env["TRACKER_STORE_URL"].startswith("sqlite:///")
    assert env["DATABASE_URL"].endswith("/var/msaidizi.db")
    assert env["RASA_TELEMETRY_ENABLED"] == "false"


def test_the_operator_s_settings_win() -> None:
    env = service_environment(
        {"ACTION_SERVER_PORT": "6055", "TRACKER_STORE_URL": "postgresql://u@db/rasa"}
    )
    assert env["ACTION_ENDPOINT_URL"] == "http://localhost:6055/webhook"
    assert env["TRACKER_STORE_URL"] == "postgresql://u@db/rasa"


def test_rasa_and_the_action_server_are_started_on_the_configured_ports() -> None:
    env = service_environment({"RASA_PORT": "7005", "ACTION_SERVER_PORT": "7055"})
    rasa = {s.name: s for s in services(env)}
    assert "7005" in rasa["rasa"].command and rasa["rasa"].health_url.endswith(":7005/health")
    assert "7055" in rasa["actions"].command


def test_the_web_page_is_started_on_web_port_and_waited_for() -> None:
    assert service_environment({})["WEB_PORT"] == "8000"
    web = {s.name: s for s in services(service_environment({"WEB_PORT": "9000"}))}["web"]
    assert web.command[-1] == "bot.web"
    assert web.health_url == "http://localhost:9000/health"


def test_bootstrap_says_what_to_install_when_python_3_10_is_missing() -> None:
    import subprocess

    from bot.config import PROJECT_ROOT

    result = subprocess.run(
        [str(PROJECT_ROOT / "scripts" / "find-python")],
        env={"PATH": "/usr/bin:/bin", "PYTHON": "/bin/false"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "PYTHON=/bin/false is not a working Python 3.10" in result.stderr
    assert "pyenv install 3.10" in result.stderr


def test_a_half_configured_channel_stops_the_start_naming_what_is_missing(
    monkeypatch, capsys
) -> None:
    import subprocess

    from bot import serve

    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "EAAG-token")
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "verify")
    monkeypatch.setattr(subprocess, "Popen", None)  # nothing may be started
    assert serve.main() == 2
    error = capsys.readouterr().err
    assert "WhatsApp (Cloud API) is only partly configured" in error
    assert "WHATSAPP_APP_SECRET, WHATSAPP_PHONE_NUMBER_ID" in error


def test_rasa_is_given_the_credentials_file_it_is_passed() -> None:
    from pathlib import Path

    env = service_environment({})
    rasa = {s.name: s for s in services(env, Path("/tmp/private/credentials.yml"))}["rasa"]
    assert rasa.command[rasa.command.index("--credentials") + 1] == "/tmp/private/credentials.yml"

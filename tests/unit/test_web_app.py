"""The web service serves the chat page, its files and /health, with headers that
let the page reach only itself and the Rasa server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.web import MAX_MESSAGE_CHARS
from bot.web.app import WEB_ROOT, content_security_policy, create_app

RASA = "https://chat.ksg.example:5005"


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    app = create_app(Settings(rasa_public_url=RASA))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def fake_web_root(tmp_path: Path, with_node_modules: bool) -> Path:
    (tmp_path / "templates").symlink_to(WEB_ROOT / "templates")
    (tmp_path / "static").symlink_to(WEB_ROOT / "static")
    if with_node_modules:
        dist = tmp_path / "node_modules" / "socket.io-client" / "dist"
        dist.mkdir(parents=True)
        (dist / "socket.io.min.js").write_text("/* socket.io */")
    return tmp_path


async def test_health_says_ok(client: TestClient) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_the_page_embeds_the_widget_pointed_at_the_configured_rasa(
    client: TestClient,
) -> None:
    response = await client.get("/")
    assert response.status == 200
    assert response.content_type == "text/html"
    page = await response.text()
    assert 'src="/static/vendor/socket.io.min.js"' in page
    assert 'src="/static/msaidizi-chat.js"' in page
    assert f'data-rasa-url="{RASA}"' in page
    assert f'data-max-chars="{MAX_MESSAGE_CHARS}"' in page
    assert 'id="msaidizi-chat"' in page
    # Nothing on the page is loaded from another address.
    assert "http" not in page.replace(RASA, "")


async def test_the_rasa_url_is_escaped_in_the_page() -> None:
    app = create_app(Settings(rasa_public_url='http://x"><script>alert(1)</script>'))
    async with TestClient(TestServer(app)) as test_client:
        page = await (await test_client.get("/")).text()
    assert "<script>alert(1)" not in page


async def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/health", "/static/msaidizi-chat.js", "/no-such-page"):
        response = await client.get(path)
        headers = response.headers
        assert headers["Content-Security-Policy"] == content_security_policy(RASA), path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"


def test_the_policy_allows_only_this_origin_and_the_rasa_server() -> None:
    policy = dict(
        part.split(" ", 1) for part in content_security_policy("http://localhost:5005").split("; ")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self' http://localhost:5005 ws://localhost:5005"
    assert policy["object-src"] == "'none'"
    secure = content_security_policy("https://chat.ksg.example/")
    assert "connect-src 'self' https://chat.ksg.example wss://chat.ksg.example" in secure


async def test_the_widget_s_own_files_are_served(client: TestClient) -> None:
    script = await client.get("/static/msaidizi-chat.js")
    assert script.status == 200
    assert "session_request" in await script.text()
    style = await client.get("/static/msaidizi-chat.css")
    assert style.status == 200
    assert style.content_type == "text/css"


async def test_the_socket_io_client_comes_from_node_modules(tmp_path: Path) -> None:
    app = create_app(Settings(), web_root=fake_web_root(tmp_path, with_node_modules=True))
    async with TestClient(TestServer(app)) as test_client:
        response = await test_client.get("/static/vendor/socket.io.min.js")
        assert response.status == 200
        assert await response.text() == "/* socket.io */"
        # Only that file: nothing else from node_modules is reachable.
        assert (await test_client.get("/static/vendor/package.json")).status == 404
        assert (await test_client.get("/static/vendor/..%2F..%2Fpackage.json")).status == 404


async def test_without_npm_ci_the_vendor_file_says_what_to_run(tmp_path: Path) -> None:
    app = create_app(Settings(), web_root=fake_web_root(tmp_path, with_node_modules=False))
    async with TestClient(TestServer(app)) as test_client:
        response = await test_client.get("/static/vendor/socket.io.min.js")
        assert response.status == 503
        assert "make run" in await response.text()


async def test_unknown_paths_are_404(client: TestClient) -> None:
    for path in ("/console-not-yet", "/static/nothing.js", "/static/../bot/config.py", "/.env"):
        assert (await client.get(path)).status == 404, path


async def test_only_get_is_allowed_on_the_page(client: TestClient) -> None:
    assert (await client.post("/", data="x")).status == 405


def test_the_rasa_url_follows_rasa_port_unless_set() -> None:
    assert Settings.from_env({}).rasa_public_url == "http://localhost:5005"
    assert Settings.from_env({"RASA_PORT": "7005"}).rasa_public_url == "http://localhost:7005"
    public = Settings.from_env({"RASA_PUBLIC_URL": "https://chat.ksg.example/", "RASA_PORT": "1"})
    assert public.rasa_public_url == "https://chat.ksg.example"
    assert Settings.from_env({"WEB_PORT": "8080"}).web_port == 8080

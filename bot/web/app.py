"""The web service: the page with the chat widget, its static files, and ``/health``.

An app factory with one route table, so the support console (``/console``, issue 6)
can be added as more routes on the same app. The widget talks to Rasa's socket.io
channel directly from the browser; this app only serves files, so it needs no
access to the databases.

Nothing on the page comes from anywhere but this app and the Rasa server: the
socket.io client is served from ``web/node_modules`` (installed by ``npm ci`` from
``web/package-lock.json``), and the Content-Security-Policy allows only this origin
and the Rasa URL.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from aiohttp import web

from bot.config import PROJECT_ROOT, Settings
from bot.web import MAX_MESSAGE_CHARS

WEB_ROOT = PROJECT_ROOT / "web"
# The only file the page needs from node_modules, and its source map.
VENDOR_FILES = {
    "socket.io.min.js": Path("socket.io-client/dist/socket.io.min.js"),
    "socket.io.min.js.map": Path("socket.io-client/dist/socket.io.min.js.map"),
}

SETTINGS_KEY = web.AppKey("settings", Settings)
WEB_ROOT_KEY = web.AppKey("web_root", Path)
TEMPLATES_KEY = web.AppKey("templates", jinja2.Environment)

routes = web.RouteTableDef()


def content_security_policy(rasa_public_url: str) -> str:
    """Only this origin, plus the Rasa server for socket.io (its websocket too)."""
    parts = urlsplit(rasa_public_url)
    rasa = f"{parts.scheme}://{parts.netloc}"
    websocket = rasa.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src 'self' {rasa} {websocket}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


@web.middleware
async def security_headers(request: web.Request, handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = error
    settings = request.app[SETTINGS_KEY]
    response.headers.setdefault(
        "Content-Security-Policy", content_security_policy(settings.rasa_public_url)
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if isinstance(response, web.HTTPException) and response.status >= 400:
        raise response
    return response


@routes.get("/", name="chat")
async def chat_page(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    html = (
        request.app[TEMPLATES_KEY]
        .get_template("index.html")
        .render(rasa_url=settings.rasa_public_url, max_chars=MAX_MESSAGE_CHARS)
    )
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})


@routes.get("/health", name="health")
async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/static/vendor/{name}", name="vendor")
async def vendor(request: web.Request) -> web.FileResponse:
    relative = VENDOR_FILES.get(request.match_info["name"])
    if relative is None:
        raise web.HTTPNotFound()
    path = request.app[WEB_ROOT_KEY] / "node_modules" / relative
    if not path.is_file():
        # npm ci has not run: say so instead of serving a page that cannot chat.
        raise web.HTTPServiceUnavailable(text="web/node_modules is missing: run `make run`")
    return web.FileResponse(path)


def create_app(settings: Settings | None = None, web_root: Path = WEB_ROOT) -> web.Application:
    """The web app: the chat page at ``/``, ``/static/``, ``/health``."""
    app = web.Application(middlewares=[security_headers])
    app[SETTINGS_KEY] = settings or Settings.from_env()
    app[WEB_ROOT_KEY] = web_root
    app[TEMPLATES_KEY] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(web_root / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    app.add_routes(routes)
    app.router.add_static("/static/", web_root / "static", name="static")
    from bot.console.relay import RasaRelay
    from bot.console.web import add_console

    settings = app[SETTINGS_KEY]
    add_console(
        app,
        settings.database_url,
        settings.tracker_store_url,
        app[TEMPLATES_KEY],
        RasaRelay(settings.rasa_url, settings.rasa_auth_token, settings.rasa_timeout_seconds),
    )
    return app


# No client address in the access log: an officer's IP is personal data and says
# nothing an operator needs to run the page.
ACCESS_LOG_FORMAT = '"%r" %s %b %Tfs'


def main(log_level: str = "INFO") -> None:
    settings = Settings.from_env()
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    web.run_app(
        create_app(settings),
        host=settings.web_host,
        port=settings.web_port,
        access_log_format=ACCESS_LOG_FORMAT,
        print=lambda message: print(message, flush=True),
    )

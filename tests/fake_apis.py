"""A stand-in for the platforms' APIs (Telegram's Bot API, Meta's Graph API,
Twilio's REST API): an aiohttp server on a free local port, run in a thread of its
own, that answers as the real APIs do and records every call Msaidizi makes."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class ApiCall:
    """One request Msaidizi made: ``fields`` is the JSON body, or the form /
    multipart fields (a file field as its text)."""

    method: str
    path: str
    headers: dict[str, str]
    fields: dict[str, Any]
    files: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        """The last path segment: ``sendMessage``, ``messages``, ``Messages.json``."""
        return self.path.rstrip("/").rsplit("/", 1)[-1]


class FakeApis:
    """All three platforms' APIs on one server (they never share a path)."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._message_ids = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeApis:
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            app = web.Application(client_max_size=10 * 1024 * 1024)
            app.router.add_route("*", "/{path:.*}", self._answer)
            self._runner = web.AppRunner(app, access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        if not ready.wait(10):
            raise RuntimeError("the fake API server did not start")
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._runner:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def calls_to(self, endpoint: str, **matching: Any) -> list[ApiCall]:
        """Calls to one endpoint whose fields include ``matching``."""
        with self._lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if c.endpoint == endpoint and all(c.fields.get(k) == v for k, v in matching.items())
        ]

    def wait_for(
        self, predicate: Callable[[list[ApiCall]], Any], timeout: float = 10
    ) -> list[ApiCall]:
        """Waits until ``predicate(calls)`` holds (a webhook may answer before a
        courtesy call has finished)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                calls = list(self.calls)
            if predicate(calls) or time.monotonic() > deadline:
                return calls
            time.sleep(0.05)

    async def _answer(self, request: web.Request) -> web.Response:
        fields: dict[str, Any] = {}
        files: dict[str, dict[str, str]] = {}
        if request.content_type == "application/json":
            fields = await request.json()
        elif request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if part.filename:
                    content = (await part.read()).decode("utf-8")
                    files[part.name] = {
                        "filename": part.filename,
                        "content": content,
                        "content_type": part.headers.get("Content-Type", ""),
                    }
                else:
                    fields[part.name] = (await part.read()).decode("utf-8")
        elif request.can_read_body:
            fields = dict(await request.post())
        call = ApiCall(request.method, request.path, dict(request.headers), fields, files)
        with self._lock:
            self.calls.append(call)
            self._message_ids += 1
            number = self._message_ids
        return self._reply(call, number)

    @staticmethod
    def _reply(call: ApiCall, number: int) -> web.Response:
        if call.path.startswith("/bot"):  # Telegram Bot API
            if call.endpoint == "sendMessage":
                chat = {"id": int(call.fields.get("chat_id", 0)), "type": "private"}
                result: Any = {"message_id": number, "chat": chat, "text": call.fields.get("text")}
            else:
                result = True
            return web.json_response({"ok": True, "result": result})
        if re.search(r"/Accounts/[^/]+/Messages\.json$", call.path):  # Twilio
            return web.json_response({"sid": f"SM{number:032d}", "status": "queued"}, status=201)
        graph = re.fullmatch(r"/v[\d.]+/\d+/(messages|media)", call.path)
        if graph and graph[1] == "media":  # Graph API media upload
            return web.json_response({"id": f"media-{number}"})
        if graph:  # Graph API messages
            return web.json_response(
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": call.fields.get("to"), "wa_id": call.fields.get("to")}],
                    "messages": [{"id": f"wamid.fake{number}"}],
                }
            )
        return web.json_response({"error": {"message": "unknown endpoint"}}, status=404)

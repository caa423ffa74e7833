"""A stand-in for Rasa's HTTP API, for testing the support console's relay
without a model: it records what the console asks of Rasa and can be told to
fail. (Tests against the real Rasa server are in tests/integration and
tests/browser.)"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


class FakeRasa:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []
        self.fail_with: int | None = None  # an HTTP status to answer every call with
        app = web.Application()
        app.router.add_post("/conversations/{sender_id}/{what:.+}", self._record)
        self.server = TestServer(app)

    async def _record(self, request: web.Request) -> web.Response:
        self.calls.append(
            (
                request.match_info["what"],
                request.match_info["sender_id"],
                dict(request.query),
                await request.json(),
            )
        )
        if self.fail_with:
            return web.json_response({"message": "failing on purpose"}, status=self.fail_with)
        return web.json_response({"tracker": {}})

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def slot_values(self, sender_id: str) -> list[Any]:
        """The values the console gave ``handoff_agent``, in order."""
        return [
            event["value"]
            for what, sender, _, body in self.calls
            if what == "tracker/events" and sender == sender_id
            for event in body
            if event.get("name") == "handoff_agent"
        ]

    def deliveries(self, sender_id: str) -> int:
        return sum(
            1
            for what, sender, query, body in self.calls
            if what == "execute"
            and sender == sender_id
            and query.get("output_channel") == "latest"
            and body == {"name": "action_deliver_agent_messages"}
        )

    async def __aenter__(self) -> FakeRasa:
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.close()

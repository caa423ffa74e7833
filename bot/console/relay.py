"""The support console's line to Rasa: how a member of staff's hand-off reaches
the officer (issue 7).

Server to server, over Rasa's HTTP API (``--enable-api``; with ``?token=`` when
Rasa runs with ``--auth-token``):

- :meth:`RasaRelay.hold` sets the slot ``handoff_agent`` in the officer's
  conversation (``POST /conversations/{id}/tracker/events``, under the
  conversation's lock): from the officer's next message on, ``HandoffPolicy``
  keeps the bot quiet.
- :meth:`RasaRelay.deliver` runs ``action_deliver_agent_messages`` in the
  conversation with the officer's latest channel as output
  (``POST /conversations/{id}/execute?output_channel=latest``), then appends
  the ``action_listen`` a predicted action would be followed by; so what the
  agent wrote is sent at once over socket.io, Telegram, WhatsApp or Twilio. Rasa
  3.6 marks this endpoint deprecated ("actions should be predicted by the
  policies"); it is the one way to push into a channel from outside, and our
  pinned version has it.

The REST channel cannot push: its client only hears back in the response to its
own request. For REST the agent's messages wait in the outbox and go out with the
response to the officer's next message (``HandoffPolicy`` runs the same action).

Every call has a timeout; a failure raises :class:`RasaUnavailable` with a reason
staff can act on, never silently.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import aiohttp

from bot.dialogue import DELIVER_ACTION, HANDOFF_AGENT_SLOT

log = logging.getLogger(__name__)

#: Channels whose output Rasa can send to at any time (not only in reply).
PUSH_CHANNELS = frozenset({"socketio", "telegram", "whatsapp", "twilio"})


class RasaUnavailable(RuntimeError):
    """Rasa's HTTP API did not do what was asked (unreachable, timed out, refused)."""


def can_push(channel: str) -> bool:
    return channel in PUSH_CHANNELS


class RasaRelay:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def hold(self, sender_id: str, agent: str | None) -> None:
        """Sets (an agent's name) or clears (``None``) ``handoff_agent``."""
        await self._post(
            sender_id,
            "tracker/events",
            [{"event": "slot", "name": HANDOFF_AGENT_SLOT, "value": agent}],
        )

    async def deliver(self, sender_id: str) -> None:
        """Sends the officer's pending messages through their latest channel."""
        await self._post(sender_id, "execute", {"name": DELIVER_ACTION}, output_channel="latest")
        # An action run from outside is not followed by listening, as a predicted
        # one is; without it the officer's next message would not look like a new
        # turn to the rules, and the bot would not understand it.
        await self._post(
            sender_id, "tracker/events", [{"event": "action", "name": "action_listen"}]
        )

    async def _post(
        self, sender_id: str, path: str, body: object, output_channel: str | None = None
    ) -> None:
        params = {}
        if output_channel:
            params["output_channel"] = output_channel
        if self.token:
            params["token"] = self.token
        url = f"{self.base_url}/conversations/{quote(sender_id, safe='')}/{path}"
        try:
            async with (
                aiohttp.ClientSession(timeout=self.timeout) as client,
                client.post(url, json=body, params=params) as response,
            ):
                if response.status >= 400:
                    detail = (await response.text())[:200]
                    log.warning("Rasa refused %s: HTTP %s", path, response.status)
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}: {detail}")
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("Rasa unreachable for %s (%s)", path, type(error).__name__)
            raise RasaUnavailable(
                f"Rasa could not be reached at {self.base_url} ({type(error).__name__})"
            ) from error

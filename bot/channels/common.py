"""What every messaging channel needs, whatever the platform: limits on what an
officer may send, splitting long replies, numbered choices for channels without
buttons, remembering which webhook deliveries were already handled, and the
channels' own short replies in the officer's language.

Plain Python (no Rasa or Sanic import), so it is tested without a server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.language import detect_language, reply_language
from bot.replies import LANGUAGES, render

logger = logging.getLogger(__name__)

#: Longest message an officer may send (Telegram's and WhatsApp's own limit); a
#: longer one gets a polite "too long" instead of reaching the NLU.
MAX_TEXT_CHARS = 4096
#: Largest webhook body read at all (HTTP 413 beyond it). Real deliveries are a
#: few kilobytes; a cap keeps a forged flood from costing memory and CPU.
MAX_BODY_BYTES = 256 * 1024
#: How many senders' offered choices, and how many delivery ids, are remembered.
MEMORY_SIZE = 10_000


def same_secret(given: str | bytes | None, expected: str | bytes) -> bool:
    """Compares a secret from a request with the configured one in constant time,
    so response timing does not reveal how much of a guess was right."""
    if given is None:
        return False
    if isinstance(given, str):
        given = given.encode("utf-8")
    if isinstance(expected, str):
        expected = expected.encode("utf-8")
    return hmac.compare_digest(given, expected)


def split_text(text: str, limit: int) -> list[str]:
    """A reply cut into parts a platform accepts (Telegram and WhatsApp: 4,096
    characters; Twilio: 1,600), at paragraph, line or word boundaries when possible."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def shorten(title: str, limit: int) -> str:
    """A button title within a platform's limit, ending in "…" when cut."""
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def language_of_text(text: str, default: str = "en") -> str:
    """The language a bot reply is written in, for the channel's own labels
    ("Options" / "Chaguo") around it."""
    return detect_language(text) or default


def numbered_choices(text: str, buttons: Sequence[Mapping[str, Any]]) -> str:
    """Buttons as a numbered list under the text, for channels without buttons:
    the officer answers with the number (see :class:`OfferedChoices`)."""
    language = language_of_text(text)
    lines = [f"{number}. {button.get('title', '')}" for number, button in enumerate(buttons, 1)]
    return "\n\n".join(
        [text.strip(), "\n".join(lines), render("channel_choose_by_number", language)]
    )


def channel_reply(key: str, language: str | None, **params: Any) -> str:
    """One of the channels' own replies (bot/replies/channels.yml); both languages,
    Kiswahili first, when the officer's language is not known yet."""
    if language in LANGUAGES:
        return render(key, language, **params)
    return "\n\n".join(render(key, lang, **params) for lang in ("sw", "en"))


def reply_to(text: str | None, key: str, **params: Any) -> str:
    """One of the channels' own replies to ``text``, in its language (both
    languages when that cannot be told, or there is no text)."""
    return channel_reply(key, detect_language(text) if text else None, **params)


def sender_digest(channel: str, sender_id: str) -> str:
    """A sender as keys and logs name them: never the id itself (a WhatsApp
    sender id is a phone number)."""
    return hashlib.sha256(f"{channel}\x00{sender_id}".encode()).hexdigest()[:16]


def officer_language(slots: Mapping[str, Any] | None, text: str | None = None) -> str | None:
    """The language to answer a message the bot never sees in: the officer's
    explicit choice, else the language of this text, else the conversation's; None
    when nothing tells (a first message that is a sticker)."""
    slots = slots or {}
    detected = detect_language(text) if text else None
    preference, previous = slots.get("language_preference"), slots.get("language")
    if not any(value in LANGUAGES for value in (preference, detected, previous)):
        return None
    return reply_language(detected, preference, previous)


@dataclass(frozen=True)
class Choice:
    title: str
    payload: str


class OfferedChoices:
    """The buttons last offered to each sender, so that "2" (or a short callback
    key) means the second of them. Kept in memory and bounded (the oldest senders
    are forgotten first; after a restart a number is read as plain text) — or, given
    a Redis client, in Redis for a day, so every Rasa replica reads the same
    (a webhook for the answer may reach another replica than the one that offered).
    If Redis fails, this process's memory is used (logged)."""

    def __init__(
        self, size: int = MEMORY_SIZE, *, redis: Any = None, namespace: str = "channel"
    ) -> None:
        self._size = size
        self._offered: OrderedDict[str, list[Choice]] = OrderedDict()
        self._redis = redis
        self._namespace = namespace

    def _key(self, sender_id: str) -> str:
        return f"{SHARED_KEY_PREFIX}choices:{sender_digest(self._namespace, sender_id)}"

    def offer(self, sender_id: str, buttons: Iterable[Mapping[str, Any]]) -> None:
        choices = [
            Choice(str(b.get("title", "")), str(b.get("payload") or b.get("title", "")))
            for b in buttons
        ]
        if self._redis is not None:
            try:
                if choices:
                    value = json.dumps([[c.title, c.payload] for c in choices])
                    self._redis.set(self._key(sender_id), value, ex=SHARED_TTL_SECONDS)
                else:
                    self._redis.delete(self._key(sender_id))
                return
            except Exception as error:  # noqa: BLE001 - kept here instead
                _shared_memory_failed(error)
        self._offered.pop(sender_id, None)
        if choices:
            self._offered[sender_id] = choices
            while len(self._offered) > self._size:
                self._offered.popitem(last=False)

    def offered(self, sender_id: str) -> list[Choice]:
        if self._redis is not None:
            try:
                value = self._redis.get(self._key(sender_id))
                if value is not None:
                    return [Choice(title, payload) for title, payload in json.loads(value)]
            except Exception as error:  # noqa: BLE001 - read here instead
                _shared_memory_failed(error)
        return list(self._offered.get(sender_id, []))

    def pick(self, sender_id: str, answer: str) -> str | None:
        """The payload of the choice numbered ``answer`` ("2", " 2. "), if one was
        offered to this sender; None otherwise (the answer is then plain text)."""
        number = answer.strip().rstrip(".)")
        if not number.isdigit() or len(number) > 3:
            return None
        choices = self.offered(sender_id)
        index = int(number) - 1
        return choices[index].payload if 0 <= index < len(choices) else None


class RecentIds:
    """Ids of deliveries already handled: platforms re-send a webhook when the
    answer was slow or lost, and an officer must not be registered twice. In
    memory, or (given a Redis client) in Redis for a day — the re-sent webhook may
    reach another replica; ``SET NX`` makes one of them the first."""

    def __init__(
        self, size: int = MEMORY_SIZE, *, redis: Any = None, namespace: str = "channel"
    ) -> None:
        self._size = size
        self._seen: OrderedDict[Hashable, None] = OrderedDict()
        self._redis = redis
        self._namespace = namespace

    def first_time(self, delivery_id: Hashable | None) -> bool:
        """True the first time an id is seen (and for deliveries without an id)."""
        if delivery_id is None:
            return True
        if self._redis is not None:
            key = f"{SHARED_KEY_PREFIX}delivery:{self._namespace}:{delivery_id}"
            try:
                return bool(self._redis.set(key, 1, nx=True, ex=SHARED_TTL_SECONDS))
            except Exception as error:  # noqa: BLE001 - remembered here instead
                _shared_memory_failed(error)
        if delivery_id in self._seen:
            return False
        self._seen[delivery_id] = None
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


#: Where the channels' shared memory lives in Redis, and for how long.
SHARED_KEY_PREFIX = "msaidizi:"
SHARED_TTL_SECONDS = 24 * 3600
#: Redis calls from a webhook handler must be quick: it runs on the event loop.
SHARED_REDIS_TIMEOUT_SECONDS = 0.25


@cache
def shared_redis(url: str | None) -> Any:
    """A Redis client for the channels' shared memory, or None without a URL (one
    per URL and process: the channels share its connection pool)."""
    if not url:
        return None
    import redis

    return redis.Redis.from_url(
        url,
        socket_timeout=SHARED_REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=SHARED_REDIS_TIMEOUT_SECONDS,
    )


def _shared_memory_failed(error: BaseException) -> None:
    logger.warning(
        "channel memory: Redis unavailable (%s); using this process's memory",
        type(error).__name__,
    )

"""The bot's dynamic replies, in English and Kiswahili.

Fixed replies are domain responses (``domain/responses/``). Replies assembled from
data — a course's details, eligibility reasons, a registration summary, a list of
enrolments — are worded here instead, in ``bot/replies/*.yml``, each key with an
``en`` and a ``sw`` text side by side, so a translator sees both at once and
``tests/unit/test_replies.py`` can check that every key exists in both languages
with the same placeholders.

Texts use ``str.format`` placeholders (``{code}``); :func:`render` fills them and
falls back to English only if a language is unknown, never silently to a blank.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("en", "sw")
REPLIES_DIR = Path(__file__).with_name("replies")

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "sw": [
        "Januari",
        "Februari",
        "Machi",
        "Aprili",
        "Mei",
        "Juni",
        "Julai",
        "Agosti",
        "Septemba",
        "Oktoba",
        "Novemba",
        "Desemba",
    ],
}


class MissingReply(KeyError):
    """A reply key that no file under ``bot/replies/`` defines."""


@lru_cache(maxsize=1)
def catalogue() -> Mapping[str, Mapping[str, str]]:
    """Every reply key -> {language: text}, from all files in ``bot/replies/``."""
    merged: dict[str, Mapping[str, str]] = {}
    for path in sorted(REPLIES_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, texts in data.items():
            if key in merged:
                raise ValueError(f"reply {key!r} is defined twice ({path.name})")
            merged[key] = texts
    return merged


def language_of(value: str | None) -> str:
    """The reply language for a ``language`` slot value (English if unset)."""
    return value if value in LANGUAGES else "en"


def render(key: str, language: str | None, **params: Any) -> str:
    """The text for ``key`` in ``language`` with its placeholders filled."""
    try:
        texts = catalogue()[key]
    except KeyError:
        raise MissingReply(key) from None
    return texts[language_of(language)].format(**params).strip("\n").rstrip()


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholders}`` in a reply text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def format_date(day: date, language: str | None) -> str:
    """ "5 March 2027" / "5 Machi 2027": spelled months, because "05/03/2027" is
    read differently by different officers."""
    return f"{day.day} {MONTHS[language_of(language)][day.month - 1]} {day.year}"


def format_money(amount: int) -> str:
    """KES 15,000."""
    return f"KES {amount:,}"


def join_lines(lines: list[str]) -> str:
    return "\n".join(line for line in lines if line)


def bullet_list(items: list[str]) -> str:
    return "\n".join(f"• {item}" for item in items)

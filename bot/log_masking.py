"""Masking officers' contact details and identifiers in log lines (DPA 2019
s.25: data minimisation; issue 4 scope 4).

Both servers run under this module (``python -m bot.log_masking rasa run …``,
``python -m bot.log_masking rasa_sdk …``: :mod:`bot.serve` starts them so), which
:func:`install` sets up masking before Rasa, Sanic or coloredlogs configure any
logging. It masks every record when it is created, so no email address, phone
number, personal number or national ID number reaches a log, whatever logger
wrote the line and whatever handler (Rasa's coloredlogs, Sanic's access log, a
``--log-file``, an operator's logging config) writes it.

What is masked, by shape (the same shapes bot.contact accepts):

- email addresses → ``[email]``;
- Kenyan phone numbers in their usual spellings (07…, 01…, +254…, 254…, with
  spaces or dashes) → ``[phone]``;
- a run of 6 to 10 digits standing alone (personal numbers, ID numbers) →
  ``[number]``, except after ``pid``/``port`` where it is the operator's.

- the values of name-like slots (``full_name``, ``employer``) where Rasa's debug
  log prints slots or ``SlotSet`` events → ``[redacted]``.

Other names cannot be recognised by shape. At the default level (INFO) neither
server logs message texts or slot values; at DEBUG, Rasa logs officers' messages,
so a name typed in a message can reach a debug log (shapes above are still
masked). Run production at INFO.
"""

from __future__ import annotations

import logging
import re
import runpy
import sys
from collections.abc import Callable, Sequence
from typing import Any

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])(?:\+?254[\s-]?|0)[17]\d{2}[\s-]?\d{3}[\s-]?\d{3}(?!\d)")
_NUMBER = re.compile(r"(?<![\w.:/-])(?<!pid )(?<!port )\d{6,10}(?![\w.:/-])", re.IGNORECASE)
# "full_name: Jane", "'employer': 'MoH'", "SlotSet(key: full_name, value: Jane)".
_NAMED_SLOT = re.compile(
    r"""(full_name|employer)(['"]?(?:\s*[:=]\s*|,\s*value:\s*))(['"]?)(?!None\b)([^\s'"\\,)}][^'"\\\n,)}]*)"""
)


def mask_personal_data(text: str) -> str:
    """``text`` with emails, phone numbers and personal/ID numbers masked."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    text = _NUMBER.sub("[number]", text)
    return _NAMED_SLOT.sub(r"\1\2\3[redacted]", text)


class PersonalDataFilter(logging.Filter):
    """A logging filter that masks the formatted message (and an attached
    traceback's text) before any handler writes it; it never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_personal_data(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        return True


_MASKING_FACTORY = "_msaidizi_masks_personal_data"


def install() -> None:
    """Masks every log record this process creates from now on, and adds
    :class:`PersonalDataFilter` to the root logger's current handlers.

    Masking at record creation (a record factory) covers loggers and handlers
    configured later by Rasa, Sanic or a ``--logging-config-file``, which a filter
    on today's handlers would miss. Records are only created for enabled levels,
    so the cost is paid only for lines that are written. Idempotent.
    """
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(previous, _MASKING_FACTORY, False):
        return
    masking = PersonalDataFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        masking.filter(record)
        return record

    setattr(factory, _MASKING_FACTORY, True)
    logging.setLogRecordFactory(factory)
    for handler in logging.getLogger().handlers:
        handler.addFilter(masking)


def main(argv: Sequence[str]) -> None:
    """``python -m bot.log_masking MODULE [ARGS…]``: runs ``python -m MODULE
    ARGS…`` (``rasa``, ``rasa_sdk``) with masking installed first."""
    if not argv:
        sys.exit("usage: python -m bot.log_masking MODULE [ARGS...]  (e.g. rasa run ...)")
    install()
    module, *args = argv
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Masking officers' contact details and identifiers in log lines (DPA 2019
s.25: data minimisation; issue 4 scope 4).

Groundwork for issue 4, not yet installed in the servers' logging: the
:class:`PersonalDataFilter` is meant for the handlers of the Rasa server and the
action server, so that no email address, phone number, personal number or
national ID number reaches a plain log, whatever module wrote the line.

What is masked, by shape (the same shapes bot.contact accepts):

- email addresses → ``[email]``;
- Kenyan phone numbers in their usual spellings (07…, 01…, +254…, 254…, with
  spaces or dashes) → ``[phone]``;
- a run of 6 to 10 digits standing alone (personal numbers, ID numbers) →
  ``[number]``, except after ``pid``/``port`` where it is the operator's.

Names cannot be recognised by shape; they are kept out of logs by not logging
message texts and slot values in the first place.
"""

from __future__ import annotations

import logging
import re

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])(?:\+?254[\s-]?|0)[17]\d{2}[\s-]?\d{3}[\s-]?\d{3}(?!\d)")
_NUMBER = re.compile(r"(?<![\w.:/-])(?<!pid )(?<!port )\d{6,10}(?![\w.:/-])", re.IGNORECASE)


def mask_personal_data(text: str) -> str:
    """``text`` with emails, phone numbers and personal/ID numbers masked."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _NUMBER.sub("[number]", text)


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

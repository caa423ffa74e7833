"""Checking the contact details and identifier an officer gives in the registration form.

Issue 3 (scope 3) asks for validation "with re-prompts that say what is wrong":
so each check returns a :class:`Checked` with the normalised ``value`` or a
``problem`` code ("too_short", "not_kenyan", "missing_at", ...) from which a reply
is chosen later in English or Kiswahili. No wording lives here.

- Phone numbers are normalised to ``+254…`` (contract §3: ``phone_number`` is
  normalised to +254…). Only Kenyan mobile numbers are accepted (07xx and 01xx,
  i.e. +2547… and +2541…): the bot and staff reach officers by SMS and WhatsApp,
  which landlines cannot receive.
- Emails are checked pragmatically (one @, a domain with a dot, no spaces); full
  RFC 5322 would accept addresses no government mail system issues and reject
  nothing an officer is likely to mistype. The domain is lower-cased because it is
  case-insensitive; the part before the @ is kept as typed, as mail servers may
  treat it case-sensitively.
- The personal (payroll) number's format is not confirmed (domain brief §2), so
  its pattern comes from configuration (``PERSONAL_NUMBER_PATTERN``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Problem codes.
EMPTY = "empty"
NOT_A_NUMBER = "not_a_number"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
NOT_KENYAN = "not_kenyan"
LANDLINE = "landline"  # a Kenyan number that is not a mobile (e.g. 020…, 041…)
HAS_SPACE = "has_space"
MISSING_AT = "missing_at"
TOO_MANY_AT = "too_many_at"
MISSING_NAME = "missing_name"  # nothing before the @
MISSING_DOMAIN = "missing_domain"  # nothing after the @
DOMAIN_WITHOUT_DOT = "domain_without_dot"
BAD_DOMAIN = "bad_domain"
WRONG_FORMAT = "wrong_format"

KENYA_CODE = "254"
#: First digit of a Kenyan mobile number after the 0 / +254 (07xx, 01xx).
MOBILE_FIRST_DIGITS = ("7", "1")
_NATIONAL_LENGTH = 9  # digits after +254 or the leading 0

_SEPARATORS = re.compile(r"[\s().\-/]+")
_DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_TOP_LEVEL = re.compile(r"^[a-z]{2,}$")


@dataclass(frozen=True)
class Checked:
    """The outcome of one check: ``value`` (normalised) when it passed, otherwise
    ``problem``. Truthy exactly when it passed, so ``if is_valid_email(x):`` reads
    naturally."""

    value: str | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __bool__(self) -> bool:
        return self.ok


def _failed(problem: str) -> Checked:
    return Checked(value=None, problem=problem)


def check_phone(text: str | None) -> Checked:
    """A Kenyan mobile number as ``+2547XXXXXXXX`` / ``+2541XXXXXXXX``, or the problem.

    Accepts 0712 345 678, 0712-345-678, 0112345678, 254712345678, +254 712 345 678,
    00254712345678 and the nine digits alone (712345678).
    """
    if text is None or not text.strip():
        return _failed(EMPTY)
    compact = _SEPARATORS.sub("", text.strip())
    plus = compact.startswith("+")
    digits = compact[1:] if plus else compact
    if not digits.isdigit():
        return _failed(NOT_A_NUMBER)
    if digits.startswith("00"):  # international prefix dialled from a landline
        digits, plus = digits[2:], True
    if plus or (digits.startswith(KENYA_CODE) and len(digits) > _NATIONAL_LENGTH + 1):
        if not digits.startswith(KENYA_CODE):
            return _failed(NOT_KENYAN)
        national = digits[len(KENYA_CODE) :]
        if national.startswith("0"):  # "+254 0712…": a common slip, the 0 is dropped
            national = national[1:]
    elif digits.startswith("0"):
        national = digits[1:]
    elif len(digits) == _NATIONAL_LENGTH:
        national = digits
    else:
        return _failed(TOO_SHORT if len(digits) < _NATIONAL_LENGTH else TOO_LONG)
    if len(national) < _NATIONAL_LENGTH:
        return _failed(TOO_SHORT)
    if len(national) > _NATIONAL_LENGTH:
        return _failed(TOO_LONG)
    if national[0] not in MOBILE_FIRST_DIGITS:
        return _failed(LANDLINE)
    return Checked(value=f"+{KENYA_CODE}{national}")


def normalise_phone(text: str | None) -> str | None:
    """The number as ``+254…``, or None when it is not a Kenyan mobile number
    (:func:`check_phone` says why)."""
    return check_phone(text).value


def is_valid_email(text: str | None) -> Checked:
    """The email with its domain lower-cased, or the problem (see module docstring).

    A trailing full stop is ignored: officers end sentences with one ("it is
    jane@example.go.ke.").
    """
    if text is None or not text.strip():
        return _failed(EMPTY)
    email = text.strip().rstrip(".")
    if any(c.isspace() for c in email):
        return _failed(HAS_SPACE)
    if "@" not in email:
        return _failed(MISSING_AT)
    if email.count("@") > 1:
        return _failed(TOO_MANY_AT)
    local, domain = email.split("@")
    if not local:
        return _failed(MISSING_NAME)
    if not domain:
        return _failed(MISSING_DOMAIN)
    domain = domain.lower()
    if "." not in domain:
        return _failed(DOMAIN_WITHOUT_DOT)
    labels = domain.split(".")
    if not all(_DOMAIN_LABEL.match(label) for label in labels) or not _TOP_LEVEL.match(labels[-1]):
        return _failed(BAD_DOMAIN)
    return Checked(value=f"{local}@{domain}")


def is_valid_personal_number(text: str | None, pattern: str | None = None) -> Checked:
    """The personal number if it fully matches ``pattern``, or ``wrong_format``.

    ``pattern`` defaults to the configured ``PERSONAL_NUMBER_PATTERN``. Spaces are
    removed first, since officers group digits as they read them ("2023 1234").
    """
    if text is None or not text.strip():
        return _failed(EMPTY)
    if pattern is None:
        from bot.config import get_settings

        pattern = get_settings().personal_number_pattern
    number = re.sub(r"\s+", "", text)
    if re.fullmatch(pattern, number) is None:
        return _failed(WRONG_FORMAT)
    return Checked(value=number)

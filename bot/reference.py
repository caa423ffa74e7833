"""Human-friendly reference numbers ("KSG-7F3K9Q") for enrolments and hand-offs.

Officers read these aloud over the phone and type them on small keyboards, so the
alphabet leaves out characters that are easily confused (0/O, 1/I/L) and U (which
can turn a random code into a rude word). Six characters from 30 give about 729
million codes per prefix; collisions are rare and callers retry on the unique
constraint rather than checking first.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 6
ENROLMENT_PREFIX = "KSG"
HANDOFF_PREFIX = "HLP"

_SEPARATORS = re.compile(r"[\s\-_.:/]+")


def new_reference(prefix: str = ENROLMENT_PREFIX) -> str:
    """A fresh random reference such as ``KSG-7F3K9Q`` (cryptographic randomness, so
    references cannot be guessed from one another)."""
    return f"{prefix}-" + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_reference(text: str, prefix: str = ENROLMENT_PREFIX) -> str | None:
    """The canonical form of what an officer typed ("ksg 7f3k9q", "7F3K9Q"), or
    ``None`` when it cannot be one of our references."""
    compact = _SEPARATORS.sub("", text or "").upper()
    if compact.startswith(prefix):
        compact = compact[len(prefix) :]
    if len(compact) != LENGTH or any(c not in ALPHABET for c in compact):
        return None
    return f"{prefix}-{compact}"

"""Job groups: reading what officers type, checking it, and comparing seniority.

Officers give their grade in many ways: "JG K", "job group K", "jg-k", "Job Group
'K'", in Kiswahili "kundi la kazi K", or in the newer numeric scheme "CSG 10"
(issue 3, scope 2; domain brief §2: accept both notations). Contract §3 says the
``job_group`` entity is normalised to a letter, and contract §5 that the letters
run A–H, J–N, P–U with no I or O — so "JG I" and "JG O" are refused, not guessed.

The CSG mapping comes from ``data/catalogue/job_groups.yml``, which is partial and
awaits confirmation against the Public Service Commission's career guidelines
(domain brief §2). A CSG number the file does not map gives no letter and the
reason ``csg_unknown``: the bot then asks for the letter rather than guessing, and
a result read through the unconfirmed mapping says so (``csg_unconfirmed``).

A single letter on its own ("K") is only read as a job group when the caller says
the officer was just asked for one (``bare_letter=True``); anywhere else "a" or "I"
is just a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.catalogue import JobGroups

#: Contract §5 and job_groups.yml: most junior first; there is no I or O.
LETTERS: tuple[str, ...] = tuple("ABCDEFGHJKLMNPQRSTU")

# Problem codes, for replies chosen later in English and Kiswahili.
NOT_FOUND = "not_found"
NOT_A_JOB_GROUP = "not_a_job_group"  # a letter outside A–H, J–N, P–U, e.g. I or O
CSG_UNKNOWN = "csg_unknown"  # a CSG grade that job_groups.yml does not map (yet)

_QUOTE = "'\"‘’“”`"
_LETTER_AFTER = (
    rf"\s*(?:[:=-]\s*)?(?:(?:yangu|yako|langu|lako)\s+)?(?:(?:is|ni|ya)\s+)?"
    rf"[{_QUOTE}]?\s*([a-z])\s*[{_QUOTE}]?(?![a-z0-9])"
)
_NAMED = re.compile(
    rf"(?<![a-z])(?:j\.?\s?g\.?|job[\s-]*group|kundi\s+(?:langu\s+|lako\s+)?la\s+kazi|kundi){_LETTER_AFTER}",
    re.IGNORECASE,
)
# "JGK": the letters run together, as officers often type them.
_GLUED = re.compile(r"(?<![a-z])jg([a-z])(?![a-z0-9])", re.IGNORECASE)
_CSG = re.compile(r"(?<![a-z])csg\s*[:=-]?\s*(\d{1,2})(?!\d)", re.IGNORECASE)
_BARE = re.compile(rf"^\s*[{_QUOTE}]?\s*([a-z])\s*[{_QUOTE}]?\s*[.!]?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class JobGroupResult:
    """A job group read from text: ``value`` is the letter, or None with ``problem``
    saying why. ``given`` is what the officer wrote for it ("I", "CSG 12"), for the
    reply to quote back."""

    value: str | None
    problem: str | None = None
    given: str | None = None
    csg: int | None = None
    csg_unconfirmed: bool = False

    @property
    def ok(self) -> bool:
        return self.value is not None


@lru_cache(maxsize=1)
def default_job_groups() -> JobGroups:
    """The configured ``job_groups.yml`` (letters and CSG mapping), validated."""
    from bot.catalogue import JOB_GROUPS_FILE, load_job_groups
    from bot.config import get_settings

    return load_job_groups(get_settings().catalogue_dir / JOB_GROUPS_FILE)


def letters(job_groups: JobGroups | None = None) -> tuple[str, ...]:
    """The job-group letters, most junior first: ``job_groups``' or contract §5's."""
    return job_groups.letters if job_groups is not None else LETTERS


def normalise(letter: str | None, job_groups: JobGroups | None = None) -> str | None:
    """``letter`` upper-cased if it is a job group, else None ("i" and "o" are not)."""
    if not isinstance(letter, str):
        return None
    candidate = letter.strip().strip(_QUOTE).strip().upper()
    return candidate if candidate in letters(job_groups) else None


def is_valid(letter: str | None, job_groups: JobGroups | None = None) -> bool:
    """Whether ``letter`` is a job group (A–H, J–N, P–U; contract §5)."""
    return normalise(letter, job_groups) is not None


def rank(letter: str, job_groups: JobGroups | None = None) -> int:
    """Seniority of ``letter`` (0 is most junior); comparing ranks compares grades.

    Needed because the alphabet has gaps (no I or O): "J is one above H".
    Raises ValueError for a letter that is not a job group.
    """
    normal = normalise(letter, job_groups)
    if normal is None:
        raise ValueError(f"{letter!r} is not a job group")
    return letters(job_groups).index(normal)


def in_range(
    letter: str,
    lowest: str | None,
    highest: str | None,
    job_groups: JobGroups | None = None,
) -> bool:
    """Whether ``letter`` lies within ``lowest``..``highest``, both inclusive.

    ``None`` means no limit on that side, as ``max_job_group: null`` does in
    courses.yml ("JG K and above").
    """
    position = rank(letter, job_groups)
    if lowest is not None and position < rank(lowest, job_groups):
        return False
    return highest is None or position <= rank(highest, job_groups)


def parse_job_group(
    text: str,
    *,
    bare_letter: bool = False,
    job_groups: JobGroups | None = None,
) -> JobGroupResult:
    """Reads a job group from ``text``.

    Accepts "JG K", "jg-k", "JGK", "job group K", "Job Group 'K'", "my job group is
    K", "kundi la kazi K", "CSG 10" and, with ``bare_letter``, "K" alone. When the
    text names several, the first valid one wins; a refused letter ("JG I") is only
    reported when nothing valid is found. ``job_groups`` defaults to the letters of
    contract §5 and, for CSG, to the configured ``job_groups.yml``.
    """
    refused: JobGroupResult | None = None
    candidates: list[tuple[int, str, str]] = []
    for pattern in (_NAMED, _GLUED):
        for match in pattern.finditer(text):
            candidates.append((match.start(), match.group(1), match.group(0).strip()))
    for _, letter, given in sorted(candidates):
        normal = normalise(letter, job_groups)
        if normal is not None:
            return JobGroupResult(value=normal, given=given)
        refused = refused or JobGroupResult(None, NOT_A_JOB_GROUP, given=letter.upper())

    for match in _CSG.finditer(text):
        grade = int(match.group(1))
        groups = job_groups if job_groups is not None else default_job_groups()
        letter = groups.letter_for_csg(grade)
        given = match.group(0).strip()
        if letter is not None:
            return JobGroupResult(
                value=letter,
                given=given,
                csg=grade,
                csg_unconfirmed=not groups.csg_confirmed or groups.csg[letter].check,
            )
        refused = refused or JobGroupResult(None, CSG_UNKNOWN, given=given, csg=grade)

    if bare_letter:
        match = _BARE.match(text)
        if match:
            normal = normalise(match.group(1), job_groups)
            if normal is not None:
                return JobGroupResult(value=normal, given=match.group(1))
            return refused or JobGroupResult(None, NOT_A_JOB_GROUP, given=match.group(1).upper())
    return refused or JobGroupResult(None, NOT_FOUND)


def job_group(
    text: str, *, bare_letter: bool = False, job_groups: JobGroups | None = None
) -> str | None:
    """The job-group letter in ``text``, or None (see :func:`parse_job_group`)."""
    return parse_job_group(text, bare_letter=bare_letter, job_groups=job_groups).value

"""Which course an officer means, however they name it.

Issue 3 (scope 1) asks that every form of a course mention map to its catalogue
code: the code with or without dash or space ("CLD 201", "cld201", "CLD-201"),
short names ("cloud", "cyber", "AI course"), and Kiswahili names ("kozi ya usalama
wa mtandao", "akili bandia"). Contract §3 says the ``course`` entity is normalised
to a course code, so this module is what the NLU pipeline and the actions use to
do that.

The names are data, not code: ``data/catalogue/course_names.yml`` lists them by
course code so administrators can add what officers actually type, and loading
refuses a code that ``courses.yml`` does not have (a renamed course must not keep
matching a code that no longer exists).

Matching is deliberately simple and explainable (no model is allowed here):

* a code is three letters and three digits, separated by a dash, a space or
  nothing; it counts only if the catalogue has it;
* the three letters alone ("CLD") count too, because every code's letters are
  unique in the catalogue;
* a name matches word by word; where names overlap the longest wins, so "digital
  leadership" is DLS-301 and "data protection" is not read as two mentions;
* officers type on phones, so a word of 5 letters or more may be one letter off
  (two from 8 letters: "cybersecurty", "clowd"), with the same first letter, unless
  it is a real word listed under ``not_misspellings`` ("clout" is not "cloud").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

COURSE_NAMES_FILE = "course_names.yml"

_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{3})[\s_-]?(\d{3})(?![0-9])")
_WORD = re.compile(r"[a-z0-9]+")

#: Shortest word that may be matched despite a typo (shorter words are too alike).
MIN_FUZZY_LENGTH = 5
#: From this length a word may be two edits away instead of one.
LONG_WORD_LENGTH = 8


class CourseNamesError(ValueError):
    """``course_names.yml`` is wrong; the message names the file and the place."""


@dataclass(frozen=True)
class CourseNames:
    """Every name of every course, ready for matching.

    ``names`` maps each name as a tuple of words to its course code; ``codes`` is
    the set of course codes the catalogue has.
    """

    names: Mapping[tuple[str, ...], str]
    codes: frozenset[str]
    not_misspellings: frozenset[str]

    @property
    def prefixes(self) -> Mapping[str, str]:
        """Code letters ("cld") to code, for letters that only one course has."""
        by_prefix: dict[str, list[str]] = {}
        for code in self.codes:
            by_prefix.setdefault(code[:3].lower(), []).append(code)
        return {p: codes[0] for p, codes in by_prefix.items() if len(codes) == 1}


@dataclass(frozen=True)
class CourseMention:
    """A course named in a message: its code and the character span that named it
    (``text[start:end]``), for use as an entity."""

    code: str
    start: int
    end: int


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text.lower())]


def load_course_names(path: Path | str, codes: Iterable[str]) -> CourseNames:
    """Reads ``course_names.yml`` and checks every code against ``codes`` (the
    course codes in ``courses.yml``). Raises :class:`CourseNamesError`.

    A name given to two different courses is refused: the bot could not tell which
    one the officer meant.
    """
    path = Path(path)
    known = frozenset(codes)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseNamesError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise CourseNamesError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(raw, Mapping) or not isinstance(raw.get("names"), Mapping):
        raise CourseNamesError(f"{path}: expected a mapping with 'names' by course code")
    unknown_keys = sorted(set(raw) - {"names", "not_misspellings"})
    if unknown_keys:
        raise CourseNamesError(f"{path}: {unknown_keys[0]}: unknown field")
    names: dict[tuple[str, ...], str] = {}
    for code, by_language in raw["names"].items():
        if code not in known:
            raise CourseNamesError(
                f"{path}: names > {code}: not a course code in courses.yml"
                f" (one of {', '.join(sorted(known))})"
            )
        if not isinstance(by_language, Mapping):
            raise CourseNamesError(f"{path}: names > {code}: expected 'en' and 'sw' lists")
        for language, entries in by_language.items():
            where = f"{path}: names > {code} > {language}"
            if language not in ("en", "sw"):
                raise CourseNamesError(f"{where}: language must be 'en' or 'sw'")
            if not isinstance(entries, list):
                raise CourseNamesError(f"{where}: expected a list of names")
            for entry in entries:
                words = tuple(w for w, _, _ in _words(str(entry)))
                if not isinstance(entry, str) or not words:
                    raise CourseNamesError(f"{where}: {entry!r} is not a name")
                other = names.get(words)
                if other is not None and other != code:
                    raise CourseNamesError(f"{where}: {entry!r} is already a name of {other}")
                names[words] = code
    exceptions = raw.get("not_misspellings") or []
    if not isinstance(exceptions, list):
        raise CourseNamesError(f"{path}: not_misspellings: expected a list of words")
    return CourseNames(
        names=names,
        codes=known,
        not_misspellings=frozenset(str(w).lower() for w in exceptions),
    )


@lru_cache(maxsize=1)
def default_course_names() -> CourseNames:
    """The configured names, checked against the configured catalogue (cached)."""
    from bot.catalogue import load_catalogue

    catalogue = load_catalogue()
    return load_course_names(
        catalogue.directory / COURSE_NAMES_FILE, (c.code for c in catalogue.courses)
    )


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap two
    neighbours), stopping early once every path exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _same_word(typed: str, name_word: str, not_misspellings: frozenset[str]) -> bool:
    if typed == name_word:
        return True
    if len(name_word) < MIN_FUZZY_LENGTH or len(typed) < MIN_FUZZY_LENGTH:
        return False
    if typed[0] != name_word[0] or typed in not_misspellings:
        return False
    allowed = 2 if len(name_word) >= LONG_WORD_LENGTH else 1
    return edit_distance(typed, name_word, allowed) <= allowed


def find_course_mentions(text: str, names: CourseNames | None = None) -> list[tuple[str, int, int]]:
    """Every course mentioned in ``text``, in order, as ``(code, start, end)``.

    Spans do not overlap; ``text[start:end]`` is what the officer wrote, so the
    result can become entity annotations. A code not in the catalogue ("ABC-123")
    is not a mention.
    """
    names = names or default_course_names()
    found: list[CourseMention] = []
    taken: list[tuple[int, int]] = []
    for match in _CODE.finditer(text):
        code = f"{match.group(1).upper()}-{match.group(2)}"
        if code in names.codes:
            found.append(CourseMention(code, match.start(), match.end()))
        # An unknown code ("CLD-999") is no mention, and its letters are no name either.
        taken.append((match.start(), match.end()))

    words = [w for w in _words(text) if not any(s <= w[1] < e for s, e in taken)]
    prefixes = names.prefixes
    by_length = sorted(names.names.items(), key=lambda item: -len(item[0]))
    i = 0
    while i < len(words):
        best: tuple[int, str] | None = None
        for name, code in by_length:
            n = len(name)
            if i + n > len(words):
                continue
            window = words[i : i + n]
            if any(window[k + 1][1] - window[k][2] > 3 for k in range(n - 1)):
                continue  # the words of a name must be next to each other
            if all(
                _same_word(w, nw, names.not_misspellings)
                for (w, _, _), nw in zip(window, name, strict=True)
            ):
                best = (n, code)
                break  # longest first, so the first name that matches is the longest
        if best is None and words[i][0] in prefixes:
            best = (1, prefixes[words[i][0]])
        if best is None:
            i += 1
            continue
        n, code = best
        start, end = words[i][1], words[i + n - 1][2]
        if not _names_the_law(text, start, end):
            found.append(CourseMention(code, start, end))
        i += n
    found.sort(key=lambda m: m.start)
    return [(m.code, m.start, m.end) for m in found]


# "data protection" names DGP-202, but "the Data Protection Act", "data protection
# officer" and "sheria ya ulinzi wa data" name the law (issue 4), not the course.
_LAW_NAMES = {"data protection", "ulinzi wa data"}
_LAW_AFTER = re.compile(
    r"\s*(?:act|law|laws|regulations?|officer|officers|commissioner|impact|principles?|"
    r"rights?|policy|policies|compliance|breach|,?\s*2019|\(general\))\b",
    re.IGNORECASE,
)
_LAW_BEFORE = re.compile(
    r"\b(?:sheria|kanuni|afisa|maafisa|kamishna|haki|ofisi|tathmini|uvunjaji)\s+(?:ya|wa|za)\s*$",
    re.IGNORECASE,
)


def _names_the_law(text: str, start: int, end: int) -> bool:
    if text[start:end].lower() not in _LAW_NAMES:
        return False
    return bool(_LAW_AFTER.match(text, end) or _LAW_BEFORE.search(text[:start]))


def course_codes(text: str, names: CourseNames | None = None) -> list[str]:
    """The distinct courses mentioned in ``text``, in the order first mentioned."""
    seen: list[str] = []
    for code, _, _ in find_course_mentions(text, names):
        if code not in seen:
            seen.append(code)
    return seen


def course_code(text: str, names: CourseNames | None = None) -> str | None:
    """The course ``text`` names, as its catalogue code, or None if it names none.

    When a message names several ("I did DLF-101, can I do cloud?") this is the
    first one; callers that need to tell them apart use :func:`course_codes` or
    :func:`find_course_mentions`.
    """
    codes = course_codes(text, names)
    return codes[0] if codes else None

"""Rasa pipeline component that finds the helpdesk's entities by rule.

No model learns entities: every entity below comes from here, already
normalised as contract §3 asks, with ``start``/``end`` the characters the officer
typed (``text[start:end]``):

- ``course``: the course code (``CLD-201``), by :mod:`bot.course_names`;
- ``job_group``: the letter (``K``), by :mod:`bot.job_groups` (never a bare letter);
- ``email``: as :func:`bot.contact.is_valid_email` normalises it;
- ``phone_number``: ``+2547…``/``+2541…``, by :func:`bot.contact.check_phone`;
- ``personal_number``: after a cue ("P/No", "namba ya kazi") or alone in the
  message, in the configured format (:func:`bot.contact.is_valid_personal_number`);
- ``reference``: ``KSG-7F3K9Q`` (or ``HLP-…``), by
  :func:`bot.reference.normalise_reference`; a code without its prefix only after
  a cue ("ref", "kumbukumbu");
- ``terms_of_service``: ``intern`` or ``attache``, by keyword;
- ``export_format``: ``json`` or ``csv`` (also for "excel", "spreadsheet"), by keyword.

The rules run in a fixed order and each claims the characters it used, so one
piece of text is one entity only: emails first (the digits and words inside an
address are nothing else), then references, phone numbers, job groups (so "CSG
10" is no number), courses, personal numbers and terms of service. A value found
twice in a message is reported once, at its first mention.

:func:`extract_entities` works on plain strings (tests need no Rasa objects);
:class:`HelpdeskEntityExtractor` only puts its findings on Rasa's messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.contact import LANDLINE, check_phone, is_valid_email, is_valid_personal_number
from bot.course_names import find_course_mentions
from bot.job_groups import parse_job_group
from bot.reference import ENROLMENT_PREFIX, HANDOFF_PREFIX, normalise_reference

if TYPE_CHECKING:
    from bot.catalogue import JobGroups
    from bot.course_names import CourseNames

COURSE = "course"
JOB_GROUP = "job_group"
EMAIL = "email"
PHONE_NUMBER = "phone_number"
PERSONAL_NUMBER = "personal_number"
REFERENCE = "reference"
TERMS_OF_SERVICE = "terms_of_service"

INTERN = "intern"
ATTACHE = "attache"

# --- emails -------------------------------------------------------------------
# Anything shaped like an address is claimed (so its digits are no personal number),
# and kept only if bot.contact accepts it.
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+")

# --- references ---------------------------------------------------------------
_CODE = r"([A-Za-z0-9]{3}[ -]?[A-Za-z0-9]{3})"
_PREFIXED_REFERENCE = re.compile(
    rf"(?<![A-Za-z0-9])({ENROLMENT_PREFIX}|{HANDOFF_PREFIX})[\s\-_.:/#]*{_CODE}(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_REFERENCE_CUE = re.compile(
    r"(?<![a-z0-9])(?:reference|ref|kumbukumbu)(?![a-z])"
    r"(?:\s*(?:no\.?|number|namba|nambari|#)(?![a-z]))?"
    rf"(?:\s*(?:[:=#-]|is|ni|yangu|yako|ya\s+usajili)(?![a-z]))*\s*{_CODE}(?![A-Za-z0-9])",
    re.IGNORECASE,
)

# --- phone numbers --------------------------------------------------------------
_DIGITS = re.compile(r"\d+")
# What may separate the digit groups of one number: "0712 345 678", "+254 (0) 712…".
_PHONE_GAP = re.compile(r"[ \-.()]{1,3}")
_MAX_PHONE_DIGITS = 14  # 00254 + nine digits, and a slipped-in 0
# In running text a phone number must start like one (0…, 254…, +…); nine bare
# digits could as well be a personal number.
_PHONE_STARTS = ("0", "254")

# --- personal numbers -----------------------------------------------------------
_NUMBER_WORD = r"(?:number|numb|num|nbr|no\.?|\#)"
_SW_NUMBER = r"(?:namba|nambari|nambo|nomba)"
_PERSONAL_NUMBER_CUE = re.compile(
    rf"""(?<![a-z0-9])(?:
        personal\s*(?:file\s*)?{_NUMBER_WORD}
      | p\s*[/.]\s*(?:no\.?|n|f\s*no\.?)
      | p\s?no\.?
      | pf\s*{_NUMBER_WORD}
      | pn
      | (?:payroll|staff|employee|employment)\s*{_NUMBER_WORD}
      | payroll
      | {_SW_NUMBER}\s+(?:yangu\s+|yako\s+)?(?:ya\s+)?
          (?:kibinafsi|binafsi|kazi|utumishi|mshahara|mfanyakazi|malipo|payroll|personal|pn)
    )(?![a-z])
    (?:\s*(?:[:=\#-]|is|ni\s+hii|ni|hii|yangu|yako)(?![a-z]))*\s*
    """,
    re.IGNORECASE | re.VERBOSE,
)
# The number itself: one token (the configured pattern may allow letters), then
# any digit groups ("2023 1234"), as officers type them.
_PERSONAL_NUMBER_TOKENS = re.compile(r"[A-Za-z0-9]+(?: \d+)*")
_FIRST_TOKEN = re.compile(r"[A-Za-z0-9]+")

# --- terms of service -----------------------------------------------------------
_INTERN = re.compile(
    r"(?<![a-z])(?:internships?|interns?|interning"
    r"|(?:mwanafunzi\s+wa\s+)?mafunzo\s+(?:ya\s+)?kazini)(?![a-z])",
    re.IGNORECASE,
)
# "attaches" is a verb, so only the accented plural and "attachee(s)" are plurals.
_ATTACHE = re.compile(r"(?<![a-z])attach(?:ées?|és?|ees?|e)(?![a-z])", re.IGNORECASE)
# "attachment" is also what an email carries: it counts only as the officer's
# situation ("on attachment", "niko attachment", "industrial attachment").
_ATTACHMENT = re.compile(r"(?<![a-z])(?:industrial\s+)?attachments?(?![a-z])", re.IGNORECASE)
_ATTACHMENT_BEFORE = re.compile(
    r"(?<![a-z])(?:on|niko|nko|nipo|iko|doing|do|for|kwa|currently|still|ku)\s*-?\s*$",
    re.IGNORECASE,
)
_ATTACHMENT_AFTER = re.compile(r"^\s+(?:students?|period|programme|program)(?![a-z])", re.I)


@dataclass(frozen=True)
class _Found:
    entity: str
    value: str
    start: int
    end: int


class _Spans:
    """The characters already read as some entity."""

    def __init__(self) -> None:
        self._spans: list[tuple[int, int]] = []

    def add(self, start: int, end: int) -> None:
        self._spans.append((start, end))

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self._spans)

    def mask(self, text: str) -> str:
        """``text`` with claimed characters blanked (same length, so offsets hold)."""
        chars = list(text)
        for start, end in self._spans:
            chars[start:end] = " " * (end - start)
        return "".join(chars)


def extract_entities(
    text: str,
    pattern: str | None = None,
    *,
    course_names: CourseNames | None = None,
    job_groups: JobGroups | None = None,
) -> list[dict[str, Any]]:
    """Every entity in ``text``, in order, as ``{"entity", "value", "start", "end"}``.

    ``pattern`` is the personal-number format (default: the configured
    ``PERSONAL_NUMBER_PATTERN``); ``course_names`` and ``job_groups`` default to
    the configured catalogue files.
    """
    if pattern is None:
        from bot.config import get_settings

        pattern = get_settings().personal_number_pattern
    text = text or ""
    taken = _Spans()
    found: list[_Found] = []
    for finder in (_emails, _references, _phones):
        found += finder(text, taken)
    found += _job_groups(text, taken, job_groups)
    found += _courses(text, taken, course_names)
    found += _personal_numbers(text, taken, pattern)
    found += _terms_of_service(text, taken)
    found += _languages(text, taken)
    found += _export_formats(text, taken)

    entities: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for item in sorted(found, key=lambda f: (f.start, f.end)):
        if (item.entity, item.value) in seen:
            continue
        seen.add((item.entity, item.value))
        entities.append(
            {"entity": item.entity, "value": item.value, "start": item.start, "end": item.end}
        )
    return entities


def _emails(text: str, taken: _Spans) -> list[_Found]:
    found = []
    for match in _EMAIL.finditer(text):
        start, end = match.start(), match.end()
        while end > start and text[end - 1] in ".-":  # "…go.ke." ends a sentence
            end -= 1
        taken.add(start, end)
        checked = is_valid_email(text[start:end])
        if checked.ok and checked.value:
            found.append(_Found(EMAIL, checked.value, start, end))
    return found


def _reference_code(code: str, prefix: str, *, dashed: bool = False) -> str | None:
    # A code with no digit must be typed in capitals or after a dash: "ref asante"
    # and "KSG branch" are words, "KSG BCDFGH" and "ksg-bcdfgh" are references.
    if not dashed and not any(c.isdigit() for c in code) and not code.isupper():
        return None
    return normalise_reference(code, prefix)


def _references(text: str, taken: _Spans) -> list[_Found]:
    found = []
    for match in _PREFIXED_REFERENCE.finditer(text):
        prefix = match.group(1).upper()
        dashed = "-" in text[match.end(1) : match.start(2)]
        value = _reference_code(match.group(2), prefix, dashed=dashed)
        if value is not None and taken.free(match.start(), match.end()):
            taken.add(match.start(), match.end())
            found.append(_Found(REFERENCE, value, match.start(), match.end()))
    for match in _REFERENCE_CUE.finditer(text):
        start, end = match.start(1), match.end(1)
        value = _reference_code(match.group(1), ENROLMENT_PREFIX)
        if value is not None and taken.free(start, end):
            taken.add(start, end)
            found.append(_Found(REFERENCE, value, start, end))
    return found


def _phones(text: str, taken: _Spans) -> list[_Found]:
    """Kenyan mobile numbers: runs of digit groups that bot.contact accepts; where
    a run could end in several places the longest valid number wins."""
    found = []
    groups = [m for m in _DIGITS.finditer(text) if taken.free(m.start(), m.end())]
    i = 0
    while i < len(groups):
        start = groups[i].start()
        plus = start > 0 and text[start - 1] == "+"
        if plus:
            start -= 1
        before = text[start - 1] if start > 0 else " "
        if (
            before.isalnum()
            or before in "_@"
            or not (plus or groups[i].group().startswith(_PHONE_STARTS))
        ):
            i += 1
            continue
        best: tuple[str, int, int] | None = None
        digits = 0
        for j in range(i, len(groups)):
            if j > i and not _PHONE_GAP.fullmatch(text[groups[j - 1].end() : groups[j].start()]):
                break
            digits += len(groups[j].group())
            if digits > _MAX_PHONE_DIGITS:
                break
            end = groups[j].end()
            if text[end : end + 1].isalpha():
                continue
            checked = check_phone(text[start:end])
            if checked.ok and checked.value:
                best = (checked.value, end, j)
        if best is None:
            i += 1
            continue
        value, end, last = best
        taken.add(start, end)
        found.append(_Found(PHONE_NUMBER, value, start, end))
        i = last + 1
    if not found:
        # A message that is only a number bot.contact accepts ("712345678") is one.
        core, start = _whole_message(text)
        checked = check_phone(core) if re.fullmatch(r"\d[\d ]*", core) else None
        if checked and checked.ok and checked.value and taken.free(start, start + len(core)):
            taken.add(start, start + len(core))
            found.append(_Found(PHONE_NUMBER, checked.value, start, start + len(core)))
    return found


def _job_groups(text: str, taken: _Spans, job_groups: JobGroups | None) -> list[_Found]:
    """Every valid job group named ("JG K", "CSG 10", ...); refused ones ("JG I",
    an unmapped CSG grade) give nothing. parse_job_group returns the first valid
    one; blanking it and asking again finds the next."""
    found = []
    masked = taken.mask(text)
    for _ in range(20):  # a message naming more than a few is not a real message
        result = parse_job_group(masked, job_groups=job_groups)
        if not result.ok or not result.value or not result.given:
            break
        start = _find_mention(masked, result.given)
        if start < 0:
            break
        end = start + len(result.given)
        taken.add(start, end)
        found.append(_Found(JOB_GROUP, result.value, start, end))
        masked = masked[:start] + " " * (end - start) + masked[end:]
    return found


def _find_mention(text: str, given: str) -> int:
    """Where ``given`` (matched after a non-letter) occurs in ``text``."""
    start = text.find(given)
    while start > 0 and text[start - 1].isalpha():
        start = text.find(given, start + 1)
    return start


def _courses(text: str, taken: _Spans, names: CourseNames | None) -> list[_Found]:
    found = []
    for code, start, end in find_course_mentions(taken.mask(text), names):
        if taken.free(start, end):
            taken.add(start, end)
            found.append(_Found(COURSE, code, start, end))
    return found


def _personal_number_at(
    text: str, position: int, taken: _Spans, pattern: str
) -> tuple[str, int, int] | None:
    """The personal number starting at ``position``: its longest reading that fits
    ``pattern`` ("2023 1234" before "2023")."""
    match = _PERSONAL_NUMBER_TOKENS.match(text, position)
    if match is None:
        return None
    ends = [m.end() for m in _FIRST_TOKEN.finditer(text, position, match.end())]
    for end in reversed(ends):
        if not taken.free(position, end):
            continue
        checked = is_valid_personal_number(text[position:end], pattern)
        if checked.ok and checked.value:
            return checked.value, position, end
    return None


def _whole_message(text: str) -> tuple[str, int]:
    """The message without surrounding spaces and a final full stop, and where it starts."""
    start = len(text) - len(text.lstrip())
    core = text.strip().rstrip(".").rstrip()
    return core, start


def _personal_numbers(text: str, taken: _Spans, pattern: str) -> list[_Found]:
    found = []
    for cue in _PERSONAL_NUMBER_CUE.finditer(text):
        if not taken.free(cue.start(), cue.end()):
            continue
        number = _personal_number_at(text, cue.end(), taken, pattern)
        if number is not None:
            value, start, end = number
            taken.add(start, end)
            found.append(_Found(PERSONAL_NUMBER, value, start, end))
    if found:
        return found
    # A message that is only a number, and not a phone number (mobile or landline).
    core, start = _whole_message(text)
    if (
        core
        and any(c.isdigit() for c in core)
        and _PERSONAL_NUMBER_TOKENS.fullmatch(core)
        and check_phone(core).problem not in (None, LANDLINE)
    ):
        number = _personal_number_at(text, start, taken, pattern)
        if number is not None and number[2] == start + len(core):
            value, start, end = number
            taken.add(start, end)
            found.append(_Found(PERSONAL_NUMBER, value, start, end))
    return found


def _terms_of_service(text: str, taken: _Spans) -> list[_Found]:
    found = []
    for match in _INTERN.finditer(text):
        if taken.free(match.start(), match.end()):
            found.append(_Found(TERMS_OF_SERVICE, INTERN, match.start(), match.end()))
    for match in _ATTACHE.finditer(text):
        if taken.free(match.start(), match.end()):
            found.append(_Found(TERMS_OF_SERVICE, ATTACHE, match.start(), match.end()))
    for match in _ATTACHMENT.finditer(text):
        if not taken.free(match.start(), match.end()):
            continue
        industrial = match.group().lower().startswith("industrial")
        if (
            industrial
            or _ATTACHMENT_BEFORE.search(text[: match.start()])
            or _ATTACHMENT_AFTER.match(text[match.end() :])
        ):
            found.append(_Found(TERMS_OF_SERVICE, ATTACHE, match.start(), match.end()))
    return found


# The language an officer names ("reply in Kiswahili"): slot language_preference
# takes it only with the switch_language intent (domain/core.yml).
_LANGUAGE_NAMES = {
    "sw": r"ki-?swahili|swahili|kiswa|swa|lugha\s+ya\s+taifa",
    "en": r"english|kiingereza|kizungu|engl?ish|eng",
}
_LANGUAGE = {
    value: re.compile(rf"(?<![a-z])(?:{names})(?![a-z])", re.IGNORECASE)
    for value, names in _LANGUAGE_NAMES.items()
}


def _languages(text: str, taken: _Spans) -> list[_Found]:
    found = []
    for value, pattern in _LANGUAGE.items():
        for match in pattern.finditer(text):
            if taken.free(match.start(), match.end()):
                found.append(_Found("language", value, match.start(), match.end()))
    return found


# --- export formats (a copy of the officer's data, issue 4) -------------------------
EXPORT_FORMAT = "export_format"
_EXPORT_FORMATS = {
    "json": re.compile(r"(?<![\w.])json(?![\w])", re.IGNORECASE),
    "csv": re.compile(r"(?<![\w.])(?:csv|excel|spreadsheet)(?![\w])", re.IGNORECASE),
}


def _export_formats(text: str, taken: _Spans) -> list[_Found]:
    found = []
    for value, pattern in _EXPORT_FORMATS.items():
        for match in pattern.finditer(text):
            if taken.free(match.start(), match.end()):
                taken.add(match.start(), match.end())
                found.append(_Found(EXPORT_FORMAT, value, match.start(), match.end()))
    return found


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class HelpdeskEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds the rule-based entities of :func:`extract_entities` to every message.

    ``personal_number_pattern`` (config) overrides the personal-number format;
    left unset, ``PERSONAL_NUMBER_PATTERN`` is read when the model is loaded, so
    operators change it without retraining.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # None, not the setting itself: a value here would be frozen into the
        # trained model, and the environment at serving time would be ignored.
        return {"personal_number_pattern": None}

    def __init__(self, config: dict[str, Any]) -> None:
        pattern = config.get("personal_number_pattern")
        if not pattern:
            from bot.config import get_settings

            pattern = get_settings().personal_number_pattern
        try:
            re.compile(pattern)
        except re.error as error:
            raise InvalidConfigException(
                f"{self.__class__.__name__}: personal_number_pattern {pattern!r}"
                f" is not a valid regular expression: {error}"
            ) from error
        self.personal_number_pattern: str = pattern

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> HelpdeskEntityExtractor:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Nothing learns from these entities: training examples are left as they are.
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            found = extract_entities(message.get(TEXT) or "", self.personal_number_pattern)
            if not found:
                continue
            entities = [
                {
                    ENTITY_ATTRIBUTE_TYPE: item["entity"],
                    ENTITY_ATTRIBUTE_VALUE: item["value"],
                    ENTITY_ATTRIBUTE_START: item["start"],
                    ENTITY_ATTRIBUTE_END: item["end"],
                    ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                    EXTRACTOR: self.__class__.__name__,
                }
                for item in found
            ]
            message.set(ENTITIES, [*message.get(ENTITIES, []), *entities], add_to_output=True)
        return messages

"""The course catalogue: loaded from YAML, validated, and seeded into the database.

Administrators edit ``data/catalogue/courses.yml`` and ``job_groups.yml`` by hand,
so loading checks everything a typo could break and says exactly where: the file,
the course and cohort, and the field (``courses.yml: courses[1] CLD-201 >
cohorts[0] CLD-201-2027-03 > campus: 'Nairobi' is not one of the course's
campuses (Lower Kabete)``). Loaded data is plain frozen dataclasses with no
database in sight, so the bot can also answer catalogue questions from it.

Seeding rule (:func:`seed_catalogue`), idempotent and safe to run while the bot
is taking registrations:

- courses are upserted by ``code`` and cohorts by ``code``; every field from the
  file is applied again, so an edited title or date takes effect, and nothing is
  ever duplicated. A course no longer in the file is deactivated (``active =
  False``), not deleted: enrolments refer to it. Cohorts are never deleted.
- ``seats_taken`` in the file means "seats already taken outside the bot" and is
  used only when a cohort is first created (that is how the sample's full cohort
  starts full). After that the database owns the count — the bot's enrolments
  move it — and re-seeding leaves it alone, except that it is raised (never
  lowered) to the number of seat-holding enrolments if it were ever below it.
- a capacity below the seats already taken is refused with an error naming the
  cohort (nobody is silently bumped off a course); the whole seed is one
  transaction, so nothing is half-applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.db.models import (
    SEAT_HOLDING_STATUSES,
    Cohort,
    Course,
    CourseMode,
    Enrolment,
    FeePayer,
)

COURSES_FILE = "courses.yml"
JOB_GROUPS_FILE = "job_groups.yml"

COURSE_CODE = re.compile(r"^[A-Z]{3}-\d{3}$")
TRACK = re.compile(r"^[a-z][a-z_]*$")


class CatalogueError(ValueError):
    """The catalogue files are wrong; the message names the file, the place and the
    field, for an administrator to fix."""


class SeedError(RuntimeError):
    """The catalogue is valid but cannot be applied to this database as it is."""


# ---------------------------------------------------------------- data classes


@dataclass(frozen=True)
class CsgGrade:
    """A job group's CSG grade, with whether the source still needs checking."""

    grade: int
    source: str
    check: bool = False


@dataclass(frozen=True)
class JobGroups:
    """Job-group letters in order (most junior first) and the partial CSG mapping."""

    letters: tuple[str, ...]
    csg: Mapping[str, CsgGrade] = field(default_factory=dict)
    csg_confirmed: bool = False

    def is_valid(self, letter: str | None) -> bool:
        return letter in self.letters

    def rank(self, letter: str) -> int:
        """Position of ``letter``: comparing ranks compares seniority."""
        try:
            return self.letters.index(letter)
        except ValueError:
            raise ValueError(f"unknown job group {letter!r}") from None

    def within(self, letter: str, lowest: str, highest: str | None) -> bool:
        """Whether ``letter`` lies in ``lowest``..``highest`` (``None``: no upper limit)."""
        rank = self.rank(letter)
        return self.rank(lowest) <= rank and (highest is None or rank <= self.rank(highest))

    def letter_for_csg(self, grade: int) -> str | None:
        """The job group for a CSG grade, when the mapping knows it."""
        return next((letter for letter, g in self.csg.items() if g.grade == grade), None)


@dataclass(frozen=True)
class CohortSpec:
    code: str
    start_date: date
    end_date: date
    campus: str
    capacity: int
    registration_deadline: date
    seats_taken: int = 0  # taken outside the bot; applied only to a new cohort


@dataclass(frozen=True)
class CourseSpec:
    code: str
    title: str
    title_sw: str
    track: str
    summary: str
    summary_sw: str
    min_job_group: str
    max_job_group: str | None
    mode: CourseMode
    campuses: tuple[str, ...]
    duration: str
    duration_sw: str
    fee_kes: int | None
    fee_payer: FeePayer
    certification: str | None
    requires_nomination: bool
    interns_allowed: bool
    prerequisites: tuple[str, ...]
    is_sample: bool
    cohorts: tuple[CohortSpec, ...]


@dataclass(frozen=True)
class Catalogue:
    courses: tuple[CourseSpec, ...]
    job_groups: JobGroups
    is_sample: bool
    directory: Path

    def course(self, code: str) -> CourseSpec | None:
        return next((c for c in self.courses if c.code == code), None)

    @property
    def cohort_count(self) -> int:
        return sum(len(c.cohorts) for c in self.courses)


# ---------------------------------------------------------------- validation


class _Node:
    """A mapping from the YAML plus where it is, so every error can say so."""

    def __init__(self, data: Any, file: Path, where: str) -> None:
        self.file = file
        self.where = where
        if not isinstance(data, Mapping):
            self.fail(None, f"expected a mapping of fields, found {_kind(data)}")
        self.data: Mapping[str, Any] = data

    def fail(self, key: str | None, message: str) -> NoReturn:
        place = " > ".join(p for p in (self.where, key) if p)
        raise CatalogueError(
            f"{self.file}: {place}: {message}" if place else f"{self.file}: {message}"
        )

    def only(self, allowed: Iterable[str]) -> None:
        unknown = sorted(set(self.data) - set(allowed))
        if unknown:
            self.fail(unknown[0], f"unknown field (expected one of: {', '.join(sorted(allowed))})")

    def raw(self, key: str, *, required: bool) -> Any:
        if key not in self.data:
            if required:
                self.fail(key, "missing")
            return None
        return self.data[key]

    def text(self, key: str, *, required: bool = True) -> str | None:
        value = self.raw(key, required=required)
        if value is None:
            if required:
                self.fail(key, "must not be empty")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"expected non-empty text, found {_kind(value)}")
        return " ".join(value.split())

    def integer(self, key: str, *, required: bool = True, default: int | None = None) -> int | None:
        value = self.raw(key, required=required)
        if value is None:
            if required:
                self.fail(key, "must not be empty")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"expected a whole number, found {_kind(value)}")
        return value

    def flag(self, key: str, *, default: bool | None = None) -> bool:
        value = self.raw(key, required=default is None)
        if value is None and default is not None:
            return default
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, found {_kind(value)}")
        return value

    def day(self, key: str) -> date:
        value = self.raw(key, required=True)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(key, f"expected a date as YYYY-MM-DD, found {_kind(value)}")

    def texts(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        value = self.raw(key, required=required)
        if value is None:
            if required:
                self.fail(key, "must not be empty")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(key, f"expected a list of names, found {_kind(value)}")
        if len(set(value)) != len(value):
            self.fail(key, "lists a name twice")
        return tuple(v.strip() for v in value)

    def choice(self, key: str, enum_class: Any) -> Any:
        value = self.text(key)
        try:
            return enum_class(value)
        except ValueError:
            allowed = ", ".join(e.value for e in enum_class)
            self.fail(key, f"{value!r} is not one of: {allowed}")

    def job_group(self, key: str, job_groups: JobGroups, *, required: bool = True) -> str | None:
        value = self.raw(key, required=required)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not job_groups.is_valid(value.strip().upper()):
            self.fail(key, f"{value!r} is not a job group (one of {', '.join(job_groups.letters)})")
        return value.strip().upper()


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (str, int, float, bool, date)) and not isinstance(value, Mapping):
        return f"{type(value).__name__} {value!r}"
    return type(value).__name__


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise CatalogueError(f"{path}: file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CatalogueError(f"{path}: not valid YAML: {error}") from error


def load_job_groups(path: Path) -> JobGroups:
    """Reads ``job_groups.yml``: the letters in order and the partial CSG mapping."""
    root = _Node(_read_yaml(path), path, "")
    root.only({"letters", "csg"})
    letters = root.texts("letters")
    for letter in letters:
        if not re.fullmatch(r"[A-Z]", letter):
            root.fail("letters", f"{letter!r} is not a single capital letter")
    if list(letters) != sorted(letters):
        root.fail("letters", "must be in alphabetical order (most junior first)")

    csg_raw = root.raw("csg", required=False)
    if csg_raw is None:
        return JobGroups(letters=letters)
    csg = _Node(csg_raw, path, "csg")
    csg.only({"confirmed", "grades", "unknown"})
    grades_node = _Node(csg.raw("grades", required=False) or {}, path, "csg > grades")
    grades: dict[str, CsgGrade] = {}
    for letter, entry_raw in grades_node.data.items():
        if letter not in letters:
            grades_node.fail(str(letter), "is not one of the letters above")
        entry = _Node(entry_raw, path, f"csg > grades > {letter}")
        entry.only({"csg", "source", "check"})
        grades[letter] = CsgGrade(
            grade=entry.integer("csg"),
            source=entry.text("source"),
            check=entry.flag("check", default=False),
        )
    ordered = sorted(grades.items(), key=lambda item: letters.index(item[0]))
    for (junior, a), (senior, b) in zip(ordered, ordered[1:], strict=False):
        if b.grade >= a.grade:
            grades_node.fail(senior, f"CSG {b.grade} should be lower than {junior}'s CSG {a.grade}")
    unknown = csg.texts("unknown", required=False)
    overlap = set(unknown) & set(grades)
    if overlap:
        csg.fail("unknown", f"lists {sorted(overlap)[0]}, which has a grade")
    if unknown and set(unknown) | set(grades) != set(letters):
        missing = sorted(set(letters) - set(unknown) - set(grades), key=letters.index)
        csg.fail("unknown", f"every letter needs a grade or a place here; missing: {missing}")
    return JobGroups(
        letters=letters, csg=grades, csg_confirmed=csg.flag("confirmed", default=False)
    )


_COURSE_FIELDS = {
    "code", "sample", "title", "title_sw", "track", "summary", "summary_sw",
    "min_job_group", "max_job_group", "interns_allowed", "requires_nomination",
    "prerequisites", "mode", "campuses", "duration", "duration_sw", "fee_payer",
    "fee_kes", "certification", "cohorts",
}  # fmt: skip
_COHORT_FIELDS = {
    "code", "start_date", "end_date", "campus", "capacity", "seats_taken",
    "registration_deadline",
}  # fmt: skip


def _load_cohort(node: _Node, course_code: str, campuses: Sequence[str]) -> CohortSpec:
    node.only(_COHORT_FIELDS)
    code = node.text("code")
    if not code.startswith(f"{course_code}-"):
        node.fail("code", f"{code!r} should start with the course code ({course_code}-)")
    start, end = node.day("start_date"), node.day("end_date")
    deadline = node.day("registration_deadline")
    if end < start:
        node.fail("end_date", f"{end} is before start_date {start}")
    if deadline > start:
        node.fail("registration_deadline", f"{deadline} is after start_date {start}")
    campus = node.text("campus")
    if campus not in campuses:
        node.fail(
            "campus", f"{campus!r} is not one of the course's campuses ({', '.join(campuses)})"
        )
    capacity = node.integer("capacity")
    if capacity <= 0:
        node.fail("capacity", f"must be more than 0, found {capacity}")
    seats_taken = node.integer("seats_taken", required=False, default=0)
    if not 0 <= seats_taken <= capacity:
        node.fail(
            "seats_taken", f"must be between 0 and capacity ({capacity}), found {seats_taken}"
        )
    return CohortSpec(
        code=code,
        start_date=start,
        end_date=end,
        campus=campus,
        capacity=capacity,
        registration_deadline=deadline,
        seats_taken=seats_taken,
    )


def _load_course(node: _Node, job_groups: JobGroups, file_is_sample: bool) -> CourseSpec:
    node.only(_COURSE_FIELDS)
    code = node.text("code")
    if not COURSE_CODE.match(code):
        node.fail("code", f"{code!r} should look like CLD-201 (three capitals, hyphen, 3 digits)")
    node.where = f"{node.where} {code}"
    track = node.text("track")
    if not TRACK.match(track):
        node.fail("track", f"{track!r} should be lower case with underscores (e.g. service_design)")
    lowest = node.job_group("min_job_group", job_groups)
    highest = node.job_group("max_job_group", job_groups, required=False)
    if highest is not None and job_groups.rank(highest) < job_groups.rank(lowest):
        node.fail("max_job_group", f"{highest} is below min_job_group {lowest}")
    fee_payer = node.choice("fee_payer", FeePayer)
    fee = node.integer("fee_kes", required=False)
    if fee_payer is FeePayer.NONE and fee not in (None, 0):
        node.fail("fee_kes", f"fee_payer is none, so fee_kes must be null, found {fee}")
    if fee_payer is not FeePayer.NONE and (fee is None or fee <= 0):
        node.fail("fee_kes", f"fee_payer is {fee_payer.value}, so fee_kes must be more than 0")
    campuses = node.texts("campuses")
    if not campuses:
        node.fail("campuses", "must name at least one campus")
    prerequisites = node.texts("prerequisites", required=False)
    if code in prerequisites:
        node.fail("prerequisites", "a course cannot be its own prerequisite")
    cohorts_raw = node.raw("cohorts", required=True)
    if not isinstance(cohorts_raw, list) or not cohorts_raw:
        node.fail("cohorts", "expected a list with at least one cohort")
    cohorts = []
    for i, raw in enumerate(cohorts_raw):
        code_hint = raw.get("code", "") if isinstance(raw, Mapping) else ""
        where = f"{node.where} > cohorts[{i}] {code_hint}".rstrip()
        cohorts.append(_load_cohort(_Node(raw, node.file, where), code, campuses))
    return CourseSpec(
        code=code,
        title=node.text("title"),
        title_sw=node.text("title_sw"),
        track=track,
        summary=node.text("summary"),
        summary_sw=node.text("summary_sw"),
        min_job_group=lowest,
        max_job_group=highest,
        mode=node.choice("mode", CourseMode),
        campuses=campuses,
        duration=node.text("duration"),
        duration_sw=node.text("duration_sw"),
        fee_kes=fee if fee_payer is not FeePayer.NONE else None,
        fee_payer=fee_payer,
        certification=node.text("certification", required=False),
        requires_nomination=node.flag("requires_nomination", default=False),
        interns_allowed=node.flag("interns_allowed", default=False),
        prerequisites=prerequisites,
        is_sample=node.flag("sample", default=file_is_sample),
        cohorts=tuple(cohorts),
    )


def load_catalogue(directory: Path | str | None = None) -> Catalogue:
    """Loads and validates ``courses.yml`` and ``job_groups.yml`` from ``directory``
    (default: the configured ``CATALOGUE_DIR``). Raises :class:`CatalogueError`."""
    if directory is None:
        from bot.config import get_settings

        directory = get_settings().catalogue_dir
    directory = Path(directory)
    job_groups = load_job_groups(directory / JOB_GROUPS_FILE)
    path = directory / COURSES_FILE
    root = _Node(_read_yaml(path), path, "")
    root.only({"sample", "courses"})
    file_is_sample = root.flag("sample", default=False)
    courses_raw = root.raw("courses", required=True)
    if not isinstance(courses_raw, list) or not courses_raw:
        root.fail("courses", "expected a list with at least one course")
    courses = [
        _load_course(_Node(raw, path, f"courses[{i}]"), job_groups, file_is_sample)
        for i, raw in enumerate(courses_raw)
    ]
    seen_courses: set[str] = set()
    seen_cohorts: set[str] = set()
    for i, course in enumerate(courses):
        if course.code in seen_courses:
            raise CatalogueError(f"{path}: courses[{i}] {course.code} > code: listed twice")
        seen_courses.add(course.code)
        for j, cohort in enumerate(course.cohorts):
            if cohort.code in seen_cohorts:
                raise CatalogueError(
                    f"{path}: courses[{i}] {course.code} > cohorts[{j}] {cohort.code} > code:"
                    " listed twice"
                )
            seen_cohorts.add(cohort.code)
    for i, course in enumerate(courses):
        for prerequisite in course.prerequisites:
            if prerequisite not in seen_courses:
                raise CatalogueError(
                    f"{path}: courses[{i}] {course.code} > prerequisites: {prerequisite!r}"
                    " is not a course in this catalogue"
                )
    return Catalogue(
        courses=tuple(courses), job_groups=job_groups, is_sample=file_is_sample, directory=directory
    )


# ---------------------------------------------------------------- seeding


@dataclass
class SeedReport:
    """What a seed run changed (an unchanged row still counts as updated)."""

    courses_created: int = 0
    courses_updated: int = 0
    courses_deactivated: int = 0
    cohorts_created: int = 0
    cohorts_updated: int = 0

    def __str__(self) -> str:
        return (
            f"courses: {self.courses_created} new, {self.courses_updated} updated,"
            f" {self.courses_deactivated} deactivated; cohorts: {self.cohorts_created} new,"
            f" {self.cohorts_updated} updated"
        )


def _apply_course(course: Course, spec: CourseSpec) -> None:
    course.title = spec.title
    course.title_sw = spec.title_sw
    course.track = spec.track
    course.summary = spec.summary
    course.summary_sw = spec.summary_sw
    course.min_job_group = spec.min_job_group
    course.max_job_group = spec.max_job_group
    course.mode = spec.mode
    course.campuses = list(spec.campuses)
    course.duration = spec.duration
    course.duration_sw = spec.duration_sw
    course.fee_kes = spec.fee_kes
    course.fee_payer = spec.fee_payer
    course.certification = spec.certification
    course.requires_nomination = spec.requires_nomination
    course.interns_allowed = spec.interns_allowed
    course.is_sample = spec.is_sample
    course.active = True


def seed_catalogue(session: Session, catalogue: Catalogue) -> SeedReport:
    """Upserts ``catalogue`` into the database (rule in the module docstring).

    Runs in the caller's transaction and does not commit. Cohort rows are locked
    (``FOR UPDATE`` on PostgreSQL; SQLite's write lock is taken at BEGIN) so a
    registration cannot slip in between reading a seat count and checking the new
    capacity against it.
    """
    report = SeedReport()
    courses = {
        c.code: c
        for c in session.execute(
            select(Course).options(selectinload(Course.prerequisites))
        ).scalars()
    }
    for spec in catalogue.courses:
        course = courses.get(spec.code)
        if course is None:
            course = courses[spec.code] = Course(code=spec.code)
            session.add(course)
            report.courses_created += 1
        else:
            report.courses_updated += 1
        _apply_course(course, spec)
    listed = {spec.code for spec in catalogue.courses}
    for code, course in courses.items():
        if code not in listed and course.active:
            course.active = False
            report.courses_deactivated += 1
    session.flush()
    for spec in catalogue.courses:
        courses[spec.code].prerequisites = [courses[p] for p in spec.prerequisites]

    cohorts = {
        c.code: c
        for c in session.execute(
            select(Cohort).with_for_update().execution_options(populate_existing=True)
        ).scalars()
    }
    held = dict(
        session.execute(
            select(Enrolment.cohort_id, func.count())
            .where(Enrolment.status.in_(SEAT_HOLDING_STATUSES))
            .group_by(Enrolment.cohort_id)
        ).all()
    )
    for course_spec in catalogue.courses:
        for spec in course_spec.cohorts:
            cohort = cohorts.get(spec.code)
            if cohort is None:
                cohort = Cohort(code=spec.code, seats_taken=spec.seats_taken)
                session.add(cohort)
                report.cohorts_created += 1
            else:
                floor = held.get(cohort.id, 0)
                if cohort.seats_taken < floor:
                    cohort.seats_taken = floor
                if spec.capacity < cohort.seats_taken:
                    raise SeedError(
                        f"cohort {spec.code}: capacity {spec.capacity} is below the"
                        f" {cohort.seats_taken} seats already taken; raise the capacity or"
                        " withdraw enrolments first"
                    )
                report.cohorts_updated += 1
            cohort.course_code = course_spec.code
            cohort.start_date = spec.start_date
            cohort.end_date = spec.end_date
            cohort.campus = spec.campus
            cohort.capacity = spec.capacity
            cohort.registration_deadline = spec.registration_deadline
    session.flush()
    return report

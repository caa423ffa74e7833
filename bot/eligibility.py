"""Who may take which course: the eligibility rules, driven by the catalogue.

Issue 3 (scope 2) asks for a rule engine in ``bot/`` with no Rasa import that
checks job-group range, prerequisites (completed, or declared by the officer and
recorded as such), terms of service (interns and attachés: DLF-101 only),
nomination, registration deadline and seats — and that gives *every* reason that
failed, not just the first, so the officer learns everything at once — and
suggests courses the officer is eligible for.

Everything the rules need comes from the catalogue (``courses.yml``, contract §5)
as plain data: :class:`CourseRule` mirrors the fields of
``bot.catalogue.CourseSpec`` and :meth:`CourseRule.from_spec` builds one from it
(with live seat counts from the database when the caller has them). Nothing here
is worded: a :class:`Verdict` carries reason codes with parameters, and replies in
English and Kiswahili are chosen from them by the domain.

Reasons (each makes the officer ineligible):

- ``interns_only_dlf`` — interns and attachés may only take courses with
  ``interns_allowed`` (in the catalogue: DLF-101; contract §5);
- ``job_group_unknown`` — the course limits job groups and the officer's is not
  known (or not a job group), so the bot must ask before it can say yes;
- ``job_group_too_low`` (``min``) / ``job_group_too_high`` (``max``) — outside the
  course's range, bounds inclusive (contract §5: "J–R means J up to R");
- ``missing_prerequisite`` (``code``) — one per prerequisite neither completed
  nor declared;
- ``needs_nomination`` — the course requires nomination by the accounting
  officer (DLS-301) and the officer said they have not been nominated;
- ``registration_closed`` (``last_deadline``) — no cohort is open:
  ``registration_deadline`` is the last day to register, inclusive (courses.yml).

Notes (the officer is still eligible):

- ``full`` (``cohorts``) — every open cohort is full: the officer can join the
  waitlist (issue 3: a full cohort gives a waitlisted enrolment, not a refusal);
- ``prerequisite_declared`` (``code``) — met only by the officer's declaration,
  which the enrolment must record as such;
- ``nomination_pending`` — the course needs nomination and the officer has not
  said whether they have it: the enrolment will be pending nomination (issue 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from bot import job_groups as jg

if TYPE_CHECKING:
    from bot.catalogue import JobGroups

# Reason codes (ineligible).
INTERNS_ONLY_DLF = "interns_only_dlf"
JOB_GROUP_UNKNOWN = "job_group_unknown"
JOB_GROUP_TOO_LOW = "job_group_too_low"
JOB_GROUP_TOO_HIGH = "job_group_too_high"
MISSING_PREREQUISITE = "missing_prerequisite"
NEEDS_NOMINATION = "needs_nomination"
REGISTRATION_CLOSED = "registration_closed"
# Note codes (still eligible).
FULL = "full"
PREREQUISITE_DECLARED = "prerequisite_declared"
NOMINATION_PENDING = "nomination_pending"

#: Terms of service that limit an officer to courses with ``interns_allowed``
#: (values of ``bot.db.models.TermsOfService``; "attaché" accepted as typed).
RESTRICTED_TERMS = frozenset({"intern", "attache", "attaché"})


@dataclass(frozen=True)
class CohortRule:
    """What eligibility needs to know about one intake."""

    code: str
    registration_deadline: date
    capacity: int
    seats_taken: int = 0
    start_date: date | None = None

    def is_open(self, today: date) -> bool:
        """Registration is open up to and including the deadline day."""
        return today <= self.registration_deadline

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)


@dataclass(frozen=True)
class CourseRule:
    """What eligibility needs to know about a course (fields as in courses.yml)."""

    code: str
    min_job_group: str | None = None
    max_job_group: str | None = None
    prerequisites: tuple[str, ...] = ()
    interns_allowed: bool = False
    requires_nomination: bool = False
    cohorts: tuple[CohortRule, ...] = ()

    @classmethod
    def from_spec(cls, spec: Any, seats_taken: Mapping[str, int] | None = None) -> CourseRule:
        """From a ``bot.catalogue.CourseSpec`` (or anything with its fields).

        ``seats_taken`` maps cohort codes to the database's live counts; without
        it the file's ``seats_taken`` is used, which is only the count the cohort
        started with (see ``bot/catalogue.py``).
        """
        live = seats_taken or {}
        return cls(
            code=spec.code,
            min_job_group=spec.min_job_group,
            max_job_group=spec.max_job_group,
            prerequisites=tuple(spec.prerequisites),
            interns_allowed=spec.interns_allowed,
            requires_nomination=spec.requires_nomination,
            cohorts=tuple(
                CohortRule(
                    code=c.code,
                    registration_deadline=c.registration_deadline,
                    capacity=c.capacity,
                    seats_taken=live.get(c.code, c.seats_taken),
                    start_date=c.start_date,
                )
                for c in spec.cohorts
            ),
        )


@dataclass(frozen=True)
class Officer:
    """What the officer has told us (or we hold) that eligibility depends on.

    ``declared_equivalents`` are prerequisite codes the officer says they have met
    another way ("DLF-101 or equivalent", contract §5). ``nominated`` is None when
    the officer has not been asked.
    """

    job_group: str | None = None
    terms_of_service: str | None = None
    completed: frozenset[str] = frozenset()
    declared_equivalents: frozenset[str] = frozenset()
    nominated: bool | None = None


@dataclass(frozen=True)
class Reason:
    """A reason or note code with its parameters (e.g. ``missing_prerequisite``,
    ``{"code": "DLF-101"}``)."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """Whether an officer may register for a course, and every reason why not."""

    course: str
    eligible: bool
    reasons: tuple[Reason, ...] = ()
    notes: tuple[Reason, ...] = ()
    open_cohorts: tuple[str, ...] = ()  # open for registration, full or not
    cohorts_with_seats: tuple[str, ...] = ()

    @property
    def reason_codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    @property
    def note_codes(self) -> list[str]:
        return [n.code for n in self.notes]

    @property
    def waitlist_only(self) -> bool:
        """Eligible, but every open cohort is full: registering means the waitlist."""
        return self.eligible and not self.cohorts_with_seats


def _terms(officer: Officer) -> str | None:
    value = getattr(officer.terms_of_service, "value", officer.terms_of_service)
    return value.strip().lower() if isinstance(value, str) else None


def check_eligibility(
    course: CourseRule,
    officer: Officer,
    today: date,
    job_groups: JobGroups | None = None,
) -> Verdict:
    """Checks every rule (module docstring) and returns all that failed."""
    reasons: list[Reason] = []
    notes: list[Reason] = []

    terms = _terms(officer)
    if terms in RESTRICTED_TERMS and not course.interns_allowed:
        reasons.append(Reason(INTERNS_ONLY_DLF, {"terms": terms}))

    lowest = jg.letters(job_groups)[0]
    limited = course.min_job_group not in (None, lowest) or course.max_job_group is not None
    letter = jg.normalise(officer.job_group, job_groups)
    if letter is None:
        # Interns and attachés have no job group: the terms rule above decides.
        if limited and terms not in RESTRICTED_TERMS:
            reasons.append(
                Reason(
                    JOB_GROUP_UNKNOWN,
                    {"min": course.min_job_group, "max": course.max_job_group},
                )
            )
    else:
        if course.min_job_group and jg.rank(letter, job_groups) < jg.rank(
            course.min_job_group, job_groups
        ):
            reasons.append(Reason(JOB_GROUP_TOO_LOW, {"min": course.min_job_group}))
        if course.max_job_group and jg.rank(letter, job_groups) > jg.rank(
            course.max_job_group, job_groups
        ):
            reasons.append(Reason(JOB_GROUP_TOO_HIGH, {"max": course.max_job_group}))

    for prerequisite in course.prerequisites:
        if prerequisite in officer.completed:
            continue
        if prerequisite in officer.declared_equivalents:
            notes.append(Reason(PREREQUISITE_DECLARED, {"code": prerequisite}))
        else:
            reasons.append(Reason(MISSING_PREREQUISITE, {"code": prerequisite}))

    if course.requires_nomination:
        if officer.nominated is False:
            reasons.append(Reason(NEEDS_NOMINATION))
        elif officer.nominated is None:
            notes.append(Reason(NOMINATION_PENDING))

    open_cohorts = [c for c in course.cohorts if c.is_open(today)]
    with_seats = [c for c in open_cohorts if c.seats_left > 0]
    if not open_cohorts:
        last = max((c.registration_deadline for c in course.cohorts), default=None)
        reasons.append(Reason(REGISTRATION_CLOSED, {"last_deadline": last}))
    elif not with_seats:
        notes.append(Reason(FULL, {"cohorts": tuple(c.code for c in open_cohorts)}))

    return Verdict(
        course=course.code,
        eligible=not reasons,
        reasons=tuple(reasons),
        notes=tuple(notes),
        open_cohorts=tuple(c.code for c in open_cohorts),
        cohorts_with_seats=tuple(c.code for c in with_seats),
    )


def _rules(catalogue: Any) -> list[CourseRule]:
    courses: Iterable[Any] = getattr(catalogue, "courses", catalogue)
    return [c if isinstance(c, CourseRule) else CourseRule.from_spec(c) for c in courses]


def suggest_courses(
    catalogue: Any,
    officer: Officer,
    today: date,
    *,
    exclude: Iterable[str] = (),
    job_groups: JobGroups | None = None,
) -> list[CourseRule]:
    """Courses the officer is eligible for, to offer when the one asked about is not.

    ``catalogue`` is a ``bot.catalogue.Catalogue``, or courses as
    :class:`CourseRule` or ``CourseSpec``. Courses the officer has completed and
    those in ``exclude`` (usually the one just refused) are left out. Courses with
    a seat come first, waitlist-only ones after, each in catalogue order.
    """
    skip = set(exclude) | set(officer.completed)
    with_seats: list[CourseRule] = []
    waitlist: list[CourseRule] = []
    for course in _rules(catalogue):
        if course.code in skip:
            continue
        verdict = check_eligibility(course, officer, today, job_groups)
        if verdict.eligible:
            (waitlist if verdict.waitlist_only else with_seats).append(course)
    return with_seats + waitlist

"""Who may take which course: every rule that fails is reported, and the officer is
offered what they can take instead (issue 3, scope 2; contract §5; courses.yml)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.catalogue import Catalogue
from bot.eligibility import (
    FULL,
    INTERNS_ONLY_DLF,
    JOB_GROUP_TOO_HIGH,
    JOB_GROUP_TOO_LOW,
    JOB_GROUP_UNKNOWN,
    MISSING_PREREQUISITE,
    NEEDS_NOMINATION,
    NOMINATION_PENDING,
    PREREQUISITE_DECLARED,
    REGISTRATION_CLOSED,
    CohortRule,
    CourseRule,
    Officer,
    Reason,
    check_eligibility,
    suggest_courses,
)

TODAY = date(2026, 11, 28)  # "today" in the sample catalogue's story


def cohort(code: str, deadline: date, capacity: int = 25, taken: int = 0) -> CohortRule:
    return CohortRule(
        code=code, registration_deadline=deadline, capacity=capacity, seats_taken=taken
    )


CLOUD = CourseRule(
    code="CLD-201",
    min_job_group="J",
    max_job_group="R",
    prerequisites=("DLF-101",),
    cohorts=(cohort("CLD-201-2027-06", date(2027, 5, 21)),),
)
LEADERSHIP = CourseRule(
    code="DLS-301",
    min_job_group="P",
    requires_nomination=True,
    cohorts=(cohort("DLS-301-2027-03", date(2027, 2, 26)),),
)
LITERACY = CourseRule(
    code="DLF-101",
    min_job_group="A",
    interns_allowed=True,
    cohorts=(cohort("DLF-101-2027-04", date(2027, 3, 19), capacity=200),),
)

OFFICER_K = Officer(job_group="K", terms_of_service="permanent", completed=frozenset({"DLF-101"}))


def codes(reasons: tuple[Reason, ...]) -> list[tuple[str, dict]]:
    return [(r.code, dict(r.params)) for r in reasons]


def test_a_job_group_k_officer_who_did_digital_literacy_may_take_cloud() -> None:
    verdict = check_eligibility(CLOUD, OFFICER_K, TODAY)
    assert verdict.eligible
    assert verdict.reasons == ()
    assert verdict.cohorts_with_seats == ("CLD-201-2027-06",)


def test_job_group_below_the_range_is_too_low_and_says_the_minimum() -> None:
    verdict = check_eligibility(
        CLOUD, Officer(job_group="H", completed=frozenset({"DLF-101"})), TODAY
    )
    assert not verdict.eligible
    assert codes(verdict.reasons) == [(JOB_GROUP_TOO_LOW, {"min": "J"})]


def test_job_group_above_the_range_is_too_high_and_says_the_maximum() -> None:
    verdict = check_eligibility(
        CLOUD, Officer(job_group="S", completed=frozenset({"DLF-101"})), TODAY
    )
    assert codes(verdict.reasons) == [(JOB_GROUP_TOO_HIGH, {"max": "R"})]


@pytest.mark.parametrize("letter", ["J", "R"])
def test_both_ends_of_the_range_are_included(letter: str) -> None:
    officer = Officer(job_group=letter, completed=frozenset({"DLF-101"}))
    assert check_eligibility(CLOUD, officer, TODAY).eligible


def test_the_bot_must_ask_the_job_group_before_saying_yes_to_a_limited_course() -> None:
    verdict = check_eligibility(CLOUD, Officer(completed=frozenset({"DLF-101"})), TODAY)
    assert codes(verdict.reasons) == [(JOB_GROUP_UNKNOWN, {"min": "J", "max": "R"})]
    # ... but digital literacy is open to every public officer
    assert check_eligibility(LITERACY, Officer(), TODAY).eligible


def test_an_officer_without_the_prerequisite_is_told_which_one() -> None:
    verdict = check_eligibility(CLOUD, Officer(job_group="K"), TODAY)
    assert codes(verdict.reasons) == [(MISSING_PREREQUISITE, {"code": "DLF-101"})]


def test_a_declared_equivalent_meets_the_prerequisite_and_is_noted_as_declared() -> None:
    officer = Officer(job_group="K", declared_equivalents=frozenset({"DLF-101"}))
    verdict = check_eligibility(CLOUD, officer, TODAY)
    assert verdict.eligible
    assert codes(verdict.notes) == [(PREREQUISITE_DECLARED, {"code": "DLF-101"})]


@pytest.mark.parametrize("terms", ["intern", "attache", "Attaché"])
def test_interns_and_attaches_may_take_digital_literacy_only(terms: str) -> None:
    intern = Officer(job_group="K", terms_of_service=terms, completed=frozenset({"DLF-101"}))
    assert check_eligibility(CLOUD, intern, TODAY).reason_codes == [INTERNS_ONLY_DLF]
    assert check_eligibility(LITERACY, intern, TODAY).eligible


def test_every_failed_reason_is_given_not_only_the_first() -> None:
    intern = Officer(job_group="G", terms_of_service="intern")
    verdict = check_eligibility(CLOUD, intern, TODAY)
    assert verdict.reason_codes == [INTERNS_ONLY_DLF, JOB_GROUP_TOO_LOW, MISSING_PREREQUISITE]


def test_leadership_needs_nomination_by_the_accounting_officer() -> None:
    not_nominated = Officer(job_group="Q", nominated=False)
    assert check_eligibility(LEADERSHIP, not_nominated, TODAY).reason_codes == [NEEDS_NOMINATION]
    nominated = Officer(job_group="Q", nominated=True)
    assert check_eligibility(LEADERSHIP, nominated, TODAY).eligible


def test_an_officer_not_yet_asked_about_nomination_may_register_pending_nomination() -> None:
    verdict = check_eligibility(LEADERSHIP, Officer(job_group="Q"), TODAY)
    assert verdict.eligible
    assert verdict.note_codes == [NOMINATION_PENDING]


def test_the_registration_deadline_is_the_last_day_to_register_inclusive() -> None:
    course = CourseRule(code="DGP-202", min_job_group="K", cohorts=(cohort("DGP-1", TODAY),))
    officer = Officer(job_group="K")
    assert check_eligibility(course, officer, TODAY).eligible
    verdict = check_eligibility(course, officer, date(2026, 11, 29))
    assert codes(verdict.reasons) == [(REGISTRATION_CLOSED, {"last_deadline": TODAY})]


def test_a_course_with_no_open_cohort_is_closed_even_for_an_eligible_officer() -> None:
    course = CourseRule(
        code="DGP-202",
        min_job_group="K",
        cohorts=(cohort("DGP-1", date(2026, 10, 1)), cohort("DGP-2", date(2026, 11, 27))),
    )
    verdict = check_eligibility(course, Officer(job_group="M"), TODAY)
    assert codes(verdict.reasons) == [(REGISTRATION_CLOSED, {"last_deadline": date(2026, 11, 27)})]


def test_a_full_course_means_the_waitlist_not_a_refusal() -> None:
    course = CourseRule(
        code="CSE-201",
        min_job_group="J",
        cohorts=(
            cohort("CSE-OLD", date(2026, 11, 1), taken=0),  # closed, though it has seats
            cohort("CSE-1", date(2027, 2, 19), capacity=24, taken=24),
        ),
    )
    verdict = check_eligibility(course, Officer(job_group="K"), TODAY)
    assert verdict.eligible
    assert verdict.waitlist_only
    assert codes(verdict.notes) == [(FULL, {"cohorts": ("CSE-1",)})]


def test_a_full_cohort_with_another_open_one_beside_it_is_no_note() -> None:
    course = CourseRule(
        code="CLD-201",
        min_job_group="J",
        cohorts=(
            cohort("CLD-201-2027-03", date(2027, 2, 12), taken=25),
            cohort("CLD-201-2027-06", date(2027, 5, 21)),
        ),
    )
    verdict = check_eligibility(course, Officer(job_group="K"), TODAY)
    assert verdict.notes == ()
    assert verdict.open_cohorts == ("CLD-201-2027-03", "CLD-201-2027-06")
    assert verdict.cohorts_with_seats == ("CLD-201-2027-06",)


def test_rules_come_from_the_sample_catalogue(catalogue: Catalogue) -> None:
    rules = {c.code: CourseRule.from_spec(c) for c in catalogue.courses}
    officer = Officer(job_group="K", terms_of_service="permanent")
    assert check_eligibility(rules["AIP-201"], officer, TODAY).reason_codes == [
        MISSING_PREREQUISITE
    ]
    assert check_eligibility(rules["DPM-204"], officer, TODAY).reason_codes == [JOB_GROUP_TOO_LOW]
    assert check_eligibility(rules["DLS-301"], officer, TODAY).reason_codes == [JOB_GROUP_TOO_LOW]
    # live seat counts from the database replace the file's starting counts
    full = {c.code: c.capacity for c in catalogue.course("DGP-202").cohorts}
    verdict = check_eligibility(
        CourseRule.from_spec(catalogue.course("DGP-202"), full), officer, TODAY
    )
    assert verdict.eligible and verdict.waitlist_only


def test_a_job_group_k_officer_new_to_digital_courses_is_offered_what_they_can_take(
    catalogue: Catalogue,
) -> None:
    officer = Officer(job_group="K", terms_of_service="permanent")
    suggested = [c.code for c in suggest_courses(catalogue, officer, TODAY)]
    assert suggested == ["DLF-101", "DGP-202", "DSD-203"]


def test_suggestions_leave_out_completed_courses_and_the_one_refused(catalogue: Catalogue) -> None:
    officer = Officer(job_group="K", completed=frozenset({"DLF-101"}))
    suggested = [c.code for c in suggest_courses(catalogue, officer, TODAY, exclude=["AIP-201"])]
    assert suggested == ["CLD-201", "CSE-201", "DGP-202", "DSD-203"]


def test_an_intern_is_offered_digital_literacy_only(catalogue: Catalogue) -> None:
    intern = Officer(job_group="G", terms_of_service="intern")
    assert [c.code for c in suggest_courses(catalogue, intern, TODAY)] == ["DLF-101"]


def test_waitlist_only_courses_are_suggested_after_those_with_seats() -> None:
    full = CourseRule(code="AAA-100", cohorts=(cohort("AAA-1", TODAY, capacity=1, taken=1),))
    assert [c.code for c in suggest_courses([full, LITERACY], Officer(), TODAY)] == [
        "DLF-101",
        "AAA-100",
    ]

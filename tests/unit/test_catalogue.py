"""The shipped sample catalogue matches the contract (§5); a broken catalogue is
refused with an error an administrator can act on; seeding is idempotent and
follows the documented seat-count rule; ``python -m bot.db`` wires it together."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.catalogue import (
    Catalogue,
    CatalogueError,
    SeedError,
    load_catalogue,
    seed_catalogue,
)
from bot.config import PROJECT_ROOT
from bot.db.models import Cohort, Course, Enrolment, EnrolmentStatus, FeePayer
from tests.unit.factories import make_officers

SHIPPED = PROJECT_ROOT / "data" / "catalogue"
TODAY = date(2026, 11, 28)  # the sample's story: one deadline has passed by now

CONTRACT = {  # code: (min, max, campuses)
    "DLF-101": ("A", None, {"eLDi"}),
    "CLD-201": ("J", "R", {"Lower Kabete"}),
    "AIP-201": ("K", "R", {"Lower Kabete", "Mombasa"}),
    "CSE-201": ("J", "R", {"Lower Kabete", "Embu"}),
    "DGP-202": ("K", None, {"eLDi"}),
    "DSD-203": ("K", "P", {"Lower Kabete"}),
    "DPM-204": ("L", None, {"Mombasa", "Baringo"}),
    "DLS-301": ("P", None, {"Lower Kabete"}),
}


# ------------------------------------------------------------ the shipped catalogue


def test_the_sample_catalogue_has_the_contract_courses(catalogue: Catalogue) -> None:
    assert catalogue.is_sample
    assert [c.code for c in catalogue.courses] == list(CONTRACT)
    for course in catalogue.courses:
        lowest, highest, campuses = CONTRACT[course.code]
        assert course.is_sample
        assert (course.min_job_group, course.max_job_group) == (lowest, highest), course.code
        assert set(course.campuses) == campuses, course.code
        assert course.title and course.title_sw and course.summary_sw and course.duration_sw
        assert 2 <= len(course.cohorts) <= 3, course.code
        for cohort in course.cohorts:
            assert cohort.start_date.year == 2027 and cohort.campus in course.campuses
    assert {c.code: c.prerequisites for c in catalogue.courses if c.prerequisites} == {
        "CLD-201": ("DLF-101",), "AIP-201": ("DLF-101",), "CSE-201": ("DLF-101",),
    }  # fmt: skip


def test_fees_nomination_and_interns_follow_the_contract(catalogue: Catalogue) -> None:
    for course in catalogue.courses:
        if course.code[:3] in ("CLD", "AIP", "CSE", "DLS"):  # Huawei-aligned: free
            assert course.fee_payer is FeePayer.NONE and course.fee_kes is None, course.code
        else:
            assert course.fee_payer is FeePayer.EMPLOYER and course.fee_kes > 0, course.code
    assert [c.code for c in catalogue.courses if c.requires_nomination] == ["DLS-301"]
    assert [c.code for c in catalogue.courses if c.interns_allowed] == ["DLF-101"]


def test_one_cohort_is_full_and_one_has_closed(catalogue: Catalogue) -> None:
    cohorts = [cohort for course in catalogue.courses for cohort in course.cohorts]
    assert catalogue.cohort_count == len(cohorts) == 20
    assert [c.code for c in cohorts if c.seats_taken == c.capacity] == ["CLD-201-2027-03"]
    assert [c.code for c in cohorts if c.registration_deadline < TODAY] == ["DLF-101-2027-01"]


def test_job_groups_and_the_partial_csg_mapping(catalogue: Catalogue) -> None:
    groups = catalogue.job_groups
    assert "".join(groups.letters) == "ABCDEFGHJKLMNPQRSTU"  # no I, no O
    assert groups.within("K", "J", "R") and not groups.within("H", "J", "R")
    assert groups.within("U", "P", None)
    assert groups.letter_for_csg(11) == "J" and groups.letter_for_csg(10) == "K"
    assert groups.csg["P"].grade == 7 and groups.csg["P"].check
    assert not groups.csg["K"].check
    assert "M" not in groups.csg and groups.letter_for_csg(12) is None
    assert not groups.csg_confirmed


# ------------------------------------------------------------ validation errors


@pytest.fixture
def editable(tmp_path: Path) -> Path:
    """A copy of the shipped catalogue to break."""
    target = tmp_path / "catalogue"
    shutil.copytree(SHIPPED, target)
    return target


def edit(directory: Path, change, file: str = "courses.yml") -> None:
    path = directory / file
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def cld(data: dict) -> dict:
    return data["courses"][1]


def cld_cohort(data: dict) -> dict:
    return cld(data)["cohorts"][1]


BROKEN = {
    "job group I": (
        lambda d: cld(d).update(min_job_group="I"),
        "courses[1] CLD-201 > min_job_group: 'I' is not a job group",
    ),
    "max below min": (
        lambda d: cld(d).update(max_job_group="H"),
        "CLD-201 > max_job_group: H is below min_job_group J",
    ),
    "campus elsewhere": (
        lambda d: cld_cohort(d).update(campus="Matuga"),
        "CLD-201 > cohorts[1] CLD-201-2027-06 > campus: 'Matuga' is not one of the course's"
        " campuses (Lower Kabete)",
    ),
    "ends before it starts": (
        lambda d: cld_cohort(d).update(end_date=date(2027, 6, 1)),
        "cohorts[1] CLD-201-2027-06 > end_date: 2027-06-01 is before start_date 2027-06-07",
    ),
    "deadline after start": (
        lambda d: cld_cohort(d).update(registration_deadline=date(2027, 6, 8)),
        "registration_deadline: 2027-06-08 is after start_date 2027-06-07",
    ),
    "bad date": (
        lambda d: cld_cohort(d).update(start_date="7 June 2027"),
        "start_date: expected a date as YYYY-MM-DD, found str '7 June 2027'",
    ),
    "typo in a field name": (
        lambda d: cld_cohort(d).update(capcity=25),
        "CLD-201-2027-06 > capcity: unknown field",
    ),
    "missing field": (lambda d: cld(d).pop("title_sw"), "CLD-201 > title_sw: missing"),
    "overfull": (
        lambda d: cld_cohort(d).update(seats_taken=26),
        "seats_taken: must be between 0 and capacity (25), found 26",
    ),
    "zero capacity": (
        lambda d: cld_cohort(d).update(capacity=0),
        "capacity: must be more than 0, found 0",
    ),
    "duplicate cohort": (
        lambda d: cld(d)["cohorts"].append(dict(cld_cohort(d))),
        "cohorts[3] CLD-201-2027-06 > code: listed twice",
    ),
    "cohort of another course": (
        lambda d: cld_cohort(d).update(code="AIP-201-2027-06"),
        "code: 'AIP-201-2027-06' should start with the course code (CLD-201-)",
    ),
    "unknown prerequisite": (
        lambda d: cld(d).update(prerequisites=["DLF-999"]),
        "CLD-201 > prerequisites: 'DLF-999' is not a course in this catalogue",
    ),
    "free course with a fee": (
        lambda d: cld(d).update(fee_kes=1000),
        "fee_kes: fee_payer is none, so fee_kes must be null",
    ),
    "paid course without a fee": (
        lambda d: d["courses"][4].update(fee_kes=None),
        "DGP-202 > fee_kes: fee_payer is employer, so fee_kes must be more than 0",
    ),
    "unknown mode": (
        lambda d: cld(d).update(mode="hybrid"),
        "mode: 'hybrid' is not one of: online, blended, in_person, residential",
    ),
    "flag as text": (
        lambda d: cld(d).update(requires_nomination="yes"),
        "requires_nomination: expected true or false, found str 'yes'",
    ),
    "bad course code": (lambda d: cld(d).update(code="cloud"), "should look like CLD-201"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_catalogue_says_where_and_what(editable: Path, case: str) -> None:
    change, message = BROKEN[case]
    edit(editable, change)
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(editable)
    assert str(raised.value).startswith(f"{editable / 'courses.yml'}: ")
    assert message in str(raised.value)


def test_broken_job_groups_are_refused(editable: Path) -> None:
    edit(editable, lambda d: d["csg"]["grades"]["K"].update(csg=12), "job_groups.yml")
    with pytest.raises(CatalogueError, match=r"job_groups.yml: csg > grades > K: CSG 12 should"):
        load_catalogue(editable)


def test_invalid_yaml_and_missing_files_are_reported(editable: Path) -> None:
    (editable / "courses.yml").write_text("courses: [\n")
    with pytest.raises(CatalogueError, match=r"courses.yml: not valid YAML"):
        load_catalogue(editable)
    with pytest.raises(CatalogueError, match=r"nowhere/job_groups.yml: file not found"):
        load_catalogue(editable / "nowhere")


# ------------------------------------------------------------ seeding


def counts(sessions: sessionmaker) -> tuple[int, int, int]:
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Course)),
            session.scalar(select(func.count()).select_from(Cohort)),
            session.scalar(
                select(func.count()).select_from(Course.prerequisites.property.secondary)
            ),
        )


def cohort(sessions: sessionmaker, code: str) -> Cohort:
    with sessions() as session:
        return session.scalars(select(Cohort).where(Cohort.code == code)).one()


def seed(sessions: sessionmaker, catalogue: Catalogue):
    with sessions.begin() as session:
        return seed_catalogue(session, catalogue)


def test_seeding_twice_changes_nothing(sessions: sessionmaker, catalogue: Catalogue) -> None:
    first = seed(sessions, catalogue)
    assert (first.courses_created, first.cohorts_created) == (8, 20)
    assert counts(sessions) == (8, 20, 3)
    second = seed(sessions, catalogue)
    assert (second.courses_created, second.cohorts_created) == (0, 0)
    assert (second.courses_updated, second.cohorts_updated) == (8, 20)
    assert counts(sessions) == (8, 20, 3)
    full = cohort(sessions, "CLD-201-2027-03")
    assert full.seats_taken == full.capacity == 25


def test_reseeding_applies_edits(sessions: sessionmaker, editable: Path) -> None:
    seed(sessions, load_catalogue(editable))

    def change(data: dict) -> None:
        cld(data)["title"] = "Cloud Computing Fundamentals (revised)"
        cld(data)["prerequisites"] = []
        cld_cohort(data)["capacity"] = 40
        data["courses"] = [c for c in data["courses"] if c["code"] != "DPM-204"]

    edit(editable, change)
    report = seed(sessions, load_catalogue(editable))
    assert report.courses_deactivated == 1
    with sessions() as session:
        course = session.get(Course, "CLD-201")
        assert course.title == "Cloud Computing Fundamentals (revised)"
        assert course.prerequisites == []
        assert session.get(Course, "DPM-204").active is False
    assert cohort(sessions, "CLD-201-2027-06").capacity == 40
    assert counts(sessions) == (8, 20, 2)  # nothing deleted or duplicated


def test_seeded_seats_taken_applies_only_to_a_new_cohort(
    sessions: sessionmaker, editable: Path
) -> None:
    seed(sessions, load_catalogue(editable))
    edit(editable, lambda d: cld_cohort(d).update(seats_taken=10))
    seed(sessions, load_catalogue(editable))
    assert cohort(sessions, "CLD-201-2027-06").seats_taken == 0


def enrol_directly(sessions: sessionmaker, code: str, statuses: list[EnrolmentStatus]) -> None:
    """Enrolments written straight into the table, as if seats_taken had drifted."""
    with sessions.begin() as session:
        cohort_id = session.scalars(select(Cohort.id).where(Cohort.code == code)).one()
        for i, (officer_id, status) in enumerate(
            zip(make_officers(session, len(statuses)), statuses, strict=True)
        ):
            session.add(
                Enrolment(reference=f"KSG-T{i:05d}", officer_id=officer_id,
                          cohort_id=cohort_id, status=status)
            )  # fmt: skip


def test_reseeding_never_leaves_seats_taken_below_the_seat_holders(
    sessions: sessionmaker, catalogue: Catalogue
) -> None:
    seed(sessions, catalogue)
    enrol_directly(
        sessions,
        "CLD-201-2027-06",
        [EnrolmentStatus.CONFIRMED] * 3
        + [EnrolmentStatus.PENDING_NOMINATION, EnrolmentStatus.COMPLETED]
        + [EnrolmentStatus.WAITLISTED, EnrolmentStatus.WITHDRAWN],
    )
    seed(sessions, catalogue)
    assert cohort(sessions, "CLD-201-2027-06").seats_taken == 5
    seed(sessions, catalogue)
    assert cohort(sessions, "CLD-201-2027-06").seats_taken == 5


def test_a_capacity_below_the_seats_taken_is_refused_and_nothing_changes(
    sessions: sessionmaker, editable: Path
) -> None:
    seed(sessions, load_catalogue(editable))

    def change(data: dict) -> None:
        cld(data)["title"] = "Changed"
        # The full cohort has 25 seats taken in the database, whatever the file says.
        cld(data)["cohorts"][0].update(capacity=20, seats_taken=0)

    edit(editable, change)
    with pytest.raises(SeedError, match="cohort CLD-201-2027-03: capacity 20 is below the 25"):
        seed(sessions, load_catalogue(editable))
    with sessions() as session:
        assert session.get(Course, "CLD-201").title == "Cloud Computing Fundamentals"


# ------------------------------------------------------------ python -m bot.db


def run_cli(*args: str, database_url: str, catalogue_dir: Path = SHIPPED):
    env = dict(os.environ, DATABASE_URL=database_url, CATALOGUE_DIR=str(catalogue_dir))
    return subprocess.run(
        [sys.executable, "-m", "bot.db", *args], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_setup_migrates_and_seeds_idempotently(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'msaidizi.db'}"
    for _ in range(2):
        done = run_cli("setup", database_url=url)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"database ready: 8 courses, 20 cohorts ({url})"


def test_setup_reports_a_broken_catalogue(tmp_path: Path, editable: Path) -> None:
    edit(editable, lambda d: cld(d).update(min_job_group="O"))
    done = run_cli("setup", database_url=f"sqlite:///{tmp_path / 'm.db'}", catalogue_dir=editable)
    assert done.returncode == 2
    assert "CLD-201 > min_job_group: 'O' is not a job group" in done.stderr


def test_the_cli_never_prints_a_password() -> None:
    done = run_cli("upgrade", database_url="postgresql://msaidizi:s3cret@127.0.0.1:1/m")
    assert done.returncode == 1
    assert "postgresql://msaidizi:***@127.0.0.1:1/m" in done.stderr
    assert "s3cret" not in done.stdout + done.stderr

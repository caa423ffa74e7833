"""Initial schema.

Catalogue (courses, prerequisites, cohorts), officers and their chat identities,
enrolments, consents and hand-off requests.

Written to match bot/db/models.py as it was at this revision, with plain
SQLAlchemy types so later model changes cannot alter what this migration does.
tests/unit/test_db_migrations.py checks that upgrading gives the models' schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_ENROLMENT = "status IN ('pending_nomination', 'confirmed', 'waitlisted')"
LIVE_HANDOFF = "status IN ('open', 'assigned')"


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_sw", sa.String(length=200), nullable=False),
        sa.Column("track", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("summary_sw", sa.Text(), nullable=False),
        sa.Column("min_job_group", sa.String(length=1), nullable=False),
        sa.Column("max_job_group", sa.String(length=1), nullable=True),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("campuses", sa.JSON(), nullable=False),
        sa.Column("duration", sa.String(length=80), nullable=False),
        sa.Column("duration_sw", sa.String(length=80), nullable=False),
        sa.Column("fee_kes", sa.Integer(), nullable=True),
        sa.Column("fee_payer", sa.String(length=32), nullable=False),
        sa.Column("certification", sa.String(length=120), nullable=True),
        sa.Column("requires_nomination", sa.Boolean(), nullable=False),
        sa.Column("interns_allowed", sa.Boolean(), nullable=False),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "mode IN ('online', 'blended', 'in_person', 'residential')",
            name=op.f("ck_courses_mode"),
        ),
        sa.CheckConstraint(
            "fee_payer IN ('none', 'employer', 'officer')", name=op.f("ck_courses_fee_payer")
        ),
        sa.CheckConstraint(
            "fee_kes IS NULL OR fee_kes >= 0", name=op.f("ck_courses_fee_not_negative")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_courses")),
    )

    op.create_table(
        "course_prerequisites",
        sa.Column("course_code", sa.String(length=16), nullable=False),
        sa.Column("prerequisite_code", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "course_code <> prerequisite_code", name=op.f("ck_course_prerequisites_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["course_code"],
            ["courses.code"],
            name=op.f("fk_course_prerequisites_course_code_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prerequisite_code"],
            ["courses.code"],
            name=op.f("fk_course_prerequisites_prerequisite_code_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "course_code", "prerequisite_code", name=op.f("pk_course_prerequisites")
        ),
    )

    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("course_code", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("campus", sa.String(length=80), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("seats_taken", sa.Integer(), server_default="0", nullable=False),
        sa.Column("registration_deadline", sa.Date(), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_cohorts_capacity_positive")),
        sa.CheckConstraint(
            "seats_taken >= 0 AND seats_taken <= capacity",
            name=op.f("ck_cohorts_seats_within_capacity"),
        ),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_cohorts_ends_after_start")),
        sa.CheckConstraint(
            "registration_deadline <= start_date", name=op.f("ck_cohorts_deadline_before_start")
        ),
        sa.ForeignKeyConstraint(
            ["course_code"],
            ["courses.code"],
            name=op.f("fk_cohorts_course_code_courses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohorts")),
        sa.UniqueConstraint("code", name=op.f("uq_cohorts_code")),
    )
    op.create_index("ix_cohorts_course_code", "cohorts", ["course_code"])

    op.create_table(
        "officers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("personal_number", sa.String(length=32), nullable=True),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone_number", sa.String(length=20), nullable=True),
        sa.Column("employer", sa.String(length=200), nullable=True),
        sa.Column("job_group", sa.String(length=1), nullable=True),
        sa.Column("terms_of_service", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "terms_of_service IN ('permanent', 'contract', 'intern', 'attache')",
            name=op.f("ck_officers_terms_of_service"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
        sa.UniqueConstraint("personal_number", name=op.f("uq_officers_personal_number")),
    )

    op.create_table(
        "channel_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["officers.id"],
            name=op.f("fk_channel_identities_officer_id_officers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_identities")),
        sa.UniqueConstraint(
            "channel", "sender_id", name=op.f("uq_channel_identities_channel_sender_id")
        ),
    )
    op.create_index("ix_channel_identities_officer_id", "channel_identities", ["officer_id"])

    op.create_table(
        "enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("sender_id", sa.String(length=255), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending_nomination', 'confirmed', 'waitlisted', 'withdrawn',"
            " 'completed')",
            name=op.f("ck_enrolments_status"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["officers.id"],
            name=op.f("fk_enrolments_officer_id_officers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_enrolments_cohort_id_cohorts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
        sa.UniqueConstraint("reference", name=op.f("uq_enrolments_reference")),
    )
    op.create_index(
        "uq_enrolments_active_officer_cohort",
        "enrolments",
        ["officer_id", "cohort_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_ENROLMENT),
        postgresql_where=sa.text(ACTIVE_ENROLMENT),
    )
    op.create_index(
        "ix_enrolments_cohort_status_created", "enrolments", ["cohort_id", "status", "created_at"]
    )
    op.create_index("ix_enrolments_officer_id", "enrolments", ["officer_id"])

    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("notice_version", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["officers.id"],
            name=op.f("fk_consents_officer_id_officers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index("ix_consents_channel_sender_id", "consents", ["channel", "sender_id"])
    op.create_index("ix_consents_officer_id", "consents", ["officer_id"])

    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_to", sa.String(length=120), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'assigned', 'closed')", name=op.f("ck_handoff_requests_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_handoff_requests_reference")),
    )
    op.create_index(
        "uq_handoff_requests_live_sender",
        "handoff_requests",
        ["channel", "sender_id"],
        unique=True,
        sqlite_where=sa.text(LIVE_HANDOFF),
        postgresql_where=sa.text(LIVE_HANDOFF),
    )
    op.create_index(
        "ix_handoff_requests_status_created", "handoff_requests", ["status", "created_at"]
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; children before parents.
    for table in (
        "handoff_requests",
        "consents",
        "enrolments",
        "channel_identities",
        "officers",
        "cohorts",
        "course_prerequisites",
        "courses",
    ):
        op.drop_table(table)

"""Officers' data rights (issue 4, Data Protection Act 2019).

- ``officers.erased_at`` (timestamp, nullable): when the officer's personal data
  was erased (the row stays, anonymised, so enrolments and consents still count).
  Existing officers are not erased: NULL.
- ``data_requests``: the accountability record of each access, export,
  rectification, erasure or consent-withdrawal request — what, when, the outcome —
  never personal data. ``officer_id`` is nullable (a request from someone who did
  not prove who they are has no officer) and cleared if an officer row is deleted.

Adding the column and the table needs no table rebuild. Downgrading drops the
table, then the column: on SQLite that rebuilds ``officers`` (batch mode), keeping
its unique personal number and CHECK constraint; tests/unit/test_data_rights.py
checks that downgrading gives back exactly the 0002 schema. Downgrading loses the
request history and which officers were erased (their data stays erased).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("officers") as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "data_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "kind IN ('access', 'export', 'rectification', 'erasure', 'consent_withdrawal')",
            name=op.f("ck_data_requests_kind"),
        ),
        sa.CheckConstraint(
            "outcome IN ('completed', 'refused_unverified', 'cancelled', 'failed')",
            name=op.f("ck_data_requests_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["officers.id"],
            name=op.f("fk_data_requests_officer_id_officers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
    )
    op.create_index("ix_data_requests_officer_id", "data_requests", ["officer_id"])
    op.create_index("ix_data_requests_requested_at", "data_requests", ["requested_at"])


def downgrade() -> None:
    op.drop_table("data_requests")  # its indexes go with it; it refers to officers
    with op.batch_alter_table("officers") as batch_op:
        batch_op.drop_column("erased_at")

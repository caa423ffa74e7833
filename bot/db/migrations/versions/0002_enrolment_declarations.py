"""Enrolments: declared prerequisites and when a waitlisted enrolment was promoted.

- ``enrolments.declared_prerequisites`` (JSON list, NOT NULL, default ``[]``):
  prerequisite course codes the officer declared they have met another way
  ("DLF-101 or equivalent", contract §5), kept as a declaration. Existing rows get
  the empty list.
- ``enrolments.promoted_at`` (timestamp, nullable): when a waitlisted enrolment
  took a freed seat. Unknown for enrolments promoted before this revision: NULL.

Adding columns is a plain ``ALTER TABLE … ADD COLUMN`` on both databases (no
table rebuild on SQLite). Dropping them on SQLite rebuilds ``enrolments`` (batch
mode), keeping its constraints and indexes, the partial unique index's WHERE
clause included; tests/unit/test_db_migrations.py checks that downgrading gives
back exactly the 0001 schema.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enrolments") as batch_op:
        batch_op.add_column(
            sa.Column("declared_prerequisites", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enrolments") as batch_op:
        batch_op.drop_column("promoted_at")
        batch_op.drop_column("declared_prerequisites")

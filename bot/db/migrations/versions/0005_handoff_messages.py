"""The support console's outbox to officers in a hand-off (issue 7).

- ``handoff_messages``: what staff send the officer of a hand-off request (a
  "joined" notice, replies, a "back with the bot" notice) until the bot delivers
  it in the officer's channel; deleted with its request. ``kind`` has a CHECK.

Only a new table: no rebuild on SQLite. Downgrading drops it (and any message not
yet delivered).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('joined', 'reply', 'left')", name=op.f("ck_handoff_messages_kind")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["handoff_requests.id"],
            name=op.f("fk_handoff_messages_request_id_handoff_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_messages")),
    )
    op.create_index(
        "ix_handoff_messages_request_id", "handoff_messages", ["request_id", "delivered_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_handoff_messages_request_id", table_name="handoff_messages")
    op.drop_table("handoff_messages")

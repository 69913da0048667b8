"""secret_check: the check value of the identifier secret, stored when a process first opens the
database

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secret_check",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secret_check")),
    )


def downgrade() -> None:
    op.drop_table("secret_check")

"""api_keys.last_used_at: when each key was last used, to five minutes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import buyerguard.storage.tables

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_used_at",
                buyerguard.storage.tables.UtcDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    op.drop_column("api_keys", "last_used_at")  # in place, as 0010's downgrade does

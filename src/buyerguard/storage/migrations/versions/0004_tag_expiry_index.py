"""tags: a partial expiry index, so that `status = 'active'` does not pull lookups off the buyer index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 13:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_index("ix_tags_status_expires")
        batch_op.create_index(
            "ix_tags_active_expires",
            ["expires_at"],
            unique=False,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_index("ix_tags_active_expires", sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.create_index("ix_tags_status_expires", ["status", "expires_at"], unique=False)

"""buyer_stats: next_expiry_at, when the first tag the aggregates count expires

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import buyerguard.storage.tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The aggregates count every active tag of their buyer (one per seller and reason), so the first
# of those to expire is the earliest expiry among them, read through the buyer index. A time
# already past makes the next read recompute the buyer's aggregates, as it should.
FILL = sa.text(
    "UPDATE buyer_stats SET next_expiry_at = ("
    "SELECT MIN(tags.expires_at) FROM tags "
    "WHERE tags.buyer_id = buyer_stats.buyer_id AND tags.status = 'active')"
)


def upgrade() -> None:
    with op.batch_alter_table("buyer_stats", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "next_expiry_at",
                buyerguard.storage.tables.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
    op.execute(FILL)


def downgrade() -> None:
    with op.batch_alter_table("buyer_stats", schema=None) as batch_op:
        batch_op.drop_column("next_expiry_at")

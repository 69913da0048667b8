"""buyer_links_apart: operators' rulings that two buyer records are not one person

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import buyerguard.storage.tables

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "buyer_links_apart",
        sa.Column("buyer_id", Id, nullable=False),
        sa.Column("other_id", Id, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "decided_at", buyerguard.storage.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["buyers.id"], name=op.f("fk_buyer_links_apart_buyer_id_buyers")
        ),
        sa.ForeignKeyConstraint(
            ["other_id"], ["buyers.id"], name=op.f("fk_buyer_links_apart_other_id_buyers")
        ),
        sa.PrimaryKeyConstraint("buyer_id", "other_id", name=op.f("pk_buyer_links_apart")),
    )
    with op.batch_alter_table("buyer_links_apart", schema=None) as batch_op:
        batch_op.create_index("ix_buyer_links_apart_other", ["other_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("buyer_links_apart", schema=None) as batch_op:
        batch_op.drop_index("ix_buyer_links_apart_other")
    op.drop_table("buyer_links_apart")

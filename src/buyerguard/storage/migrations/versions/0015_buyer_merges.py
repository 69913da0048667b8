"""buyer_merges and buyer_merge_moves: what each merge of two buyer records changed, to undo it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import buyerguard.storage.tables

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Utc = buyerguard.storage.tables.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "buyer_merges",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("buyer_id", Id, nullable=False),
        sa.Column("merged_id", Id, nullable=False),
        sa.Column("seller_id", Id, nullable=True),
        sa.Column("merged_at", Utc, nullable=False),
        sa.Column("undone_at", Utc, nullable=True),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["buyers.id"], name=op.f("fk_buyer_merges_buyer_id_buyers")
        ),
        sa.ForeignKeyConstraint(
            ["merged_id"], ["buyers.id"], name=op.f("fk_buyer_merges_merged_id_buyers")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_buyer_merges_seller_id_sellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buyer_merges")),
    )
    with op.batch_alter_table("buyer_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_buyer_merges_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_buyer_merges_merged_id"), ["merged_id"], unique=False)
    op.create_table(
        "buyer_merge_moves",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("merge_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merge_id"],
            ["buyer_merges.id"],
            name=op.f("fk_buyer_merge_moves_merge_id_buyer_merges"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buyer_merge_moves")),
    )
    with op.batch_alter_table("buyer_merge_moves", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_buyer_merge_moves_merge_id"), ["merge_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("buyer_merge_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buyer_merge_moves_merge_id"))
    op.drop_table("buyer_merge_moves")
    with op.batch_alter_table("buyer_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buyer_merges_merged_id"))
        batch_op.drop_index(batch_op.f("ix_buyer_merges_buyer_id"))
    op.drop_table("buyer_merges")

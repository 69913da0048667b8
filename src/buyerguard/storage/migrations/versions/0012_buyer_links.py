"""buyer_links: sellers' word that two buyers known to other sellers are one person

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import buyerguard.storage.tables

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "buyer_links",
        sa.Column("buyer_id", Id, nullable=False),
        sa.Column("other_id", Id, nullable=False),
        sa.Column("seller_id", Id, nullable=False),
        sa.Column(
            "created_at", buyerguard.storage.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["buyers.id"], name=op.f("fk_buyer_links_buyer_id_buyers")
        ),
        sa.ForeignKeyConstraint(
            ["other_id"], ["buyers.id"], name=op.f("fk_buyer_links_other_id_buyers")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_buyer_links_seller_id_sellers")
        ),
        sa.PrimaryKeyConstraint("buyer_id", "other_id", "seller_id", name=op.f("pk_buyer_links")),
    )
    with op.batch_alter_table("buyer_links", schema=None) as batch_op:
        batch_op.create_index("ix_buyer_links_other", ["other_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("buyer_links", schema=None) as batch_op:
        batch_op.drop_index("ix_buyer_links_other")
    op.drop_table("buyer_links")

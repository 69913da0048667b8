"""api_keys: prefix, a key's first characters, to tell a seller's keys apart without storing them

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Keys issued before keep none: only their hashes were stored.
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prefix", sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column("api_keys", "prefix")  # in place, as 0009's downgrade does

"""sellers: name_key, the case-folded name, unique so that names differ in more than case

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 21:00:00
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SELLERS = sa.table(
    "sellers",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("name_key", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=300), nullable=True))
    _fill_keys()
    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sellers_name_key"), ["name_key"], unique=True)


def _name_key(name: str) -> str:
    """domain.sellers.seller_name_key as of this revision, kept here so that it cannot change."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name.strip()).casefold())


def _fill_keys() -> None:
    """Casefolding is Python's (SQL's lower() differs by engine). Of sellers whose names differ in
    case only, the oldest gets the key; the others keep none, and are found by exact name."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(SELLERS.c.id, SELLERS.c.name).order_by(SELLERS.c.id))
    keys: dict[str, int] = {}
    for seller_id, name in rows.all():
        keys.setdefault(_name_key(name), seller_id)
    if keys:
        connection.execute(
            sa.update(SELLERS)
            .where(SELLERS.c.id == sa.bindparam("seller_id"))
            .values(name_key=sa.bindparam("key")),
            [{"seller_id": seller_id, "key": key} for key, seller_id in keys.items()],
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_sellers_name_key"), table_name="sellers")
    # Not in batch mode: SQLite (3.35+) drops a column in place, where a batch would copy the table
    # that tags refer to, and foreign keys forbid dropping it.
    op.drop_column("sellers", "name_key")

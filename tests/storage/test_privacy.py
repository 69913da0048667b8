"""A stolen database must not reveal one email, phone or platform id."""

from __future__ import annotations

from pathlib import Path

from buyerguard.domain.sellers import Role
from buyerguard.domain.tags import NewTag
from buyerguard.services import tags
from buyerguard.services.sellers import create_seller
from buyerguard.storage.database import Database
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import NOW, SECRET

BUYER = {
    "email": "Private.Person@Example.org",
    "phone": "+4915112345678",
    "platform_buyer_id": "aliexpress:cn98765",
    "shipping_address": "Hauptstrasse 99, 10115 Berlin",
}
NEEDLES = [
    b"private.person",
    b"Private.Person",
    b"4915112345678",
    b"cn98765",
    b"hauptstrasse",
    b"Hauptstrasse",
]


def test_identifiers_never_reach_the_database_file(database: Database) -> None:
    uow = SqlUnitOfWork(database.sessions)
    seller = create_seller(uow, "Shop", role=Role.SELLER, now=NOW).seller
    tags.add_tag(uow, BUYER, NewTag(seller.id, "extortion", note="threats"), secret=SECRET, now=NOW)
    if not database.is_sqlite:
        dump = "\n".join(
            str(row)
            for table in ("buyer_identifiers", "tags", "buyers")
            for row in _rows(database, table)
        ).encode()
    else:
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        path = Path(str(database.engine.url.database))
        dump = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert b"threats" in dump  # the dump really holds the data
    for needle in NEEDLES:
        assert needle not in dump


def _rows(database: Database, table: str) -> list[tuple[object, ...]]:
    with database.engine.connect() as connection:
        return [tuple(r) for r in connection.exec_driver_sql(f"SELECT * FROM {table}")]

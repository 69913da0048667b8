"""The bulk writes and per-chunk reads of imports, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from buyerguard.domain.identifiers import HashedIdentifier, IdentifierKind
from buyerguard.domain.orders import KnownOrder, OrderRecord
from buyerguard.domain.profiles import BuyerStats, ReasonStats
from buyerguard.domain.sellers import Role
from buyerguard.storage.bulk import sqlite_utc
from buyerguard.storage.database import BULK_CACHE_KIB, Database
from buyerguard.storage.tables import UtcDateTime
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import NOW


@pytest.mark.parametrize(
    "value",
    [
        NOW,
        NOW.replace(microsecond=5),
        datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_times_are_stored_on_sqlite_as_the_column_type_stores_them(value: datetime) -> None:
    dialect = sqlite.dialect()
    process = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    assert sqlite_utc(value) == process(value)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        sqlite_utc(datetime(2026, 1, 1))


def test_times_formatted_ahead_are_the_ones_written(uow: SqlUnitOfWork) -> None:
    with uow:
        on_sqlite = uow.session.connection().dialect.name == "sqlite"
        # PostgreSQL's driver takes the datetimes themselves.
        assert uow.time_format() is (sqlite_utc if on_sqlite else None)
        uow.formatted_times({NOW: "formatted ahead"} if on_sqlite else {})
        # The first new buyer is inserted alone (it takes SQLite's write lock), the others in bulk.
        _, buyer = uow.buyers.create(2, now=NOW)
        stored = uow.session.execute(
            text("SELECT created_at FROM buyers WHERE id = :id"), {"id": buyer}
        ).scalar()
    assert stored == ("formatted ahead" if on_sqlite else NOW)


def test_buyers_are_created_with_consecutive_ids(uow: SqlUnitOfWork) -> None:
    with uow:
        first = uow.buyers.create(3, now=NOW)
        second = uow.buyers.create(2, now=NOW)
        assert uow.buyers.create(0, now=NOW) == []
        uow.commit()
    assert second == [first[-1] + 1, first[-1] + 2]
    assert first == [first[0], first[0] + 1, first[0] + 2]
    with uow:
        count = uow.session.execute(text("SELECT count(*) FROM buyers")).scalar()
    assert count == 5


def test_known_orders_are_found_however_many_are_asked(uow: SqlUnitOfWork) -> None:
    with uow:
        sellers = [
            uow.sellers.add(f"S{i}", role=Role.SELLER, trust=0.5, now=NOW).id for i in (1, 2)
        ]
        (buyer,) = uow.buyers.create(1, now=NOW)
        uow.orders.add_many(
            [
                OrderRecord(s, buyer, f"R{n}", n % 2 == 0, NOW)
                for s in sellers
                for n in range(0, 300, 7)
            ]
        )
        wanted = [(s, f"R{n}") for s in sellers for n in range(300)]
        found = uow.orders.existing(wanted)
    assert len(found) == 2 * len(range(0, 300, 7))
    assert found[(sellers[1], "R14")] == KnownOrder(buyer, True)
    assert found[(sellers[0], "R7")] == KnownOrder(buyer, False)
    assert (sellers[0], "R8") not in found


def test_sellers_are_found_by_name_and_added_in_order(uow: SqlUnitOfWork) -> None:
    with uow:
        existing = uow.sellers.add("Old", role=Role.SELLER, trust=0.5, now=NOW).id
        added = uow.sellers.add_many(["New 1", "New 2"], role=Role.SELLER, trust=0.3, now=NOW)
        assert uow.sellers.ids_by_name(["Old", "New 2", "Missing"]) == {
            "Old": existing,
            "New 2": added[1],
        }
        assert uow.sellers.trust_for(added) == {added[0]: 0.3, added[1]: 0.3}


def test_aggregates_added_are_read_back(uow: SqlUnitOfWork) -> None:
    reason = ReasonStats("unpaid_order", 2, 1, 0.75, NOW - timedelta(days=2), NOW)
    with uow:
        reported, unreported = uow.buyers.create(2, now=NOW)
        stats = {
            reported: BuyerStats(
                2, 0, 0.0, NOW - timedelta(days=2), NOW, (reason,), NOW + timedelta(days=700)
            ),
            unreported: BuyerStats(0, 0, 0.0, None, None, (), None),
        }
        uow.stats.add(stats)
        assert uow.stats.get(reported) == stats[reported]
        assert uow.stats.get(unreported) is None


def test_a_bulk_transaction_gets_a_larger_cache_for_itself_only(database: Database) -> None:
    """SQLite's page cache is enlarged for the import's transaction and restored after it;
    PostgreSQL's connection is left as it is."""
    uow = SqlUnitOfWork(database.sessions)

    def cache_size() -> int:
        return int(uow.session.execute(text("PRAGMA cache_size")).scalar_one())

    with uow:
        usual = cache_size() if database.is_sqlite else None
        uow.expect_bulk_writes()
        tuned = "cache_size" in uow.session.connection().connection.info
        if database.is_sqlite:
            assert cache_size() == -BULK_CACHE_KIB != usual
        uow.commit()
    assert tuned is database.is_sqlite
    if database.is_sqlite:
        with uow:
            assert cache_size() == usual


def test_buyers_are_found_by_many_digests(uow: SqlUnitOfWork) -> None:
    kinds = list(IdentifierKind)
    with uow:
        buyers = uow.buyers.create(3, now=NOW)
        links = [
            (buyers[n % 3], HashedIdentifier(kinds[n % len(kinds)], f"{n:064x}"))
            for n in range(600)
        ]
        uow.buyers.link(links, now=NOW)
        wanted = [f"{n:064x}" for n in range(0, 1200, 2)]
        found = uow.buyers.find_buyers(wanted)
    assert found == {f"{n:064x}": buyers[n % 3] for n in range(0, 600, 2)}

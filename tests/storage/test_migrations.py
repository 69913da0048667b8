from __future__ import annotations

from datetime import datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select

from buyerguard.storage import tables as t
from buyerguard.storage.database import Database, connected
from buyerguard.storage.schema import alembic_config, is_current, upgrade
from buyerguard.storage.tables import Base
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import NOW


def test_migrations_build_exactly_the_declared_tables(database: Database) -> None:
    assert is_current(database)
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def tag_row(buyer: int, reason: str, status: str, expires_at: datetime) -> dict[str, object]:
    return {
        "buyer_id": buyer,
        "seller_id": 1,
        "reason": reason,
        "note": "",
        "source": "manual",
        "status": status,
        "order_backed": False,
        "created_at": NOW,
        "expires_at": expires_at,
    }


def stats_row(buyer: int, clean_sellers: int) -> dict[str, object]:
    return {
        "buyer_id": buyer,
        "distinct_reporters": 1 - clean_sellers,
        "clean_sellers": clean_sellers,
        "clean_weight": 0.5 * clean_sellers,
    }


def test_0008_stores_when_each_buyers_first_counted_tag_expires(database: Database) -> None:
    """Aggregates written before 0008 learn the earliest expiry of their buyer's active tags."""
    soon, later = NOW + timedelta(days=3), NOW + timedelta(days=300)
    with connected(database) as connection, connection.begin():
        command.downgrade(alembic_config(connection), "0007")
    try:
        with database.engine.begin() as connection:
            seller = {"name": "S", "role": "seller", "trust": 0.5, "created_at": NOW}
            connection.execute(insert(t.SellerRow), [seller])
            connection.execute(insert(t.BuyerRow), [{"created_at": NOW}, {"created_at": NOW}])
            tags = [
                tag_row(1, "other", "active", later),
                tag_row(1, "extortion", "active", soon),
                tag_row(1, "card_fraud", "expired", NOW),
                tag_row(2, "other", "retracted", NOW),
            ]
            connection.execute(insert(t.TagRow), tags)
            connection.execute(insert(t.BuyerStatsRow), [stats_row(1, 0), stats_row(2, 1)])
    finally:
        upgrade(database)
    with SqlUnitOfWork(database.sessions) as uow:
        tagged, clean_only = uow.stats.get(1), uow.stats.get(2)
    assert tagged is not None
    assert clean_only is not None
    assert (tagged.next_expiry_at, clean_only.next_expiry_at) == (soon, None)


def test_0009_keys_names_by_case_and_keeps_legacy_twins_findable(database: Database) -> None:
    """Names that differ in case only could be stored before 0009: the oldest gets the key, and
    each is still found by its exact name; a name differing from them in case only is taken."""
    with connected(database) as connection, connection.begin():
        command.downgrade(alembic_config(connection), "0008")
    try:
        with database.engine.begin() as connection:
            sellers = [
                {"name": name, "role": "seller", "trust": 0.5, "created_at": NOW}
                for name in ("Shop", "SHOP", "Other")
            ]
            connection.execute(insert(t.SellerRow), sellers)
            tags = [tag_row(1, "other", "active", NOW) | {"seller_id": 2}]
            connection.execute(insert(t.BuyerRow), [{"created_at": NOW}])
            connection.execute(insert(t.TagRow), tags)
    finally:
        upgrade(database)
    with database.engine.connect() as connection:
        keys = connection.execute(select(t.SellerRow.name, t.SellerRow.name_key)).all()
    assert sorted(keys, key=str) == [("Other", "other"), ("SHOP", None), ("Shop", "shop")]
    with SqlUnitOfWork(database.sessions) as uow:
        found = {name: uow.sellers.find_by_name(name) for name in ("Shop", "SHOP", "shop")}
        assert {name: s.id if s else None for name, s in found.items()} == {
            "Shop": 1,
            "SHOP": 2,
            "shop": 1,
        }
        assert uow.sellers.ids_by_name(["other", "SHOP"]) == {"other": 3, "SHOP": 2}
    with connected(database) as connection, connection.begin():
        command.downgrade(alembic_config(connection), "0008")
    upgrade(database)
    assert is_current(database)

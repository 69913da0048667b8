"""The hot and write paths read tags by buyer: a plan that walks every active tag must not return.

SQLite keeps no statistics here, so an index that merely matches `status = 'active'` would win the
planner and turn each write into a scan of the registry. Plans, not timings, are checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from buyerguard.domain.tags import TagStatus
from buyerguard.storage import event_orders
from buyerguard.storage import statements as sql
from buyerguard.storage import tables as t
from buyerguard.storage.database import open_database
from buyerguard.storage.schema import upgrade
from tests.conftest import NOW

ACTIVE = TagStatus.ACTIVE.value
QUERIES = {
    "tags of buyers": select(t.TagRow.seller_id).where(
        t.TagRow.buyer_id.in_([1, 2, 3]), t.TagRow.status == ACTIVE
    ),
    # What a write runs first on the tags of its buyers (storage.repositories.expire_tags).
    "expire tags of buyers": update(t.TagRow)
    .where(t.TagRow.status == ACTIVE, t.TagRow.expires_at <= NOW, t.TagRow.buyer_id.in_([1, 2]))
    .values(status=TagStatus.EXPIRED.value),
    "own active tags": sql.OWN_ACTIVE_TAGS.statement.params(buyer=1, seller=2),
    "own active reasons": sql.OWN_ACTIVE_REASONS.statement.params(buyer=1, seller=2),
    "one order": sql.ONE_ORDER.statement.params(seller=1, ref="x"),
    "buyer by digest": sql.find_few_buyers(2).statement.params(d0="a", d1="b"),
    "orders of buyers": event_orders.ORDERS_OF_BUYERS.params(buyers=[1, 2]),
    "active tags of buyers": event_orders.ACTIVE_TAGS_OF_BUYERS.params(buyers=[1, 2]),
    "retractions of buyers": event_orders.RETRACTIONS_OF_BUYERS.params(buyers=[1, 2]),
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_reads_by_buyer_use_an_index_that_starts_with_it(tmp_path: Path, name: str) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(database)
    statement = QUERIES[name].compile(database.engine, compile_kwargs={"literal_binds": True})
    with database.engine.connect() as connection:
        plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}")]
    database.dispose()
    assert plan
    assert all(step.startswith("SEARCH") for step in plan), plan
    assert not any("status=?" in step and "buyer_id" not in step for step in plan), plan

"""Buyer records: a buyer merged away leads to the one it became."""

from __future__ import annotations

from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import NOW


def test_a_merged_buyer_leads_to_the_live_one_through_later_merges(uow: SqlUnitOfWork) -> None:
    with uow:
        first, second, third, apart = uow.buyers.create(4, now=NOW)
        uow.buyers.merge(second, [third], seller_id=None, now=NOW)
        uow.buyers.merge(first, [second], seller_id=None, now=NOW)

        live = uow.buyers.live_buyers([third, second, first, apart])

    assert live == {first: first, second: first, third: first, apart: apart}

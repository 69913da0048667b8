"""services.demo: the demo data loads whole or not at all."""

from __future__ import annotations

import json

import pytest

from buyerguard.domain.errors import InvalidImportError
from buyerguard.domain.sellers import Role
from buyerguard.services import demo, link_review, sellers
from buyerguard.services.sellers import SellerExistsError
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import NOW, SECRET


def seller_names(uow: SqlUnitOfWork) -> list[str]:
    with uow:
        return sorted(seller.name for seller in uow.sellers.list_all())


def test_a_demo_name_already_taken_refuses_the_demo_and_writes_nothing(uow: SqlUnitOfWork) -> None:
    sellers.create_seller(uow, "Community Seller 01", role=Role.SELLER, now=NOW)
    with pytest.raises(SellerExistsError, match="'Community Seller 01' exists already"):
        demo.load_demo(uow, secret=SECRET, now=NOW)
    assert seller_names(uow) == ["Community Seller 01"]


def test_a_demo_that_fails_part_way_leaves_nothing_and_loads_whole_later(
    uow: SqlUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    story = demo._story
    bad = json.dumps({"type": "tag", "seller": demo.DEMO_SELLER, "buyer": {}, "reason": "rude"})
    monkeypatch.setattr(demo, "_story", lambda now: [*story(now), bad])
    with pytest.raises(InvalidImportError):
        demo.load_demo(uow, secret=SECRET, now=NOW)
    assert seller_names(uow) == []
    monkeypatch.undo()
    assert demo.load_demo(uow, secret=SECRET, now=NOW).loaded
    assert len(seller_names(uow)) == 27
    assert not demo.load_demo(uow, secret=SECRET, now=NOW).loaded


def test_the_demo_leaves_one_claim_for_the_operator(uow: SqlUnitOfWork) -> None:
    demo.load_demo(uow, secret=SECRET, now=NOW)
    (claim,) = link_review.pending_links(uow, limit=10)
    assert claim.sellers == (demo.CLAIMER,)
    record = link_review.buyer_record(uow, claim.pair[1], now=NOW)
    assert record.identifiers == {"phone": 1}
    assert [(t.seller, t.reason) for t in record.tags] == [
        ("Community Seller 09", "frequent_returns")
    ]

"""Order-backed tags: a tag citing an order the registry saw between its seller and its buyer.

The same facts give the same backing and the same aggregates, whatever order they arrive in and
whichever path records the order (a screening, a completion, an event, an import).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import permutations

import pytest

from buyerguard.domain.identifiers import hash_identifiers
from buyerguard.domain.profiles import BuyerStats
from buyerguard.domain.screening import Order
from buyerguard.domain.sellers import Role
from buyerguard.domain.tags import NewTag
from buyerguard.services import buyers, imports, orders, screening, sellers, tags
from buyerguard.services.unit_of_work import UnitOfWork

from .events_helpers import NOW, SECRET, event, new_seller, post, process

ALICE = {"email": "alice@example.com"}
PHONE = {"phone": "+4915112345678"}
BOTH = {**ALICE, **PHONE}
Step = Callable[[UnitOfWork, int], object]


def tag_on(buyer: dict[str, str], ref: str, reason: str = "non_payment") -> Step:
    def step(uow: UnitOfWork, seller: int) -> object:
        new = NewTag(seller, reason, order_ref=ref)
        return tags.add_tag(uow, buyer, new, secret=SECRET, now=NOW)

    return step


def completed(buyer: dict[str, str], ref: str) -> Step:
    def step(uow: UnitOfWork, seller: int) -> object:
        return orders.record_completed_order(
            uow, buyer, seller_id=seller, order_ref=ref, completed_at=None, secret=SECRET, now=NOW
        )

    return step


def screened(buyer: dict[str, str], ref: str) -> Step:
    def step(uow: UnitOfWork, seller: int) -> object:
        order = Order(ref, 40.0, "EUR", "prepaid", "DE")
        return screening.screen_order(uow, order, buyer, seller_id=seller, secret=SECRET, now=NOW)

    return step


def order_event(buyer: dict[str, str], ref: str) -> Step:
    def step(uow: UnitOfWork, seller: int) -> object:
        post(uow, seller, event(f"created-{ref}", "order.created", ref, days_ago=1, buyer=buyer))
        return process(uow)

    return step


def buyer_of(uow: UnitOfWork, buyer: dict[str, str]) -> int | None:
    """The buyer record of these identifiers (one: each name here is one identifier)."""
    with uow:
        found = uow.buyers.find_buyers(h.digest for h in hash_identifiers(buyer, SECRET))
    owners = set(found.values())
    assert len(owners) <= 1
    return owners.pop() if owners else None


def backing(uow: UnitOfWork, seller: int) -> list[tuple[str, bool]]:
    """(reason, order-backed) of the seller's tags, oldest first."""
    found = tags.list_tags(uow, seller_id=seller, after_id=None, limit=100, now=NOW)
    return [(t.reason, t.order_backed) for t in reversed(found)]


def stats(uow: UnitOfWork, buyer: int) -> tuple[BuyerStats | None, BuyerStats | None]:
    """The aggregates a lookup reads, and those recomputed from storage (rolled back)."""
    with uow:
        stored = uow.stats.get(buyer)
        buyers.refresh_stats(uow, [buyer], now=NOW)
        return stored, uow.stats.get(buyer)


def backed_reasons(uow: UnitOfWork, buyer: dict[str, str]) -> dict[str, int]:
    """Order-backed tags per reason in the buyer's aggregates, checked equal to a recomputation."""
    found = buyer_of(uow, buyer)
    assert found is not None
    stored, recomputed = stats(uow, found)
    assert stored is not None
    assert stored == recomputed
    return {r.reason: r.order_backed for r in stored.reasons}


@pytest.mark.parametrize("recorded", [screened, completed, order_event])
@pytest.mark.parametrize("tag_first", [True, False])
def test_a_tag_is_backed_by_its_order_whether_given_before_or_after_it(
    uow: UnitOfWork, recorded: Callable[[dict[str, str], str], Step], tag_first: bool
) -> None:
    seller, other = new_seller(uow, "Shop"), new_seller(uow, "Other")
    tag_on(ALICE, "R-1", "extortion")(uow, other)  # another seller's R-1 is another order
    steps = [tag_on(ALICE, "R-1"), recorded(ALICE, "R-1")]
    for step in steps if tag_first else reversed(steps):
        step(uow, seller)
    assert backing(uow, seller) == [("non_payment", True)]
    assert backing(uow, other) == [("extortion", False)]
    assert backed_reasons(uow, ALICE) == {"extortion": 0, "non_payment": 1}


TWO_BUYERS_FOUND_TO_BE_ONE = {
    "tag": tag_on(ALICE, "R-1"),
    "order": completed(PHONE, "R-1"),  # on another buyer
    "link": completed(BOTH, "R-2"),
}


@pytest.mark.parametrize("names", [",".join(p) for p in permutations(TWO_BUYERS_FOUND_TO_BE_ONE)])
def test_a_tag_and_its_order_on_two_buyers_found_to_be_one_are_backed(
    uow: UnitOfWork, names: str
) -> None:
    seller = new_seller(uow, "Shop")
    for name in names.split(","):
        TWO_BUYERS_FOUND_TO_BE_ONE[name](uow, seller)
    assert backing(uow, seller) == [("non_payment", True)]
    assert backed_reasons(uow, ALICE) == {"non_payment": 1}


@pytest.mark.parametrize("chunk", [1, 3])
def test_an_import_backs_a_tag_whose_order_came_on_the_other_buyer(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(imports, "CHUNK_LINES", chunk)
    monkeypatch.setattr(imports, "FIRST_CHUNK_LINES", chunk)
    importer = sellers.create_seller(uow, "Operator", role=Role.ADMIN, now=NOW).seller
    lines = [
        {"type": "tag", "buyer": ALICE, "reason": "non_payment", "order_ref": "R-1"},
        {"type": "completed_order", "buyer": PHONE, "order_ref": "R-1"},
        {"type": "completed_order", "buyer": BOTH, "order_ref": "R-2"},
    ]
    imports.import_lines(
        uow, [json.dumps(line) for line in lines], importer=importer, secret=SECRET, now=NOW
    )
    assert backing(uow, importer.id) == [("non_payment", True)]
    assert backed_reasons(uow, ALICE) == {"non_payment": 1}


@pytest.mark.parametrize("tag_first", [True, False])
def test_completing_a_known_order_with_other_identifiers_links_them_to_its_buyer(
    uow: UnitOfWork, tag_first: bool
) -> None:
    seller, other = new_seller(uow, "Shop"), new_seller(uow, "Other")
    tag_on(ALICE, "R-0", "extortion")(uow, other)
    screened(ALICE, "R-1")(uow, seller)
    # A logistics reason: its seller still counts among the buyer's clean-order sellers.
    steps = [tag_on(PHONE, "R-1", "remote_area"), completed(PHONE, "R-1")]
    for step in steps if tag_first else reversed(steps):
        step(uow, seller)
    found = buyer_of(uow, ALICE)
    assert buyer_of(uow, PHONE) == found
    assert backing(uow, seller) == [("remote_area", True)]
    assert backed_reasons(uow, ALICE) == {"extortion": 0, "remote_area": 1}
    assert found is not None
    stored, _ = stats(uow, found)
    assert stored is not None
    assert stored.clean_sellers == 1


@pytest.mark.parametrize("first", [completed, screened, order_event])
def test_screening_a_known_order_with_other_identifiers_links_them_to_its_buyer(
    uow: UnitOfWork, first: Callable[[dict[str, str], str], Step]
) -> None:
    seller, other = new_seller(uow, "Shop"), new_seller(uow, "Other")
    tag_on(ALICE, "R-0", "extortion")(uow, other)
    first(ALICE, "R-1")(uow, seller)
    result = screened(PHONE, "R-1")(uow, seller)
    assert isinstance(result, screening.Screened)
    found = buyer_of(uow, ALICE)
    assert buyer_of(uow, PHONE) == found
    assert result.screening.buyer_id == found
    assert [c.reason for c in result.risk.contributions] == ["extortion"]
    assert backed_reasons(uow, PHONE) == {"extortion": 0}


@pytest.mark.parametrize("chunk", [1, 3])
def test_an_import_completing_a_known_order_links_its_identifiers_to_the_orders_buyer(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(imports, "CHUNK_LINES", chunk)
    monkeypatch.setattr(imports, "FIRST_CHUNK_LINES", chunk)
    importer = sellers.create_seller(uow, "Operator", role=Role.ADMIN, now=NOW).seller
    screened(ALICE, "R-1")(uow, importer.id)
    lines = [
        {"type": "tag", "buyer": PHONE, "reason": "non_payment", "order_ref": "R-1"},
        {"type": "completed_order", "buyer": PHONE, "order_ref": "R-1"},
        {"type": "tag", "buyer": PHONE, "reason": "other"},
    ]
    imports.import_lines(
        uow, [json.dumps(line) for line in lines], importer=importer, secret=SECRET, now=NOW
    )
    buyer = buyer_of(uow, ALICE)
    assert buyer_of(uow, PHONE) == buyer
    assert backing(uow, importer.id) == [("non_payment", True), ("other", False)]
    found = tags.list_tags(uow, seller_id=importer.id, after_id=None, limit=10, now=NOW)
    assert {t.buyer_id for t in found} == {buyer}
    assert backed_reasons(uow, ALICE) == {"non_payment": 1, "other": 0}

"""Bulk imports of several chunks (parsed by a worker process) against the one-at-a-time rules:
duplicates, merges, order backing, aggregates equal to a recomputation from storage, alerts."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from buyerguard.domain.alerts import BUYER_FLAGGED
from buyerguard.domain.errors import InvalidImportError
from buyerguard.domain.identifiers import hash_identifiers
from buyerguard.domain.profiles import BuyerStats
from buyerguard.domain.sellers import Role, Seller
from buyerguard.domain.tags import NewTag
from buyerguard.services import alerts, buyers, imports, lists, orders, sellers, tags

from ..events_helpers import NOW, SECRET, tags_of


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three lines a chunk: a dozen lines take the path of a large import."""
    monkeypatch.setattr(imports, "CHUNK_LINES", 3)


def admin(uow) -> Seller:
    return sellers.create_seller(uow, "Operator", role=Role.ADMIN, now=NOW).seller


def tag(buyer: dict[str, str], reason: str, *, days_ago: int = 1, **more: Any) -> str:
    at = (NOW - timedelta(days=days_ago, seconds=len(json.dumps(buyer)))).isoformat()
    return json.dumps({"type": "tag", "buyer": buyer, "reason": reason, "at": at, **more})


def run(uow, importer: Seller, *lines: str) -> imports.ImportResult:
    return imports.import_lines(uow, lines, importer=importer, secret=SECRET, now=NOW)


def buyer_id(uow, buyer: dict[str, str]) -> int:
    with uow:
        found = uow.buyers.find_buyers(h.digest for h in hash_identifiers(buyer, SECRET))
    (buyer_id,) = set(found.values())
    return int(buyer_id)


def stats(uow, ids: list[int]) -> dict[int, BuyerStats | None]:
    with uow:
        return {b: uow.stats.get(b) for b in ids}


def recomputed(uow, ids: list[int]) -> dict[int, BuyerStats | None]:
    """The aggregates as refresh_stats computes them from storage (rolled back after)."""
    with uow:
        buyers.refresh_stats(uow, ids, now=NOW)
        return {b: uow.stats.get(b) for b in ids}


A, B, C = {"email": "a@example.com"}, {"email": "b@example.com"}, {"phone": "+4915112345678"}


def test_buyers_recurring_across_chunks_get_one_id_and_duplicates_are_counted(uow):
    importer = admin(uow)
    result = run(
        uow,
        importer,
        tag(A, "unpaid_order", seller="Shop 1"),
        tag(B, "extortion", seller="Shop 1"),
        tag(A, "unpaid_order", seller="Shop 1"),  # a duplicate in the same chunk
        tag(A, "unpaid_order", seller="Shop 1"),  # and in a later one
        tag(A, "card_fraud", seller="Shop 2", order_ref="R-1"),
        "",
        tag({"email": "A@Example.com"}, "frequent_returns", seller="Shop 3", days_ago=3),
        tag(C, "other", days_ago=900),  # expired when imported: stored, not counted
        tag(C, "other", seller="Shop 2"),
        tag(C, "other"),  # in the next chunk, beside an expired tag only
    )
    assert (result.tags, result.duplicates, result.completed_orders) == (7, 2, 0)
    ids = [buyer_id(uow, b) for b in (A, B, C)]
    assert len(set(ids)) == 3
    assert stats(uow, ids) == recomputed(uow, ids)
    a_stats = stats(uow, ids)[ids[0]]
    assert a_stats is not None
    assert (a_stats.distinct_reporters, len(a_stats.reasons)) == (3, 3)
    with uow:
        assert [s.name for s in uow.sellers.list_all()] == [
            "Operator",
            "Shop 1",
            "Shop 2",
            "Shop 3",
        ]
    assert [(r, s) for r, s, _ in tags_of(uow, importer.id)] == [
        ("other", "expired"),
        ("other", "active"),
    ]


def test_a_line_joining_buyers_merges_them_and_their_aggregates(uow):
    importer = admin(uow)
    old = {"platform_buyer_id": "shop:old"}
    tags.add_tag(
        uow, old, NewTag(importer.id, "unpaid_order"), secret=SECRET, now=NOW - timedelta(days=5)
    )
    result = run(
        uow,
        importer,
        tag(A, "unpaid_order", seller="Shop 1"),
        tag(B, "unpaid_order", seller="Shop 1"),
        tag(B, "extortion", seller="Shop 2"),
        tag({**A, "platform_buyer_id": "shop:b"}, "other", seller="Shop 2"),
        tag({"platform_buyer_id": "shop:b", **B}, "unpaid_order", seller="Shop 3"),
        tag(B, "unpaid_order", seller="Shop 1"),  # Shop 1's tag on A: now B's too
        tag({**C, **old}, "cod_refusal", seller="Shop 1"),
        tag(C, "unpaid_order"),  # the importer's, as on the old buyer: a duplicate
        tag(A, "remote_area", seller="Shop 4"),
    )
    assert (result.tags, result.duplicates) == (7, 2)
    kept = buyer_id(uow, A)
    assert buyer_id(uow, B) == kept
    survivor = buyer_id(uow, C)
    assert buyer_id(uow, old) == survivor < kept
    assert stats(uow, [kept, survivor]) == recomputed(uow, [kept, survivor])
    merged = stats(uow, [kept])[kept]
    assert merged is not None
    assert merged.distinct_reporters == 4


def test_orders_in_later_chunks_back_earlier_tags(uow):
    importer = admin(uow)
    order = json.dumps(
        {"type": "completed_order", "buyer": A, "seller": "Shop 1", "order_ref": "R-7"}
    )
    result = run(
        uow,
        importer,
        tag(A, "unpaid_order", seller="Shop 1", order_ref="R-7"),
        tag(B, "unpaid_order", seller="Shop 1", order_ref="R-8"),
        tag(C, "other", seller="Shop 2"),
        order,
        tag(B, "extortion", seller="Shop 2", order_ref="R-7"),  # Shop 2 has no order R-7
        tag(A, "other", seller="Shop 1", order_ref="R-7"),  # backed when stored
        order,
    )
    assert (result.tags, result.completed_orders, result.duplicates) == (5, 1, 1)
    ids = [buyer_id(uow, b) for b in (A, B, C)]
    assert stats(uow, ids) == recomputed(uow, ids)
    a_stats = stats(uow, ids)[ids[0]]
    assert a_stats is not None
    assert [r.order_backed for r in a_stats.reasons] == [1, 1]


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_the_better_backed_of_two_tags_a_merge_joins_stays_whatever_the_chunk_size(
    uow, monkeypatch: pytest.MonkeyPatch, chunk: int
):
    """A line stored before the merge that joins its buyer to another is merged as a duplicate; one
    resolved after it is refused as one: the counts differ, the tag that stays does not."""
    monkeypatch.setattr(imports, "CHUNK_LINES", chunk)
    monkeypatch.setattr(imports, "FIRST_CHUNK_LINES", chunk)
    importer = admin(uow)
    for buyer, ref in ((A, "R-0"), (C, "R-1")):
        orders.record_completed_order(
            uow,
            buyer,
            seller_id=importer.id,
            order_ref=ref,
            completed_at=None,
            secret=SECRET,
            now=NOW,
        )
    result = run(
        uow,
        importer,
        tag(C, "card_fraud", days_ago=3, order_ref="R-1", note="chargeback on R-1"),
        tag(A, "card_fraud", days_ago=2, note="no order"),
        json.dumps({"type": "completed_order", "buyer": {**A, **C}, "order_ref": "R-2"}),
    )
    assert (result.tags, result.duplicates) == ((1, 1) if chunk >= 3 else (2, 0))
    kept = buyer_id(uow, A)
    with uow:
        (stays,) = uow.tags.list_for_buyer_by_seller(kept, importer.id)
    assert (stays.note, stays.order_backed) == ("chargeback on R-1", True)
    assert stats(uow, [kept]) == recomputed(uow, [kept])


def test_bad_lines_in_any_chunk_import_nothing_and_are_all_named(uow):
    importer = admin(uow)
    lines = [tag(A, "unpaid_order", seller=f"Shop {n}") for n in range(9)]
    lines[1] = "{not json"
    lines[7] = tag(B, "nope")
    with pytest.raises(InvalidImportError) as raised:
        run(uow, importer, *lines)
    assert [line for line, _ in raised.value.errors] == [2, 8]
    assert raised.value.errors[1][1].startswith("unknown reason 'nope'")
    with uow:
        assert [s.name for s in uow.sellers.list_all()] == ["Operator"]


def test_subscribers_watching_a_buyer_hear_of_its_imported_tags(uow):
    importer = admin(uow)
    watcher = sellers.create_seller(uow, "Watcher", role=Role.SELLER, now=NOW).seller.id
    subscription = alerts.subscribe(
        uow,
        seller_id=watcher,
        url="https://hooks.example.com/bg",
        kinds=(BUYER_FLAGGED,),
        secret=None,
        now=NOW,
    ).subscription.id
    lists.put_entry(
        uow, "watch", B, seller_id=watcher, note="", expires_at=None, secret=SECRET, now=NOW
    )
    run(
        uow,
        importer,
        tag(A, "unpaid_order", seller="Shop 1"),
        tag(B, "unpaid_order", seller="Shop 1"),
        tag(C, "unpaid_order", seller="Shop 1"),
        tag(B, "card_fraud", seller="Shop 2"),
    )
    found = alerts.list_deliveries(uow, subscription, seller_id=watcher, after_id=None, limit=10)
    reasons = sorted(json.loads(d.payload)["new_reasons"][0] for d in found)
    assert reasons == ["card_fraud", "unpaid_order"]
    ids = [buyer_id(uow, b) for b in (A, B, C)]
    assert stats(uow, ids) == recomputed(uow, ids)


def test_a_seller_name_is_looked_up_and_created_cleaned(uow):
    importer = admin(uow)
    existing = sellers.create_seller(uow, "Shop 1", role=Role.SELLER, now=NOW).seller.id
    run(
        uow,
        importer,
        tag(A, "unpaid_order", seller=" Shop 1 "),
        tag(A, "extortion", seller=" New"),
        tag(A, "other", seller="New"),  # the same chunk
        tag(B, "other", seller=" New "),  # the next one
        tag(C, "other", seller="Newer "),
    )
    with uow:
        named = {s.name: s.id for s in uow.sellers.list_all()}
    assert set(named) == {"Operator", "Shop 1", "New", "Newer"}
    assert named["Shop 1"] == existing
    assert [len(tags_of(uow, named[n])) for n in ("Shop 1", "New", "Newer")] == [1, 3, 1]
    with pytest.raises(sellers.SellerExistsError):
        sellers.create_seller(uow, "New", role=Role.SELLER, now=NOW)


def test_names_differing_in_case_only_are_one_seller_spelt_as_first_named(uow):
    importer = admin(uow)
    existing = sellers.create_seller(uow, "Café Müller", role=Role.SELLER, now=NOW).seller.id
    run(
        uow,
        importer,
        tag(A, "unpaid_order", seller="CAFÉ MÜLLER"),
        tag(A, "extortion", seller="Ünïcødé 店"),
        tag(A, "other", seller="ÜNÏCØDÉ 店"),  # the same chunk
        tag(B, "other", seller="ünïcødé 店"),  # the next one
        tag(C, "other", seller="operator"),  # the importer itself
    )
    with uow:
        named = {s.name: s.id for s in uow.sellers.list_all()}
    assert set(named) == {"Operator", "Café Müller", "Ünïcødé 店"}
    assert named["Café Müller"] == existing
    assert [len(tags_of(uow, named[n])) for n in ("Café Müller", "Ünïcødé 店", "Operator")] == [
        1,
        3,
        1,
    ]


def test_a_tag_expired_when_imported_stands_in_the_way_of_no_later_line(uow):
    importer = admin(uow)
    result = run(
        uow,
        importer,
        tag(A, "other", days_ago=900),
        tag(A, "other", days_ago=2),  # the same chunk: active, stored
        tag(A, "other", days_ago=1),  # a duplicate of the active one
        tag(B, "other", days_ago=800),
        tag(B, "other", days_ago=900),  # history beside history: both kept
    )
    assert (result.tags, result.duplicates) == (4, 1)
    assert [s for r, s, _ in tags_of(uow, importer.id)] == [
        "expired",
        "active",
        "expired",
        "expired",
    ]


def test_chunks_grow_from_the_first_size_to_the_full_one(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(imports, "FIRST_CHUNK_LINES", 2)
    monkeypatch.setattr(imports, "CHUNK_LINES", 5)
    numbered = enumerate((f"line {n}" for n in range(1, 17)), start=1)
    sizes = [len(chunk) for chunk in imports._chunks(numbered)]
    assert sizes == [2, 4, 5, 5]


def test_importing_a_file_again_doubles_no_history_and_revives_no_retracted_tag(uow):
    importer = admin(uow)
    lines = [
        tag(A, "other", days_ago=900),  # expired when imported
        tag(A, "other", days_ago=2),
        tag(B, "extortion", seller="Shop 1"),
        tag(B, "other", days_ago=800, seller="Shop 1"),
        tag(C, "unpaid_order"),
    ]
    first = run(uow, importer, *lines)
    assert (first.tags, first.duplicates) == (5, 0)
    (retracted,) = [
        t
        for t in tags.list_tags(uow, seller_id=importer.id, after_id=None, limit=9, now=NOW)
        if t.reason == "unpaid_order"
    ]
    tags.retract_tag(uow, retracted.id, seller_id=importer.id, now=NOW)

    again = run(uow, importer, *lines, tag(C, "unpaid_order", days_ago=5))
    assert (again.tags, again.duplicates) == (1, 5)  # only the new report of C is stored
    assert [s for r, s, _ in tags_of(uow, importer.id)] == [
        "expired",
        "active",
        "retracted",
        "active",
    ]
    ids = [buyer_id(uow, b) for b in (A, B, C)]
    assert stats(uow, ids) == recomputed(uow, ids)


@pytest.mark.parametrize("chunk_lines", [1, 100])
def test_records_other_sellers_know_merge_on_the_word_of_two_sellers_only(
    uow, monkeypatch: pytest.MonkeyPatch, chunk_lines: int
):
    monkeypatch.setattr(imports, "CHUNK_LINES", chunk_lines)
    importer = admin(uow)
    run(
        uow, importer, tag(A, "unpaid_order", seller="Shop 1"), tag(C, "extortion", seller="Shop 2")
    )
    assert run(uow, importer, tag({**A, **C}, "other", seller="Shop 3")).tags == 1
    assert buyer_id(uow, A) != buyer_id(uow, C)
    with uow:  # the line's tag went with the older record
        assert uow.stats.get(buyer_id(uow, C)).distinct_reporters == 1
        assert uow.stats.get(buyer_id(uow, A)).distinct_reporters == 2

    run(
        uow,
        importer,
        tag({**A, **C}, "card_fraud", seller="Shop 3"),  # the same seller again: not yet
        tag(B, "other", seller="Shop 3"),
        tag({**C, **A}, "card_fraud", seller="Shop 4"),
    )
    assert buyer_id(uow, A) == buyer_id(uow, C)

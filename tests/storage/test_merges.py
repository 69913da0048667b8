"""storage.buyers.SqlBuyerRepository.merge: what is kept by buyer follows the merged-away record
into the kept one, and of two active tags by one seller for one reason the better backed stays (on
either engine)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from buyerguard.domain.links import Claim
from buyerguard.domain.lists import ListEntry
from buyerguard.domain.orders import OrderRecord
from buyerguard.domain.sellers import Role
from buyerguard.domain.tags import TagRecord, TagSource, TagStatus
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import NOW

KEEP, OTHER = "keep", "other"
MANUAL, IMPORT, EVENT = TagSource.MANUAL, TagSource.IMPORT, TagSource.EVENT

# (order-backed, source, days ago) of the kept buyer's tag and of the merged-in one; which stays.
DUPLICATES = [
    pytest.param((False, MANUAL, 5), (True, IMPORT, 1), OTHER, id="order-backed-beats-bare"),
    pytest.param((True, MANUAL, 1), (False, EVENT, 5), KEEP, id="order-backed-beats-event"),
    pytest.param((False, MANUAL, 5), (False, EVENT, 1), OTHER, id="event-beats-bare-claim"),
    pytest.param((True, IMPORT, 5), (True, EVENT, 1), OTHER, id="event-beats-backed-claim"),
    pytest.param((False, IMPORT, 1), (False, MANUAL, 5), KEEP, id="then-the-one-given-first"),
    pytest.param((True, EVENT, 2), (True, EVENT, 3), KEEP, id="of-two-events-the-first-given"),
]


def setup(uow: SqlUnitOfWork, sellers: int = 1) -> tuple[list[int], int, int]:
    """Sellers, and two buyers: the older one kept, the other merged into it."""
    ids = [
        uow.sellers.add(f"Shop {i}", role=Role.SELLER, trust=0.5, now=NOW).id
        for i in range(sellers)
    ]
    keep, other = uow.buyers.create(2, now=NOW)
    return ids, keep, other


def tag(
    seller: int, buyer: int, spec: tuple[bool, TagSource, int], reason: str = "other"
) -> TagRecord:
    backed, source, days_ago = spec
    at = NOW - timedelta(days=days_ago)
    return TagRecord(
        seller,
        buyer,
        reason,
        f"{source} {days_ago}",
        None,
        source,
        TagStatus.ACTIVE,
        backed,
        at,
        at + timedelta(days=365),
    )


def statuses(uow: SqlUnitOfWork, seller: int) -> list[tuple[int, int, str]]:
    return [
        (t.id, t.buyer_id, t.status.value)
        for t in uow.tags.list_for_seller(seller, after_id=None, limit=50)[::-1]
    ]


def evidence(spec: tuple[bool, TagSource, int]) -> tuple[bool, bool]:
    return spec[0], spec[1] is EVENT


@pytest.mark.parametrize("merged_given_first", [False, True])
@pytest.mark.parametrize(("kept", "merged", "stays"), DUPLICATES)
def test_of_two_duplicate_tags_the_better_backed_stays(
    uow: SqlUnitOfWork,
    kept: tuple[bool, TagSource, int],
    merged: tuple[bool, TagSource, int],
    stays: str,
    merged_given_first: bool,
) -> None:
    with uow:
        (seller,), keep, other = setup(uow)
        given = [tag(seller, keep, kept), tag(seller, other, merged)]
        ids = uow.tags.add_many(given[::-1] if merged_given_first else given, returning=True)
        keep_id, other_id = ids[::-1] if merged_given_first else ids
        uow.buyers.merge(keep, [other], seller_id=None, now=NOW)
        uow.commit()
    if evidence(kept) == evidence(merged):  # imported or typed by hand, a claim is a claim
        stays = OTHER if merged_given_first else KEEP
    survivor = keep_id if stays == KEEP else other_id
    with uow:
        assert sorted(statuses(uow, seller)) == sorted(
            (i, keep, "active" if i == survivor else "removed") for i in ids
        )


def test_a_tag_citing_an_order_of_the_other_record_is_judged_order_backed(
    uow: SqlUnitOfWork,
) -> None:
    with uow:
        (seller,), keep, other = setup(uow)
        uow.orders.add_many([OrderRecord(seller, other, "R-1", False, NOW)])
        cites = tag(seller, keep, (False, MANUAL, 1))._replace(order_ref="R-1")
        ids = uow.tags.add_many([cites, tag(seller, other, (False, EVENT, 5))], returning=True)
        uow.buyers.merge(keep, [other], seller_id=None, now=NOW)
        uow.commit()
    with uow:
        assert [(i, s) for i, _, s in statuses(uow, seller)] == [
            (ids[0], "active"),
            (ids[1], "removed"),
        ]


def test_a_tag_past_its_expiry_stands_in_no_duplicates_way(uow: SqlUnitOfWork) -> None:
    """Marked expired by the job or not: the other record's live tag stays, however weaker."""
    with uow:
        (seller,), keep, other = setup(uow)
        lapsed = tag(seller, keep, (True, EVENT, 366))  # expired yesterday, still marked active
        ids = uow.tags.add_many([lapsed, tag(seller, other, (False, MANUAL, 1))], returning=True)
        uow.buyers.merge(keep, [other], seller_id=None, now=NOW)
        uow.commit()
    with uow:
        assert statuses(uow, seller) == [(ids[0], keep, "expired"), (ids[1], keep, "active")]


def test_tags_of_other_sellers_and_reasons_all_move(uow: SqlUnitOfWork) -> None:
    spec = (False, MANUAL, 1)
    with uow:
        (a, b), keep, other = setup(uow, sellers=2)
        uow.tags.add_many(
            [
                tag(a, keep, spec),
                tag(b, other, spec),
                tag(a, other, spec, reason="extortion"),
                tag(a, other, (True, MANUAL, 2)),
            ]
        )
        uow.buyers.merge(keep, [other], seller_id=None, now=NOW)
        uow.commit()
    with uow:
        assert [(r, s) for _, r, s in statuses(uow, a)] == [
            (keep, "removed"),
            (keep, "active"),
            (keep, "active"),
        ]
        assert [(r, s) for _, r, s in statuses(uow, b)] == [(keep, "active")]


def test_one_merged_buyer_after_another_leaves_the_best_of_all(uow: SqlUnitOfWork) -> None:
    with uow:
        (seller,), keep, other = setup(uow)
        (third,) = uow.buyers.create(1, now=NOW)
        ids = uow.tags.add_many(
            [
                tag(seller, keep, (False, MANUAL, 1)),
                tag(seller, other, (True, MANUAL, 2)),
                tag(seller, third, (True, MANUAL, 3)),
            ],
            returning=True,
        )
        uow.buyers.merge(keep, [other, third], seller_id=None, now=NOW)
        uow.commit()
    with uow:
        assert [(i, s) for i, _, s in statuses(uow, seller)] == [
            (ids[0], "removed"),
            (ids[1], "active"),
            (ids[2], "removed"),
        ]


def entry(buyer: int, name: str, note: str, days_ago: int, expires_in: int | None) -> ListEntry:
    expires_at = None if expires_in is None else NOW + timedelta(days=expires_in)
    return ListEntry(0, buyer, name, note, expires_at, NOW - timedelta(days=days_ago))


def test_list_entries_follow_the_merged_buyer(uow: SqlUnitOfWork) -> None:
    with uow:
        (shop, watcher), keep, other = setup(uow, sellers=2)
        uow.lists.put(shop, entry(other, "block", "never again", 2, None))
        uow.lists.put(watcher, entry(other, "watch", "", 2, 30))
        uow.buyers.merge(keep, [other], seller_id=None, now=NOW)
        uow.commit()
    with uow:
        assert uow.lists.names_for(shop, keep, now=NOW) == {"block"}
        assert uow.lists.names_for(shop, other, now=NOW) == frozenset()
        assert uow.lists.sellers_watching(keep, now=NOW) == {watcher}
        (block,) = uow.lists.entries(shop, "block")
        assert (block.buyer_id, block.note, block.expires_at) == (keep, "never again", None)


@pytest.mark.parametrize(
    ("kept", "merged", "expires_in"),
    [
        pytest.param(10, None, None, id="no-expiry-beats-any"),
        pytest.param(None, 10, None, id="no-expiry-kept"),
        pytest.param(10, 40, 40, id="the-later-expiry"),
        pytest.param(40, 10, 40, id="the-later-expiry-kept"),
    ],
)
def test_two_entries_on_one_list_become_one(
    uow: SqlUnitOfWork, kept: int | None, merged: int | None, expires_in: int | None
) -> None:
    with uow:
        (shop,), keep, other = setup(uow)
        kept_id = uow.lists.put(shop, entry(keep, "vip", "regular", 1, kept))
        uow.lists.put(shop, entry(other, "vip", "big spender", 5, merged))
        uow.lists.put(shop, entry(other, "allow", "", 5, None))
        uow.buyers.merge(keep, [other], seller_id=None, now=NOW)
        uow.commit()
    with uow:
        (vip,) = uow.lists.entries(shop, "vip")
        expires_at: datetime | None = (
            None if expires_in is None else NOW + timedelta(days=expires_in)
        )
        assert vip == ListEntry(
            kept_id, keep, "vip", "big spender\nregular", expires_at, NOW - timedelta(days=5)
        )
        assert [e.buyer_id for e in uow.lists.entries(shop, "allow")] == [keep]


def test_equal_or_empty_notes_are_not_repeated(uow: SqlUnitOfWork) -> None:
    with uow:
        (shop,), keep, other = setup(uow)
        uow.lists.put(shop, entry(keep, "block", "fraud", 1, None))
        uow.lists.put(shop, entry(other, "block", "fraud", 2, None))
        uow.lists.put(shop, entry(keep, "watch", "", 1, None))
        uow.lists.put(shop, entry(other, "watch", "returns a lot", 2, None))
        uow.buyers.merge(keep, [other], seller_id=None, now=NOW)
        uow.commit()
    with uow:
        assert [e.note for e in uow.lists.entries(shop, "block")] == ["fraud"]
        assert [e.note for e in uow.lists.entries(shop, "watch")] == ["returns a lot"]


def test_claims_and_rulings_follow_the_merged_buyer(uow: SqlUnitOfWork) -> None:
    with uow:
        (seller,), keep, other = setup(uow)
        third, fourth = uow.buyers.create(2, now=NOW)
        uow.buyer_links.add([Claim((other, third), seller)], now=NOW)
        uow.buyer_links.keep_apart((other, fourth), note="two people", now=NOW)
        uow.buyer_links.keep_apart((keep, other), note=None, now=NOW)
        uow.buyers.merge(keep, [other], seller_id=None, now=NOW)
        assert uow.buyer_links.sellers_for([(keep, third)]) == {(keep, third): {seller}}
        assert uow.buyer_links.sellers_for([(other, third)]) == {(other, third): set()}
        # The ruling between the two records themselves has nothing left to keep apart.
        pairs = [(keep, fourth), (other, fourth), (keep, other)]
        assert uow.buyer_links.apart(pairs) == {(keep, fourth)}

"""storage.merges: undoing a merge moves back what it moved and restores what it changed, and
leaves what reached the kept record since (on either engine)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from buyerguard.domain.errors import MergeCoveredError, MergeNotFoundError, MergeUndoneError
from buyerguard.domain.identifiers import HashedIdentifier, IdentifierKind
from buyerguard.domain.orders import OrderRecord
from buyerguard.domain.tags import TagSource, TagStatus
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import NOW
from tests.storage.test_merges import MANUAL, entry, setup, statuses, tag

LATER = NOW + timedelta(hours=1)


def digest(n: int) -> HashedIdentifier:
    return HashedIdentifier(IdentifierKind.EMAIL, f"{n:064x}")


def merge_once(uow: SqlUnitOfWork, keep: int, other: int) -> int:
    uow.buyers.merge(keep, [other], seller_id=None, now=NOW)
    merge = uow.buyers.merges(other, limit=1)[0]  # the newest
    assert (merge.buyer_id, merge.merged_id, merge.undone_at) == (keep, other, None)
    return merge.id


def test_an_undone_merge_gives_the_record_back_what_was_its_own(uow: SqlUnitOfWork) -> None:
    with uow:
        (shop, other_shop), keep, other = setup(uow, sellers=2)
        uow.buyers.link([(keep, digest(1)), (other, digest(2))], now=NOW)
        uow.orders.add_many([OrderRecord(shop, other, "R-1", True, NOW)])
        backed_by_merge = tag(shop, keep, (False, MANUAL, 3))._replace(order_ref="R-1")
        duplicate = tag(shop, other, (False, TagSource.EVENT, 2))  # stronger than keep's
        ids = uow.tags.add_many(
            [backed_by_merge, duplicate, tag(other_shop, other, (False, MANUAL, 1))],
            returning=True,
        )
        kept_vip = uow.lists.put(shop, entry(keep, "vip", "regular", 1, None))
        uow.lists.put(shop, entry(other, "vip", "big spender", 5, 10))
        uow.lists.put(shop, entry(other, "block", "never", 5, None))
        merge_id = merge_once(uow, keep, other)
        # After the merge: a new identifier and a tag reach the kept record.
        uow.buyers.link([(keep, digest(3))], now=NOW)
        since = uow.tags.add_many(
            [tag(other_shop, keep, (False, MANUAL, 0), "extortion")], returning=True
        )
        uow.commit()
    with uow:
        assert statuses(uow, shop) == [(ids[0], keep, "active"), (ids[1], keep, "removed")]
        undone = uow.buyers.undo_merge(merge_id, now=LATER)
        uow.commit()
    assert undone.undone_at == LATER
    with uow:
        found = uow.buyers.find_buyers(f"{n:064x}" for n in (1, 2, 3))
        assert [found[f"{n:064x}"] for n in (1, 2, 3)] == [keep, other, keep]
        assert uow.buyers.live_buyers([other]) == {other: other}
        assert statuses(uow, shop) == [(ids[0], keep, "active"), (ids[1], other, "active")]
        assert statuses(uow, other_shop) == [(ids[2], other, "active"), (since[0], keep, "active")]
        backed = {
            t.id: t.order_backed for t in uow.tags.list_for_seller(shop, after_id=None, limit=9)
        }
        assert backed == {ids[0]: False, ids[1]: False}
        assert uow.orders.existing([(shop, "R-1")])[(shop, "R-1")].buyer_id == other
        vip = {e.buyer_id: (e.id, e.note, e.expires_at) for e in uow.lists.entries(shop, "vip")}
        assert vip[keep] == (kept_vip, "regular", None)
        assert vip[other][1:] == ("big spender", NOW + timedelta(days=10))
        assert [e.buyer_id for e in uow.lists.entries(shop, "block")] == [other]


def test_a_merge_is_undone_once_and_an_unknown_one_not_at_all(uow: SqlUnitOfWork) -> None:
    with uow:
        _, keep, other = setup(uow)
        merge_id = merge_once(uow, keep, other)
        uow.buyers.undo_merge(merge_id, now=LATER)
        with pytest.raises(MergeUndoneError, match=f"merge {merge_id} was undone already"):
            uow.buyers.undo_merge(merge_id, now=LATER)
        with pytest.raises(MergeNotFoundError):
            uow.buyers.undo_merge(merge_id + 1, now=LATER)


def test_merges_along_a_chain_are_undone_newest_first(uow: SqlUnitOfWork) -> None:
    with uow:
        _, first, second = setup(uow)
        (third,) = uow.buyers.create(1, now=NOW)
        uow.buyers.link([(third, digest(3))], now=NOW)
        inner = merge_once(uow, second, third)  # third into second
        outer = merge_once(uow, first, second)  # then second, with third's rows, into first
        assert uow.buyers.find_buyers([f"{3:064x}"]) == {f"{3:064x}": first}
        with pytest.raises(MergeCoveredError, match=f"into buyer {first} since, by merge {outer}"):
            uow.buyers.undo_merge(inner, now=LATER)
        uow.buyers.undo_merge(outer, now=LATER)
        assert uow.buyers.find_buyers([f"{3:064x}"]) == {f"{3:064x}": second}
        uow.buyers.undo_merge(inner, now=LATER)
        assert uow.buyers.find_buyers([f"{3:064x}"]) == {f"{3:064x}": third}
        listed = uow.buyers.merges(None, limit=10)
        assert [m.id for m in listed] == [outer, inner]
        assert all(m.undone_at == LATER for m in listed)


def test_a_removed_duplicate_stays_removed_when_its_seller_tagged_the_buyer_since(
    uow: SqlUnitOfWork,
) -> None:
    with uow:
        (shop,), keep, other = setup(uow)
        weaker = tag(shop, keep, (False, MANUAL, 3))
        stronger = tag(shop, other, (True, MANUAL, 2))
        ids = uow.tags.add_many([weaker, stronger], returning=True)
        merge_id = merge_once(uow, keep, other)
        uow.tags.set_status(ids[1], TagStatus.RETRACTED, now=NOW)
        again = uow.tags.add_many([tag(shop, keep, (False, MANUAL, 0))], returning=True)
        uow.buyers.undo_merge(merge_id, now=LATER)
        assert statuses(uow, shop) == [
            (ids[0], keep, "removed"),
            (ids[1], other, "retracted"),
            (again[0], keep, "active"),
        ]


def test_merges_are_listed_for_either_record(uow: SqlUnitOfWork) -> None:
    with uow:
        _, keep, other = setup(uow)
        (unrelated,) = uow.buyers.create(1, now=NOW)
        merge_id = merge_once(uow, keep, other)
        assert [m.id for m in uow.buyers.merges(keep, limit=5)] == [merge_id]
        assert uow.buyers.merges(unrelated, limit=5) == []

from __future__ import annotations

from buyerguard.domain.buyers import group_identifiers


def test_rows_sharing_an_identifier_are_one_new_buyer() -> None:
    groups = group_identifiers([["a", "b"], ["b", "c"], ["d"]], {})
    by_rows = {g.rows: g for g in groups}
    assert by_rows[(0, 1)].digests == {"a", "b", "c"}
    assert by_rows[(0, 1)].keep is None
    assert by_rows[(2,)].digests == {"d"}


def test_known_buyers_joined_by_a_row_merge_into_the_oldest() -> None:
    (group,) = group_identifiers([["email", "phone"]], {"email": 7, "phone": 3})
    assert group.keep == 3
    assert group.merge == (7,)


def test_a_row_of_one_known_buyer_keeps_it() -> None:
    (group,) = group_identifiers([["email", "new"]], {"email": 5})
    assert (group.keep, group.merge) == (5, ())
    assert group.digests == {"email", "new"}

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

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


def reference_groups(
    rows: Sequence[Sequence[str]], known: Mapping[str, int]
) -> list[tuple[frozenset[str], int | None, tuple[int, ...], tuple[int, ...]]]:
    """The same grouping, computed the slow and obvious way."""
    groups: list[set[str]] = []
    links = [set(row) for row in rows]
    links += [{d for d, b in known.items() if b == buyer} for buyer in set(known.values())]
    for linked in links:
        touching = [g for g in groups if g & linked]
        merged = set(linked).union(*touching)
        groups = [g for g in groups if not g & linked] + [merged]
    result = []
    for group in groups:
        indices = tuple(i for i, row in enumerate(rows) if set(row) & group)
        buyers = sorted({known[d] for d in group if d in known})
        if indices:
            keep = buyers[0] if buyers else None
            result.append((frozenset(group), keep, tuple(buyers[1:]), indices))
    return sorted(result, key=lambda group: group[3][0])


def test_groups_are_those_of_the_obvious_method_in_the_order_of_their_first_row() -> None:
    rng = random.Random(7)
    for _ in range(500):
        digests = [f"d{i}" for i in range(rng.randint(1, 25))]
        rows = [
            list(dict.fromkeys(rng.choices(digests, k=rng.randint(1, 3))))
            for _ in range(rng.randint(1, 12))
        ]
        seen = sorted({d for row in rows for d in row})
        known = {d: rng.randint(1, 5) for d in seen if rng.random() < 0.3}
        found = [(g.digests, g.keep, g.merge, g.rows) for g in group_identifiers(rows, known)]
        assert found == reference_groups(rows, known)


def refuse_all(one: frozenset[int], other: frozenset[int], row: int) -> bool:
    return False


def test_a_refused_row_goes_with_the_oldest_buyer_it_names_and_keeps_the_others_apart() -> None:
    groups = group_identifiers([["phone", "email", "new"]], {"email": 7, "phone": 3}, refuse_all)
    by_keep = {g.keep: g for g in groups}
    assert set(by_keep) == {3}  # buyer 7 covers no row
    kept = by_keep[3]
    assert (kept.merge, kept.rows) == ((), (0,))
    assert kept.digests == {"phone", "new"}  # the new identifier goes with the row's buyer
    assert kept.apart == {0: (7,)}


def test_rows_of_each_refused_buyer_stay_with_it() -> None:
    rows = [["email"], ["email", "phone"], ["phone"]]
    groups = group_identifiers(rows, {"email": 7, "phone": 3}, refuse_all)
    assert {g.keep: (g.rows, g.merge) for g in groups} == {7: ((0,), ()), 3: ((1, 2), ())}
    assert [g.apart for g in groups if g.keep == 3] == [{1: (7,)}]


def test_the_rule_is_asked_with_the_known_buyers_of_both_groups_and_the_row() -> None:
    asked: list[tuple[frozenset[int], frozenset[int], int]] = []

    def only_row_two(one: frozenset[int], other: frozenset[int], row: int) -> bool:
        asked.append((one, other, row))
        return row == 2

    rows = [["a"], ["a", "b"], ["b", "c"], ["a", "c"]]
    groups = group_identifiers(rows, {"a": 1, "b": 2, "c": 3}, only_row_two)
    # Row 1 is refused (1 and 2 stay apart); row 2 joins 3 into 2; row 3 asks to join {1}, {2, 3}.
    assert asked == [
        (frozenset({1}), frozenset({2}), 1),
        (frozenset({2}), frozenset({3}), 2),
        (frozenset({1}), frozenset({2, 3}), 3),
    ]
    assert {g.keep: (g.merge, g.rows) for g in groups} == {1: ((), (0, 1, 3)), 2: ((3,), (2,))}
    assert [g.apart for g in groups if g.keep == 1] == [{1: (2,), 3: (2,)}]


def test_a_later_row_joining_a_refused_pair_leaves_nothing_apart() -> None:
    def not_row_zero(one: frozenset[int], other: frozenset[int], row: int) -> bool:
        return row != 0

    rows = [["a", "b"], ["a", "b"]]
    (group,) = group_identifiers(rows, {"a": 1, "b": 2}, not_row_zero)
    assert (group.keep, group.merge, group.rows, group.apart) == (1, (2,), (0, 1), {})

from __future__ import annotations

from collections.abc import Collection

from buyerguard.domain.links import LINK_SELLERS, Pair, may_merge, pair_of

KNOWERS = {1: {10}, 2: {20}, 3: {30, 31}, 4: set()}  # buyer: sellers that know it


def merges(
    one: set[int],
    other: set[int],
    seller: int,
    claims: dict[Pair, set[int]],
    apart: frozenset[Pair] = frozenset(),
) -> bool:
    def claimed(pair: Pair) -> Collection[int]:
        return claims.get(pair, set())

    return may_merge(
        frozenset(one),
        frozenset(other),
        seller,
        knowers=KNOWERS.__getitem__,
        claimed=claimed,
        apart=apart.__contains__,
    )


def test_two_buyers_other_sellers_know_are_not_merged_on_one_sellers_word() -> None:
    assert not merges({1}, {2}, 99, {})


def test_a_seller_merges_freely_what_only_it_knows() -> None:
    assert merges({1}, {2}, 10, {})  # buyer 1 is known to seller 10 alone
    assert merges({4}, {2}, 99, {})  # buyer 4 is known to nobody
    assert not merges({3}, {2}, 30, {})  # buyer 3 is known to 31 too


def test_enough_distinct_sellers_merge_them() -> None:
    assert LINK_SELLERS == 2
    assert merges({1}, {2}, 99, {pair_of(2, 1): {98}})
    assert not merges({1}, {2}, 99, {(1, 2): {99}})  # the same seller again
    assert merges({1, 4}, {2}, 99, {(2, 4): {97}})  # any pair between the two sides


def test_pairs_are_ordered_oldest_first() -> None:
    assert pair_of(9, 3) == pair_of(3, 9) == (3, 9)


def test_a_pair_ruled_apart_never_merges_whoever_says_so() -> None:
    ruled = frozenset({(1, 2)})
    assert not merges({1}, {2}, 99, {(1, 2): {97, 98}}, ruled)  # enough sellers
    assert not merges({1, 4}, {2}, 99, {(2, 4): {97}}, ruled)  # any pair between the sides
    assert not merges({2}, {1}, 10, {}, ruled)  # what the seller alone knows
    assert merges({1}, {4}, 10, {}, ruled)  # other pairs as before

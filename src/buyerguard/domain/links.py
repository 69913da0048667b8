"""When identifiers given together may merge two known buyers into one.

A merge is for good: every tag, order and list entry of one buyer becomes the other's. Were one
seller's word enough, a competitor or a liar could hang a tagged buyer's record on an honest one
(or dilute a bad buyer's record with a clean one) by giving one identifier of each on a tag. So a
seller merges freely what only it knows, but two buyers that other sellers know too are merged
only once `LINK_SELLERS` distinct sellers have given them together; until then each seller's word
is kept as a claim. An operator reviews the claims: approving one merges the pair at once,
rejecting one rules the two records apart, and no seller's word merges them after that.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import NamedTuple

LINK_SELLERS = 2  # distinct sellers whose word merges two buyers both known to other sellers

Pair = tuple[int, int]  # two buyers, the older (smaller id) first


class Claim(NamedTuple):
    pair: Pair
    seller_id: int


class PendingLink(NamedTuple):
    """Two buyer records some sellers said are one person, not yet enough of them."""

    pair: Pair
    sellers: tuple[str, ...]  # the names of the sellers that said so, first first
    first_at: datetime
    last_at: datetime


def pair_of(one: int, other: int) -> Pair:
    return (one, other) if one < other else (other, one)


def known_to_others(knowers: Collection[int], seller_id: int) -> bool:
    """Whether sellers other than `seller_id` know the buyer (`knowers`: some that do)."""
    return any(knower != seller_id for knower in knowers)


def may_merge(
    one: Collection[int],
    other: Collection[int],
    seller_id: int,
    *,
    knowers: Callable[[int], Collection[int]],
    claimed: Callable[[Pair], Collection[int]],
    apart: Callable[[Pair], bool],
) -> bool:
    """Whether `seller_id`, giving buyers `one` and `other` together, merges them: never when an
    operator ruled a pair of them `apart`; otherwise when at most one side is known to other
    sellers (`knowers`: some sellers that know a buyer), or enough sellers said so (`claimed`: who
    said a pair)."""
    if any(apart(pair_of(a, b)) for a in one for b in other):
        return False
    if not all(any(known_to_others(knowers(b), seller_id) for b in side) for side in (one, other)):
        return True
    sellers = {seller_id}
    for a in one:
        for b in other:
            sellers.update(claimed(pair_of(a, b)))
    return len(sellers) >= LINK_SELLERS

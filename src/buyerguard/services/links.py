"""Merging known buyers given together only as domain.links allows, and keeping the claims."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from buyerguard.domain.links import Claim, Pair, may_merge, pair_of
from buyerguard.services.unit_of_work import UnitOfWork

# Sellers read per buyer: two tell whether any seller other than the one giving it knows it.
KNOWERS_READ = 2


class LinkRule:
    """Whether a row may join known buyers (domain.buyers.Joinable), for rows given by `sellers`;
    it reads who knows a buyer and who claimed a pair only for rows naming two known buyers, and
    keeps the claims of the rows it refuses for `record`. Buyers in `fresh` (those an import made
    in an earlier chunk) merge freely, as they would have were the import one chunk."""

    def __init__(
        self, uow: UnitOfWork, sellers: Sequence[int], fresh: Collection[int] = ()
    ) -> None:
        self.uow = uow
        self.sellers = sellers
        self.fresh = fresh
        self.claims: list[Claim] = []
        self._knowers: dict[int, frozenset[int]] = {}
        self._claimed: dict[Pair, set[int]] = {}
        self._apart: dict[Pair, bool] = {}

    def __call__(self, one: frozenset[int], other: frozenset[int], index: int) -> bool:
        seller = self.sellers[index]
        if all(b in self.fresh for b in one) or all(b in self.fresh for b in other):
            return True
        if may_merge(
            one,
            other,
            seller,
            knowers=self._known_by,
            claimed=self._claimed_by,
            apart=self._ruled_apart,
        ):
            return True
        for pair in sorted(pair_of(a, b) for a in one for b in other):
            if self._ruled_apart(pair):
                continue  # an operator decided: the seller's word changes nothing
            self._claimed_by(pair).add(seller)  # a later row of another seller corroborates it
            self.claims.append(Claim(pair, seller))
        return False

    def record(self, *, now: datetime) -> None:
        """Store the claims of the refused rows (before any merge, which moves claims along)."""
        if self.claims:
            self.uow.buyer_links.add(self.claims, now=now)
            self.claims = []

    def _known_by(self, buyer_id: int) -> Collection[int]:
        if buyer_id not in self._knowers:
            self._knowers[buyer_id] = self.uow.buyer_links.known_by(buyer_id, limit=KNOWERS_READ)
        return self._knowers[buyer_id]

    def _ruled_apart(self, pair: Pair) -> bool:
        if pair not in self._apart:
            self._apart[pair] = pair in self.uow.buyer_links.apart([pair])
        return self._apart[pair]

    def _claimed_by(self, pair: Pair) -> set[int]:
        if pair not in self._claimed:
            self._claimed.update(self.uow.buyer_links.sellers_for([pair]))
        return self._claimed[pair]


def merge_if_agreed(
    uow: UnitOfWork, keep: int, other: int, *, seller_id: int, now: datetime
) -> bool:
    """Merge `other` into `keep`, seen as one buyer by `seller_id`, if domain.links allows;
    otherwise keep the seller's claim. Returns whether they were merged."""
    rule = LinkRule(uow, [seller_id])
    if rule(frozenset({keep}), frozenset({other}), 0):
        uow.buyers.merge(keep, [other], seller_id=seller_id, now=now)
        return True
    rule.record(now=now)
    return False

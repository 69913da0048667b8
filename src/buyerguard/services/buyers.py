"""Finding buyers by any identifier, linking what is seen together, and looking a buyer up."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.buyers import group_identifiers
from buyerguard.domain.identifiers import HashedIdentifier, hash_identifiers
from buyerguard.domain.profiles import (
    EMPTY_STATS,
    BuyerStats,
    Profile,
    build_profile,
    summarise,
    tag_facts,
)
from buyerguard.domain.tags import Tag, one_per_seller_and_reason
from buyerguard.services.links import LinkRule
from buyerguard.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Resolution:
    buyer_ids: list[int]  # one per row
    created: list[int]
    merged: dict[int, tuple[int, ...]]  # a kept buyer: the buyers folded into it
    linked: list[tuple[int, HashedIdentifier]]  # identifiers seen for the first time
    apart: dict[int, tuple[int, ...]]  # a row: other known buyers it named, not merged (links)


def resolve_buyers(
    uow: UnitOfWork,
    rows: Sequence[Sequence[HashedIdentifier]],
    *,
    sellers: Sequence[int],
    now: datetime,
) -> list[int]:
    """Return one buyer id per row (given by the seller of the same index), creating, linking and
    merging buyers as the identifiers say.

    Identifiers on one row belong to one person; a row that joins two known buyers merges them into
    the older one where domain.links allows, and otherwise goes with the older one. Runs inside the
    caller's transaction.
    """
    known = uow.buyers.find_buyers({h.digest for row in rows for h in row})
    return link_buyers(uow, rows, known, sellers=sellers, now=now).buyer_ids


def resolve_buyer(
    uow: UnitOfWork, row: Sequence[HashedIdentifier], *, seller_id: int, now: datetime
) -> tuple[int, tuple[int, ...]]:
    """As resolve_buyers for one row: its buyer, and the other known buyers it named that were
    not merged with it."""
    known = uow.buyers.find_buyers({h.digest for h in row})
    done = link_buyers(uow, [row], known, sellers=[seller_id], now=now)
    return done.buyer_ids[0], done.apart.get(0, ())


def link_buyers(
    uow: UnitOfWork,
    rows: Sequence[Sequence[HashedIdentifier]],
    known: Mapping[str, int],
    *,
    sellers: Sequence[int],
    now: datetime,
    fresh: Collection[int] = (),
) -> Resolution:
    """resolve_buyers, given `known`: the buyer of every digest of the rows that has one; buyers
    in `fresh` merge freely (services.links.LinkRule)."""
    digest_rows = [[h.digest for h in row] for row in rows]
    kinds = {h.digest: h for row in rows for h in row}
    rule = LinkRule(uow, sellers, fresh)
    groups = group_identifiers(digest_rows, known, rule)
    rule.record(now=now)
    created = uow.buyers.create(sum(1 for g in groups if g.keep is None), now=now)
    new_ids = iter(created)
    result = [0] * len(rows)
    links: list[tuple[int, HashedIdentifier]] = []
    merged: dict[int, tuple[int, ...]] = {}
    apart: dict[int, tuple[int, ...]] = {}
    for group in groups:
        buyer_id = group.keep if group.keep is not None else next(new_ids)
        if group.merge:
            # On the word of the first row that named them together.
            uow.buyers.merge(buyer_id, group.merge, seller_id=sellers[group.rows[0]], now=now)
            merged[buyer_id] = group.merge
        links.extend((buyer_id, kinds[d]) for d in group.digests if d not in known)
        for index in group.rows:
            result[index] = buyer_id
        apart.update(group.apart)
    uow.buyers.link(links, now=now)
    if merged:
        refresh_stats(uow, merged, now=now)
    return Resolution(result, created, merged, links, apart)


def refresh_stats(uow: UnitOfWork, buyer_ids: Iterable[int], *, now: datetime) -> None:
    """Recompute the aggregates of these buyers from their own active tags and clean orders."""
    ids = sorted(set(buyer_ids))
    if ids:
        uow.stats.replace(_summarised(uow, ids, now=now))


def _summarised(uow: UnitOfWork, ids: Sequence[int], *, now: datetime) -> dict[int, BuyerStats]:
    """The aggregates of these buyers at `now`, from their active tags and clean orders."""
    tags = uow.tags.active_facts_for_buyers(ids)
    cleans = uow.orders.clean_sellers_for_buyers(ids)
    sellers = {t.seller_id for facts in tags.values() for t in facts}
    sellers.update(s for group in cleans.values() for s in group)
    trust = uow.sellers.trust_for(sellers)
    return {b: summarise(tags.get(b, ()), cleans.get(b, ()), trust, now=now) for b in ids}


def current_stats(uow: UnitOfWork, buyer_id: int, *, now: datetime) -> BuyerStats:
    """The buyer's aggregates at `now`, read-only. Stored ones that count a tag expired since are
    computed again from the buyer's own tags, until the expire-old-tags job (or any write to the
    buyer) stores them so: reading them costs the same as ever, however large the registry."""
    stats = uow.stats.get(buyer_id) or EMPTY_STATS
    if not stats.outdated_at(now):
        return stats
    return _summarised(uow, [buyer_id], now=now)[buyer_id]


def look_up_buyer(
    uow: UnitOfWork,
    buyer: Mapping[str, object],
    *,
    viewer_id: int,
    secret: bytes,
    now: datetime,
) -> Profile:
    """The profile of a buyer as `viewer_id` may see it; an unknown buyer gets an empty profile."""
    identifiers = hash_identifiers(buyer, secret)
    with uow:
        known = uow.buyers.find_buyers(h.digest for h in identifiers)
        buyer_ids = sorted(set(known.values()))
        if not buyer_ids:
            return build_profile(None, EMPTY_STATS, (), now=now)
        if len(buyer_ids) == 1:
            stats = current_stats(uow, buyer_ids[0], now=now)
            mine = uow.tags.list_for_buyer_by_seller(buyer_ids[0], viewer_id)
            return build_profile(buyer_ids[0], stats, mine, now=now)
        # Identifiers of several buyers given together are one person: a tag or a screening
        # would merge them, or judge them together where domain.links keeps them apart. A lookup
        # only reads, so it shows them as one, under the oldest id, with the tags a merge keeps.
        stats, tags = combined_stats(uow, buyer_ids, now=now)
        mine = [tag for tag in tags if tag.seller_id == viewer_id]
        return build_profile(buyer_ids[0], stats, mine, now=now)


def combined_stats(
    uow: UnitOfWork, buyer_ids: Sequence[int], *, now: datetime
) -> tuple[BuyerStats, list[Tag]]:
    """The aggregates of several buyers taken as one, and the active tags that counted: of two
    tags by one seller for one reason, the better backed (as a merge would keep)."""
    counted = [tag for tag in uow.tags.active_for_buyers(buyer_ids) if tag.active_at(now)]
    tags = one_per_seller_and_reason(counted)
    cleans = uow.orders.clean_sellers_for_buyers(buyer_ids)
    facts = [
        tag_facts(
            t.seller_id,
            t.reason,
            order_backed=t.order_backed,
            source=t.source,
            created_at=t.created_at,
            confirmed_at=t.confirmed_at,
            expires_at=t.expires_at,
        )
        for t in tags
    ]
    clean = {seller for sellers in cleans.values() for seller in sellers}
    trust = uow.sellers.trust_for({fact.seller_id for fact in facts} | clean)
    return summarise(facts, clean, trust, now=now), tags

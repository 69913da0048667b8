"""What a lookup shows: a buyer's record as one seller may see it, built from aggregates.

The aggregates (`BuyerStats`) are kept up to date on every write, so a lookup reads a few rows
for one buyer however large the registry grows. Time alone changes them too, when a tag they
count expires: they keep when the first of those tags expires, so a read can tell that they are
out of date and recompute them from the buyer's own tags.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

from buyerguard.domain import reputation
from buyerguard.domain.reasons import REASONS, get_reason
from buyerguard.domain.tags import Tag, TagSource, past_expiry
from buyerguard.domain.trust import NEW_SELLER_TRUST


class TagFacts(NamedTuple):
    """The part of an active tag that the aggregates need (a named tuple: imports and refreshes
    make many at once); `counted_at` is when its weight starts to decay, `expires_at` when it
    stops counting."""

    seller_id: int
    reason: str
    order_backed: bool
    event_backed: bool
    counted_at: datetime
    expires_at: datetime


def tag_facts(
    seller_id: int,
    reason: str,
    *,
    order_backed: bool,
    source: TagSource,
    created_at: datetime,
    confirmed_at: datetime | None,
    expires_at: datetime,
) -> TagFacts:
    """A stored tag as the aggregates count it.

    A manual or imported tag that events confirmed (`confirmed_at`, the fact's time) counts as the
    automatic tag of that fact would, event- and order-backed and dated by the fact, so the risk
    does not depend on which of the two came first.
    """
    if confirmed_at is not None:
        return TagFacts(seller_id, reason, True, True, confirmed_at, expires_at)
    return TagFacts(
        seller_id, reason, order_backed, source is TagSource.EVENT, created_at, expires_at
    )


class ReasonStats(NamedTuple):
    reason: str
    sellers: int
    order_backed: int
    anchored_weight: float
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class BuyerStats:
    """`next_expiry_at` is when the first tag counted here expires (None: no tag is counted)."""

    distinct_reporters: int
    clean_sellers: int
    clean_weight: float
    first_reported_at: datetime | None
    last_reported_at: datetime | None
    reasons: tuple[ReasonStats, ...]
    next_expiry_at: datetime | None

    def outdated_at(self, now: datetime) -> bool:
        """Whether a tag counted here has expired by `now`: the buyer's record is then smaller
        than these aggregates say, until they are computed again from its tags."""
        return self.next_expiry_at is not None and past_expiry(self.next_expiry_at, now=now)

    def evidence(self) -> reputation.BuyerEvidence:
        return reputation.BuyerEvidence(
            reasons=tuple(
                reputation.ReasonEvidence(
                    reason=r.reason,
                    sellers=r.sellers,
                    order_backed=r.order_backed,
                    anchored_weight=r.anchored_weight,
                    last_at=r.last_at,
                )
                for r in self.reasons
            ),
            clean_sellers=self.clean_sellers,
            clean_weight=self.clean_weight,
        )


EMPTY_STATS = BuyerStats(0, 0, 0.0, None, None, (), None)


_counted_at = attrgetter("counted_at")


def summarise(
    tags: Iterable[TagFacts],
    clean_sellers: Iterable[int],
    trust: Mapping[int, float],
    *,
    now: datetime,
) -> BuyerStats:
    """Aggregate one buyer's active tags and clean-order sellers as they stand at `now`: a tag
    past its expiry counts nothing, marked expired or not; a seller counts once a reason."""
    by_reason: dict[str, dict[int, TagFacts]] = {}
    for tag in sorted(tags, key=_counted_at):
        if not past_expiry(tag.expires_at, now=now):
            by_reason.setdefault(tag.reason, {}).setdefault(tag.seller_id, tag)
    # Imports and refreshes summarise tens of thousands of buyers with a tag or two each: list
    # comprehensions and the common cases spelt out cost less than the generators they replace.
    reasons = tuple([_reason_stats(code, by_reason[code], trust) for code in sorted(by_reason)])
    reporters = set().union(*by_reason.values())
    cleaners = set(clean_sellers)
    if cleaners:  # a seller who accuses the buyer of misconduct does not also vouch for it
        accusers = {
            seller
            for code, per_seller in by_reason.items()
            if get_reason(code).misconduct
            for seller in per_seller
        }
        cleaners = cleaners - accusers
    first_at: datetime | None = min([r.first_at for r in reasons], default=None)
    last_at: datetime | None = max([r.last_at for r in reasons], default=None)
    expiries = [t.expires_at for per_seller in by_reason.values() for t in per_seller.values()]
    return BuyerStats(
        distinct_reporters=len(reporters),
        clean_sellers=len(cleaners),
        clean_weight=sum([trust.get(s, NEW_SELLER_TRUST) for s in cleaners]),
        first_reported_at=first_at,
        last_reported_at=last_at,
        reasons=reasons,
        next_expiry_at=min(expiries, default=None),
    )


def _reason_stats(
    code: str, per_seller: Mapping[int, TagFacts], trust: Mapping[int, float]
) -> ReasonStats:
    """Of the earliest tag of each seller, in time order (so the first is the earliest)."""
    reason = get_reason(code)
    tags = list(per_seller.values())
    weight = sum(
        [
            reputation.anchored(
                reputation.tag_weight(
                    trust.get(t.seller_id, NEW_SELLER_TRUST),
                    order_backed=t.order_backed,
                    event_backed=t.event_backed,
                ),
                reason,
                t.counted_at,
            )
            for t in tags
        ]
    )
    backed = [t.order_backed for t in tags].count(True)
    return ReasonStats(code, len(tags), backed, weight, tags[0].counted_at, tags[-1].counted_at)


@dataclass(frozen=True)
class ReasonLine:
    """One reason as a viewer sees it: community sellers exclude the viewer."""

    reason: str
    label: str
    kind: str
    misconduct: bool
    sellers: int
    mine: bool


@dataclass(frozen=True)
class Profile:
    buyer_id: int | None
    distinct_reporters: int
    reasons: tuple[ReasonLine, ...]
    my_tags: tuple[Tag, ...]
    clean_sellers: int
    first_reported_at: datetime | None
    last_reported_at: datetime | None
    risk: reputation.Risk


def build_profile(
    buyer_id: int | None, stats: BuyerStats, my_tags: Sequence[Tag], *, now: datetime
) -> Profile:
    """The viewer's own tags come with notes; everyone else's only as counts per reason. Of the
    viewer's tags, those that count at `now` are shown."""
    shown = tuple(tag for tag in my_tags if tag.active_at(now))
    mine = {tag.reason for tag in shown}
    present = {r.reason: r for r in stats.reasons}
    lines = tuple(
        ReasonLine(
            reason=reason.code,
            label=reason.label,
            kind=reason.kind.value,
            misconduct=reason.misconduct,
            sellers=present[reason.code].sellers - (1 if reason.code in mine else 0),
            mine=reason.code in mine,
        )
        for reason in REASONS
        if reason.code in present
    )
    return Profile(
        buyer_id=buyer_id,
        distinct_reporters=stats.distinct_reporters,
        reasons=tuple(sorted(lines, key=lambda line: (-line.sellers, line.reason))),
        my_tags=shown,
        clean_sellers=stats.clean_sellers,
        first_reported_at=stats.first_reported_at,
        last_reported_at=stats.last_reported_at,
        risk=reputation.score(stats.evidence(), now=now),
    )

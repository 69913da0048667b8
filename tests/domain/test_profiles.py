from __future__ import annotations

from datetime import UTC, datetime, timedelta

from buyerguard.domain.profiles import TagFacts, build_profile, summarise, tag_facts
from buyerguard.domain.reasons import get_reason
from buyerguard.domain.tags import Tag, TagSource, TagStatus, expiry_for

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def facts(seller: int, reason: str, days_ago: float = 1) -> TagFacts:
    at = NOW - timedelta(days=days_ago)
    return TagFacts(seller, reason, False, False, at, expiry_for(reason, at))


def own_tag(reason: str, *, expires_at: datetime) -> Tag:
    return Tag(
        9, 1, 5, reason, "note", None, TagSource.MANUAL, TagStatus.ACTIVE, False, NOW, expires_at
    )


def test_a_seller_counts_once_per_reason_and_once_as_reporter() -> None:
    stats = summarise(
        [facts(1, "extortion"), facts(1, "extortion", 3), facts(1, "other"), facts(2, "other")],
        [],
        {},
        now=NOW,
    )
    assert stats.distinct_reporters == 2
    assert {r.reason: r.sellers for r in stats.reasons} == {"extortion": 1, "other": 2}
    assert stats.first_reported_at == NOW - timedelta(days=3)
    assert stats.last_reported_at == NOW - timedelta(days=1)


def test_an_accuser_does_not_also_count_as_a_clean_seller() -> None:
    stats = summarise(
        [facts(1, "extortion"), facts(2, "remote_area")],
        [1, 2, 3],
        {1: 0.9, 2: 0.5, 3: 0.2},
        now=NOW,
    )
    assert stats.clean_sellers == 2
    assert stats.clean_weight == 0.7


def test_a_tag_counts_nothing_from_the_moment_it_expires() -> None:
    """Whether or not it is marked expired: an accuser whose tag expired vouches again, too."""
    lifetime = get_reason("other").expires_after.days
    old, recent = facts(1, "other", lifetime), facts(2, "other", 10)
    before = summarise([old, recent], [1], {1: 0.5, 2: 0.5}, now=NOW - timedelta(microseconds=1))
    at_expiry = summarise([old, recent], [1], {1: 0.5, 2: 0.5}, now=NOW)
    assert (before.distinct_reporters, before.clean_sellers) == (2, 0)
    assert (at_expiry.distinct_reporters, at_expiry.clean_sellers) == (1, 1)
    assert at_expiry.reasons == summarise([recent], [1], {1: 0.5, 2: 0.5}, now=NOW).reasons
    assert at_expiry.first_reported_at == recent.counted_at


def test_the_aggregates_know_when_their_first_counted_tag_expires() -> None:
    soon, later = facts(1, "unpaid_order", 700), facts(2, "extortion", 5)
    stats = summarise([later, soon], [3], {}, now=NOW)
    assert stats.next_expiry_at == soon.expires_at == NOW + timedelta(days=30)
    assert not stats.outdated_at(soon.expires_at - timedelta(microseconds=1))
    assert stats.outdated_at(soon.expires_at)
    assert summarise([], [3], {}, now=NOW).next_expiry_at is None
    assert not summarise([], [3], {}, now=NOW).outdated_at(NOW)


def test_viewer_sees_own_tags_and_community_counts_without_itself() -> None:
    stats = summarise(
        [facts(1, "extortion"), facts(2, "extortion"), facts(3, "other")], [], {}, now=NOW
    )
    mine = own_tag("extortion", expires_at=NOW + timedelta(days=30))
    profile = build_profile(5, stats, [mine], now=NOW)
    lines = {line.reason: (line.sellers, line.mine) for line in profile.reasons}
    assert lines == {"extortion": (1, True), "other": (1, False)}
    assert profile.distinct_reporters == 3
    assert profile.my_tags == (mine,)


def test_the_viewer_no_longer_sees_its_own_tag_once_it_expired() -> None:
    stats = summarise([facts(2, "extortion")], [], {}, now=NOW)
    expired = own_tag("extortion", expires_at=NOW)
    profile = build_profile(5, stats, [expired], now=NOW)
    assert profile.my_tags == ()
    assert [(line.sellers, line.mine) for line in profile.reasons] == [(1, False)]


def test_a_confirmed_tag_counts_as_the_automatic_tag_of_its_fact() -> None:
    fact_at, told_at = NOW - timedelta(days=2), NOW - timedelta(days=5)
    fact_expiry, told_expiry = expiry_for("card_fraud", fact_at), expiry_for("card_fraud", told_at)

    def stored(
        source: TagSource, at: datetime, confirmed_at: datetime | None, expires_at: datetime
    ) -> TagFacts:
        backed = source is TagSource.EVENT
        return tag_facts(
            1,
            "card_fraud",
            order_backed=backed,
            source=source,
            created_at=at,
            confirmed_at=confirmed_at,
            expires_at=expires_at,
        )

    automatic = stored(TagSource.EVENT, fact_at, None, fact_expiry)
    assert automatic == TagFacts(1, "card_fraud", True, True, fact_at, fact_expiry)
    assert stored(TagSource.MANUAL, told_at, fact_at, fact_expiry) == automatic
    assert stored(TagSource.IMPORT, told_at, None, told_expiry) == TagFacts(
        1, "card_fraud", False, False, told_at, told_expiry
    )

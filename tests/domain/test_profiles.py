from __future__ import annotations

from datetime import UTC, datetime, timedelta

from buyerguard.domain.profiles import TagFacts, build_profile, summarise, tag_facts
from buyerguard.domain.tags import Tag, TagSource, TagStatus

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def facts(seller: int, reason: str, days_ago: int = 1) -> TagFacts:
    return TagFacts(seller, reason, False, False, NOW - timedelta(days=days_ago))


def test_a_seller_counts_once_per_reason_and_once_as_reporter() -> None:
    stats = summarise(
        [facts(1, "extortion"), facts(1, "extortion", 3), facts(1, "other"), facts(2, "other")],
        [],
        {},
    )
    assert stats.distinct_reporters == 2
    assert {r.reason: r.sellers for r in stats.reasons} == {"extortion": 1, "other": 2}
    assert stats.first_reported_at == NOW - timedelta(days=3)
    assert stats.last_reported_at == NOW - timedelta(days=1)


def test_an_accuser_does_not_also_count_as_a_clean_seller() -> None:
    stats = summarise(
        [facts(1, "extortion"), facts(2, "remote_area")], [1, 2, 3], {1: 0.9, 2: 0.5, 3: 0.2}
    )
    assert stats.clean_sellers == 2
    assert stats.clean_weight == 0.7


def test_viewer_sees_own_tags_and_community_counts_without_itself() -> None:
    stats = summarise([facts(1, "extortion"), facts(2, "extortion"), facts(3, "other")], [], {})
    mine = Tag(
        9, 1, 5, "extortion", "note", None, TagSource.MANUAL, TagStatus.ACTIVE, False, NOW, NOW
    )
    profile = build_profile(5, stats, [mine], now=NOW)
    lines = {line.reason: (line.sellers, line.mine) for line in profile.reasons}
    assert lines == {"extortion": (1, True), "other": (1, False)}
    assert profile.distinct_reporters == 3


def test_a_confirmed_tag_counts_as_the_automatic_tag_of_its_fact() -> None:
    fact_at, told_at = NOW - timedelta(days=2), NOW - timedelta(days=5)

    def stored(source: TagSource, at: datetime, confirmed_at: datetime | None) -> TagFacts:
        backed = source is TagSource.EVENT
        return tag_facts(
            1,
            "card_fraud",
            order_backed=backed,
            source=source,
            created_at=at,
            confirmed_at=confirmed_at,
        )

    automatic = stored(TagSource.EVENT, fact_at, None)
    assert automatic == TagFacts(1, "card_fraud", True, True, fact_at)
    assert stored(TagSource.MANUAL, told_at, fact_at) == automatic
    assert stored(TagSource.IMPORT, told_at, None) == TagFacts(
        1, "card_fraud", False, False, told_at
    )

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from buyerguard.domain.profiles import TagFacts, build_profile, summarise
from buyerguard.domain.tags import Tag, TagSource, TagStatus

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def facts(seller: int, reason: str, days_ago: int = 1) -> TagFacts:
    return TagFacts(seller, reason, False, TagSource.MANUAL, NOW - timedelta(days=days_ago))


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

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from buyerguard.domain.tags import Tag, TagSource, TagStatus

NOW = datetime(2026, 11, 30, tzinfo=UTC)
JUST_BEFORE = NOW - timedelta(microseconds=1)


def tag(status: TagStatus, *, expires_at: datetime = NOW) -> Tag:
    created = expires_at - timedelta(days=730)
    return Tag(1, 2, 3, "other", "", None, TagSource.MANUAL, status, False, created, expires_at)


def test_an_active_tag_stops_counting_the_moment_it_expires() -> None:
    active = tag(TagStatus.ACTIVE)
    assert active.active_at(JUST_BEFORE)
    assert not active.active_at(NOW)
    assert active.as_of(JUST_BEFORE) == active
    assert active.as_of(NOW).status is TagStatus.EXPIRED
    assert active.as_of(NOW + timedelta(days=1)).status is TagStatus.EXPIRED


@pytest.mark.parametrize("status", [TagStatus.RETRACTED, TagStatus.REMOVED, TagStatus.EXPIRED])
def test_a_tag_that_ended_otherwise_keeps_its_status(status: TagStatus) -> None:
    ended = tag(status, expires_at=NOW + timedelta(days=30))
    assert not ended.active_at(NOW)
    assert ended.as_of(NOW + timedelta(days=60)) == ended

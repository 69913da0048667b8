"""services.tags.store_tags: which of several tags given at once are stored, and which duplicate."""

from __future__ import annotations

from datetime import timedelta

from buyerguard.domain.tags import NewTag, TagSource
from buyerguard.services import tags
from buyerguard.services.tags import PendingTag

from .events_helpers import NOW, new_seller, tags_of


def test_only_an_active_tag_given_earlier_makes_a_later_one_a_duplicate(uow):
    seller = new_seller(uow, "Shop")
    with uow:
        buyer = uow.buyers.create(1, now=NOW)[0]

        def given(days_ago: int) -> PendingTag:
            at = NOW - timedelta(days=days_ago)
            return PendingTag(buyer, NewTag(seller, "other", source=TagSource.EVENT, created_at=at))

        stored = tags.store_tags(uow, [given(900), given(2), given(1)], now=NOW)
        uow.commit()
    assert [tag_id is not None for tag_id in stored] == [True, True, False]
    assert [status for _, status, _ in tags_of(uow, seller)] == ["expired", "active"]

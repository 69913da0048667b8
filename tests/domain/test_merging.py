"""What stays when two records of one buyer become one: tags by their evidence, list entries
combined."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from buyerguard.domain.lists import ListEntry, combine_entries
from buyerguard.domain.tags import Tag, TagSource, TagStatus, one_per_seller_and_reason

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
MANUAL, EVENT = TagSource.MANUAL, TagSource.EVENT


def tag(n: int, seller: int, backed: bool, source: TagSource, reason: str = "card_fraud") -> Tag:
    at = NOW - timedelta(days=n)  # given later, dated earlier: the order given decides
    return Tag(n, seller, n, reason, "", None, source, TagStatus.ACTIVE, backed, at, NOW)


def test_order_backing_then_an_event_then_the_tag_given_first_stays() -> None:
    given = [
        tag(1, 1, False, MANUAL),
        tag(2, 1, False, EVENT),
        tag(3, 1, True, MANUAL),  # stays for seller 1
        tag(4, 2, False, MANUAL),
        tag(5, 2, False, EVENT),  # stays for seller 2
        tag(6, 3, False, MANUAL),  # stays for seller 3
        tag(7, 3, False, MANUAL),
        tag(8, 1, False, MANUAL, reason="other"),  # another reason
    ]
    assert one_per_seller_and_reason(given) == [given[2], given[4], given[5], given[7]]


def entry(n: int, note: str, days_ago: int, expires_in: int | None) -> ListEntry:
    expires_at = None if expires_in is None else NOW + timedelta(days=expires_in)
    return ListEntry(n, n, "block", note, expires_at, NOW - timedelta(days=days_ago))


def test_a_combined_entry_lives_as_long_as_either_with_both_notes_older_first() -> None:
    kept, other = entry(1, "second", 1, 10), entry(2, "first", 5, 30)
    assert combine_entries(kept, other) == ListEntry(
        1, 1, "block", "first\nsecond", NOW + timedelta(days=30), NOW - timedelta(days=5)
    )
    assert combine_entries(kept, entry(2, "", 5, None)).expires_at is None
    assert combine_entries(entry(1, "same", 1, None), entry(2, "same", 5, 3)).note == "same"

"""A tag stops counting the moment it expires, before the expire-old-tags job marks it: lookups,
risk, screenings and alerts answer as of their `now`, and the job then changes none of it; a write
finds it expired too (it stands in no new tag's way and events do not revive it)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from buyerguard.domain.alerts import BUYER_FLAGGED
from buyerguard.domain.policies import NEVER_TAGGED_DAYS
from buyerguard.domain.profiles import Profile
from buyerguard.domain.reasons import get_reason
from buyerguard.domain.screening import Order
from buyerguard.domain.sellers import Role
from buyerguard.domain.tags import NewTag
from buyerguard.services import alerts, buyers, imports, lists, orders, screening, sellers, tags
from buyerguard.services.tags import TagExistsError

from .events_helpers import NOW, SECRET, event, new_seller, post, process

ALICE = {"email": "alice@example.com"}
EXPIRY = NOW + timedelta(hours=1)  # when the old tag expires
JUST_BEFORE = EXPIRY - timedelta(microseconds=1)


def made(reason: str) -> timedelta:
    """How long before EXPIRY a tag for `reason` was made, to expire then."""
    return get_reason(reason).expires_after


def tag(uow, seller: int, reason: str, *, at, order_ref: str | None = None) -> int:
    new = NewTag(seller_id=seller, reason=reason, note="", order_ref=order_ref)
    return tags.add_tag(uow, ALICE, new, secret=SECRET, now=at)


def look_up(uow, viewer: int, *, at) -> Profile:
    return buyers.look_up_buyer(uow, ALICE, viewer_id=viewer, secret=SECRET, now=at)


def screen(uow, seller: int, ref: str, *, at) -> screening.Screened:
    order = Order(ref, 40.0, "EUR", "prepaid", "DE")
    return screening.screen_order(uow, order, ALICE, seller_id=seller, secret=SECRET, now=at)


def alice_with_an_expiring_tag(uow) -> tuple[int, int, int]:
    """`old` tagged Alice long ago (the tag expires at EXPIRY) and also completed an order with
    her; `recent` tagged her last week; `viewer` never did."""
    old, recent, viewer = (new_seller(uow, name) for name in ("Old", "Recent", "Viewer"))
    tag(uow, old, "other", at=EXPIRY - made("other"))
    orders.record_completed_order(
        uow,
        ALICE,
        seller_id=old,
        order_ref="C-1",
        completed_at=None,
        secret=SECRET,
        now=EXPIRY - made("other"),
    )
    tag(uow, recent, "extortion", at=NOW - timedelta(days=7))
    return old, recent, viewer


def test_a_lookup_stops_counting_a_tag_the_moment_it_expires(uow):
    old, _, viewer = alice_with_an_expiring_tag(uow)

    before = look_up(uow, viewer, at=JUST_BEFORE)
    after = look_up(uow, viewer, at=EXPIRY)

    assert (before.distinct_reporters, before.clean_sellers) == (2, 0)
    assert {line.reason for line in before.reasons} == {"other", "extortion"}
    # The seller whose complaint expired vouches for its clean order again.
    assert (after.distinct_reporters, after.clean_sellers) == (1, 1)
    assert [line.reason for line in after.reasons] == ["extortion"]
    assert [c.reason for c in after.risk.contributions] == ["extortion"]
    assert after.risk.score < before.risk.score
    assert after.first_reported_at == after.last_reported_at == NOW - timedelta(days=7)

    assert [t.reason for t in look_up(uow, old, at=JUST_BEFORE).my_tags] == ["other"]
    assert look_up(uow, old, at=EXPIRY).my_tags == ()

    assert tags.expire_old_tags(uow, now=EXPIRY) == 1
    assert look_up(uow, viewer, at=EXPIRY) == after
    assert look_up(uow, old, at=EXPIRY).my_tags == ()


def test_a_screening_stops_counting_a_tag_the_moment_it_expires(uow):
    old, _, viewer = alice_with_an_expiring_tag(uow)

    before = screen(uow, viewer, "O-1", at=JUST_BEFORE)
    after = screen(uow, viewer, "O-2", at=EXPIRY)

    assert before.screening.facts.sellers == {"other": 1, "extortion": 1}
    assert after.screening.facts.sellers == {"extortion": 1}
    assert (after.screening.facts.distinct_reporters, after.screening.facts.clean_sellers) == (1, 1)
    assert after.risk.score < before.risk.score
    assert after.screening.risk_score == after.risk.score
    # The seller's own expired tag is no longer one of its reasons (`mine`).
    assert screen(uow, old, "O-3", at=JUST_BEFORE).screening.facts.mine == {"other"}
    assert screen(uow, old, "O-4", at=EXPIRY).screening.facts.mine == frozenset()

    tags.expire_old_tags(uow, now=EXPIRY)
    again = screen(uow, viewer, "O-5", at=EXPIRY)
    assert again.screening.facts == after.screening.facts
    assert again.risk == after.risk


def test_a_buyer_whose_only_tag_expired_reads_as_never_tagged(uow):
    old, viewer = new_seller(uow, "Old"), new_seller(uow, "Viewer")
    tag(uow, old, "unpaid_order", at=EXPIRY - made("unpaid_order"))

    before = screen(uow, viewer, "O-1", at=JUST_BEFORE).screening.facts
    after = screen(uow, viewer, "O-2", at=EXPIRY)

    assert before.days_since_last_tag == made("unpaid_order").days - 1
    assert after.screening.facts.days_since_last_tag == NEVER_TAGGED_DAYS
    assert (after.screening.facts.distinct_reporters, after.risk.contributions) == (0, ())
    assert look_up(uow, viewer, at=EXPIRY).last_reported_at is None


def test_an_alert_compares_with_the_risk_as_it_stood_without_the_expired_tag(uow):
    """The risk before a new tag is the buyer's at that moment, not the stored one."""
    trusted, watcher, newcomer = (new_seller(uow, name) for name in ("Trusted", "Watch", "New"))
    with uow:
        uow.sellers.set_trust({trusted: 1.0}, now=NOW)
        uow.commit()
    long_ago = EXPIRY - made("card_fraud")
    screen(uow, trusted, "A-1", at=long_ago)  # so that the tag citing it is order-backed
    tag(uow, trusted, "card_fraud", at=long_ago, order_ref="A-1")
    assert look_up(uow, watcher, at=JUST_BEFORE).risk.level == "high"
    subscription = alerts.subscribe(
        uow,
        seller_id=watcher,
        url="https://hooks.example.com/bg",
        kinds=[BUYER_FLAGGED],
        secret=None,
        now=NOW,
    ).subscription.id
    lists.put_entry(
        uow, "watch", ALICE, seller_id=watcher, note="", expires_at=None, secret=SECRET, now=NOW
    )

    tag(uow, newcomer, "other", at=EXPIRY)

    (delivery,) = alerts.list_deliveries(
        uow, subscription, seller_id=watcher, after_id=None, limit=5
    )
    risk = json.loads(delivery.payload)["risk"]
    assert (risk["previous_level"], risk["level"]) == ("low", "low")


def own_tags(uow, seller: int) -> list[tuple[int, str, str, str]]:
    """(id, reason, source, status) of the seller's tags, oldest first, as they stand at EXPIRY."""
    found = tags.list_tags(uow, seller_id=seller, after_id=None, limit=10, now=EXPIRY)
    return [(t.id, t.reason, t.source.value, t.status.value) for t in reversed(found)]


def test_a_seller_tags_the_buyer_again_once_its_tag_expired(uow):
    old = new_seller(uow, "Old")
    first = tag(uow, old, "other", at=EXPIRY - made("other"))
    with pytest.raises(TagExistsError):
        tag(uow, old, "other", at=JUST_BEFORE)

    again = tag(uow, old, "other", at=EXPIRY)

    assert own_tags(uow, old) == [
        (first, "other", "manual", "expired"),
        (again, "other", "manual", "active"),
    ]
    profile = look_up(uow, old, at=EXPIRY)
    assert ([t.id for t in profile.my_tags], profile.distinct_reporters) == ([again], 1)
    assert tags.expire_old_tags(uow, now=EXPIRY) == 0  # nothing left for the job


def test_an_import_line_is_no_duplicate_of_a_tag_that_expired(uow):
    importer = sellers.create_seller(uow, "Importer", role=Role.SELLER, now=NOW).seller
    first = tag(uow, importer.id, "other", at=EXPIRY - made("other"))
    line = json.dumps({"type": "tag", "buyer": ALICE, "reason": "other"})

    result = imports.import_lines(uow, [line], importer=importer, secret=SECRET, now=EXPIRY)

    assert (result.tags, result.duplicates) == (1, 0)
    assert [(i, status) for i, _, _, status in own_tags(uow, importer.id)] == [
        (first, "expired"),
        (first + 1, "active"),
    ]
    assert look_up(uow, importer.id, at=EXPIRY).distinct_reporters == 1


def test_events_make_a_new_tag_rather_than_confirm_one_that_expired(uow):
    shop = new_seller(uow, "Shop")
    by_hand = tag(uow, shop, "card_fraud", at=EXPIRY - made("card_fraud"))
    post(
        uow,
        shop,
        event("e1", "order.paid", "A-1", days_ago=2, buyer=ALICE),
        event("e2", "chargeback.created", "A-1", days_ago=1, reason="fraudulent"),
    )

    report = process(uow, at=EXPIRY)

    assert (report.tags_created, report.tags_confirmed) == (1, 0)
    (_, *expired), (automatic, *active) = own_tags(uow, shop)
    assert (expired, active) == (
        ["card_fraud", "manual", "expired"],
        ["card_fraud", "event", "active"],
    )
    assert automatic != by_hand
    with uow:
        assert uow.tags.get_for_seller(by_hand, shop).confirmed_order_ref is None

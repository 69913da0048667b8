"""Events confirm a seller's own tag for the reason they call for, rather than being dropped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from buyerguard.domain.events import Event
from buyerguard.domain.reasons import get_reason
from buyerguard.domain.tags import NewTag, Tag, TagSource
from buyerguard.services import buyers, tags
from buyerguard.services.tags import TagExistsError
from buyerguard.services.unit_of_work import UnitOfWork

from .events_helpers import NOW, SECRET, event, new_seller, post, process

ALICE = {"email": "alice@example.com"}
BOB = {"email": "bob@example.com"}
# (reason, the processor code of a chargeback that calls for it after a delivery)
CHARGEBACKS = [("non_payment", "product_not_received"), ("card_fraud", "fraudulent")]


def history(ref: str, buyer: dict[str, str], code: str) -> list[Event]:
    return [
        event(f"{ref}-1", "order.created", ref, days_ago=20, buyer=buyer),
        event(f"{ref}-2", "order.paid", ref, days_ago=20),
        event(f"{ref}-3", "order.delivered", ref, days_ago=15),
        event(f"{ref}-4", "chargeback.created", ref, days_ago=2, reason=code),
    ]


def trusted_seller(uow: UnitOfWork, name: str) -> int:
    seller = new_seller(uow, name)
    with uow:
        uow.sellers.set_trust({seller: 0.8}, now=NOW)
        uow.commit()
    return seller


def tag_by_hand(uow: UnitOfWork, seller: int, buyer: dict[str, str], reason: str) -> int:
    at = NOW - timedelta(days=5)
    new = NewTag(seller_id=seller, reason=reason, note="seen it myself", created_at=at)
    return tags.add_tag(uow, buyer, new, secret=SECRET, now=at)


def own_tags(uow: UnitOfWork, seller: int) -> list[Tag]:
    return tags.list_tags(uow, seller_id=seller, after_id=None, limit=50, now=NOW)[::-1]


def risk_seen(uow: UnitOfWork, viewer: int, buyer: dict[str, str]) -> tuple[float, list[str]]:
    risk = buyers.look_up_buyer(uow, buyer, viewer_id=viewer, secret=SECRET, now=NOW).risk
    return risk.score, [c.explanation for c in risk.contributions]


def stored_and_refreshed(uow: UnitOfWork, buyer: dict[str, str]) -> tuple[object, object]:
    """The buyer's aggregates as the job left them, and as a full recomputation makes them."""
    buyer_id = buyers.look_up_buyer(uow, buyer, viewer_id=0, secret=SECRET, now=NOW).buyer_id
    assert buyer_id is not None
    with uow:
        stored = uow.stats.get(buyer_id)
        buyers.refresh_stats(uow, [buyer_id], now=NOW)
        return stored, uow.stats.get(buyer_id)


@pytest.mark.parametrize(("reason", "code"), CHARGEBACKS)
def test_the_risk_is_the_same_whether_the_sellers_tag_or_the_events_came_first(uow, reason, code):
    shop, other = trusted_seller(uow, "Shop"), new_seller(uow, "Other")
    post(uow, shop, *history("A-1", ALICE, code))
    process(uow)
    with pytest.raises(TagExistsError):
        tag_by_hand(uow, shop, ALICE, reason)

    tag_id = tag_by_hand(uow, shop, BOB, reason)
    post(uow, shop, *history("B-1", BOB, code))
    report = process(uow)

    assert risk_seen(uow, other, BOB) == risk_seen(uow, other, ALICE)
    assert (report.tags_created, report.tags_confirmed) == (0, 1)
    automatic, confirmed = own_tags(uow, shop)
    assert (confirmed.id, confirmed.note, confirmed.source) == (
        tag_id,
        "seen it myself",
        TagSource.MANUAL,
    )
    assert (confirmed.order_ref, confirmed.order_backed) == (None, False)
    assert (confirmed.event_backed, confirmed.confirmed_order_ref) == (True, "B-1")
    assert confirmed.expires_at == automatic.expires_at
    stored, refreshed = stored_and_refreshed(uow, BOB)
    assert stored == refreshed == stored_and_refreshed(uow, ALICE)[0]
    with uow:  # the trust job reads both as reports about an order
        assert uow.trust.load_graph().tag_order_backed == [True, True]


def test_a_chargeback_the_buyer_wins_withdraws_the_confirmation_not_the_sellers_tag(uow):
    shop, other = trusted_seller(uow, "Shop"), new_seller(uow, "Other")
    tag_id = tag_by_hand(uow, shop, ALICE, "non_payment")
    (unconfirmed,) = own_tags(uow, shop)
    by_hand_alone = risk_seen(uow, other, ALICE)
    post(uow, shop, *history("A-1", ALICE, "product_not_received"))
    process(uow)
    assert risk_seen(uow, other, ALICE) > by_hand_alone

    post(uow, shop, event("A-1-5", "chargeback.resolved", "A-1", days_ago=1, outcome="buyer_won"))
    report = process(uow)

    assert (report.tags_withdrawn, report.confirmations_withdrawn) == (0, 1)
    assert own_tags(uow, shop) == [unconfirmed]
    assert own_tags(uow, shop)[0].id == tag_id
    assert risk_seen(uow, other, ALICE) == by_hand_alone
    stored, refreshed = stored_and_refreshed(uow, ALICE)
    assert stored == refreshed


def test_retracting_a_confirmed_tag_retracts_the_fact_until_a_new_one(uow):
    shop, other = trusted_seller(uow, "Shop"), new_seller(uow, "Other")
    tag_id = tag_by_hand(uow, shop, ALICE, "card_fraud")
    post(uow, shop, *history("A-1", ALICE, "fraudulent"))
    process(uow)
    tags.retract_tag(uow, tag_id, seller_id=shop, now=NOW)

    later = NOW + timedelta(days=1)
    post(
        uow,
        shop,
        event("A-1-5", "chargeback.resolved", "A-1", days_ago=-1, outcome="seller_won"),
        event("A-2-1", "order.created", "A-2", days_ago=-1, buyer=ALICE),
        at=later,
    )
    assert process(uow, at=later).tags_created == 0
    assert [t.status.value for t in own_tags(uow, shop)] == ["retracted"]
    assert risk_seen(uow, other, ALICE)[1] == []

    again = NOW + timedelta(days=2)
    post(uow, shop, event("A-2-2", "dispute.opened", "A-2", days_ago=-2, claim="fraud"), at=again)
    assert process(uow, at=again).tags_created == 1
    retracted, renewed = own_tags(uow, shop)
    assert (retracted.id, retracted.status.value) == (tag_id, "retracted")
    assert (renewed.source, renewed.order_ref, renewed.status.value) == ("event", "A-2", "active")


def test_a_new_tag_by_hand_after_a_retraction_is_not_confirmed_by_the_retracted_fact(uow):
    shop = trusted_seller(uow, "Shop")
    first = tag_by_hand(uow, shop, ALICE, "card_fraud")
    post(uow, shop, *history("A-1", ALICE, "fraudulent"))
    process(uow)
    tags.retract_tag(uow, first, seller_id=shop, now=NOW)
    second = tags.add_tag(
        uow, ALICE, NewTag(seller_id=shop, reason="card_fraud"), secret=SECRET, now=NOW
    )
    post(uow, shop, event("A-2-1", "order.created", "A-2", buyer=ALICE))

    assert process(uow).tags_confirmed == 0
    (mine,) = [t for t in own_tags(uow, shop) if t.id == second]
    assert (mine.event_backed, mine.confirmed_order_ref) == (False, None)


def test_processing_again_leaves_a_confirmation_as_it_is(uow):
    shop = trusted_seller(uow, "Shop")
    tag_by_hand(uow, shop, ALICE, "non_payment")
    post(uow, shop, *history("A-1", ALICE, "product_not_received"))
    process(uow)
    confirmed = own_tags(uow, shop)
    stored = stored_and_refreshed(uow, ALICE)[0]

    assert post(uow, shop, *history("A-1", ALICE, "product_not_received")).duplicates == 4
    post(uow, shop, event("A-1-5", "order.returned", "A-1", days_ago=1))
    report = process(uow)

    assert (report.events, report.tags_created, report.tags_confirmed) == (1, 0, 0)
    assert report.confirmations_withdrawn == 0
    assert own_tags(uow, shop) == confirmed
    assert stored_and_refreshed(uow, ALICE) == (stored, stored)


def test_a_fact_past_its_expiry_confirms_nothing(uow):
    shop = trusted_seller(uow, "Shop")
    tag_by_hand(uow, shop, ALICE, "card_fraud")
    (by_hand,) = own_tags(uow, shop)
    old = (get_reason("card_fraud").expires_after + timedelta(days=30)).days
    post(
        uow,
        shop,
        event("A-1", "chargeback.created", "A-1", days_ago=old, buyer=ALICE, reason="fraud"),
    )

    assert process(uow).tags_confirmed == 0
    assert [t for t in own_tags(uow, shop) if t.active] == [by_hand]

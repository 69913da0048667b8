"""Alerts recorded with their facts: subscriptions, `record_alert`, and `buyer.flagged`."""

from __future__ import annotations

import json

import pytest

from buyerguard.domain.alerts import (
    BUYER_FLAGGED,
    SCREENING_DECIDED,
    DeliveryStatus,
    SubscriptionNotFoundError,
)
from buyerguard.domain.errors import InvalidInputError
from buyerguard.services import alerts, lists

from .events_helpers import NOW, SECRET, event, new_seller, post, process

ALICE = {"email": "alice@example.com"}


def subscribe(uow, seller_id: int, *kinds: str) -> int:
    created = alerts.subscribe(
        uow,
        seller_id=seller_id,
        url="https://hooks.example.com/bg",
        kinds=kinds or (BUYER_FLAGGED,),
        secret=None,
        now=NOW,
    )
    assert created.secret.startswith("bgwh_")
    return created.subscription.id


def deliveries(uow, seller_id: int, subscription_id: int):
    return alerts.list_deliveries(
        uow, subscription_id, seller_id=seller_id, after_id=None, limit=50
    )


def test_record_alert_writes_one_delivery_per_matching_subscription(uow):
    shop = new_seller(uow, "Shop")
    decided = subscribe(uow, shop, SCREENING_DECIDED)
    flagged = subscribe(uow, shop, BUYER_FLAGGED)
    with uow:
        alerts.record_alert(
            uow, seller_id=shop, kind=SCREENING_DECIDED, payload={"action": "ship"}, now=NOW
        )
        uow.commit()
    (delivery,) = deliveries(uow, shop, decided)
    assert (delivery.kind, delivery.status, delivery.attempts) == (
        SCREENING_DECIDED,
        DeliveryStatus.PENDING,
        0,
    )
    assert json.loads(delivery.payload) == {"action": "ship"}
    assert deliveries(uow, shop, flagged) == []


def test_an_alert_rolled_back_with_its_fact_is_never_sent(uow):
    shop = new_seller(uow, "Shop")
    decided = subscribe(uow, shop, SCREENING_DECIDED)
    with uow:
        alerts.record_alert(uow, seller_id=shop, kind=SCREENING_DECIDED, payload={}, now=NOW)
    assert deliveries(uow, shop, decided) == []


def test_a_buyer_flagged_by_one_seller_alerts_those_with_open_orders_or_watching(uow):
    tagger, open_order, watcher, bystander = (
        new_seller(uow, name) for name in ("Tagger", "Open", "Watcher", "Bystander")
    )
    subscriptions = {s: subscribe(uow, s) for s in (tagger, open_order, watcher, bystander)}
    post(uow, open_order, event("o1", "order.created", "B-1", days_ago=2, buyer=ALICE))
    lists.put_entry(
        uow, "watch", ALICE, seller_id=watcher, note="", expires_at=None, secret=SECRET, now=NOW
    )
    post(uow, tagger, event("t1", "cod.refused", "T-1", days_ago=1, buyer=ALICE))
    process(uow)

    assert deliveries(uow, tagger, subscriptions[tagger]) == []
    assert deliveries(uow, bystander, subscriptions[bystander]) == []
    (to_open,) = deliveries(uow, open_order, subscriptions[open_order])
    (to_watcher,) = deliveries(uow, watcher, subscriptions[watcher])
    payload = json.loads(to_open.payload)
    assert payload["new_reasons"] == ["cod_refusal"]
    assert payload["your_open_orders"] == ["B-1"]
    assert json.loads(to_watcher.payload)["on_watch_list"] is True
    assert "Tagger" not in to_open.payload


def test_subscriptions_are_listed_and_deleted_with_their_pending_deliveries(uow):
    shop, other = new_seller(uow, "Shop"), new_seller(uow, "Other")
    decided = subscribe(uow, shop, SCREENING_DECIDED)
    with uow:
        alerts.record_alert(uow, seller_id=shop, kind=SCREENING_DECIDED, payload={}, now=NOW)
        uow.commit()
    (pending,) = deliveries(uow, shop, decided)
    assert [s.id for s in alerts.list_subscriptions(uow, seller_id=shop)] == [decided]
    assert alerts.list_subscriptions(uow, seller_id=other) == []

    alerts.unsubscribe(uow, decided, seller_id=shop, now=NOW)
    assert alerts.list_subscriptions(uow, seller_id=shop) == []
    with uow:
        assert uow.deliveries.get(pending.id).status is DeliveryStatus.CANCELLED
    (logged,) = deliveries(uow, shop, decided)
    assert (logged.id, logged.status) == (pending.id, DeliveryStatus.CANCELLED)
    with pytest.raises(SubscriptionNotFoundError):
        deliveries(uow, other, decided)
    with pytest.raises(SubscriptionNotFoundError):
        alerts.replay_delivery(uow, pending.id, seller_id=shop, now=NOW)


@pytest.mark.parametrize(
    ("url", "kinds", "secret"),
    [
        ("ftp://x.example", [BUYER_FLAGGED], None),
        ("https://x.example", ["buyer.deleted"], None),
        ("https://x.example", [BUYER_FLAGGED], "short"),
        ("https://x.example", [BUYER_FLAGGED], ""),
        ("http://x.exa\x00mple/", [BUYER_FLAGGED], None),
    ],
)
def test_bad_subscriptions_are_refused(uow, url, kinds, secret):
    shop = new_seller(uow, "Shop")
    with pytest.raises(InvalidInputError):
        alerts.subscribe(uow, seller_id=shop, url=url, kinds=kinds, secret=secret, now=NOW)

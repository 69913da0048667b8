"""Alerts: sellers subscribe URLs, and facts are recorded as deliveries in the same transaction.

`record_alert` is called inside another use case's transaction (a screening decided, a buyer
flagged); the `deliver-alerts` job sends what it recorded (services.deliveries).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.alerts import (
    BUYER_FLAGGED,
    OPEN_ORDER_WINDOW,
    Alert,
    BuyerChange,
    Delivery,
    DeliveryNotFoundError,
    Subscription,
    flag_alerts,
    new_signing_secret,
    validate_kinds,
    validate_secret,
    validate_url,
)
from buyerguard.domain.errors import ConflictError
from buyerguard.domain.reputation import Risk, score
from buyerguard.services.buyers import current_stats
from buyerguard.services.unit_of_work import UnitOfWork

MAX_SUBSCRIPTIONS = 20


class TooManySubscriptionsError(ConflictError):
    code = "too_many_subscriptions"


@dataclass(frozen=True)
class NewSubscription:
    subscription: Subscription
    secret: str  # shown once, to sign-check deliveries


def subscribe(
    uow: UnitOfWork,
    *,
    seller_id: int,
    url: str,
    kinds: Sequence[str],
    secret: str | None,
    now: datetime,
) -> NewSubscription:
    """Subscribe a URL to alert kinds; with `secret` None, one is generated (an empty secret is
    refused like any other too short)."""
    cleaned = validate_url(url)
    chosen = validate_kinds(kinds)
    signing = (
        new_signing_secret(secrets.token_bytes(24)) if secret is None else validate_secret(secret)
    )
    with uow:
        if len(uow.subscriptions.list_for_seller(seller_id)) >= MAX_SUBSCRIPTIONS:
            raise TooManySubscriptionsError(
                f"at most {MAX_SUBSCRIPTIONS} subscriptions; delete one first"
            )
        created = uow.subscriptions.add(
            seller_id, url=cleaned, kinds=chosen, secret=signing, now=now
        )
        uow.commit()
    return NewSubscription(created, signing)


def list_subscriptions(uow: UnitOfWork, *, seller_id: int) -> list[Subscription]:
    with uow:
        return uow.subscriptions.list_for_seller(seller_id)


def unsubscribe(uow: UnitOfWork, subscription_id: int, *, seller_id: int, now: datetime) -> None:
    """Stops it at once: deliveries not yet sent are cancelled; the log stays readable."""
    with uow:
        uow.subscriptions.get_for_seller(subscription_id, seller_id)
        uow.subscriptions.delete(subscription_id, now=now)
        uow.deliveries.cancel_pending(subscription_id)
        uow.commit()


def list_deliveries(
    uow: UnitOfWork, subscription_id: int, *, seller_id: int, after_id: int | None, limit: int
) -> list[Delivery]:
    """The delivery log of one subscription, newest first; still there once it is deleted."""
    with uow:
        uow.subscriptions.get_for_seller(subscription_id, seller_id, deleted=True)
        return uow.deliveries.list_for_subscription(subscription_id, after_id=after_id, limit=limit)


def replay_delivery(
    uow: UnitOfWork,
    delivery_id: int,
    *,
    seller_id: int | None,
    subscription_id: int | None = None,
    now: datetime,
) -> Delivery:
    """Send a delivery again (same body and id), whatever became of it; `seller_id` None is the
    operator. The subscription must still exist."""
    with uow:
        if seller_id is None:
            delivery = uow.deliveries.get(delivery_id)
        else:
            delivery = uow.deliveries.get_for_seller(delivery_id, seller_id)
        if subscription_id is not None and delivery.subscription_id != subscription_id:
            raise DeliveryNotFoundError(
                f"no delivery {delivery_id} in subscription {subscription_id}"
            )
        uow.subscriptions.get_for_seller(delivery.subscription_id, delivery.seller_id)
        uow.deliveries.make_due(delivery_id, now=now)
        replayed = uow.deliveries.get(delivery_id)
        uow.commit()
    return replayed


def record_alert(
    uow: UnitOfWork, *, seller_id: int, kind: str, payload: dict[str, object], now: datetime
) -> None:
    """Record one fact for the seller's subscriptions to `kind`, in the caller's transaction;
    nothing is recorded when the seller has none."""
    record_alerts(uow, [Alert(seller_id, kind, payload)], now=now)


def record_alerts(uow: UnitOfWork, alerts: Sequence[Alert], *, now: datetime) -> int:
    """One delivery per alert and matching subscription, in the caller's transaction."""
    rows: list[tuple[Subscription, str, str]] = []
    for kind in sorted({alert.kind for alert in alerts}):
        of_kind = [alert for alert in alerts if alert.kind == kind]
        by_seller: dict[int, list[Subscription]] = {}
        for found in uow.subscriptions.matching({a.seller_id for a in of_kind}, kind):
            by_seller.setdefault(found.seller_id, []).append(found)
        for alert in of_kind:
            body = json.dumps(alert.payload, sort_keys=True, default=str)
            rows.extend((found, kind, body) for found in by_seller.get(alert.seller_id, ()))
    uow.deliveries.add_many(rows, now=now)
    return len(rows)


@dataclass(frozen=True)
class TagChange:
    buyer_id: int
    seller_id: int
    reason: str


def risk_levels(
    uow: UnitOfWork, buyer_ids: Iterable[int], *, now: datetime
) -> tuple[set[int], dict[int, Risk]]:
    """Who subscribed to `buyer.flagged`, and these buyers' risk now, before a change.

    Nothing is read for the buyers when nobody subscribed: the common case costs one query.
    """
    subscribers = uow.subscriptions.subscribers(BUYER_FLAGGED)
    if not subscribers:
        return subscribers, {}
    return subscribers, {buyer: _risk(uow, buyer, now=now) for buyer in set(buyer_ids)}


def _risk(uow: UnitOfWork, buyer_id: int, *, now: datetime) -> Risk:
    return score(current_stats(uow, buyer_id, now=now).evidence(), now=now)


def alert_buyer_changes(
    uow: UnitOfWork,
    changes: Sequence[TagChange],
    *,
    subscribers: set[int],
    before: Mapping[int, Risk],
    now: datetime,
) -> int:
    """Record `buyer.flagged` for the buyers in `before` that got a new tag or a higher risk
    level, to the subscribed sellers with an open order with them or watching them."""
    if not subscribers or not before:
        return 0
    buyers = sorted(before)
    new_tags: dict[int, list[tuple[int, str]]] = {}
    for change in changes:
        new_tags.setdefault(change.buyer_id, []).append((change.seller_id, change.reason))
    after = {buyer: _risk(uow, buyer, now=now) for buyer in buyers}
    buyer_changes = [
        BuyerChange(
            buyer_id=buyer,
            new_tags=tuple(new_tags.get(buyer, ())),
            level_before=before[buyer].level,
            level_after=after[buyer].level,
            score=after[buyer].score,
        )
        for buyer in buyers
    ]
    alerts = flag_alerts(
        buyer_changes,
        open_orders=uow.event_orders.open_orders(buyers, since=now - OPEN_ORDER_WINDOW),
        watchers={buyer: uow.lists.sellers_watching(buyer, now=now) for buyer in buyers},
        subscribers=subscribers,
    )
    return record_alerts(uow, alerts, now=now)

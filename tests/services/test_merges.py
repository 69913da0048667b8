"""Two buyer records found to be one person: what a seller set up or logged for the merged-away
record goes on working for the person (lists, watch alerts, screening outcomes)."""

from __future__ import annotations

import json
from datetime import timedelta

from buyerguard.domain.alerts import BUYER_FLAGGED
from buyerguard.domain.screening import OUTCOME_BAD, Order
from buyerguard.domain.tags import NewTag
from buyerguard.services import alerts, lists, orders, screening, tags

from .events_helpers import NOW, SECRET, new_seller

EMAIL = {"email": "blocked@example.com"}
PHONE = {"phone": "+4915112345678"}


def link(uow, seller_id: int, ref: str = "X-2") -> None:
    """Another seller's completed order gives both identifiers: the email's record (newer) is
    merged into the phone's."""
    orders.record_completed_order(
        uow,
        {**EMAIL, **PHONE},
        seller_id=seller_id,
        order_ref=ref,
        completed_at=None,
        secret=SECRET,
        now=NOW,
    )


def older_phone_buyer(uow, seller_id: int) -> None:
    orders.record_completed_order(
        uow,
        PHONE,
        seller_id=seller_id,
        order_ref="X-1",
        completed_at=None,
        secret=SECRET,
        now=NOW - timedelta(days=10),
    )


def screen(uow, seller_id: int, ref: str, buyer: dict[str, str]) -> screening.Screened:
    order = Order(ref, 40.0, "EUR", "prepaid", "DE")
    return screening.screen_order(uow, order, buyer, seller_id=seller_id, secret=SECRET, now=NOW)


def test_a_blocked_buyer_stays_blocked_once_merged_into_an_older_record(uow):
    shop, other = new_seller(uow, "Shop"), new_seller(uow, "Other")
    older_phone_buyer(uow, other)
    lists.put_entry(
        uow,
        "block",
        EMAIL,
        seller_id=shop,
        note="never again",
        expires_at=None,
        secret=SECRET,
        now=NOW,
    )
    assert screen(uow, shop, "S-1", EMAIL).screening.action.code == "decline"
    link(uow, other)
    after = screen(uow, shop, "S-2", EMAIL).screening
    assert after.action.code == "decline"
    assert screen(uow, shop, "S-3", PHONE).screening.action.code == "decline"
    (entry,) = lists.list_entries(uow, "block", seller_id=shop)
    assert (entry.buyer_id, entry.note) == (after.buyer_id, "never again")


def test_a_watched_buyer_still_alerts_its_watcher_once_merged(uow):
    watcher, tagger, other = (new_seller(uow, n) for n in ("Watcher", "Tagger", "Other"))
    alerts.subscribe(
        uow,
        seller_id=watcher,
        url="https://hooks.example.com/bg",
        kinds=(BUYER_FLAGGED,),
        secret=None,
        now=NOW,
    )
    older_phone_buyer(uow, other)
    lists.put_entry(
        uow, "watch", EMAIL, seller_id=watcher, note="", expires_at=None, secret=SECRET, now=NOW
    )
    link(uow, other)
    tags.add_tag(uow, PHONE, NewTag(tagger, "cod_refusal"), secret=SECRET, now=NOW)
    (subscription,) = alerts.list_subscriptions(uow, seller_id=watcher)
    (delivery,) = alerts.list_deliveries(
        uow, subscription.id, seller_id=watcher, after_id=None, limit=10
    )
    payload = json.loads(delivery.payload)
    assert (payload["on_watch_list"], payload["new_reasons"]) == (True, ["cod_refusal"])


def test_a_screening_of_the_merged_away_record_learns_its_outcome(uow):
    shop, other = new_seller(uow, "Shop"), new_seller(uow, "Other")
    older_phone_buyer(uow, other)
    screened = screen(uow, shop, "S-1", EMAIL).screening
    link(uow, other)
    tags.add_tag(uow, PHONE, NewTag(shop, "extortion"), secret=SECRET, now=NOW + timedelta(days=1))
    with uow:
        (logged,) = uow.screenings.with_outcomes(shop, since=None, limit=10)
    assert (logged.id, logged.outcome) == (screened.id, OUTCOME_BAD)

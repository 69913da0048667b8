"""The process-events job: automatic tags, clean orders and withdrawals from stored events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from buyerguard.domain.events import EventRules
from buyerguard.domain.tags import NewTag
from buyerguard.services import buyers, events, orders, tags
from buyerguard.services.event_processing import process_events
from buyerguard.storage.database import Database
from buyerguard.storage.unit_of_work import SqlUnitOfWork

from .events_helpers import NOW, SECRET, event, new_seller, post, process, tags_of

ALICE = {"email": "alice@example.com"}


def profile(uow, viewer: int, buyer: dict[str, str]):
    return buyers.look_up_buyer(uow, buyer, viewer_id=viewer, secret=SECRET, now=NOW)


def test_events_in_any_order_make_one_tag_and_a_replay_changes_nothing(uow):
    shop = new_seller(uow, "Shop")
    chargeback = event("e3", "chargeback.created", "A-1", days_ago=1, reason="product_not_received")
    delivered = event("e2", "order.delivered", "A-1", days_ago=5)
    created = event("e1", "order.created", "A-1", days_ago=9, buyer=ALICE)
    assert post(uow, shop, chargeback).new == 1
    assert post(uow, shop, delivered, created).new == 2

    report = process(uow)
    assert (report.events, report.tags_created) == (3, 1)
    assert tags_of(uow, shop) == [("non_payment", "active", "A-1")]
    (tag,) = tags.list_tags(uow, seller_id=shop, after_id=None, limit=5, now=NOW)
    assert tag.order_backed
    assert tag.created_at == chargeback.occurred_at

    assert post(uow, shop, chargeback, delivered, created).duplicates == 3
    assert process(uow).events == 0
    assert tags_of(uow, shop) == [("non_payment", "active", "A-1")]


def test_a_chargeback_won_by_the_buyer_withdraws_the_automatic_tag(uow):
    shop, other = new_seller(uow, "Shop"), new_seller(uow, "Other")
    post(
        uow,
        shop,
        event("e1", "order.delivered", "A-1", days_ago=5, buyer=ALICE),
        event("e2", "chargeback.created", "A-1", days_ago=1, reason="fraudulent"),
    )
    process(uow)
    assert profile(uow, other, ALICE).reasons[0].reason == "card_fraud"

    post(uow, shop, event("e3", "chargeback.resolved", "A-1", outcome="buyer_won"))
    report = process(uow)
    assert report.tags_withdrawn == 1
    assert tags_of(uow, shop) == [("card_fraud", "retracted", "A-1")]
    assert profile(uow, other, ALICE).distinct_reporters == 0


def test_a_sellers_retraction_of_an_automatic_tag_stands_until_a_new_fact(uow):
    shop = new_seller(uow, "Shop")
    post(
        uow,
        shop,
        event("e1", "order.paid", "A-1", days_ago=5, buyer=ALICE),
        event("e2", "chargeback.created", "A-1", days_ago=4, reason="fraudulent"),
    )
    process(uow, at=NOW - timedelta(days=4))
    (tag,) = tags.list_tags(uow, seller_id=shop, after_id=None, limit=5, now=NOW)
    tags.retract_tag(uow, tag.id, seller_id=shop, now=NOW - timedelta(days=3))

    post(
        uow,
        shop,
        event("e3", "order.created", "A-2", days_ago=2, buyer=ALICE),
        event("e4", "chargeback.resolved", "A-1", days_ago=1, outcome="seller_won"),
    )
    assert process(uow).tags_created == 0
    assert tags_of(uow, shop) == [("card_fraud", "retracted", "A-1")]

    post(uow, shop, event("e5", "dispute.opened", "A-2", claim="fraud"))
    assert process(uow).tags_created == 1
    assert tags_of(uow, shop) == [
        ("card_fraud", "retracted", "A-1"),
        ("card_fraud", "active", "A-2"),
    ]


def test_a_tag_the_rules_withdrew_is_made_again_by_a_new_claim(uow):
    shop = new_seller(uow, "Shop")
    post(
        uow, shop, event("e1", "chargeback.created", "A-1", days_ago=5, reason="fraud", buyer=ALICE)
    )
    process(uow, at=NOW - timedelta(days=5))
    post(uow, shop, event("e2", "chargeback.resolved", "A-1", days_ago=4, outcome="buyer_won"))
    process(uow, at=NOW - timedelta(days=2))

    post(uow, shop, event("e3", "dispute.opened", "A-1", days_ago=3, claim="fraud"))
    assert process(uow).tags_created == 1
    assert tags_of(uow, shop) == [
        ("card_fraud", "retracted", "A-1"),
        ("card_fraud", "active", "A-1"),
    ]


class CrashingUnitOfWork(SqlUnitOfWork):
    """Dies at its first commit, as a killed process would: nothing of the batch is kept."""

    crashed = False

    def commit(self) -> None:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("killed")
        super().commit()


def test_a_crash_mid_batch_is_resumed_without_loss_or_repeat(uow, database: Database):
    shop = new_seller(uow, "Shop")
    post(uow, shop, event("e1", "cod.refused", "A-1", buyer=ALICE))
    with pytest.raises(RuntimeError):
        process(CrashingUnitOfWork(database.sessions))
    assert tags_of(uow, shop) == []
    assert events.list_order_events(uow, "A-1", seller_id=shop)[0].processed_at is None

    assert process(uow).tags_created == 1
    assert process(uow).tags_created == 0
    assert tags_of(uow, shop) == [("cod_refusal", "active", "A-1")]


def test_an_order_becomes_clean_when_its_window_closes_and_a_late_chargeback_reopens_it(uow):
    shop, other = new_seller(uow, "Shop"), new_seller(uow, "Other")
    post(uow, shop, event("e1", "order.delivered", "A-1", days_ago=10, buyer=ALICE))
    assert process(uow).orders_completed == 0
    assert profile(uow, other, ALICE).clean_sellers == 0

    assert process(uow, at=NOW + timedelta(days=20, seconds=1)).orders_completed == 1
    assert profile(uow, other, ALICE).clean_sellers == 1

    later = NOW + timedelta(days=50)
    post(
        uow,
        shop,
        event("e2", "chargeback.created", "A-1", days_ago=-50, reason="general"),
        at=later,
    )
    report = process(uow, at=later)
    assert (report.orders_reopened, report.tags_created) == (1, 1)
    assert profile(uow, other, ALICE).clean_sellers == 0


def test_frequent_returns_come_and_go_with_the_share(uow):
    shop = new_seller(uow, "Shop")
    for n in range(4):
        post(uow, shop, event(f"d{n}", "order.delivered", f"A-{n}", days_ago=20, buyer=ALICE))
    for n in range(3):
        post(uow, shop, event(f"r{n}", "order.returned", f"A-{n}", days_ago=10 - n))
    process(uow)
    assert tags_of(uow, shop) == [("frequent_returns", "active", "A-2")]

    for n in range(4, 8):
        post(uow, shop, event(f"d{n}", "order.delivered", f"A-{n}", days_ago=2, buyer=ALICE))
    process(uow)
    assert tags_of(uow, shop) == [("frequent_returns", "retracted", "A-2")]


def test_an_order_without_a_buyer_waits_for_one(uow):
    shop, other = new_seller(uow, "Shop"), new_seller(uow, "Other")
    post(uow, shop, event("s1", "dispute.opened", "ch_1", days_ago=1, claim="fraud"))
    assert process(uow).tags_created == 0

    post(uow, shop, event("e1", "order.created", "ch_1", days_ago=3, buyer=ALICE))
    assert process(uow).tags_created == 1
    assert profile(uow, other, ALICE).reasons[0].reason == "card_fraud"


def test_identifiers_on_one_order_merge_what_the_registry_knew_apart(uow):
    shop, other = new_seller(uow, "Shop"), new_seller(uow, "Other")
    phone = {"phone": "+4915112345678"}
    tags.add_tag(uow, phone, NewTag(seller_id=other, reason="extortion"), secret=SECRET, now=NOW)
    post(uow, shop, event("e1", "order.created", "A-1", buyer=ALICE))
    process(uow)
    assert profile(uow, shop, ALICE).distinct_reporters == 0

    post(uow, shop, event("e2", "order.paid", "A-1", buyer=phone))
    process(uow)
    assert profile(uow, shop, ALICE).reasons[0].reason == "extortion"


def test_one_batch_linking_three_buyers_makes_one_person(uow):
    """One event links buyers 1 and 2 (2 merges into 1); another names buyer 3 on an order the
    registry knew as 2's. Buyer 3 must join the live buyer, not the one just merged away (buyers 2
    and 3 are known to the shop alone, so its word merges them: domain.links)."""
    shop, other = new_seller(uow, "Shop"), new_seller(uow, "Other")
    phone = {"phone": "+4915112345678"}
    address = {"shipping_address": "Hauptstrasse 5, 10115 Berlin"}
    tags.add_tag(uow, ALICE, NewTag(seller_id=other, reason="extortion"), secret=SECRET, now=NOW)
    post(uow, shop, event("e1", "order.created", "A-2", days_ago=4, buyer=phone))
    process(uow)
    tags.add_tag(uow, address, NewTag(seller_id=shop, reason="card_fraud"), secret=SECRET, now=NOW)

    post(
        uow,
        shop,
        event("e2", "order.created", "A-1", days_ago=1, buyer=ALICE | phone),
        event("e3", "order.paid", "A-2", days_ago=1, buyer=address),
    )
    process(uow)

    seen = [profile(uow, shop, buyer) for buyer in (ALICE, phone, address)]
    assert len({p.buyer_id for p in seen}) == 1
    assert sorted(r.reason for r in seen[2].reasons) == ["card_fraud", "extortion"]


def test_an_order_first_seen_in_a_merging_batch_goes_to_the_live_buyer(uow):
    shop, other, third = (new_seller(uow, name) for name in ("Shop", "Other", "Third"))
    phone = {"phone": "+4915112345678"}
    tags.add_tag(uow, ALICE, NewTag(seller_id=other, reason="extortion"), secret=SECRET, now=NOW)
    tags.add_tag(uow, phone, NewTag(seller_id=other, reason="card_fraud"), secret=SECRET, now=NOW)
    # Both records are another seller's: a third seller's word first, then the shop's, merges them.
    orders.record_completed_order(
        uow,
        ALICE | phone,
        seller_id=third,
        order_ref="T-1",
        completed_at=None,
        secret=SECRET,
        now=NOW,
    )
    assert profile(uow, shop, ALICE).buyer_id != profile(uow, shop, phone).buyer_id

    post(
        uow,
        shop,
        event("e1", "order.created", "A-1", days_ago=1, buyer=ALICE | phone),
        event("e2", "cod.refused", "A-2", days_ago=1, buyer=phone),
    )
    process(uow)

    assert [t.reason for t in profile(uow, shop, ALICE).my_tags] == ["cod_refusal"]
    reasons = {r.reason for r in profile(uow, other, phone).reasons}
    assert reasons == {"card_fraud", "cod_refusal", "extortion"}


def test_a_sellers_rules_decide_which_reasons_are_tagged(uow):
    shop = new_seller(uow, "Shop")
    rules = EventRules(enabled=frozenset({"non_payment"}))
    events.save_event_rules(uow, rules, seller_id=shop, now=NOW)
    assert events.get_event_rules(uow, seller_id=shop) == rules
    post(uow, shop, event("e1", "cod.refused", "A-1", buyer=ALICE))
    process(uow)
    assert tags_of(uow, shop) == []


def test_one_event_a_batch_reaches_the_same_tags_as_one_batch(uow):
    """Every batch judges the orders on all their stored events, whatever the batch size."""
    shop = new_seller(uow, "Shop")
    post(
        uow,
        shop,
        event("e1", "order.created", "A-1", days_ago=9, buyer=ALICE),
        event("e2", "order.delivered", "A-1", days_ago=5),
        event("e3", "chargeback.created", "A-1", days_ago=3, reason="general"),
        event("e4", "chargeback.resolved", "A-1", days_ago=2, outcome="buyer_won"),
        event("e5", "dispute.opened", "A-1", days_ago=1, claim="not_received"),
        event("e6", "order.created", "A-2", days_ago=1, buyer=ALICE),
        event("e7", "cod.refused", "A-2", days_ago=0),
    )
    report = process_events(uow, now=NOW, batch_size=1)
    assert (report.events, report.tags_created, report.tags_withdrawn) == (7, 2, 0)
    (non_payment, cod_refusal) = tags.list_tags(
        uow, seller_id=shop, after_id=None, limit=5, now=NOW
    )[::-1]
    assert (non_payment.reason, non_payment.note) == ("non_payment", "automatic, from event e5")
    assert (cod_refusal.reason, cod_refusal.order_ref) == ("cod_refusal", "A-2")


def test_an_old_fact_is_recorded_as_history_once_however_often_its_buyer_is_processed(uow):
    shop = new_seller(uow, "Shop")
    buyer = {"email": "a@example.com"}
    post(
        uow,
        shop,
        event("e1", "chargeback.created", "A-1", days_ago=6 * 365, buyer=buyer, reason="fraud"),
    )
    first = process(uow)
    post(uow, shop, event("e2", "order.created", "A-2", days_ago=1, buyer=buyer))
    again = process(uow)
    post(uow, shop, event("e3", "order.created", "A-3", days_ago=1, buyer=buyer))
    process(uow)
    assert (first.tags_created, again.tags_created) == (1, 0)
    assert [(reason, status) for reason, status, _ in tags_of(uow, shop)] == [
        ("card_fraud", "expired")
    ]

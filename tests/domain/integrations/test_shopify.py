"""Shopify: `X-Shopify-Hmac-Sha256` checks, and orders, refunds and disputes as events."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from buyerguard.domain.events import Event, EventRules, UnknownEventTypeError, outcome_for_order
from buyerguard.domain.integrations import ADAPTERS, PayloadError, SignatureError

from .samples import NOW, ROTATED_SECRET, SECRET, base64_hmac, payload, raw

SHOPIFY = ADAPTERS["shopify"]
ORDER = "shopify_order_fixture.json"
DISPUTE = "shopify_dispute_fixture.json"
BOB = {
    "platform_buyer_id": "shopify:207119551",
    "email": "bob.norman@hostmail.com",
    "phone": "555-625-1199",
    "shipping_address": "Chestnut Street 92, Louisville, KY, 40202, US",
}


def headers(body: bytes, *, secret: str = SECRET, topic: str = "orders/create") -> dict[str, str]:
    return {"x-shopify-hmac-sha256": base64_hmac(body, secret), "x-shopify-topic": topic}


def verify(headers: dict[str, str], body: bytes, secrets=(SECRET,)) -> None:
    SHOPIFY.verify(headers, body, list(secrets), now=NOW, settings={})


def refund(*restock_types: str) -> dict[str, object]:
    """Shaped as Shopify's `refunds/create` webhook documents it."""
    return {
        "id": 509562969,
        "order_id": 450789469,
        "created_at": "2024-05-02T10:00:00-04:00",
        "processed_at": "2024-05-02T10:00:05-04:00",
        "note": "it broke",
        "restock": True,
        "refund_line_items": [
            {"id": 104689539 + n, "line_item_id": 703073504, "quantity": 1, "restock_type": kind}
            for n, kind in enumerate(restock_types)
        ],
        "transactions": [],
    }


# --- signatures --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [ORDER, DISPUTE])
def test_the_real_bodies_verify(name):
    body = raw(name)

    verify(headers(body), body)


def test_rotation_the_second_secret_verifies():
    body = raw(ORDER)

    verify(headers(body, secret=ROTATED_SECRET), body, secrets=(SECRET, ROTATED_SECRET))
    with pytest.raises(SignatureError):
        verify(headers(body, secret=ROTATED_SECRET), body)


def test_a_tampered_body_is_refused():
    body = raw(ORDER)
    tampered = body.replace(b"bob.norman@hostmail.com", b"alice@hostmail.com")
    assert tampered != body

    with pytest.raises(SignatureError, match="does not match") as caught:
        verify(headers(body), tampered)
    assert caught.value.code == "bad_signature"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "missing x-shopify-hmac-sha256"),
        ("", "missing x-shopify-hmac-sha256"),
        ("not base64!", "not base64"),
        (base64_hmac(b"another body"), "does not match"),
    ],
)
def test_bad_signature_headers_are_refused(value, message):
    body = raw(ORDER)
    sent = headers(body)
    if value is None:
        del sent["x-shopify-hmac-sha256"]
    else:
        sent["x-shopify-hmac-sha256"] = value

    with pytest.raises(SignatureError, match=message):
        verify(sent, body)


def test_no_configured_secret_refuses_everything():
    body = raw(ORDER)

    with pytest.raises(SignatureError, match="no signing secret"):
        verify(headers(body), body, secrets=("",))


def test_topic_comes_from_its_header():
    assert SHOPIFY.topic_from_headers(headers(b"{}", topic="orders/paid"), {}) == "orders/paid"
    with pytest.raises(PayloadError) as caught:
        SHOPIFY.topic_from_headers({}, {})
    assert caught.value.field == "x-shopify-topic"


# --- orders ------------------------------------------------------------------------------------


def test_the_order_fixture_maps_to_a_created_order_with_its_buyer():
    events = SHOPIFY.to_events(payload(ORDER), topic="orders/create")

    assert events == [
        Event(
            event_id="shopify:order:450789469:created",
            type="order.created",
            occurred_at=datetime(2008, 1, 10, 16, 0, tzinfo=UTC),
            order_ref="450789469",
            buyer=BOB,
            amount=409.94,
            currency="USD",
        )
    ]


def test_the_bare_order_is_read_like_the_wrapped_one():
    wrapped = payload(ORDER)

    assert SHOPIFY.to_events(wrapped["order"], topic="orders/paid") == SHOPIFY.to_events(
        wrapped, topic="orders/paid"
    )


def test_orders_paid_is_a_payment():
    [event] = SHOPIFY.to_events(payload(ORDER), topic="orders/paid")

    assert (event.event_id, event.type, event.buyer) == (
        "shopify:order:450789469:paid",
        "order.paid",
        BOB,
    )


def test_identifiers_fall_back_to_the_customer():
    body = copy.deepcopy(payload(ORDER))
    order = body["order"]
    del order["email"]
    order["customer"]["phone"] = "+15025551199"
    order["shipping_address"] = None

    [event] = SHOPIFY.to_events(body, topic="orders/create")

    assert event.buyer == {
        "platform_buyer_id": "shopify:207119551",
        "email": "bob.norman@hostmail.com",
        "phone": "+15025551199",
    }


@pytest.mark.parametrize(
    ("shape", "key", "field"),
    [
        ("wrapped", "id", "order.id"),
        ("wrapped", "created_at", "order.created_at"),
        ("bare", "id", "id"),
    ],
)
def test_an_order_missing_a_key_field_names_it(shape, key, field):
    body = copy.deepcopy(payload(ORDER))
    order = body["order"]
    del order[key]

    with pytest.raises(PayloadError) as caught:
        SHOPIFY.to_events(body if shape == "wrapped" else order, topic="orders/create")

    assert caught.value.field == field


# --- refunds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("restock", "kind"),
    [
        (("return",), "order.returned"),
        (("no_restock", "return"), "order.returned"),
        (("no_restock",), "refund.requested"),
        ((), "refund.requested"),
    ],
)
def test_refunds(restock, kind):
    [event] = SHOPIFY.to_events(refund(*restock), topic="refunds/create")

    assert (event.event_id, event.type, event.order_ref) == (
        "shopify:refund:509562969",
        kind,
        "450789469",
    )
    assert event.occurred_at == datetime(2024, 5, 2, 14, 0, 5, tzinfo=UTC)


def test_a_refund_for_cancelled_items_is_no_event():
    assert SHOPIFY.to_events({"refund": refund("cancel", "cancel")}, topic="refunds/create") == []


# --- disputes ----------------------------------------------------------------------------------


def test_the_won_dispute_fixture_maps_to_a_chargeback_and_its_verdict():
    events = SHOPIFY.to_events(payload(DISPUTE), topic="disputes/create")

    opened = Event(
        event_id="shopify:dispute:1052608616:opened",
        type="chargeback.created",
        occurred_at=datetime(2013, 5, 4, 0, 0, tzinfo=UTC),
        order_ref="shopify-dispute:1052608616",
        amount=100.0,
        currency="USD",
        data={"reason": "fraudulent"},
    )
    won = Event(
        event_id="shopify:dispute:1052608616:won",
        type="chargeback.resolved",
        occurred_at=datetime(2013, 7, 4, 11, 0, tzinfo=UTC),
        order_ref="shopify-dispute:1052608616",
        amount=100.0,
        currency="USD",
        data={"reason": "fraudulent", "outcome": "seller_won"},
    )
    assert events == [opened, won]
    assert SHOPIFY.to_events(payload(DISPUTE)["dispute"], topic="disputes/update") == events


def test_the_fixture_dispute_leaves_a_confirmed_card_fraud_tag():
    events = SHOPIFY.to_events(payload(DISPUTE), topic="disputes/update")

    [tag] = outcome_for_order(events, EventRules(), now=NOW).tags

    assert (tag.reason, tag.confirmed_by) == ("card_fraud", ("shopify:dispute:1052608616:won",))


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("needs_response", None),
        ("under_review", None),
        ("won", "seller_won"),
        ("lost", "buyer_won"),
        ("accepted", "buyer_won"),
        ("charge_refunded", "buyer_won"),
    ],
)
def test_dispute_statuses(status, outcome):
    body = copy.deepcopy(payload(DISPUTE))
    body["dispute"] |= {"status": status, "order_id": 450789469}

    events = SHOPIFY.to_events(body, topic="disputes/update")

    assert {e.order_ref for e in events} == {"450789469"}
    assert [e.data.get("outcome") for e in events] == [None] + ([outcome] if outcome else [])


def test_an_inquiry_is_a_claim_with_a_kind():
    body = copy.deepcopy(payload(DISPUTE))
    body["dispute"] |= {"type": "inquiry", "reason": "product_unacceptable", "status": "lost"}
    body["dispute"]["finalized_on"] = "2013-07-10T10:00:00-04:00"

    opened, lost = SHOPIFY.to_events(body, topic="disputes/update")

    assert (opened.type, opened.data) == (
        "dispute.opened",
        {"claim": "quality", "reason": "product_unacceptable"},
    )
    assert (lost.type, lost.data["outcome"]) == ("dispute.resolved", "buyer_won")
    assert lost.occurred_at == datetime(2013, 7, 10, 14, 0, tzinfo=UTC)
    assert lost.occurred_at - opened.occurred_at > timedelta(days=60)


@pytest.mark.parametrize("key", ["id", "reason", "status", "initiated_at"])
def test_a_dispute_missing_a_key_field_names_it(key):
    body = copy.deepcopy(payload(DISPUTE))
    del body["dispute"][key]

    with pytest.raises(PayloadError) as caught:
        SHOPIFY.to_events(body, topic="disputes/create")

    assert caught.value.field == f"dispute.{key}"


def test_a_non_json_object_field_is_refused():
    body = copy.deepcopy(payload(ORDER))
    body["order"]["customer"] = "bob"

    with pytest.raises(PayloadError, match="must be an object"):
        SHOPIFY.to_events(body, topic="orders/create")


def test_unhandled_topics_are_refused():
    with pytest.raises(UnknownEventTypeError, match="orders/paid"):
        SHOPIFY.to_events(payload(ORDER), topic="orders/fulfilled")

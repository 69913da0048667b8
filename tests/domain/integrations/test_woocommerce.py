"""WooCommerce: `X-WC-Webhook-Signature` checks, and order states as events."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime

import pytest

from buyerguard.domain.events import UnknownEventTypeError
from buyerguard.domain.integrations import ADAPTERS, PayloadError, SignatureError

from .samples import NOW, ROTATED_SECRET, SECRET, base64_hmac, payload, raw

WOO = ADAPTERS["woocommerce"]
ORDER = "woocommerce_order.json"
JOHN = {
    "email": "john.doe@example.com",
    "phone": "(555) 555-5555",
    "shipping_address": "969 Market, San Francisco, CA, 94103, US",
}
MODIFIED = datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)


def headers(body: bytes, *, secret: str = SECRET) -> dict[str, str]:
    return {
        "x-wc-webhook-signature": base64_hmac(body, secret),
        "x-wc-webhook-topic": "order.updated",
    }


def verify(headers: dict[str, str], body: bytes, secrets=(SECRET,)) -> None:
    WOO.verify(headers, body, list(secrets), now=NOW, settings={})


def order(**changes: object) -> dict[str, object]:
    body = copy.deepcopy(payload(ORDER))
    body.update(changes)
    return body


def facts(body: dict[str, object]) -> list[tuple[str, str]]:
    return [(e.event_id, e.type) for e in WOO.to_events(body, topic="order.updated")]


# --- signatures --------------------------------------------------------------------------------


def test_the_real_body_verifies():
    body = raw(ORDER)

    verify(headers(body), body)


def test_rotation_the_second_secret_verifies():
    body = raw(ORDER)

    verify(headers(body, secret=ROTATED_SECRET), body, secrets=(SECRET, ROTATED_SECRET))
    with pytest.raises(SignatureError):
        verify(headers(body, secret=ROTATED_SECRET), body)


def test_a_tampered_body_is_refused():
    body = raw(ORDER)
    tampered = body.replace(b'"status": "processing"', b'"status": "completed"')
    assert tampered != body

    with pytest.raises(SignatureError, match="does not match") as caught:
        verify(headers(body), tampered)
    assert caught.value.code == "bad_signature"


def test_a_missing_signature_header_is_refused():
    body = raw(ORDER)

    with pytest.raises(SignatureError, match="missing x-wc-webhook-signature"):
        verify({"x-wc-webhook-topic": "order.updated"}, body)


def test_a_signature_made_with_another_secret_is_refused():
    body = raw(ORDER)

    with pytest.raises(SignatureError):
        verify(headers(body, secret="someone-elses-secret"), body)


def test_topic_comes_from_its_header():
    assert WOO.topic_from_headers(headers(b"{}"), {}) == "order.updated"
    with pytest.raises(PayloadError) as caught:
        WOO.topic_from_headers({}, {})
    assert caught.value.field == "x-wc-webhook-topic"


# --- mapping -----------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", ["order.created", "order.updated"])
def test_the_fixture_is_a_created_and_paid_order(topic):
    events = WOO.to_events(payload(ORDER), topic=topic)

    assert [(e.event_id, e.type, e.occurred_at) for e in events] == [
        (
            "woocommerce:order:727:created",
            "order.created",
            datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC),
        ),
        ("woocommerce:order:727:paid", "order.paid", datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)),
    ]
    for event in events:
        assert (event.order_ref, event.buyer, event.amount, event.currency) == (
            "727",
            JOHN,
            29.35,
            "USD",
        )
        assert event.data == {}


CREATED = ("woocommerce:order:727:created", "order.created")
PAID = ("woocommerce:order:727:paid", "order.paid")
UNPAID = {"date_paid": None, "date_paid_gmt": None}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"status": "pending", **UNPAID}, [CREATED], id="pending"),
        pytest.param({"status": "on-hold", **UNPAID}, [CREATED], id="on-hold"),
        pytest.param({"status": "processing"}, [CREATED, PAID], id="processing"),
        pytest.param({"status": "failed", **UNPAID}, [CREATED], id="failed"),
        pytest.param(
            {"status": "completed", "date_completed_gmt": "2017-03-25T10:00:00"},
            [CREATED, PAID, ("woocommerce:order:727:completed", "order.delivered")],
            id="completed",
        ),
        pytest.param(
            {"status": "cancelled", **UNPAID},
            [CREATED, ("woocommerce:order:727:cancelled_unpaid", "order.payment_timeout")],
            id="cancelled-unpaid",
        ),
        pytest.param(
            {"status": "cancelled", "payment_method": "cod", **UNPAID},
            [CREATED],
            id="cancelled-cash-on-delivery",
        ),
        pytest.param({"status": "cancelled"}, [CREATED, PAID], id="cancelled-after-payment"),
        pytest.param(
            {"status": "refunded"},
            [CREATED, PAID, ("woocommerce:order:727:refunded", "refund.requested")],
            id="refunded",
        ),
        pytest.param(
            {"refunds": [{"id": 726, "reason": "", "total": "-10.00"}]},
            [CREATED, PAID, ("woocommerce:order:727:refunded", "refund.requested")],
            id="partly-refunded",
        ),
    ],
)
def test_statuses(changes, expected):
    assert facts(order(**changes)) == expected


def test_delivery_time_is_the_completion_time():
    body = order(status="completed", date_completed_gmt="2017-03-25T10:00:00")
    late = order(status="completed")

    assert WOO.to_events(body, topic="order.updated")[-1].occurred_at == datetime(
        2017, 3, 25, 10, 0, tzinfo=UTC
    )
    assert WOO.to_events(late, topic="order.updated")[-1].occurred_at == MODIFIED


def test_a_registered_customer_is_namespaced_by_shop():
    [created, _] = WOO.to_events(order(customer_id=42), topic="order.created")

    assert created.buyer == JOHN | {"platform_buyer_id": "woocommerce:example.com:42"}


def test_a_customer_id_without_a_known_shop_is_left_out():
    body = order(customer_id=42)
    del body["_links"]

    [created, _] = WOO.to_events(body, topic="order.created")

    assert created.buyer == JOHN


def test_the_wrapped_legacy_shape_is_accepted():
    assert WOO.to_events({"order": payload(ORDER)}, topic="order.created") == WOO.to_events(
        payload(ORDER), topic="order.created"
    )


@pytest.mark.parametrize("key", ["id", "status", "date_created_gmt"])
def test_a_body_missing_a_key_field_names_it(key):
    body = order()
    del body[key]
    if key == "date_created_gmt":
        del body["date_created"]

    with pytest.raises(PayloadError) as caught:
        WOO.to_events(body, topic="order.created")

    assert caught.value.field == key


def test_an_unreadable_date_is_refused():
    with pytest.raises(PayloadError, match="date_paid_gmt"):
        WOO.to_events(order(date_paid_gmt="last tuesday"), topic="order.created")


def test_unhandled_topics_are_refused():
    with pytest.raises(UnknownEventTypeError, match=re.escape("order.updated")):
        WOO.to_events(payload(ORDER), topic="order.deleted")

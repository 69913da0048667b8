"""Shopify: orders, refunds and Shopify Payments disputes, verified with `X-Shopify-Hmac-Sha256`.

`order_ref` is Shopify's numeric order id (not the "#1001" name), because that is what refunds
and disputes point back to. Event ids are built from the resource and the fact, not from the
webhook delivery, so that Shopify's retries and overlapping topics are no-ops too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from buyerguard.domain.events import Event, is_fraud_reason
from buyerguard.domain.integrations.payloads import (
    JsonObject,
    address_line,
    checked,
    claim_event,
    identifiers,
    money,
    require_topic,
    topic_header,
    unwrap,
)
from buyerguard.domain.integrations.signatures import verify_base64_hmac

NAME = "shopify"
SIGNATURE_HEADER = "x-shopify-hmac-sha256"
TOPIC_HEADER = "x-shopify-topic"
TOPICS = ("orders/create", "orders/paid", "refunds/create", "disputes/create", "disputes/update")

_CLAIMS = {"product_not_received": "not_received", "product_unacceptable": "quality"}
# needs_response and under_review are open; these statuses are final.
_OUTCOMES = {
    "won": "seller_won",
    "lost": "buyer_won",
    "accepted": "buyer_won",  # the merchant accepted the dispute
    "charge_refunded": "buyer_won",  # the merchant refunded the charge
}


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    *,
    now: datetime,
    settings: Mapping[str, str],
) -> None:
    """Base64 HMAC-SHA256 of the raw body with the app's client secret."""
    verify_base64_hmac(headers, body, secrets, header=SIGNATURE_HEADER)


def topic_from_headers(headers: Mapping[str, str], payload: Mapping[str, object]) -> str:
    return topic_header(headers, TOPIC_HEADER)


def _to_events(payload: Mapping[str, object], topic: str) -> list[Event]:
    """Accept the bare resource or one wrapped under its name (`{"order": {...}}`)."""
    require_topic(NAME, topic, TOPICS)
    if topic.startswith("orders/"):
        return [_order_event(unwrap(payload, "order"), paid=topic == "orders/paid")]
    if topic == "refunds/create":
        return _refund_events(unwrap(payload, "refund"))
    return _dispute_events(unwrap(payload, "dispute"))


to_events = checked(_to_events)


def _order_event(order: JsonObject, *, paid: bool) -> Event:
    order_id = order.text("id")
    amount, currency = money(order.opt_decimal("total_price"), order.opt_text("currency"))
    return Event(
        event_id=f"shopify:order:{order_id}:{'paid' if paid else 'created'}",
        type="order.paid" if paid else "order.created",
        occurred_at=(order.opt_time("updated_at") if paid else None) or order.time("created_at"),
        order_ref=order_id,
        buyer=_buyer(order),
        amount=amount,
        currency=currency,
    )


def _buyer(order: JsonObject) -> dict[str, str]:
    customer = order.opt_obj("customer") or JsonObject({})
    shipping = order.opt_obj("shipping_address") or JsonObject({})
    customer_id = customer.opt_text("id")
    return identifiers(
        platform_buyer_id=f"shopify:{customer_id}" if customer_id else None,
        email=order.first_text("email", "contact_email") or customer.opt_text("email"),
        phone=order.opt_text("phone") or customer.opt_text("phone") or shipping.opt_text("phone"),
        shipping_address=address_line(
            (
                shipping.opt_text("address1"),
                shipping.opt_text("address2"),
                shipping.opt_text("city"),
                shipping.first_text("province_code", "province"),
                shipping.opt_text("zip"),
                shipping.first_text("country_code", "country"),
            )
        ),
    )


def _refund_events(refund: JsonObject) -> list[Event]:
    """A return, a refund request, or nothing.

    Goods restocked as `return` came back. Refunding cancelled, unshipped items is nothing the
    buyer did wrong, so it makes no event. Any other refund is money back without a return.
    """
    restock = {item.opt_text("restock_type") for item in refund.objs("refund_line_items")}
    if restock and restock <= {"cancel"}:
        return []
    return [
        Event(
            event_id=f"shopify:refund:{refund.text('id')}",
            type="order.returned" if "return" in restock else "refund.requested",
            occurred_at=refund.opt_time("processed_at") or refund.time("created_at"),
            order_ref=refund.text("order_id"),
        )
    ]


def _dispute_events(dispute: JsonObject) -> list[Event]:
    """The opening, and the verdict too when the status is already final.

    Both ids derive from the dispute, so a create and an update carrying the same facts collapse.
    A dispute without an order id (Shopify's own fixture has none) gets `shopify-dispute:<id>`.
    """
    dispute_id = dispute.text("id")
    reason = dispute.text("reason")
    status = dispute.text("status")
    chargeback = (dispute.opt_text("type") or "chargeback") == "chargeback"
    claim = "fraud" if is_fraud_reason(reason) else _CLAIMS.get(reason, "other")
    amount, currency = money(dispute.opt_decimal("amount"), dispute.opt_text("currency"))
    order_ref = dispute.opt_text("order_id") or f"shopify-dispute:{dispute_id}"
    opened_at = dispute.time("initiated_at")

    def event(fact: str, outcome: str | None, occurred_at: datetime) -> Event:
        kind, data = claim_event(chargeback=chargeback, reason=reason, claim=claim, outcome=outcome)
        return Event(
            event_id=f"shopify:dispute:{dispute_id}:{fact}",
            type=kind,
            occurred_at=occurred_at,
            order_ref=order_ref,
            amount=amount,
            currency=currency,
            data=data,
        )

    events = [event("opened", None, opened_at)]
    outcome = _OUTCOMES.get(status)
    if outcome is not None:
        # finalized_on can be empty on a won dispute: fall back to the latest time the body gives.
        decided_at = dispute.opt_time("finalized_on") or dispute.opt_time("evidence_sent_on")
        events.append(event(status, outcome, decided_at or opened_at))
    return events

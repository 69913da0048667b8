"""WooCommerce: order webhooks, verified with `X-WC-Webhook-Signature`.

WooCommerce sends the whole order on every change, not what changed, so each webhook is read as
the order's current state and yields every fact that state proves. Event ids name the order and
the fact (`woocommerce:order:727:paid`), so a fact seen again in a later webhook is a no-op.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import urlsplit

from buyerguard.domain.events import Event
from buyerguard.domain.integrations.payloads import (
    JsonObject,
    address_line,
    checked,
    identifiers,
    money,
    require_topic,
    topic_header,
    unwrap,
)
from buyerguard.domain.integrations.signatures import verify_base64_hmac

NAME = "woocommerce"
SIGNATURE_HEADER = "x-wc-webhook-signature"
TOPIC_HEADER = "x-wc-webhook-topic"
TOPICS = ("order.created", "order.updated")


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    *,
    now: datetime,
    settings: Mapping[str, str],
) -> None:
    """Base64 HMAC-SHA256 of the raw body with the webhook's secret."""
    verify_base64_hmac(headers, body, secrets, header=SIGNATURE_HEADER)


def topic_from_headers(headers: Mapping[str, str], payload: Mapping[str, object]) -> str:
    return topic_header(headers, TOPIC_HEADER)


def _to_events(payload: Mapping[str, object], topic: str) -> list[Event]:
    """Every fact the order's current state proves.

    Any order was created; `date_paid` set means paid; `completed` means delivered (WooCommerce's
    "fulfilled": the clean-order window covers the transit); `cancelled` while unpaid is a payment
    timeout, except cash on delivery, which is never paid up front; `refunded`, or any partial
    refund, is a refund request. `pending`, `on-hold`, `processing` and `failed` (a declined card,
    which the buyer usually retries) add nothing more.
    """
    require_topic(NAME, topic, TOPICS)
    order = unwrap(payload, "order")
    order_id = order.text("id")
    status = order.text("status")
    amount, currency = money(order.opt_decimal("total"), order.opt_text("currency"))
    buyer = _buyer(order)

    def event(fact: str, kind: str, occurred_at: datetime) -> Event:
        return Event(
            event_id=f"woocommerce:order:{order_id}:{fact}",
            type=kind,
            occurred_at=occurred_at,
            order_ref=order_id,
            buyer=buyer,
            amount=amount,
            currency=currency,
        )

    created_at = _time(order, "date_created") or order.time("date_created_gmt")
    changed_at = _time(order, "date_modified") or created_at
    paid_at = _time(order, "date_paid")
    events = [event("created", "order.created", created_at)]
    if paid_at is not None:
        events.append(event("paid", "order.paid", paid_at))
    if status == "completed":
        delivered_at = _time(order, "date_completed") or changed_at
        events.append(event("completed", "order.delivered", delivered_at))
    if status == "cancelled" and paid_at is None and order.opt_text("payment_method") != "cod":
        events.append(event("cancelled_unpaid", "order.payment_timeout", changed_at))
    if status == "refunded" or order.objs("refunds"):
        events.append(event("refunded", "refund.requested", changed_at))
    return events


to_events = checked(_to_events)


def _time(order: JsonObject, key: str) -> datetime | None:
    """The `_gmt` variant is UTC; the plain one is the shop's local time, a last resort."""
    return order.opt_time(f"{key}_gmt") or order.opt_time(key)


def _buyer(order: JsonObject) -> dict[str, str]:
    billing = order.opt_obj("billing") or JsonObject({})
    shipping = order.opt_obj("shipping") or JsonObject({})
    return identifiers(
        platform_buyer_id=_platform_buyer_id(order),
        email=billing.opt_text("email"),
        phone=billing.opt_text("phone") or shipping.opt_text("phone"),
        shipping_address=address_line(
            shipping.opt_text(key)
            for key in ("address_1", "address_2", "city", "state", "postcode", "country")
        ),
    )


def _platform_buyer_id(order: JsonObject) -> str | None:
    """`woocommerce:<shop host>:<customer_id>`, or None for a guest (customer_id 0).

    Customer ids are per shop (every shop has a customer 1), so without the shop's host two
    different people would share one identifier in a registry shared between sellers. The host
    comes from the order's own `_links`; without it the id is left out rather than guessed.
    """
    customer_id = order.opt_text("customer_id")
    links = order.opt_obj("_links")
    selves = links.objs("self") if links is not None else []
    host = urlsplit(selves[0].opt_text("href") or "").hostname if selves else None
    if not customer_id or customer_id == "0" or not host:
        return None
    return f"woocommerce:{host}:{customer_id}"

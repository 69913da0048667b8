"""Stripe: disputes and early fraud warnings, verified with the `Stripe-Signature` header.

A dispute's order is its charge (`ch_...`): Stripe does not know the seller's order number, so a
seller who also posts its own events for Stripe orders uses the charge id as `order_ref`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from buyerguard.domain.events import Event, is_fraud_reason
from buyerguard.domain.integrations.payloads import (
    JsonObject,
    PayloadError,
    address_line,
    checked,
    claim_event,
    identifiers,
    money,
    require_topic,
)
from buyerguard.domain.integrations.signatures import (
    SignatureError,
    hmac_sha256,
    matches_any,
    required_header,
    secret_keys,
)

NAME = "stripe"
SIGNATURE_HEADER = "stripe-signature"
DISPUTE_CREATED = "charge.dispute.created"
DISPUTE_CLOSED = "charge.dispute.closed"
EARLY_FRAUD_WARNING = "radar.early_fraud_warning.created"
TOPICS = (DISPUTE_CREATED, DISPUTE_CLOSED, EARLY_FRAUD_WARNING)
DEFAULT_TOLERANCE_SECONDS = 300

_CLAIMS = {"product_not_received": "not_received", "product_unacceptable": "quality"}
# Only "won" is a seller win; "warning_closed" (an inquiry that went no further), "prevented" and
# any status Stripe adds later withdraw provisional tags without confirming anything.
_OUTCOMES = {"won": "seller_won", "lost": "buyer_won"}
# Stripe amounts are in the currency's smallest unit; these currencies have no or three decimals.
_ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
_THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    *,
    now: datetime,
    settings: Mapping[str, str],
) -> None:
    """Stripe's scheme: hex HMAC-SHA256 of `"{t}.{body}"`; any `v1` may match any secret.

    `settings["tolerance_seconds"]` (default 300) bounds the distance between `t` and `now`, in
    both directions, so that a captured request cannot be replayed later.
    """
    timestamp, signatures = _parse_signature_header(required_header(headers, SIGNATURE_HEADER))
    signed = timestamp.encode() + b"." + body
    expected = [hmac_sha256(key, signed).hex().encode() for key in secret_keys(secrets)]
    if not matches_any(expected, [s.encode() for s in signatures]):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")
    tolerance = _tolerance(settings)
    if abs(now.timestamp() - int(timestamp)) > tolerance:
        raise SignatureError(f"{SIGNATURE_HEADER} timestamp is more than {tolerance} s from now")


def _parse_signature_header(value: str) -> tuple[str, list[str]]:
    timestamp = None
    signatures = []
    for item in value.split(","):
        key, _, content = item.strip().partition("=")
        if key == "t" and timestamp is None:
            timestamp = content
        elif key == "v1" and content:
            signatures.append(content)
    if timestamp is None or not timestamp.isdigit():
        raise SignatureError(f"{SIGNATURE_HEADER} has no valid t= timestamp")
    if not signatures:
        raise SignatureError(f"{SIGNATURE_HEADER} has no v1= signature")
    return timestamp, signatures


def _tolerance(settings: Mapping[str, str]) -> int:
    text = settings.get("tolerance_seconds", str(DEFAULT_TOLERANCE_SECONDS))
    if not text.isdigit() or int(text) == 0:
        raise SignatureError("tolerance_seconds must be a positive whole number of seconds")
    return int(text)


def topic_from_headers(headers: Mapping[str, str], payload: Mapping[str, object]) -> str:
    """Stripe names the event type in the body, not in a header."""
    return JsonObject(payload).text("type")


def _to_events(payload: Mapping[str, object], topic: str) -> list[Event]:
    """Accept an event envelope (any API version) or, for replays and tests, the bare object.

    Event ids are `stripe:<evt id>`; a bare object has no event id, so `stripe:<topic>:<object id>`.
    """
    require_topic(NAME, topic, TOPICS)
    root = JsonObject(payload)
    if root.opt_text("object") == "event":
        if (declared := root.text("type")) != topic:
            raise PayloadError("type", f"is {declared!r} but the topic is {topic!r}")
        resource = root.obj("data").obj("object")
        event_id, occurred_at = f"stripe:{root.text('id')}", root.time("created")
    else:
        resource = root
        event_id, occurred_at = f"stripe:{topic}:{root.text('id')}", root.time("created")
    if topic == EARLY_FRAUD_WARNING:
        # The issuer reporting the payment as fraudulent; its fraud_type is detail the rules ignore.
        kind, data = claim_event(
            chargeback=True,
            reason="fraudulent",
            claim="fraud",
            outcome=None,
            stage="early_fraud_warning",
        )
        amount, currency = None, None
    else:
        kind, data = _dispute_kind_and_data(resource, closed=topic == DISPUTE_CLOSED)
        amount, currency = _amount(resource)
    return [
        Event(
            event_id=event_id,
            type=kind,
            occurred_at=occurred_at,
            order_ref=resource.ref("charge"),
            buyer=_buyer(resource),
            amount=amount,
            currency=currency,
            data=data,
        )
    ]


to_events = checked(_to_events)


def _dispute_kind_and_data(dispute: JsonObject, *, closed: bool) -> tuple[str, dict[str, str]]:
    reason = dispute.text("reason")
    status = dispute.text("status")
    card = (dispute.opt_obj("payment_method_details") or JsonObject({})).opt_obj("card")
    # case_type is recent; older API versions only tell an inquiry by its warning_* status.
    case_type = card.opt_text("case_type") if card is not None else None
    inquiry = case_type == "inquiry" if case_type else status.startswith("warning_")
    claim = "fraud" if is_fraud_reason(reason) else _CLAIMS.get(reason, "other")
    return claim_event(
        chargeback=not inquiry,
        reason=reason,
        claim=claim,
        outcome=_OUTCOMES.get(status, "withdrawn") if closed else None,
        stage="inquiry" if inquiry else "chargeback",
    )


def _amount(dispute: JsonObject) -> tuple[float | None, str | None]:
    minor = dispute.opt_decimal("amount")
    currency = (dispute.opt_text("currency") or "").upper()
    if minor is None:
        return None, None
    exponent = 0 if currency in _ZERO_DECIMAL else 3 if currency in _THREE_DECIMAL else 2
    return money(minor / Decimal(10) ** exponent, currency)


def _buyer(resource: JsonObject) -> dict[str, str]:
    """What the body reveals: evidence the seller filed, and the charge when it is expanded."""
    found: dict[str, str] = {}
    evidence = resource.opt_obj("evidence")
    if evidence is not None:
        found |= identifiers(
            email=evidence.opt_text("customer_email_address"),
            shipping_address=evidence.opt_text("shipping_address"),
        )
    charge = resource.get("charge")
    if isinstance(charge, Mapping):
        found |= _charge_identifiers(JsonObject(charge, resource.where("charge")))
    return found


def _charge_identifiers(charge: JsonObject) -> dict[str, str]:
    billing = charge.opt_obj("billing_details") or JsonObject({})
    card = (charge.opt_obj("payment_method_details") or JsonObject({})).opt_obj("card")
    address = (charge.opt_obj("shipping") or JsonObject({})).opt_obj("address")
    customer = charge.ref("customer") if charge.get("customer") else None
    return identifiers(
        platform_buyer_id=f"stripe:{customer}" if customer else None,
        email=billing.opt_text("email"),
        phone=billing.opt_text("phone"),
        shipping_address=address_line(
            address.opt_text(k)
            for k in ("line1", "line2", "city", "state", "postal_code", "country")
        )
        if address is not None
        else None,
        payment_fingerprint=card.opt_text("fingerprint") if card is not None else None,
    )

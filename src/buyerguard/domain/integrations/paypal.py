"""PayPal: customer disputes, verified offline against the certificate pinned on the connection.

PayPal's own verification fetches the certificate named in `paypal-cert-url`; the domain does no
I/O, and a URL taken from the request is the attacker's choice anyway, so the certificate is
configured instead and the header is ignored.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from buyerguard.domain.events import Event
from buyerguard.domain.integrations.payloads import (
    JsonObject,
    PayloadError,
    checked,
    claim_event,
    identifiers,
    money,
    require_topic,
)
from buyerguard.domain.integrations.signatures import SignatureError, required_header

NAME = "paypal"
CREATED = "CUSTOMER.DISPUTE.CREATED"
UPDATED = "CUSTOMER.DISPUTE.UPDATED"
RESOLVED = "CUSTOMER.DISPUTE.RESOLVED"
TOPICS = (CREATED, UPDATED, RESOLVED)

_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {"SHA256withRSA": hashes.SHA256}
_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
_CLAIMS = {
    "MERCHANDISE_OR_SERVICE_NOT_RECEIVED": "not_received",
    "MERCHANDISE_OR_SERVICE_NOT_AS_DESCRIBED": "quality",
    "UNAUTHORISED": "fraud",
}
# Any other outcome code (CANCELED_BY_BUYER, NONE, codes PayPal adds later) is "withdrawn":
# it withdraws provisional tags and confirms nothing, the safe reading for the buyer.
_OUTCOMES = {
    "RESOLVED_SELLER_FAVOUR": "seller_won",
    "DENIED": "seller_won",
    "RESOLVED_BUYER_FAVOUR": "buyer_won",
    "RESOLVED_WITH_PAYOUT": "buyer_won",
    "ACCEPTED": "buyer_won",
}


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    *,
    now: datetime,
    settings: Mapping[str, str],
) -> None:
    """PayPal's scheme: an RSA signature over `transmission_id|time|webhook_id|crc32(body)`.

    Trusted certificates are every PEM block in `settings["certificate"]` and in each secret (add
    PayPal's next certificate beside the current one to rotate); expired ones are skipped.
    `settings["webhook_id"]` is the connection's webhook id. PayPal documents no replay window, so
    the transmission time is only bounded when `settings["tolerance_seconds"]` is set.
    """
    webhook_id = settings.get("webhook_id", "").strip()
    if not webhook_id:
        raise SignatureError("no PayPal webhook_id is configured for this connection")
    transmission_id = required_header(headers, "paypal-transmission-id")
    transmission_time = required_header(headers, "paypal-transmission-time")
    algorithm = _algorithm(required_header(headers, "paypal-auth-algo"))
    signature = _signature(required_header(headers, "paypal-transmission-sig"))
    _check_transmission_time(transmission_time, now=now, settings=settings)
    # zlib.crc32 is unsigned in Python 3, which is the decimal form PayPal signs.
    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()
    keys = _trusted_keys(settings, secrets, now=now)
    if not any(_signed_by(key, signature, message, algorithm) for key in keys):
        raise SignatureError("paypal-transmission-sig does not match the body")


def _algorithm(name: str) -> hashes.HashAlgorithm:
    try:
        return _ALGORITHMS[name]()
    except KeyError:
        raise SignatureError(f"unsupported paypal-auth-algo {name!r}") from None


def _signature(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("paypal-transmission-sig is not base64") from None


def _check_transmission_time(text: str, *, now: datetime, settings: Mapping[str, str]) -> None:
    tolerance = settings.get("tolerance_seconds")
    if tolerance is None:
        return
    if not tolerance.isdigit():
        raise SignatureError("tolerance_seconds must be a whole number of seconds")
    try:
        sent = datetime.fromisoformat(text)
    except ValueError:
        raise SignatureError("paypal-transmission-time is not an ISO 8601 time") from None
    if sent.tzinfo is None or abs(now - sent) > timedelta(seconds=int(tolerance)):
        raise SignatureError(f"paypal-transmission-time is more than {tolerance} s from now")


def _trusted_keys(
    settings: Mapping[str, str], secrets: Sequence[str], *, now: datetime
) -> list[rsa.RSAPublicKey]:
    blocks = [
        block
        for text in (settings.get("certificate", ""), *secrets)
        for block in _PEM_CERTIFICATE.findall(text)
    ]
    if not blocks:
        raise SignatureError("no PayPal certificate is configured for this connection")
    keys = []
    for block in blocks:
        try:
            certificate = x509.load_pem_x509_certificate(block.encode())
        except ValueError:
            raise SignatureError("a configured PayPal certificate is not valid PEM") from None
        key = certificate.public_key()
        current = certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc
        if current and isinstance(key, rsa.RSAPublicKey):
            keys.append(key)
    if not keys:
        raise SignatureError("no configured PayPal certificate is a current RSA certificate")
    return keys


def _signed_by(
    key: rsa.RSAPublicKey, signature: bytes, message: bytes, algorithm: hashes.HashAlgorithm
) -> bool:
    try:
        key.verify(signature, message, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        return False
    return True


def topic_from_headers(headers: Mapping[str, str], payload: Mapping[str, object]) -> str:
    """PayPal names the event type in the body, not in a header."""
    return JsonObject(payload).text("event_type")


def _to_events(payload: Mapping[str, object], topic: str) -> list[Event]:
    """One event per webhook, id `paypal:<webhook event id>`, for the first disputed transaction.

    The order is the transaction's `invoice_number` (the seller's own reference) when PayPal has
    one, else the seller's transaction id. A dispute on the card network (`dispute_channel`
    EXTERNAL) is a chargeback; one inside PayPal is a claim with a kind.
    """
    require_topic(NAME, topic, TOPICS)
    root = JsonObject(payload)
    dispute = root.obj("resource")
    transactions = dispute.objs("disputed_transactions")
    if not transactions:
        raise PayloadError(dispute.where("disputed_transactions"), "must list a transaction")
    transaction = transactions[0]
    reason = dispute.text("reason")
    kind, data = claim_event(
        chargeback=dispute.opt_text("dispute_channel") == "EXTERNAL",
        reason=reason,
        claim=_CLAIMS.get(reason, "other"),
        outcome=_outcome(dispute, topic),
        stage=(dispute.opt_text("dispute_life_cycle_stage") or "").lower() or None,
    )
    time_key = "create_time" if topic == CREATED else "update_time"
    disputed = dispute.opt_obj("dispute_amount") or JsonObject({})
    amount, currency = money(disputed.opt_decimal("value"), disputed.opt_text("currency_code"))
    return [
        Event(
            event_id=f"paypal:{root.text('id')}",
            type=kind,
            occurred_at=dispute.opt_time(time_key) or root.time("create_time"),
            order_ref=transaction.first_text("invoice_number", "seller_transaction_id")
            or transaction.text("seller_transaction_id"),
            buyer=_buyer(transaction),
            amount=amount,
            currency=currency,
            data=data,
        )
    ]


to_events = checked(_to_events)


def _outcome(dispute: JsonObject, topic: str) -> str | None:
    """The verdict, or None while the dispute is open.

    An UPDATED webhook about a dispute already resolved is read as the resolution, so that it
    cannot reopen a claim the buyer has won.
    """
    outcome = dispute.opt_obj("dispute_outcome")
    if topic != RESOLVED and (dispute.opt_text("status") != "RESOLVED" or outcome is None):
        return None
    if outcome is None:
        raise PayloadError(dispute.where("dispute_outcome"), "is required for a resolved dispute")
    return _OUTCOMES.get(outcome.text("outcome_code"), "withdrawn")


def _buyer(transaction: JsonObject) -> dict[str, str]:
    buyer = transaction.opt_obj("buyer") or JsonObject({})
    email = buyer.opt_text("email")
    account = buyer.opt_text("payer_id") or email
    return identifiers(
        platform_buyer_id=f"paypal:{account}" if account else None,
        email=email,
    )

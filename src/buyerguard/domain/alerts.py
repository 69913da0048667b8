"""Alerts to sellers: what they subscribe to, who is told a buyer was flagged, and how a delivery is
signed and retried.

A delivery is a POST of a JSON body with `Buyerguard-Signature: t=<unix>,v1=<hex>`, the hex
HMAC-SHA256 of `"<t>.<body>"` under the subscription's secret, the scheme Stripe uses, so that a
receiver can reuse what it knows and refuse replays by the timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from buyerguard.domain.errors import InvalidInputError, NotFoundError
from buyerguard.domain.text import check_text

BUYER_FLAGGED = "buyer.flagged"
SCREENING_DECIDED = "screening.decided"
ALERT_KINDS: tuple[str, ...] = (BUYER_FLAGGED, SCREENING_DECIDED)
SIGNATURE_HEADER = "Buyerguard-Signature"
SECRET_PREFIX = "bgwh_"
MAX_URL_LENGTH = 2000
MAX_HOST_LENGTH = 253
MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
# An order a seller has not completed within this window is no longer "open" for alerts.
OPEN_ORDER_WINDOW = timedelta(days=90)
RISK_LEVELS: tuple[str, ...] = ("low", "medium", "high")


class SubscriptionNotFoundError(NotFoundError):
    code = "subscription_not_found"


class DeliveryNotFoundError(NotFoundError):
    code = "delivery_not_found"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # every attempt failed; a replay makes it pending again
    CANCELLED = "cancelled"  # its subscription was deleted before it could be sent


@dataclass(frozen=True)
class Subscription:
    id: int
    seller_id: int
    url: str
    kinds: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class Alert:
    """A fact one seller should hear about; one delivery per matching subscription."""

    seller_id: int
    kind: str
    payload: Mapping[str, object]


@dataclass(frozen=True)
class Delivery:
    id: int
    subscription_id: int
    seller_id: int
    kind: str
    payload: str  # JSON text, fixed when the fact happened
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class DueDelivery:
    delivery: Delivery
    url: str
    secret: str


def validate_url(url: str) -> str:
    """An absolute http(s) URL with a host that a request can be sent to; credentials in it are
    refused (they would be logged)."""
    cleaned = url.strip()
    if not cleaned or len(cleaned) > MAX_URL_LENGTH:
        raise InvalidInputError(f"url: 1 to {MAX_URL_LENGTH} characters")
    # urlsplit silently drops tabs and line breaks, and HTTP cannot carry the rest in a request.
    if any(ch.isspace() or not ch.isprintable() for ch in cleaned):
        raise InvalidInputError("url: must not contain spaces or control characters")
    try:
        parts = urlsplit(cleaned)
        port = parts.port
    except ValueError:
        raise InvalidInputError("url: not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError("url: must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise InvalidInputError("url: must not contain a user name or password")
    if port == 0:
        raise InvalidInputError("url: port 0 is not a port")
    _check_host(parts.hostname)
    if not (parts.path + parts.query).isascii():
        raise InvalidInputError("url: characters outside ASCII in the path must be percent-encoded")
    return cleaned


def _check_host(host: str) -> None:
    """A name DNS can look up: IDNA labels of 1 to 63 characters, 253 in all."""
    try:
        encoded = host.encode("idna")
    except UnicodeError:
        raise InvalidInputError(f"url: {host[:80]!r} is not a valid host name") from None
    if len(encoded) > MAX_HOST_LENGTH:
        raise InvalidInputError(f"url: the host name is longer than {MAX_HOST_LENGTH} characters")


def validate_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    unknown = [kind for kind in kinds if kind not in ALERT_KINDS]
    if unknown or not kinds:
        raise InvalidInputError(f"events: one or more of {', '.join(ALERT_KINDS)}")
    return tuple(kind for kind in ALERT_KINDS if kind in kinds)


def validate_secret(secret: str) -> str:
    if not 16 <= len(secret) <= 200 or any(ch.isspace() for ch in secret):
        raise InvalidInputError("secret: 16 to 200 characters without spaces")
    check_text("secret", secret)
    return secret


def new_signing_secret(random_bytes: bytes) -> str:
    """The caller supplies the randomness, keeping this pure."""
    return SECRET_PREFIX + random_bytes.hex()


def delivery_body(delivery: Delivery) -> bytes:
    """The bytes sent, the same on every attempt and replay; `id` lets a receiver drop repeats."""
    body = {
        "id": delivery.id,
        "type": delivery.kind,
        "created_at": delivery.created_at.isoformat(),
        "data": json.loads(delivery.payload),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(body: bytes, secret: str, *, at: datetime) -> str:
    """The `Buyerguard-Signature` header value for `body` sent at `at`."""
    timestamp = int(at.timestamp())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def signature_matches(
    header: str,
    body: bytes,
    secret: str,
    *,
    now: datetime,
    tolerance: timedelta = timedelta(minutes=5),
) -> bool:
    """What a receiver checks: a `v1` matches and `t` is within `tolerance` of its clock."""
    fields = [item.strip().partition("=") for item in header.split(",")]
    timestamps = [value for key, _, value in fields if key == "t" and value.isdigit()]
    given = [value for key, _, value in fields if key == "v1"]
    if not timestamps or not given:
        return False
    timestamp = int(timestamps[0])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    matched = [hmac.compare_digest(expected.hexdigest(), value) for value in given]
    return any(matched) and abs(now.timestamp() - timestamp) <= tolerance.total_seconds()


def retry_at(attempts: int, *, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts: 30 s, doubling up to 6 h; None when the
    delivery has had MAX_ATTEMPTS and is given up (about 14.5 hours after the first)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + min(FIRST_RETRY * (1 << max(attempts - 1, 0)), LONGEST_RETRY)


@dataclass(frozen=True)
class BuyerChange:
    """What happened to one buyer in one transaction: new tags (by whom, for what) and its risk."""

    buyer_id: int
    new_tags: tuple[tuple[int, str], ...]
    level_before: str
    level_after: str
    score: float


def crossed_up(change: BuyerChange) -> bool:
    return RISK_LEVELS.index(change.level_after) > RISK_LEVELS.index(change.level_before)


def flag_alerts(
    changes: Sequence[BuyerChange],
    *,
    open_orders: Mapping[int, Mapping[int, Sequence[str]]],
    watchers: Mapping[int, set[int]],
    subscribers: set[int],
) -> list[Alert]:
    """`buyer.flagged` for each subscribed seller with an open order with the buyer, or the buyer
    on its watch list, when another seller tagged the buyer or its risk rose to a higher level.

    `open_orders` is buyer -> seller -> that seller's open order references. A seller is not told
    of its own tags; the others are named by reason only, never by seller.
    """
    alerts = []
    for change in changes:
        orders = open_orders.get(change.buyer_id, {})
        watching = watchers.get(change.buyer_id, set())
        for seller_id in sorted((set(orders) | watching) & subscribers):
            reasons = sorted({reason for by, reason in change.new_tags if by != seller_id})
            if not reasons and not crossed_up(change):
                continue
            payload = {
                "buyer_id": change.buyer_id,
                "new_reasons": reasons,
                "risk": {
                    "score": round(change.score, 4),
                    "level": change.level_after,
                    "previous_level": change.level_before,
                },
                "your_open_orders": sorted(orders.get(seller_id, ())),
                "on_watch_list": seller_id in watching,
            }
            alerts.append(Alert(seller_id, BUYER_FLAGGED, payload))
    return alerts

"""The `deliver-alerts` job: POST each due delivery, signed, and retry failures with backoff.

No transaction is held open across the network: due deliveries are first leased (committed), then
sent, and each result is recorded in its own short transaction. A runner that dies mid-way leaves
its lease to expire, and the delivery is sent again: receivers drop repeats by the body's `id`. So
does an attempt the database fails to record, while the run goes on with the others.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from buyerguard.domain.alerts import (
    SIGNATURE_HEADER,
    DeliveryStatus,
    DueDelivery,
    delivery_body,
    retry_at,
    sign,
)
from buyerguard.services.unit_of_work import UnitOfWork

log = logging.getLogger("buyerguard.alerts")

CLAIM_SIZE = 20
# Longer than CLAIM_SIZE sends at the sender's timeout, so a lease outlives its batch.
LEASE = timedelta(minutes=5)
USER_AGENT = "buyerguard-alerts/1"


@dataclass(frozen=True)
class SendResult:
    status: int | None  # the HTTP status, None when no response came
    error: str | None  # None on success

    @property
    def ok(self) -> bool:
        return self.error is None


class Sender(Protocol):
    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult: ...


@dataclass
class DeliveryReport:
    sent: int = 0
    delivered: int = 0
    retrying: int = 0
    given_up: int = 0
    unrecorded: int = 0  # sent, but the database failed to record the attempt: sent again later


def deliver_alerts(
    uow: UnitOfWork, *, now: datetime, send: Sender, limit: int = 500
) -> DeliveryReport:
    """Send up to `limit` due deliveries, CLAIM_SIZE leased at a time."""
    report = DeliveryReport()
    while report.sent < limit:
        with uow:
            due = uow.deliveries.claim_due(
                now=now, limit=min(CLAIM_SIZE, limit - report.sent), until=now + LEASE
            )
            uow.commit()
        if not due:
            break
        for item in due:
            _deliver(uow, item, send=send, now=now, report=report)
    return report


def _deliver(
    uow: UnitOfWork, item: DueDelivery, *, send: Sender, now: datetime, report: DeliveryReport
) -> None:
    delivery = item.delivery
    body = delivery_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(body, item.secret, at=now),
        "Buyerguard-Delivery": str(delivery.id),
        "Buyerguard-Event": delivery.kind,
    }
    result = _send_one(send, item.url, body, headers)
    report.sent += 1
    attempts = delivery.attempts + 1
    later = None if result.ok else retry_at(attempts, now=now)
    if result.ok:
        status = DeliveryStatus.DELIVERED
    else:
        status = DeliveryStatus.PENDING if later else DeliveryStatus.FAILED
    if not _record(uow, delivery.id, result, status=status, later=later, now=now):
        report.unrecorded += 1
        return
    report.delivered += result.ok
    report.retrying += status is DeliveryStatus.PENDING
    report.given_up += status is DeliveryStatus.FAILED
    # The host only: a URL may carry a token in its path or query.
    host = urlsplit(item.url).hostname
    log.info(
        "delivery %s (%s, attempt %s) to %s: %s",
        delivery.id,
        delivery.kind,
        attempts,
        host,
        "delivered" if result.ok else f"{result.error}; {status.value}",
    )


def _record(
    uow: UnitOfWork,
    delivery_id: int,
    result: SendResult,
    *,
    status: DeliveryStatus,
    later: datetime | None,
    now: datetime,
) -> bool:
    """Record the attempt in its own transaction; False when the database failed to (an error, a
    lock timeout). Raised, that would end the run and leave the rest of the leased batch unsent.
    Unrecorded, the attempt changes nothing: the delivery stays leased, and is due again, with its
    count of attempts, when the lease ends."""
    try:
        with uow:
            uow.deliveries.record_attempt(
                delivery_id,
                status=status,
                http_status=result.status,
                error=result.error,
                next_attempt_at=later or now,
                now=now,
            )
            uow.commit()
    except Exception:
        log.exception(
            "delivery %s: its attempt could not be recorded; it is sent again after its lease",
            delivery_id,
        )
        return False
    return True


def _send_one(send: Sender, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult:
    """Whatever goes wrong in sending one delivery is a failed attempt of that delivery: raised,
    it would end the run and leave the rest of the leased batch, other sellers' too, unsent."""
    try:
        return send(url, body, headers)
    except Exception as error:
        log.exception("sending to %s failed unexpectedly", urlsplit(url).hostname)
        return SendResult(None, f"{type(error).__name__}: {error}"[:300])


class HttpSender:
    """POST with the standard library: short timeouts, and redirects never followed (a 3xx is a
    failure), so a delivery cannot be bounced to another host."""

    def __init__(self, *, timeout: float = 5.0, max_response_bytes: int = 64 * 1024) -> None:
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult:
        parts = urlsplit(url)
        connection_type = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = None
        try:
            # Inside the try: a URL stored before validation was stricter can fail here, when
            # the host is checked (InvalidURL) or encoded for DNS (UnicodeError, a ValueError).
            connection = connection_type(parts.hostname or "", parts.port, timeout=self.timeout)
            connection.request("POST", target, body=body, headers=dict(headers))
            response = connection.getresponse()
            response.read(self.max_response_bytes)
        except (OSError, ValueError, http.client.HTTPException) as error:
            return SendResult(None, f"{type(error).__name__}: {error}"[:300])
        finally:
            if connection is not None:
                connection.close()
        status = response.status
        if 300 <= status < 400:
            return SendResult(status, f"HTTP {status}: redirects are not followed")
        if not 200 <= status < 300:
            return SendResult(status, f"HTTP {status}")
        return SendResult(status, None)

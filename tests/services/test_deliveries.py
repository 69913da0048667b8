"""The deliver-alerts job: signed posts, retried with backoff, given up, replayed."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Mapping
from datetime import timedelta
from typing import Self

from sqlalchemy.exc import OperationalError

from buyerguard.domain.alerts import (
    MAX_ATTEMPTS,
    SCREENING_DECIDED,
    SIGNATURE_HEADER,
    DeliveryStatus,
    signature_matches,
)
from buyerguard.services import alerts
from buyerguard.services.deliveries import LEASE, SendResult, deliver_alerts
from buyerguard.storage.alerts import SqlDeliveryRepository
from buyerguard.storage.database import Database
from buyerguard.storage.unit_of_work import SqlUnitOfWork

from .events_helpers import NOW, new_seller

URL = "https://hooks.example.com/bg"


class FakeSender:
    """Answers with the scripted results in turn, then with 200; keeps what it was sent."""

    def __init__(self, *results: SendResult) -> None:
        self.results = list(results)
        self.sent: list[tuple[str, bytes, Mapping[str, str]]] = []

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult:
        self.sent.append((url, body, headers))
        return self.results.pop(0) if self.results else SendResult(200, None)


def setup(uow) -> tuple[int, int, str]:
    shop = new_seller(uow, "Shop")
    created = alerts.subscribe(
        uow, seller_id=shop, url=URL, kinds=[SCREENING_DECIDED], secret=None, now=NOW
    )
    with uow:
        alerts.record_alert(
            uow, seller_id=shop, kind=SCREENING_DECIDED, payload={"action": "review"}, now=NOW
        )
        uow.commit()
    return shop, created.subscription.id, created.secret


def log(uow, shop: int, subscription: int):
    (delivery,) = alerts.list_deliveries(uow, subscription, seller_id=shop, after_id=None, limit=5)
    return delivery


def test_a_delivery_is_signed_and_sent_once(uow):
    shop, subscription, secret = setup(uow)
    sender = FakeSender()

    report = deliver_alerts(uow, now=NOW, send=sender)
    assert (report.sent, report.delivered) == (1, 1)
    ((url, body, headers),) = sender.sent
    assert url == URL
    assert signature_matches(headers[SIGNATURE_HEADER], body, secret, now=NOW)
    assert json.loads(body)["data"] == {"action": "review"}
    assert headers["Buyerguard-Event"] == SCREENING_DECIDED
    delivery = log(uow, shop, subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
    )
    assert deliver_alerts(uow, now=NOW + timedelta(hours=1), send=sender).sent == 0


def test_a_failure_is_retried_after_a_growing_wait(uow):
    shop, subscription, _ = setup(uow)
    sender = FakeSender(SendResult(500, "HTTP 500"), SendResult(None, "TimeoutError: timed out"))

    assert deliver_alerts(uow, now=NOW, send=sender).retrying == 1
    first = log(uow, shop, subscription)
    assert (first.attempts, first.last_status, first.last_error) == (1, 500, "HTTP 500")
    assert first.next_attempt_at == NOW + timedelta(seconds=30)
    assert deliver_alerts(uow, now=NOW + timedelta(seconds=29), send=sender).sent == 0

    later = NOW + timedelta(seconds=30)
    assert deliver_alerts(uow, now=later, send=sender).retrying == 1
    second = log(uow, shop, subscription)
    assert second.next_attempt_at == later + timedelta(seconds=60)
    assert second.last_error == "TimeoutError: timed out"

    assert deliver_alerts(uow, now=later + timedelta(minutes=1), send=sender).delivered == 1
    assert len({body for _, body, _ in sender.sent}) == 1


def test_a_delivery_is_given_up_after_the_last_attempt_and_can_be_replayed(uow):
    shop, subscription, _ = setup(uow)
    failing = FakeSender(*[SendResult(503, "HTTP 503")] * MAX_ATTEMPTS)
    at = NOW
    for _ in range(MAX_ATTEMPTS):
        deliver_alerts(uow, now=at, send=failing)
        at += timedelta(hours=7)
    given_up = log(uow, shop, subscription)
    assert (given_up.status, given_up.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert deliver_alerts(uow, now=at, send=failing).sent == 0

    replayed = alerts.replay_delivery(
        uow, given_up.id, seller_id=shop, subscription_id=subscription, now=at
    )
    assert (replayed.status, replayed.attempts) == (DeliveryStatus.PENDING, 0)
    assert deliver_alerts(uow, now=at, send=failing).delivered == 1


def test_a_leased_delivery_is_not_sent_twice_until_its_lease_ends(uow):
    setup(uow)
    with uow:
        (claimed,) = uow.deliveries.claim_due(now=NOW, limit=5, until=NOW + timedelta(minutes=5))
        uow.commit()
    sender = FakeSender()
    assert deliver_alerts(uow, now=NOW + timedelta(minutes=1), send=sender).sent == 0
    assert deliver_alerts(uow, now=NOW + timedelta(minutes=5), send=sender).sent == 1
    assert claimed.delivery.attempts == 0


class BreakingSender(FakeSender):
    """Raises for `broken`, as a sender may for a URL stored before validation refused it."""

    def __init__(self, broken: str) -> None:
        super().__init__()
        self.broken = broken

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult:
        if url == self.broken:
            raise UnicodeError("label empty or too long")
        return super().__call__(url, body, headers)


def test_a_delivery_that_cannot_be_sent_fails_alone_and_is_given_up(uow):
    broken_url = "http://" + "a" * 64 + ".example/hook"
    other = new_seller(uow, "Other")
    with uow:
        broken = uow.subscriptions.add(
            other, url=broken_url, kinds=[SCREENING_DECIDED], secret="s" * 16, now=NOW
        )
        alerts.record_alert(uow, seller_id=other, kind=SCREENING_DECIDED, payload={}, now=NOW)
        uow.commit()
    shop, subscription, _ = setup(uow)  # due after the broken one, in the same batch
    sender = BreakingSender(broken_url)

    report = deliver_alerts(uow, now=NOW, send=sender)
    assert (report.sent, report.delivered, report.retrying) == (2, 1, 1)
    assert log(uow, shop, subscription).status is DeliveryStatus.DELIVERED
    failed = log(uow, other, broken.id)
    assert (failed.status, failed.attempts, failed.last_status) == (DeliveryStatus.PENDING, 1, None)
    assert failed.last_error == "UnicodeError: label empty or too long"

    at = NOW
    for _ in range(MAX_ATTEMPTS - 1):
        at += timedelta(hours=7)
        deliver_alerts(uow, now=at, send=sender)
    given_up = log(uow, other, broken.id)
    assert (given_up.status, given_up.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)


class DeliveriesFailingToRecord(SqlDeliveryRepository):
    """Recording an attempt of one of `failing` raises once, as a lock timeout would."""

    def __init__(self, session, failing: set[int]) -> None:
        super().__init__(session)
        self.failing = failing

    def record_attempt(self, delivery_id: int, **kwargs) -> None:
        if delivery_id in self.failing:
            self.failing.discard(delivery_id)
            raise OperationalError(
                "UPDATE deliveries", {}, sqlite3.OperationalError("database is locked")
            )
        super().record_attempt(delivery_id, **kwargs)


class RecordingFailsOnce(SqlUnitOfWork):
    def __init__(self, database: Database, failing: set[int]) -> None:
        super().__init__(database.sessions)
        self.failing = failing

    def __enter__(self) -> Self:
        super().__enter__()
        self.deliveries = DeliveriesFailingToRecord(self.session, self.failing)
        return self


def test_a_delivery_whose_attempt_cannot_be_recorded_is_sent_again_and_the_rest_go_on(
    uow, database, caplog
):
    other = new_seller(uow, "Other")
    with uow:
        first = uow.subscriptions.add(
            other, url=URL + "/other", kinds=[SCREENING_DECIDED], secret="s" * 16, now=NOW
        )
        alerts.record_alert(uow, seller_id=other, kind=SCREENING_DECIDED, payload={}, now=NOW)
        uow.commit()
    shop, subscription, _ = setup(uow)  # due after the first one, in the same batch
    unrecorded = log(uow, other, first.id)
    sender = FakeSender()

    with caplog.at_level(logging.ERROR, logger="buyerguard.alerts"):
        report = deliver_alerts(RecordingFailsOnce(database, {unrecorded.id}), now=NOW, send=sender)
    assert (report.sent, report.delivered, report.unrecorded) == (2, 1, 1)
    assert log(uow, shop, subscription).status is DeliveryStatus.DELIVERED
    (error,) = caplog.records
    assert error.getMessage().startswith(f"delivery {unrecorded.id}: ")
    assert error.exc_info is not None
    # Nothing of the attempt was kept: still due, sent again once its lease ends.
    kept = log(uow, other, first.id)
    assert (kept.status, kept.attempts, kept.delivered_at) == (DeliveryStatus.PENDING, 0, None)
    assert deliver_alerts(uow, now=NOW + LEASE - timedelta(seconds=1), send=sender).sent == 0

    again = deliver_alerts(uow, now=NOW + LEASE, send=sender)
    assert (again.sent, again.delivered, again.unrecorded) == (1, 1, 0)
    delivered = log(uow, other, first.id)
    assert (delivered.status, delivered.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert [json.loads(body)["id"] for _, body, _ in sender.sent] == [
        unrecorded.id,
        log(uow, shop, subscription).id,
        unrecorded.id,
    ]

"""Alert subscriptions, signed deliveries, retries, and who hears that a buyer was flagged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from buyerguard.domain.alerts import (
    BUYER_FLAGGED,
    MAX_ATTEMPTS,
    BuyerChange,
    Delivery,
    DeliveryStatus,
    delivery_body,
    flag_alerts,
    new_signing_secret,
    retry_at,
    sign,
    signature_matches,
    validate_kinds,
    validate_secret,
    validate_url,
)
from buyerguard.domain.errors import InvalidInputError

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.com/hooks",
        "http://127.0.0.1:8080/x?y=1",
        "http://[::1]/",
        "https://bücher.example/hooks",
        "https://shop.example.com/h%C3%BCll",
    ],
)
def test_http_urls_are_accepted(url):
    assert validate_url(f"  {url} ") == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "https:///nohost",
        "example.com/hooks",
        "https://user:pw@example.com/",
        "http://example.com:99999/",
        "",
    ],
)
def test_other_urls_are_refused(url):
    with pytest.raises(InvalidInputError, match="url"):
        validate_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://exa\x00mple.com/hook", "control characters"),
        ("http://exa mple.com/", "spaces"),
        ("ht\ttp://example.com/", "spaces"),
        ("https://example.com/a\nb", "spaces"),
        ("http://example.com/\x7f", "control characters"),
        ("http://" + "a" * 64 + ".example/hook", "not a valid host name"),
        ("http://exa..mple.com/", "not a valid host name"),
        ("http://" + "a." * 127 + "example/", "longer than 253"),
        ("https://shop.example.com/hüll", "percent-encoded"),
    ],
)
def test_urls_no_request_can_be_sent_to_are_refused(url, message):
    with pytest.raises(InvalidInputError, match=message) as caught:
        validate_url(url)
    assert caught.value.message.startswith("url: ")


def test_kinds_and_secrets_are_checked():
    assert validate_kinds(["screening.decided", "buyer.flagged"]) == (
        "buyer.flagged",
        "screening.decided",
    )
    with pytest.raises(InvalidInputError):
        validate_kinds(["buyer.deleted"])
    with pytest.raises(InvalidInputError):
        validate_kinds([])
    with pytest.raises(InvalidInputError):
        validate_secret("short")
    assert new_signing_secret(b"\x01" * 24).startswith("bgwh_")


def test_a_signature_proves_the_body_and_its_time():
    body = b'{"id":1}'
    header = sign(body, "s3cret-s3cret-s3cret", at=NOW)

    assert header.startswith(f"t={int(NOW.timestamp())},v1=")
    assert signature_matches(header, body, "s3cret-s3cret-s3cret", now=NOW)
    assert not signature_matches(header, body + b" ", "s3cret-s3cret-s3cret", now=NOW)
    assert not signature_matches(header, body, "another-secret-xyz", now=NOW)
    assert not signature_matches(
        header, body, "s3cret-s3cret-s3cret", now=NOW + timedelta(minutes=6)
    )
    assert not signature_matches("v1=abc", body, "s3cret-s3cret-s3cret", now=NOW)


def test_retries_back_off_then_stop():
    delays = [retry_at(n, now=NOW) for n in range(1, MAX_ATTEMPTS + 1)]
    waits = [d - NOW for d in delays[:-1] if d is not None]
    assert waits[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert waits == sorted(waits)
    assert delays[-1] is None


def test_the_body_is_the_same_on_every_attempt():
    delivery = Delivery(
        id=7,
        subscription_id=1,
        seller_id=2,
        kind=BUYER_FLAGGED,
        payload='{"buyer_id": 5}',
        status=DeliveryStatus.PENDING,
        attempts=3,
        next_attempt_at=NOW,
        last_status=None,
        last_error=None,
        created_at=NOW,
        delivered_at=None,
    )
    body = delivery_body(delivery)
    assert json.loads(body) == {
        "id": 7,
        "type": BUYER_FLAGGED,
        "created_at": NOW.isoformat(),
        "data": {"buyer_id": 5},
    }
    assert delivery_body(delivery) == body


def change(
    *,
    new_tags: tuple[tuple[int, str], ...] = ((1, "non_payment"),),
    level_before: str = "low",
    level_after: str = "low",
) -> BuyerChange:
    return BuyerChange(9, new_tags, level_before, level_after, 0.1)


def test_sellers_with_an_open_order_or_watching_hear_of_another_sellers_tag():
    alerts = flag_alerts(
        [change()],
        open_orders={9: {2: ["B-1"], 1: ["A-1"]}},
        watchers={9: {3, 4}},
        subscribers={1, 2, 3},
    )
    assert [a.seller_id for a in alerts] == [2, 3]
    to_open, to_watcher = (a.payload for a in alerts)
    assert to_open["your_open_orders"] == ["B-1"]
    assert to_open["new_reasons"] == ["non_payment"]
    assert to_watcher["on_watch_list"] is True
    assert to_watcher["your_open_orders"] == []


def test_a_rise_in_risk_level_alerts_even_the_tagging_seller():
    risen = change(level_after="medium", new_tags=((1, "cod_refusal"),))
    assert [
        a.seller_id
        for a in flag_alerts([risen], open_orders={9: {1: ["A"]}}, watchers={}, subscribers={1})
    ] == [1]
    fallen = change(level_before="high", level_after="medium", new_tags=())
    assert flag_alerts([fallen], open_orders={9: {1: ["A"]}}, watchers={}, subscribers={1}) == []

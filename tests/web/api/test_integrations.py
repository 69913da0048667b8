"""Provider webhooks over HTTP: each real fixture, signed with a test secret, makes its events and
the tags the rules call for; a bad signature stores nothing; a replay is a duplicate."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from buyerguard.services.event_processing import process_events
from buyerguard.storage.database import Database
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.domain.integrations.samples import (
    PAYPAL_WEBHOOK_ID,
    ROTATED_SECRET,
    SECRET,
    base64_hmac,
    payload,
    paypal_certificate,
    paypal_headers,
    raw,
    stripe_header,
)

Auth = dict[str, str]
NOW = datetime.now(UTC)


def connect(client: TestClient, auth: Auth, provider: str, **settings: Any) -> str:
    response = client.post(
        "/v1/integrations", json={"provider": provider, **settings}, headers=auth
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["webhook_path"] == f"/v1/integrations/{created['id']}/webhook"
    assert "secret" not in json.dumps(created["settings"])
    path: str = created["webhook_path"]
    return path


def signed(provider: str, body: bytes, topic: str = "", secret: str = SECRET) -> dict[str, str]:
    if provider == "stripe":
        return {"Stripe-Signature": stripe_header(body, secret=secret, at=NOW)}
    if provider == "paypal":
        return paypal_headers(body, label="web", sent_at=NOW)
    header = "X-Shopify-Hmac-Sha256" if provider == "shopify" else "X-WC-Webhook-Signature"
    topic_header = "X-Shopify-Topic" if provider == "shopify" else "X-WC-Webhook-Topic"
    return {header: base64_hmac(body, secret), topic_header: topic}


def settings_for(provider: str) -> dict[str, Any]:
    if provider == "paypal":
        certificate = paypal_certificate("web", valid_until=NOW + timedelta(days=30))
        return {"webhook_id": PAYPAL_WEBHOOK_ID, "certificate": certificate}
    return {"secrets": [SECRET]}


def order_events(client: TestClient, auth: Auth, order_ref: str) -> list[dict[str, Any]]:
    response = client.get("/v1/events", params={"order_ref": order_ref}, headers=auth)
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def post_seller_event(client: TestClient, auth: Auth, n: int, kind: str, ref: str, at: str) -> None:
    event = {
        "event_id": f"seller-{n}",
        "type": kind,
        "occurred_at": at,
        "order_ref": ref,
        "buyer": {"email": "known@example.com"},
    }
    assert client.post("/v1/events", json=event, headers=auth).status_code == 202


def process(database: Database) -> None:
    process_events(SqlUnitOfWork(database.sessions), now=NOW)


def automatic_tags(client: TestClient, auth: Auth) -> list[tuple[str, str, str]]:
    tags = client.get("/v1/tags", headers=auth).json()["tags"]
    return sorted(
        (t["reason"], t["status"], t["order_ref"]) for t in tags if t["source"] == "event"
    )


# file, provider, topic, expected (event id, type, order_ref) list
FIXTURES = [
    (
        "paypal_event_CUSTOMER.DISPUTE.CREATED.json",
        "paypal",
        "",
        [("paypal:WH-4M0448861G563140B-9EX36365822141321", "dispute.opened", "00D10444LD479031K")],
    ),
    (
        "stripe_event_charge.dispute.created.json",
        "stripe",
        "",
        [("stripe:evt_000000000000000000000000", "dispute.opened", "ch_000000000000000000000000")],
    ),
    (
        "stripe_dispute_object.json",
        "stripe",
        "charge.dispute.created",
        [
            (
                "stripe:charge.dispute.created:dp_1Pgc71B7WZ01zgkWMevJiAUx",
                "dispute.opened",
                "ch_1PgafuB7WZ01zgkWXYmPNZs8",
            )
        ],
    ),
    (
        "shopify_order_fixture.json",
        "shopify",
        "orders/create",
        [("shopify:order:450789469:created", "order.created", "450789469")],
    ),
    (
        "shopify_dispute_fixture.json",
        "shopify",
        "disputes/create",
        [
            (
                "shopify:dispute:1052608616:opened",
                "chargeback.created",
                "shopify-dispute:1052608616",
            ),
            ("shopify:dispute:1052608616:won", "chargeback.resolved", "shopify-dispute:1052608616"),
        ],
    ),
    (
        "woocommerce_order.json",
        "woocommerce",
        "order.created",
        [
            ("woocommerce:order:727:created", "order.created", "727"),
            ("woocommerce:order:727:paid", "order.paid", "727"),
        ],
    ),
]


@pytest.mark.parametrize(("name", "provider", "topic", "expected"), FIXTURES)
def test_each_fixture_makes_its_events_and_a_replay_is_a_duplicate(
    client: TestClient, new_seller: Callable[..., Auth], name, provider, topic, expected
) -> None:
    auth = new_seller()
    path = connect(client, auth, provider, **settings_for(provider))
    body = raw(name)
    query = {"topic": topic} if provider == "stripe" and topic else {}

    response = client.post(path, content=body, headers=signed(provider, body, topic), params=query)
    assert response.status_code == 202, response.text
    assert response.json()["events"] == len(expected)
    for event_id, kind, order_ref in expected:
        stored = {e["event_id"]: e for e in order_events(client, auth, order_ref)}
        assert stored[event_id]["type"] == kind
        assert stored[event_id]["source"] == path.split("/")[3]

    replay = client.post(path, content=body, headers=signed(provider, body, topic), params=query)
    assert replay.status_code == 200
    assert replay.json()["status"] == "duplicate"


def test_platform_buyers_are_recorded_from_order_webhooks(
    client: TestClient, new_seller: Callable[..., Auth], database: Database
) -> None:
    auth = new_seller()
    path = connect(client, auth, "shopify", secrets=[SECRET])
    body = raw("shopify_order_fixture.json")
    client.post(path, content=body, headers=signed("shopify", body, "orders/create"))
    (event,) = order_events(client, auth, "450789469")
    # the fixture's phone has no country code: left out, the other identifiers kept
    assert event["identifier_kinds"] == ["platform_buyer_id", "email", "shipping_address"]
    process(database)
    lookup = client.post(
        "/v1/buyers/lookup", json={"buyer": {"email": "bob.norman@hostmail.com"}}, headers=auth
    )
    assert lookup.json()["buyer_id"] is not None


@pytest.mark.parametrize(
    ("name", "provider", "topic", "order_ref", "delivered_at", "tag"),
    [
        (
            "paypal_event_CUSTOMER.DISPUTE.CREATED.json",
            "paypal",
            "",
            "00D10444LD479031K",
            "2018-06-01T10:00:00Z",
            ("non_payment", "expired"),
        ),
        (
            "stripe_event_charge.dispute.created.json",
            "stripe",
            "",
            "ch_000000000000000000000000",
            None,
            ("card_fraud", "active"),
        ),
        (
            "shopify_dispute_fixture.json",
            "shopify",
            "disputes/create",
            "shopify-dispute:1052608616",
            None,
            ("card_fraud", "expired"),
        ),
    ],
)
def test_a_dispute_on_an_order_the_seller_reported_tags_its_buyer(
    client: TestClient,
    new_seller: Callable[..., Auth],
    database: Database,
    name,
    provider,
    topic,
    order_ref,
    delivered_at,
    tag,
) -> None:
    """Tags date from the fact, so the fixtures' old disputes make tags already past expiry."""
    auth = new_seller()
    path = connect(client, auth, provider, **settings_for(provider))
    post_seller_event(client, auth, 1, "order.created", order_ref, "2008-01-01T00:00:00Z")
    if delivered_at:
        post_seller_event(client, auth, 2, "order.delivered", order_ref, delivered_at)
    body = raw(name)
    assert client.post(path, content=body, headers=signed(provider, body, topic)).status_code == 202
    process(database)
    assert automatic_tags(client, auth) == [(*tag, order_ref)]


def test_a_stripe_dispute_lost_by_the_seller_withdraws_the_tag(
    client: TestClient, new_seller: Callable[..., Auth], database: Database
) -> None:
    auth = new_seller()
    path = connect(client, auth, "stripe", secrets=[SECRET])
    order_ref = "ch_000000000000000000000000"
    post_seller_event(client, auth, 1, "order.created", order_ref, "2022-03-01T00:00:00Z")
    opened = raw("stripe_event_charge.dispute.created.json")
    client.post(path, content=opened, headers=signed("stripe", opened))
    process(database)
    assert automatic_tags(client, auth) == [("card_fraud", "active", order_ref)]

    closed = payload("stripe_event_charge.dispute.created.json")
    closed["id"], closed["type"], closed["created"] = (
        "evt_closed",
        "charge.dispute.closed",
        1648400000,
    )
    closed["data"]["object"]["status"] = "lost"
    body = json.dumps(closed).encode()
    assert client.post(path, content=body, headers=signed("stripe", body)).status_code == 202
    process(database)
    assert automatic_tags(client, auth) == [("card_fraud", "retracted", order_ref)]


@pytest.mark.parametrize("provider", ["paypal", "stripe", "shopify", "woocommerce"])
def test_a_bad_signature_is_refused_and_nothing_is_stored(
    client: TestClient, new_seller: Callable[..., Auth], provider: str
) -> None:
    auth = new_seller()
    path = connect(client, auth, provider, **settings_for(provider))
    name, topic, order_ref = {
        "paypal": ("paypal_event_CUSTOMER.DISPUTE.CREATED.json", "", "00D10444LD479031K"),
        "stripe": ("stripe_event_charge.dispute.created.json", "", "ch_000000000000000000000000"),
        "shopify": ("shopify_order_fixture.json", "orders/create", "450789469"),
        "woocommerce": ("woocommerce_order.json", "order.created", "727"),
    }[provider]
    body = raw(name)
    tampered = body.replace(b"2", b"3", 1)
    response = client.post(path, content=tampered, headers=signed(provider, body, topic))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    unsigned = client.post(path, content=body, headers={"X-Shopify-Topic": topic})
    assert unsigned.status_code == 401
    assert order_events(client, auth, order_ref) == []


def test_a_topic_buyerguard_does_not_read_is_acknowledged_and_ignored(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    auth = new_seller()
    path = connect(client, auth, "shopify", secrets=[SECRET])
    body = raw("shopify_order_fixture.json")
    response = client.post(path, content=body, headers=signed("shopify", body, "products/update"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ignored",
        "topic": "products/update",
        "events": 0,
        "duplicates": 0,
    }
    assert order_events(client, auth, "450789469") == []


def test_a_body_not_in_the_providers_format_is_refused_naming_the_field(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    auth = new_seller()
    path = connect(client, auth, "woocommerce", secrets=[SECRET])
    body = json.dumps({"id": 727, "status": "completed"}).encode()
    response = client.post(path, content=body, headers=signed("woocommerce", body, "order.created"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_payload"
    assert error["message"].startswith("date_created_gmt: is required")
    not_json = b"<xml/>"
    response = client.post(
        path, content=not_json, headers=signed("woocommerce", not_json, "order.created")
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "body: is not JSON"


PAYPAL = ("paypal_event_CUSTOMER.DISPUTE.CREATED.json", "paypal", "")
STRIPE = ("stripe_event_charge.dispute.created.json", "stripe", "")
SHOPIFY_ORDER = ("shopify_order_fixture.json", "shopify", "orders/create")
SHOPIFY_DISPUTE = ("shopify_dispute_fixture.json", "shopify", "disputes/create")
WOOCOMMERCE = ("woocommerce_order.json", "woocommerce", "order.created")
# A fixture and its provider and topic, the keys from the root to the object holding the field, the
# field, and a value the adapter cannot make an event of.
OUT_OF_RANGE = [
    (*PAYPAL, ("resource", "dispute_amount"), "value", "NaN"),
    (*PAYPAL, ("resource",), "create_time", "0001-01-01T00:00:00+01:00"),
    (*STRIPE, ("data", "object"), "amount", "sNaN"),
    (*STRIPE, (), "created", 2**64),
    (*SHOPIFY_ORDER, ("order",), "total_price", "NaN"),
    (*SHOPIFY_ORDER, ("order",), "created_at", -(2**40)),
    (*SHOPIFY_DISPUTE, ("dispute",), "amount", "Infinity"),
    (*WOOCOMMERCE, (), "total", "NaN"),
    (*WOOCOMMERCE, (), "date_created_gmt", "9999-12-31T23:30:00-01:00"),
]


@pytest.mark.parametrize(("name", "provider", "topic", "keys", "field", "value"), OUT_OF_RANGE)
def test_an_amount_or_time_out_of_range_is_refused_naming_the_field(
    client: TestClient,
    new_seller: Callable[..., Auth],
    name: str,
    provider: str,
    topic: str,
    keys: tuple[str, ...],
    field: str,
    value: object,
) -> None:
    auth = new_seller()
    path = connect(client, auth, provider, **settings_for(provider))
    sent = payload(name)
    holder = sent
    for key in keys:
        holder = holder[key]
    holder[field] = value
    body = json.dumps(sent).encode()
    response = client.post(path, content=body, headers=signed(provider, body, topic))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_payload"
    assert error["message"].startswith(".".join((*keys, field)) + ": ")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"id": ' + b"9" * 5000 + b"}", "body: holds a number with too many digits"),
        (b'{"id": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "body: is nested too deeply"),
    ],
)
def test_a_body_that_cannot_be_decoded_is_refused(
    client: TestClient, new_seller: Callable[..., Auth], body: bytes, message: str
) -> None:
    path = connect(client, new_seller(), "shopify", secrets=[SECRET])
    response = client.post(path, content=body, headers=signed("shopify", body, "orders/create"))
    assert response.status_code == 422
    assert response.json()["error"] == {"code": "invalid_payload", "message": message}


def test_secrets_rotate_and_connections_are_listed_and_removed(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    auth, other = new_seller(), new_seller()
    path = connect(client, auth, "shopify", secrets=[SECRET])
    integration_id = path.split("/")[3]
    body = raw("shopify_order_fixture.json")
    rotated = signed("shopify", body, "orders/create", secret=ROTATED_SECRET)
    assert client.post(path, content=body, headers=rotated).status_code == 401

    update = client.put(
        f"/v1/integrations/{integration_id}",
        json={"secrets": [SECRET, ROTATED_SECRET]},
        headers=auth,
    )
    assert update.json()["secrets"] == 2
    assert client.post(path, content=body, headers=rotated).status_code == 202
    assert [c["id"] for c in client.get("/v1/integrations", headers=auth).json()] == [
        integration_id
    ]
    assert client.get("/v1/integrations", headers=other).json() == []
    assert client.delete(f"/v1/integrations/{integration_id}", headers=other).status_code == 404

    assert client.delete(f"/v1/integrations/{integration_id}", headers=auth).status_code == 204
    gone = client.post(path, content=body, headers=rotated)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "integration_not_found"


@pytest.mark.parametrize(
    "sent",
    [
        {"provider": "square", "secrets": ["x"]},
        {"provider": "stripe", "secrets": []},
        {"provider": "paypal", "secrets": [], "webhook_id": "WH"},
        {"provider": "stripe", "secrets": ["x"], "webhook_id": "WH"},
    ],
)
def test_bad_connections_are_refused(
    client: TestClient, new_seller: Callable[..., Auth], sent: dict[str, Any]
) -> None:
    response = client.post("/v1/integrations", json=sent, headers=new_seller())
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from buyerguard.domain.reasons import get_reason
from buyerguard.services.event_processing import process_events
from buyerguard.storage.database import Database
from buyerguard.storage.unit_of_work import SqlUnitOfWork

BUYER = {"email": "Buyer@Example.com", "platform_buyer_id": "aliexpress:cn1"}
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The time the tag and lookup endpoints take for now: set `clock[0]` to move it."""
    now = [NOW]
    for module in ("tags", "buyers"):
        monkeypatch.setattr(f"buyerguard.web.api.{module}.utc_now", lambda: now[0])
    return now


def test_tag_is_created_listed_and_retracted(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    auth = new_seller()
    created = client.post(
        "/v1/tags",
        json={"buyer": BUYER, "reason": "extortion", "note": "threatened a 1-star review"},
        headers=auth,
    )
    assert created.status_code == 201
    tag_id = created.json()["id"]

    listed = client.get("/v1/tags", headers=auth).json()
    assert [t["id"] for t in listed["tags"]] == [tag_id]
    assert listed["tags"][0]["note"] == "threatened a 1-star review"
    assert listed["tags"][0]["status"] == "active"

    assert client.delete(f"/v1/tags/{tag_id}", headers=auth).status_code == 204
    assert client.get(f"/v1/tags/{tag_id}", headers=auth).json()["status"] == "retracted"
    profile = client.post("/v1/buyers/lookup", json={"buyer": BUYER}, headers=auth).json()
    assert profile["distinct_reporters"] == 0


@pytest.mark.parametrize(
    ("order_ref", "message"),
    [("   ", "order_ref: must not be blank"), ("x" * 201, "order_ref: at most 200 characters")],
)
def test_an_unusable_order_ref_is_named(
    client: TestClient, new_seller: Callable[..., dict[str, str]], order_ref: str, message: str
) -> None:
    body = {"buyer": BUYER, "reason": "other", "order_ref": order_ref}
    response = client.post("/v1/tags", json=body, headers=new_seller())
    assert response.status_code == 422
    assert response.json()["error"] == {"code": "invalid_input", "message": message}


def test_a_seller_has_one_active_tag_per_buyer_and_reason(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    auth = new_seller()
    body = {"buyer": BUYER, "reason": "unpaid_order"}
    assert client.post("/v1/tags", json=body, headers=auth).status_code == 201
    again = client.post(
        "/v1/tags", json={**body, "buyer": {"email": "buyer@example.com"}}, headers=auth
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "tag_exists"


def test_another_sellers_tag_is_not_found(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    owner, other = new_seller(), new_seller()
    tag_id = client.post(
        "/v1/tags", json={"buyer": BUYER, "reason": "other"}, headers=owner
    ).json()["id"]
    for response in (
        client.delete(f"/v1/tags/{tag_id}", headers=other),
        client.get(f"/v1/tags/{tag_id}", headers=other),
        client.delete("/v1/tags/999999", headers=other),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "tag_not_found"
    assert client.get(f"/v1/tags/{tag_id}", headers=owner).json()["status"] == "active"


def test_tags_are_paginated_newest_first(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    auth = new_seller()
    ids = [
        client.post(
            "/v1/tags",
            json={"buyer": {"email": f"b{i}@example.com"}, "reason": "other"},
            headers=auth,
        ).json()["id"]
        for i in range(5)
    ]
    first = client.get("/v1/tags?limit=2", headers=auth).json()
    assert [t["id"] for t in first["tags"]] == ids[::-1][:2]
    second = client.get(f"/v1/tags?limit=2&after={first['next_after']}", headers=auth).json()
    assert [t["id"] for t in second["tags"]] == ids[::-1][2:4]
    last = client.get(f"/v1/tags?limit=2&after={second['next_after']}", headers=auth).json()
    assert [t["id"] for t in last["tags"]] == ids[:1]
    assert last["next_after"] is None


def test_a_manual_tag_flags_the_buyer_to_a_seller_with_an_open_order(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    watcher, tagger = new_seller(), new_seller(trust=0.9)
    subscription = client.post(
        "/v1/subscriptions",
        json={"url": "https://hooks.example.com/f", "events": ["buyer.flagged"]},
        headers=watcher,
    ).json()
    order = {
        "ref": "W-9",
        "amount": 20.0,
        "currency": "EUR",
        "payment_method": "prepaid",
        "ship_to": {"country": "DE"},
    }
    assert (
        client.post(
            "/v1/screenings", json={"order": order, "buyer": BUYER}, headers=watcher
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/v1/tags", json={"buyer": BUYER, "reason": "extortion"}, headers=tagger
        ).status_code
        == 201
    )
    deliveries = client.get(
        f"/v1/subscriptions/{subscription['id']}/deliveries", headers=watcher
    ).json()
    assert [d["event"] for d in deliveries["deliveries"]] == ["buyer.flagged"]
    untouched = client.post(
        "/v1/tags",
        json={"buyer": {"email": "other@example.com"}, "reason": "other"},
        headers=tagger,
    )
    assert untouched.status_code == 201
    again = client.get(f"/v1/subscriptions/{subscription['id']}/deliveries", headers=watcher).json()
    assert len(again["deliveries"]) == 1


def test_your_tag_confirmed_by_events_shows_their_backing(
    client: TestClient, new_seller: Callable[..., dict[str, str]], database: Database
) -> None:
    auth = new_seller()
    body = {"buyer": BUYER, "reason": "card_fraud", "note": "stolen card"}
    tag_id = client.post("/v1/tags", json=body, headers=auth).json()["id"]
    shown = client.get(f"/v1/tags/{tag_id}", headers=auth).json()
    assert (shown["event_backed"], shown["confirmed_order_ref"]) == (False, None)

    chargeback = {
        "event_id": "cb-1",
        "type": "chargeback.created",
        "occurred_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        "order_ref": "A-1",
        "buyer": {"email": BUYER["email"]},
        "data": {"reason": "fraudulent"},
    }
    assert client.post("/v1/events", json=chargeback, headers=auth).status_code == 202
    process_events(SqlUnitOfWork(database.sessions), now=datetime.now(UTC))

    shown = client.get(f"/v1/tags/{tag_id}", headers=auth).json()
    assert (shown["source"], shown["note"], shown["order_backed"]) == (
        "manual",
        "stolen card",
        False,
    )
    assert (shown["event_backed"], shown["confirmed_order_ref"]) == (True, "A-1")
    assert [t["id"] for t in client.get("/v1/tags", headers=auth).json()["tags"]] == [tag_id]


def test_your_tag_reads_expired_from_the_moment_it_expires(
    client: TestClient, new_seller: Callable[..., dict[str, str]], clock: list[datetime]
) -> None:
    """Whether or not the expire-old-tags job has run since."""
    auth = new_seller()
    created = client.post("/v1/tags", json={"buyer": BUYER, "reason": "other"}, headers=auth)
    tag_id = created.json()["id"]
    clock[0] = NOW + get_reason("other").expires_after

    assert client.get(f"/v1/tags/{tag_id}", headers=auth).json()["status"] == "expired"
    assert [t["status"] for t in client.get("/v1/tags", headers=auth).json()["tags"]] == ["expired"]
    assert client.delete(f"/v1/tags/{tag_id}", headers=auth).status_code == 204
    assert client.get(f"/v1/tags/{tag_id}", headers=auth).json()["status"] == "expired"
    profile = client.post("/v1/buyers/lookup", json={"buyer": BUYER}, headers=auth).json()
    assert (profile["my_tags"], profile["reasons"], profile["distinct_reporters"]) == ([], [], 0)

    again = client.post("/v1/tags", json={"buyer": BUYER, "reason": "other"}, headers=auth)
    assert again.status_code == 201
    profile = client.post("/v1/buyers/lookup", json={"buyer": BUYER}, headers=auth).json()
    assert [t["id"] for t in profile["my_tags"]] == [again.json()["id"]]

"""A value of the wrong JSON type is refused naming its field, never read as something else: no
string or number as a boolean, no number as a date, no float as an id, no numeric string as an
integer. Query and path parameters arrive as text, and are held to the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..test_error_shape import assert_error

BUYER = {"email": "strict@example.com"}
ISO_8601 = "expected an ISO 8601 date-time with a time zone"
DIGITS = "expected a whole number, in digits"
VALID: dict[str, dict[str, Any]] = {  # the other fields a body needs
    "/v1/orders/completed": {"buyer": BUYER, "order_ref": "R-1"},
    "/v1/lists/watch/entries": {"buyer": BUYER},
    "/v1/policy/backtest": {"source": "ship"},
    "/v1/integrations": {"provider": "stripe", "secrets": ["whsec_0123456789"]},
    "/v1/subscriptions": {"url": "https://shop.example.com/hook", "events": []},
    "/v1/tags": {"buyer": BUYER, "reason": "other"},
}


@pytest.mark.parametrize(
    ("path", "body", "field", "problem"),
    [
        ("/v1/orders/completed", {"completed_at": 12345}, "completed_at", ISO_8601),
        ("/v1/orders/completed", {"completed_at": "12345"}, "completed_at", ISO_8601),
        ("/v1/orders/completed", {"completed_at": 1.7e9}, "completed_at", ISO_8601),
        ("/v1/orders/completed", {"completed_at": True}, "completed_at", ISO_8601),
        ("/v1/orders/completed", {"order_ref": 12}, "order_ref", "a valid string"),
        ("/v1/lists/watch/entries", {"expires_at": "12345"}, "expires_at", ISO_8601),
        ("/v1/lists/watch/entries", {"expires_at": 4102444800}, "expires_at", ISO_8601),
        ("/v1/policy/backtest", {"days": "5"}, "days", "a valid integer"),
        ("/v1/policy/backtest", {"days": True}, "days", "a valid integer"),
        ("/v1/policy/backtest", {"days": 5.0}, "days", "a valid integer"),
        ("/v1/events/rules", {"min_orders_for_returns": "3"}, "min_orders_for_returns", "integer"),
        ("/v1/events/rules", {"min_orders_for_returns": True}, "min_orders_for_returns", "integer"),
        (
            "/v1/events/rules",
            {"returns_share_threshold": "0.5"},
            "returns_share_threshold",
            "number",
        ),
        ("/v1/events/rules", {"clean_after_days": False}, "clean_after_days", "a valid number"),
        ("/v1/integrations", {"tolerance_seconds": "300"}, "tolerance_seconds", "a valid integer"),
        ("/v1/integrations", {"tolerance_seconds": 300.0}, "tolerance_seconds", "a valid integer"),
        ("/v1/subscriptions", {"events": "buyer.flagged"}, "events", "a valid list"),
        ("/v1/buyers/lookup", {"buyer": {"phone": 4915112345678}}, "buyer.phone", "a valid string"),
        ("/v1/tags", {"note": 7}, "note", "a valid string"),
    ],
)
def test_a_body_field_of_the_wrong_type_is_refused_naming_it(
    client: TestClient,
    new_seller: Callable[..., dict[str, str]],
    path: str,
    body: dict[str, Any],
    field: str,
    problem: str,
) -> None:
    complete = VALID.get(path, {})
    method = "PUT" if path == "/v1/events/rules" else "POST"
    response = client.request(method, path, json={**complete, **body}, headers=new_seller())
    error = assert_error(response, 422, "invalid_request")
    assert error["message"].startswith(f"{field}: ")
    assert problem in error["message"]


def test_a_number_as_a_date_stores_nothing(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    auth = new_seller()
    body = {"buyer": BUYER, "order_ref": "R-1", "completed_at": 12345}
    assert client.post("/v1/orders/completed", json=body, headers=auth).status_code == 422
    body["completed_at"] = "2026-01-02T03:04:05+01:00"
    response = client.post("/v1/orders/completed", json=body, headers=auth)
    assert response.status_code == 201, response.text  # the first attempt left no order behind


@pytest.mark.parametrize(
    ("path", "parameter", "problem"),
    [
        ("/v1/screenings?since=1700000000", "query.since", ISO_8601),
        ("/v1/screenings?until=-5", "query.until", ISO_8601),
        ("/v1/screenings?limit=5.0", "query.limit", DIGITS),
        ("/v1/screenings?after=1e3", "query.after", DIGITS),
        ("/v1/tags?limit=+5", "query.limit", DIGITS),
        ("/v1/tags?after=1_000", "query.after", DIGITS),
        ("/v1/tags/1.0", "path.tag_id", DIGITS),
        ("/v1/tags/%D9%A1", "path.tag_id", DIGITS),  # ARABIC-INDIC DIGIT ONE
        ("/v1/screenings/1.0", "path.screening_id", DIGITS),
        ("/v1/subscriptions/1.0/deliveries", "path.subscription_id", DIGITS),
        ("/v1/subscriptions/1/deliveries?limit=1.0", "query.limit", DIGITS),
    ],
)
def test_a_query_or_path_number_or_time_must_look_like_one(
    client: TestClient,
    new_seller: Callable[..., dict[str, str]],
    path: str,
    parameter: str,
    problem: str,
) -> None:
    error = assert_error(client.get(path, headers=new_seller()), 422, "invalid_request")
    assert error["message"].startswith(f"{parameter}: {problem}")


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_tag_1_is_only_tag_1(
    client: TestClient, new_seller: Callable[..., dict[str, str]], method: str
) -> None:
    auth = new_seller()
    created = client.post("/v1/tags", json={"buyer": BUYER, "reason": "other"}, headers=auth)
    tag_id = created.json()["id"]
    assert client.request(method, f"/v1/tags/{tag_id}.0", headers=auth).status_code == 422
    assert client.get(f"/v1/tags/{tag_id}", headers=auth).json()["status"] == "active"


def test_valid_times_and_numbers_are_still_read(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    auth = new_seller()
    response = client.get(
        "/v1/screenings?since=2026-01-01T00:00:00%2B01:00&until=2026-12-31T00:00:00Z&limit=5",
        headers=auth,
    )
    assert response.status_code == 200, response.text
    body = {"returns_share_threshold": 0, "min_orders_for_returns": 4, "clean_after_days": 7}
    response = client.put("/v1/events/rules", json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["returns_share_threshold"] == 0.0
    response = client.post("/v1/policy/backtest", json={"source": "ship", "days": 5}, headers=auth)
    assert response.status_code == 200, response.text


def test_the_sellers_page_limit_must_look_like_a_number(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    response = client.get("/v1/sellers?limit=5.0", headers=new_seller(admin=True))
    error = assert_error(response, 422, "invalid_request")
    assert error["message"].startswith(f"query.limit: {DIGITS}")

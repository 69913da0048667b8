"""Times at the edges of what UTC can hold, or implausibly early, are 422s naming the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..test_error_shape import assert_error

YEAR_ONE = "0001-01-01T00:00:00+01:00"  # UTC would be year 0
YEAR_9999 = "9999-12-31T23:59:59-01:00"  # UTC would be year 10000
BUYER = {"email": "edge@example.com"}
JSON_LINES = {"content-type": "application/x-ndjson"}


def _lines(*records: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def _event(at: str) -> dict[str, str]:
    return {"event_id": "e1", "type": "order.created", "occurred_at": at, "order_ref": "A-1"}


@pytest.mark.parametrize("at", [YEAR_ONE, YEAR_9999, "1969-12-31T23:59:59+00:00"])
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "POST",
            "/v1/orders/completed",
            lambda at: {"buyer": BUYER, "order_ref": "R", "completed_at": at},
            "completed_at",
        ),
        (
            "POST",
            "/v1/lists/watch/entries",
            lambda at: {"buyer": BUYER, "expires_at": at},
            "expires_at",
        ),
        ("POST", "/v1/events", _event, "occurred_at"),
    ],
)
def test_a_fact_dated_outside_the_range_is_refused(
    client: TestClient,
    new_seller: Callable[..., dict[str, str]],
    at: str,
    method: str,
    path: str,
    body: Callable[[str], dict[str, Any]],
    field: str,
) -> None:
    response = client.request(method, path, json=body(at), headers=new_seller())
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["message"]


@pytest.mark.parametrize("at", [YEAR_ONE, "1900-01-01T00:00:00Z"])
@pytest.mark.parametrize(
    ("path", "record", "field"),
    [
        ("/v1/imports", {"type": "tag", "buyer": BUYER, "reason": "other"}, "at"),
        ("/v1/imports", {"type": "completed_order", "buyer": BUYER, "order_ref": "R"}, "at"),
        ("/v1/events/import", _event("") | {"occurred_at": None}, "occurred_at"),
    ],
)
def test_an_import_line_dated_outside_the_range_is_a_bad_line(
    client: TestClient,
    new_seller: Callable[..., dict[str, str]],
    at: str,
    path: str,
    record: dict[str, Any],
    field: str,
) -> None:
    line = {**record, field: at}
    response = client.post(path, content=_lines(line), headers=new_seller() | JSON_LINES)
    error = assert_error(response, 422, "invalid_import")
    assert error["lines"][0]["line"] == 1
    assert error["lines"][0]["message"].startswith(f"{field}: ")


@pytest.mark.parametrize(("name", "value"), [("since", YEAR_ONE), ("until", YEAR_9999)])
def test_a_search_bound_utc_cannot_hold_is_refused(
    client: TestClient, new_seller: Callable[..., dict[str, str]], name: str, value: str
) -> None:
    response = client.get("/v1/screenings", params={name: value}, headers=new_seller())
    error = assert_error(response, 422, "invalid_request")
    assert name in error["message"]


def test_an_early_search_bound_is_fine(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    response = client.get(
        "/v1/screenings", params={"since": "1900-01-01T00:00:00Z"}, headers=new_seller()
    )
    assert response.status_code == 200, response.text


def test_an_order_completed_in_the_future_is_refused(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    body = {"buyer": BUYER, "order_ref": "R", "completed_at": "2999-01-01T00:00:00Z"}
    response = client.post("/v1/orders/completed", json=body, headers=new_seller())
    error = assert_error(response, 422, "invalid_input")
    assert error["message"] == "completed_at: in the future"

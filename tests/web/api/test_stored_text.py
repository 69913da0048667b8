"""Every text the API stores refuses NUL and the other control characters with a 422 naming the
field, alike on SQLite and PostgreSQL (which cannot store NUL at all)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

BUYER = {"email": "b@example.com"}
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
NUL = "\x00"


def order(ref: str = "SO-1", region: str = "", postal_code: str = "") -> dict[str, Any]:
    ship_to = {"country": "DE", "region": region, "postal_code": postal_code}
    return {
        "ref": ref,
        "amount": 10,
        "currency": "EUR",
        "payment_method": "prepaid",
        "ship_to": ship_to,
    }


def event(
    event_id: str = "e1", order_ref: str = "A-1", reason: str = "fraudulent"
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "chargeback.created",
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "order_ref": order_ref,
        "buyer": BUYER,
        "data": {"reason": reason},
    }


def record(note: str = "", order_ref: str = "A-1") -> dict[str, Any]:
    return {
        "type": "tag",
        "buyer": BUYER,
        "reason": "unpaid_order",
        "note": note,
        "order_ref": order_ref,
    }


def jsonl(*lines: dict[str, Any]) -> bytes:
    return "\n".join(json.dumps(line) for line in lines).encode()


# (method, path, JSON body or JSON Lines, the error code, the field the message starts with)
CASES: dict[str, tuple[str, str, Any, str, str]] = {
    "tag note": (
        "POST",
        "/v1/tags",
        {"buyer": BUYER, "reason": "unpaid_order", "note": f"a{NUL}b"},
        "invalid_input",
        "note",
    ),
    "tag order_ref": (
        "POST",
        "/v1/tags",
        {"buyer": BUYER, "reason": "unpaid_order", "order_ref": f"A{NUL}"},
        "invalid_input",
        "order_ref",
    ),
    "completed order_ref": (
        "POST",
        "/v1/orders/completed",
        {"buyer": BUYER, "order_ref": f"A\t{NUL}"},
        "invalid_input",
        "order_ref",
    ),
    "screening ref": (
        "POST",
        "/v1/screenings",
        {"order": order(ref=f"N{NUL}2"), "buyer": BUYER},
        "invalid_order",
        "order.ref",
    ),
    "screening region": (
        "POST",
        "/v1/screenings",
        {"order": order(region=f"a{NUL}b"), "buyer": BUYER},
        "invalid_order",
        "order.ship_to.region",
    ),
    "screening postal_code": (
        "POST",
        "/v1/screenings",
        {"order": order(postal_code="1\x1b2"), "buyer": BUYER},
        "invalid_order",
        "order.ship_to.postal_code",
    ),
    "list note": (
        "POST",
        "/v1/lists/watch/entries",
        {"buyer": BUYER, "note": f"x{NUL}y"},
        "invalid_input",
        "note",
    ),
    "subscription url": (
        "POST",
        "/v1/subscriptions",
        {"url": f"https://hooks.example.com/{NUL}", "events": ["buyer.flagged"]},
        "invalid_input",
        "url",
    ),
    "subscription secret": (
        "POST",
        "/v1/subscriptions",
        {
            "url": "https://hooks.example.com/",
            "events": ["buyer.flagged"],
            "secret": "s" * 16 + NUL,
        },
        "invalid_input",
        "secret",
    ),
    "integration secret": (
        "POST",
        "/v1/integrations",
        {"provider": "stripe", "secrets": [f"whsec_{NUL}"]},
        "invalid_input",
        "secrets",
    ),
    "integration webhook_id": (
        "POST",
        "/v1/integrations",
        {"provider": "paypal", "webhook_id": f"WH-{NUL}", "certificate": PEM},
        "invalid_input",
        "webhook_id",
    ),
    "integration certificate": (
        "POST",
        "/v1/integrations",
        {"provider": "paypal", "webhook_id": "WH-1", "certificate": PEM + NUL},
        "invalid_input",
        "certificate",
    ),
    "seller name": ("POST", "/v1/sellers", {"name": f"Shop{NUL}"}, "invalid_input", "seller name"),
    "event id": ("POST", "/v1/events", event(event_id=f"e{NUL}"), "invalid_event", "event_id"),
    "event order_ref": (
        "POST",
        "/v1/events",
        event(order_ref=f"A{NUL}"),
        "invalid_event",
        "order_ref",
    ),
    "event data": ("POST", "/v1/events", event(reason=f"r{NUL}"), "invalid_event", "data.reason"),
    "events order_ref": ("GET", "/v1/events?order_ref=A%00", None, "invalid_input", "order_ref"),
}


@pytest.fixture
def admin(new_seller: Callable[..., dict[str, str]]) -> dict[str, str]:
    return new_seller("Operator", admin=True)


def send(client: TestClient, auth: dict[str, str], method: str, path: str, body: Any) -> Any:
    if isinstance(body, bytes):
        headers = {**auth, "Content-Type": "application/x-ndjson"}
        return client.request(method, path, content=body, headers=headers)
    return client.request(method, path, json=body, headers=auth)


@pytest.mark.parametrize("case", CASES)
def test_a_control_character_is_a_422_naming_the_field(
    client: TestClient, admin: dict[str, str], case: str
) -> None:
    method, path, body, code, field = CASES[case]
    response: httpx2.Response = send(client, admin, method, path, body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"].startswith(f"{field}: "), error["message"]


@pytest.mark.parametrize(
    ("path", "line", "field"),
    [
        ("/v1/imports", record(note=f"a{NUL}"), "note"),
        ("/v1/imports", record(order_ref=f"A{NUL}"), "order_ref"),
        ("/v1/events/import", event(order_ref=f"A{NUL}"), "order_ref"),
        ("/v1/events/import", event(reason=f"\x07{NUL}"), "data.reason"),
    ],
)
def test_an_imported_line_with_a_control_character_is_a_bad_line(
    client: TestClient, admin: dict[str, str], path: str, line: dict[str, Any], field: str
) -> None:
    good = record(note="fine") if path == "/v1/imports" else event(event_id="good")
    response = send(client, admin, "POST", path, jsonl(good, line))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_import"
    assert [(bad["line"], bad["message"].split(":")[0]) for bad in error["lines"]] == [(2, field)]


def test_a_batch_line_with_a_control_character_is_that_lines_error(
    client: TestClient, admin: dict[str, str]
) -> None:
    lines = jsonl(
        {"order": order("G1"), "buyer": BUYER},
        {"order": order("N3", region=f"a{NUL}b"), "buyer": BUYER},
        {"order": order("G2"), "buyer": BUYER},
    )
    response = send(client, admin, "POST", "/v1/screenings/batch", lines)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["result"]["order_ref"] for r in results if r["result"]] == ["G1", "G2"]
    (bad,) = (r for r in results if r["error"])
    assert bad["line"] == 2
    assert bad["error"]["code"] == "invalid_order"
    assert bad["error"]["message"].startswith("order.ship_to.region: ")


@pytest.mark.parametrize("path", ["/v1/policy", "/v1/policy/backtest"])
def test_a_policy_with_a_control_character_names_its_position(
    client: TestClient, admin: dict[str, str], path: str
) -> None:
    source = f'decline if level == "high"\nship  # ok{NUL}'
    method = "PUT" if path == "/v1/policy" else "POST"
    response = send(client, admin, method, path, {"source": source})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["line"], error["column"]) == ("invalid_policy", 2, 11)
    assert client.get("/v1/policy", headers=admin).json()["is_default"] is True


def test_free_text_keeps_its_tabs_and_line_breaks(
    client: TestClient, admin: dict[str, str]
) -> None:
    note = "first line\r\n\tsecond line"
    body = {"buyer": BUYER, "reason": "unpaid_order", "note": note, "order_ref": "A-1"}
    created = send(client, admin, "POST", "/v1/tags", body)
    assert created.status_code == 201, created.text
    tag = client.get(f"/v1/tags/{created.json()['id']}", headers=admin).json()
    assert tag["note"] == note
    source = 'decline if level == "high"\t# tab\r\nship\n'
    saved = send(client, admin, "PUT", "/v1/policy", {"source": source})
    assert saved.status_code == 200, saved.text
    assert saved.json()["source"] == source

"""An order is checked in one place: every bad field is a 422 `invalid_order` naming it, alike for
one screening and a batch line, and whatever the decision log holds stays listable."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from buyerguard.storage import tables as t
from buyerguard.storage.database import Database

BUYER = {"email": "buyer@example.com"}


def order(**overrides: Any) -> dict[str, Any]:
    """A good order with `overrides`; a field overridden with None is left out."""
    base = {
        "ref": "SO-1",
        "amount": 10,
        "currency": "EUR",
        "payment_method": "prepaid",
        "ship_to": {"country": "DE"},
    }
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


@pytest.fixture
def seller(new_seller: Callable[..., dict[str, str]]) -> dict[str, str]:
    return new_seller("Input Shop")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (order(payment_method=None), "order.payment_method", "Field required"),
        (order(ship_to=None), "order.ship_to", "Field required"),
        (order(amount=None), "order.amount", "Field required"),
        (order(currency=None), "order.currency", "Field required"),
        (order(ref=None), "order.ref", "Field required"),
        (order(ship_to={}), "order.ship_to.country", "Field required"),
        (order(ref=5), "order.ref", "Input should be a valid string"),
        (order(colour="red"), "order.colour", "Extra inputs are not permitted"),
        ("SO-1", "order", "a JSON object"),
        (order(ship_to="DE"), "order.ship_to", "a JSON object"),
        (order(ref="r" * 201), "order.ref", "at most 200 characters"),
        (
            order(ship_to={"country": "DE", "region": "r" * 101}),
            "order.ship_to.region",
            "at most 100 characters",
        ),
        (
            order(ship_to={"country": "DE", "postal_code": "1" * 33}),
            "order.ship_to.postal_code",
            "at most 32 characters",
        ),
        (
            order(ship_to={"country": "DE", "region": "\ud800"}),
            "order.ship_to.region",
            "character 1 is U+D800, half of a surrogate pair",
        ),
        (
            order(ref="A\udfff"),
            "order.ref",
            "character 2 is U+DFFF, half of a surrogate pair",
        ),
    ],
)
def test_every_bad_order_field_is_an_invalid_order_naming_it(
    client: TestClient, seller: dict[str, str], body: Any, field: str, message: str
) -> None:
    # json.dumps writes a lone surrogate as the escape "\ud800", as a client's JSON would.
    line = json.dumps({"order": body, "buyer": BUYER})
    as_json = {**seller, "Content-Type": "application/json"}
    single = client.post("/v1/screenings", content=line, headers=as_json)
    assert single.status_code == 422, single.text
    error = single.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_order", field)
    assert error["message"].startswith(f"{field}: {message}"), error["message"]
    (result,) = client.post("/v1/screenings/batch", content=line, headers=seller).json()["results"]
    assert result["error"] == error
    assert client.get("/v1/screenings", headers=seller).json()["screenings"] == []


def test_a_region_and_postal_code_at_their_limits_are_screened(
    client: TestClient, seller: dict[str, str]
) -> None:
    ship_to = {"country": "DE", "region": "r" * 100, "postal_code": "1" * 32}
    body = {"order": order(ship_to=ship_to), "buyer": BUYER}
    assert client.post("/v1/screenings", json=body, headers=seller).status_code == 201
    (logged,) = client.get("/v1/screenings", headers=seller).json()["screenings"]
    assert logged["order"]["ship_to"] == ship_to


def test_a_logged_order_is_listed_as_stored_whatever_the_rules_now_say(
    client: TestClient, seller: dict[str, str], database: Database
) -> None:
    body = {"order": order(), "buyer": BUYER}
    screened = client.post("/v1/screenings", json=body, headers=seller).json()
    # Values no order is let in with now, as a row stored under older rules may hold.
    stored = {"currency": "ZZZ", "region": "a\x01b", "postal_code": "\x7f" * 32}
    with database.engine.begin() as connection:
        connection.execute(update(t.ScreeningRow).values(**stored))
    shown = {"country": "DE", "region": stored["region"], "postal_code": stored["postal_code"]}
    one = client.get(f"/v1/screenings/{screened['screening_id']}", headers=seller)
    assert one.status_code == 200, one.text
    assert (one.json()["order"]["currency"], one.json()["order"]["ship_to"]) == ("ZZZ", shown)
    listed = client.get("/v1/screenings", headers=seller)
    assert listed.status_code == 200, listed.text
    assert listed.json()["screenings"] == [one.json()]
    backtest = client.post("/v1/policy/backtest", json={"source": "ship"}, headers=seller)
    assert backtest.json()["replayed"] == 1


def test_a_batch_line_error_is_the_single_routes_and_names_no_class(
    client: TestClient, seller: dict[str, str]
) -> None:
    bad_buyer = {"order": order(), "buyer": {"email": "not an email"}}
    single = client.post("/v1/screenings", json=bad_buyer, headers=seller).json()["error"]
    assert single["field"] == "email"
    lines = [bad_buyer, [1], {"order": order(), "buyer": "b@example.com"}]
    content = "\n".join(json.dumps(line) for line in lines)
    results = client.post("/v1/screenings/batch", content=content, headers=seller).json()["results"]
    assert [r["error"] for r in results] == [
        single,
        {
            "code": "invalid_input",
            "message": 'not a screening request: a line is a JSON object {"order": {...}, '
            '"buyer": {...}}',
        },
        {"code": "invalid_input", "message": "not a screening request: buyer: a JSON object"},
    ]
    assert [r["result"] for r in results] == [None] * 3

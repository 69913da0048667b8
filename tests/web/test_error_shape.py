"""Every error, whatever raised it, has the one shape and a stable code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient


def assert_error(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "unauthenticated"),
        ({"Authorization": "Bearer bg_nope"}, "unauthenticated"),
        ({"Authorization": "Basic abc"}, "unauthenticated"),
        ({"Authorization": "Bearer "}, "unauthenticated"),
    ],
)
def test_missing_or_bad_key_is_401(client: TestClient, headers: dict[str, str], code: str) -> None:
    response = client.post(
        "/v1/buyers/lookup", json={"buyer": {"email": "a@b.co"}}, headers=headers
    )
    assert_error(response, 401, code)
    assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_reason_names_the_valid_codes(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    response = client.post(
        "/v1/tags", json={"buyer": {"email": "a@b.co"}, "reason": "rude"}, headers=new_seller()
    )
    error = assert_error(response, 422, "unknown_reason")
    assert "extortion" in error["message"]
    assert "cod_refusal" in error["message"]


@pytest.mark.parametrize(
    ("buyer", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "user@xn--zz.de"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"platform_buyer_id": "no namespace"}, "platform_buyer_id"),
    ],
)
def test_malformed_identifier_names_the_field(
    client: TestClient, new_seller: Callable[..., dict[str, str]], buyer: dict[str, str], field: str
) -> None:
    response = client.post("/v1/buyers/lookup", json={"buyer": buyer}, headers=new_seller())
    error = assert_error(response, 422, "invalid_identifier")
    assert error["message"].startswith(field)


def test_no_identifier_is_422(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    response = client.post("/v1/buyers/lookup", json={"buyer": {}}, headers=new_seller())
    assert_error(response, 422, "no_identifier")


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"buyer": "x"}', b'{"buyer": {"email": "a@b.co", "shoe_size": 9}}', b"[]"],
)
def test_malformed_bodies_are_422(
    client: TestClient, new_seller: Callable[..., dict[str, str]], body: bytes
) -> None:
    headers = {**new_seller(), "Content-Type": "application/json"}
    response = client.post("/v1/buyers/lookup", content=body, headers=headers)
    assert_error(response, 422, "invalid_request")


def test_body_over_one_mebibyte_is_413(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    note = "x" * (1024 * 1024 + 10)
    response = client.post(
        "/v1/tags",
        json={"buyer": {"email": "a@b.co"}, "reason": "other", "note": note},
        headers=new_seller(),
    )
    assert_error(response, 413, "body_too_large")


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing"), 404, "not_found")
    assert_error(client.put("/healthz"), 405, "method_not_allowed")


def test_admin_only_route_is_403_for_a_seller(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    assert_error(client.get("/v1/sellers", headers=new_seller()), 403, "permission_denied")


@pytest.mark.parametrize(
    "path",
    ["/v1/tags/7729281226841446678528", "/v1/tags?after=33444251060523335680", "/v1/screenings/0"],
)
def test_ids_out_of_range_are_422_not_an_overflow(
    client: TestClient, new_seller: Callable[..., dict[str, str]], path: str
) -> None:
    assert_error(client.get(path, headers=new_seller()), 422, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"buyer": {"email": "\xff"}}',  # not UTF-8
        b'{"buyer": {"email": "a@b.co"}, "x": ' + b"9" * 5000 + b"}",
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_a_body_that_is_not_json_is_invalid_input(
    client: TestClient, new_seller: Callable[..., dict[str, str]], body: bytes
) -> None:
    headers = {**new_seller(), "content-type": "application/json"}
    response = client.post("/v1/buyers/lookup", content=body, headers=headers)
    error = assert_error(response, 422, "invalid_request")
    assert error["message"].startswith("body: not valid JSON")

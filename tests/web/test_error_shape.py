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


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/healthz", "GET"),
        ("PUT", "/v1/tags", "GET, POST"),
        ("PATCH", "/v1/tags/5", "GET, DELETE"),
        ("POST", "/v1/policy", "GET, PUT"),
        ("GET", "/v1/imports", "POST"),
    ],
)
def test_a_405_names_every_method_the_path_takes(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    response = client.request(method, path)
    error = assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed
    assert error["message"] == f"{method} is not allowed on {path}; it takes {allowed}"


@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/tags/"), ("GET", "/v1/policy/")])
def test_a_slash_too_many_is_a_404_not_a_redirect(
    client: TestClient, new_seller: Callable[..., dict[str, str]], method: str, path: str
) -> None:
    response = client.request(method, path, json={}, headers=new_seller(), follow_redirects=False)
    assert_error(response, 404, "not_found")
    assert "location" not in response.headers


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
    ("body", "message"),
    [
        (b"not json", "body: not valid JSON (Expecting value)"),
        (b'{"buyer": {"email": "\xff"}}', "body: not UTF-8 text"),
        (
            b'{"buyer": {"email": "a@b.co"}, "x": ' + b"9" * 5000 + b"}",
            "body: not valid JSON (a number too long)",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "body: not valid JSON (nested too deeply)"),
    ],
)
def test_a_body_that_is_not_json_is_invalid_input(
    client: TestClient, new_seller: Callable[..., dict[str, str]], body: bytes, message: str
) -> None:
    headers = {**new_seller(), "content-type": "application/json"}
    response = client.post("/v1/buyers/lookup", content=body, headers=headers)
    error = assert_error(response, 422, "invalid_request")
    assert error["message"] == message


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        (
            "/v1/tags",
            '{"buyer": {"email": "a@b.co"}, "reason": "bogus", "reason": "other"}',
            "reason",
        ),
        (
            "/v1/tags",
            '{"buyer": {"email": "a@b.co", "email": "c@d.co"}, "reason": "other"}',
            "email",
        ),
        ("/v1/screenings", '{"order": {"ship_to": {"country": "DE", "country": "FR"}}}', "country"),
        ("/v1/subscriptions", '{"url": "https://a.example", "events": [], "events": []}', "events"),
    ],
)
def test_a_body_giving_a_key_twice_is_refused_naming_the_key(
    client: TestClient, new_seller: Callable[..., dict[str, str]], path: str, body: str, key: str
) -> None:
    auth = new_seller()
    headers = {**auth, "content-type": "application/json"}
    error = assert_error(client.post(path, content=body, headers=headers), 422, "invalid_request")
    assert error["message"] == f'body: duplicate key "{key}"'
    assert client.get("/v1/tags", headers=auth).json()["tags"] == []


def test_a_byte_order_mark_may_start_a_json_body(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    body = b'\xef\xbb\xbf{"buyer": {"email": "a@b.co"}, "reason": "other"}'
    headers = {**new_seller(), "content-type": "application/json; charset=utf-8"}
    assert client.post("/v1/tags", content=body, headers=headers).status_code == 201


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/x-ndjson", "json"],
)
def test_a_json_route_refuses_a_body_of_another_media_type_with_415(
    client: TestClient, new_seller: Callable[..., dict[str, str]], content_type: str | None
) -> None:
    headers = new_seller()
    if content_type is not None:
        headers["content-type"] = content_type
    body = b'{"buyer": {"email": "a@b.co"}, "reason": "other"}'
    response = client.post("/v1/tags", content=body, headers=headers)
    error = assert_error(response, 415, "unsupported_media_type")
    assert "application/json" in error["message"]


@pytest.mark.parametrize(
    "content_type",
    ["application/JSON", "application/json; charset=UTF-8", "application/vnd.x+json"],
)
def test_json_is_json_in_any_case_and_with_parameters(
    client: TestClient, new_seller: Callable[..., dict[str, str]], content_type: str
) -> None:
    headers = {**new_seller(), "content-type": content_type}
    body = b'{"buyer": {"email": "a@b.co"}, "reason": "other"}'
    assert client.post("/v1/tags", content=body, headers=headers).status_code == 201


def test_creating_a_seller_refuses_a_key_given_twice_and_creates_nobody(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    headers = {**new_seller(admin=True), "content-type": "application/json"}
    body = '{"name": "Twice", "admin": false, "admin": true}'
    error = assert_error(
        client.post("/v1/sellers", content=body, headers=headers), 422, "invalid_request"
    )
    assert error["message"] == 'body: duplicate key "admin"'
    names = [s["name"] for s in client.get("/v1/sellers", headers=headers).json()["sellers"]]
    assert "Twice" not in names

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient


def jsonl(*records: dict[str, Any]) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode()


def post(client: TestClient, body: bytes, auth: dict[str, str]):
    return client.post(
        "/v1/imports", content=body, headers={**auth, "Content-Type": "application/x-ndjson"}
    )


def test_import_counts_and_duplicates(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    auth = new_seller()
    body = jsonl(
        {
            "type": "tag",
            "buyer": {"email": "a@example.com"},
            "reason": "unpaid_order",
            "at": "2026-01-02T03:04:05Z",
        },
        {"type": "tag", "buyer": {"email": "A@example.com"}, "reason": "unpaid_order"},
        {"type": "completed_order", "buyer": {"email": "b@example.com"}, "order_ref": "1"},
        {"type": "completed_order", "buyer": {"email": "b@example.com"}, "order_ref": "1"},
    )
    response = post(client, body, auth)
    assert response.status_code == 201, response.text
    assert response.json() == {"tags": 1, "completed_orders": 1, "duplicates": 2}
    tags = client.get("/v1/tags", headers=auth).json()["tags"]
    assert tags[0]["created_at"].startswith("2026-01-02T03:04:05")
    assert post(client, body, auth).json() == {"tags": 0, "completed_orders": 0, "duplicates": 4}


def test_a_bad_line_imports_nothing_and_every_bad_line_is_named(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    auth = new_seller()
    body = b"\n".join(
        [
            jsonl({"type": "tag", "buyer": {"email": "ok@example.com"}, "reason": "other"}),
            b"{not json",
            jsonl({"type": "tag", "buyer": {"email": "ok@example.com"}, "reason": "nope"}),
            jsonl({"type": "completed_order", "buyer": {"phone": "1"}, "order_ref": "x"}),
            jsonl(
                {
                    "type": "tag",
                    "buyer": {"email": "ok@example.com"},
                    "reason": "other",
                    "at": "2999-01-01",
                }
            ),
        ]
    )
    response = post(client, body, auth)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_import"
    for line in ("line 2", "line 3", "line 4", "line 5"):
        assert line in error["message"]
    assert "line 1:" not in error["message"]
    assert client.get("/v1/tags", headers=auth).json()["tags"] == []


@pytest.mark.parametrize(
    "content_type", ["application/x-ndjson", "application/jsonl", "text/plain", None]
)
def test_json_lines_are_read_whatever_the_media_type(
    client: TestClient, new_seller: Callable[..., dict[str, str]], content_type: str | None
) -> None:
    headers = new_seller()
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = jsonl({"type": "tag", "buyer": {"email": "a@example.com"}, "reason": "other"})
    response = client.post("/v1/imports", content=body, headers=headers)
    assert response.status_code == 201, response.text


def test_a_line_giving_a_key_twice_is_bad_and_imports_nothing(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    auth = new_seller()
    good = jsonl({"type": "tag", "buyer": {"email": "ok@example.com"}, "reason": "other"})
    twice = (
        b'{"type": "tag", "buyer": {"email": "b@example.com"}, "order_ref": "A-1", '
        b'"type": "completed_order"}'
    )
    response = post(client, b"\n".join([good, twice]), auth)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_import"
    assert error["lines"] == [{"line": 2, "message": 'duplicate key "type"'}]
    assert client.get("/v1/tags", headers=auth).json()["tags"] == []


def test_admin_names_the_seller_per_line_and_sellers_are_created(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    admin = new_seller("Operator", admin=True)
    body = jsonl(
        *[
            {
                "type": "tag",
                "seller": f"Shop {i}",
                "buyer": {"email": "z@example.com"},
                "reason": "extortion",
            }
            for i in range(3)
        ]
    )
    assert post(client, body, admin).json()["tags"] == 3
    names = {s["name"] for s in client.get("/v1/sellers", headers=admin).json()["sellers"]}
    assert {"Shop 0", "Shop 1", "Shop 2"} <= names
    profile = client.post(
        "/v1/buyers/lookup", json={"buyer": {"email": "z@example.com"}}, headers=admin
    ).json()
    assert profile["distinct_reporters"] == 3


def test_a_seller_key_cannot_name_another_seller(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    body = jsonl(
        {"type": "tag", "seller": "Someone", "buyer": {"email": "z@example.com"}, "reason": "other"}
    )
    response = post(client, body, new_seller())
    assert response.status_code == 422
    assert "line 1: seller" in response.json()["error"]["message"]


def test_an_imported_international_domain_is_one_buyer_in_either_form(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    auth = new_seller()
    body = jsonl(
        {"type": "tag", "buyer": {"email": "user@xn--mnchen-3ya.de"}, "reason": "extortion"},
        {"type": "tag", "buyer": {"email": "USER@MÜNCHEN.DE"}, "reason": "extortion"},
        {"type": "tag", "buyer": {"email": "user@xn--zz.de"}, "reason": "extortion"},
    )
    response = post(client, body, auth)
    assert response.status_code == 422
    assert "line 3: email: not a valid international domain name" in response.text
    body = b"\n".join(body.split(b"\n")[:2])
    assert post(client, body, auth).json() == {"tags": 1, "completed_orders": 0, "duplicates": 1}
    profile = client.post(
        "/v1/buyers/lookup", json={"buyer": {"email": "user@münchen.de"}}, headers=new_seller()
    ).json()
    assert profile["distinct_reporters"] == 1

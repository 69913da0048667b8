"""Routes that read JSON Lines: an odd line is an error of its own, and lines keep their number."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient


def screening(n: int, text: str = "Berlin") -> dict[str, Any]:
    order = {
        "ref": f"L-{n}",
        "amount": 10,
        "currency": "EUR",
        "payment_method": "prepaid",
        "ship_to": {"country": "DE", "region": text},
    }
    return {"order": order, "buyer": {"email": f"b{n}@example.com"}}


def record(n: int, text: str = "a note") -> dict[str, Any]:
    return {
        "type": "tag",
        "buyer": {"email": f"b{n}@example.com"},
        "reason": "unpaid_order",
        "note": text,
    }


def event(n: int, text: str = "A") -> dict[str, Any]:
    return {
        "event_id": f"e{n}",
        "type": "order.created",
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "order_ref": f"{text}-{n}",
        "buyer": {"email": f"b{n}@example.com"},
    }


def batch_errors(response: httpx2.Response) -> list[int]:
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert all(r["result"] for r in results if not r["error"])
    return [r["line"] for r in results if r["error"]]


def import_errors(response: httpx2.Response) -> list[int]:
    assert response.status_code == 422, response.text
    return [line["line"] for line in response.json()["error"]["lines"]]


def events_errors(response: httpx2.Response) -> list[int]:
    assert response.status_code == 422, response.text
    index = re.match(r"events\[(\d+)\]", response.json()["error"]["message"])
    assert index is not None, response.text
    return [int(index[1]) + 1]


ROUTES = {
    "screenings/batch": (screening, batch_errors),
    "imports": (record, import_errors),
    "events": (event, events_errors),
    "events/import": (event, import_errors),
}


Post = Callable[..., httpx2.Response]


@pytest.fixture
def post(client: TestClient, new_seller: Callable[..., dict[str, str]]) -> Post:
    headers = {**new_seller(), "Content-Type": "application/x-ndjson"}

    def send(path: str, *lines: str) -> httpx2.Response:
        return client.post(f"/v1/{path}", content="\n".join(lines).encode(), headers=headers)

    return send


ODD_LINES = {
    "nested too deeply": "[" * 100_000 + "]" * 100_000,
    "a number too long": '{"amount": ' + "9" * 5000 + "}",
}


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("odd", ODD_LINES)
def test_a_line_json_cannot_read_is_that_lines_error(post: Post, path: str, odd: str) -> None:
    make, errors = ROUTES[path]
    response = post(path, json.dumps(make(1)), ODD_LINES[odd], json.dumps(make(3)))
    assert errors(response) == [2]
    assert odd in response.text


@pytest.mark.parametrize("path", ROUTES)
def test_only_a_line_feed_ends_a_line(post: Post, path: str) -> None:
    make, errors = ROUTES[path]
    separators = "\u2028\u2029\u0085"
    response = post(
        path,
        json.dumps(make(1)) + "\r",
        json.dumps(make(2, f"a{separators}b"), ensure_ascii=False),
        "not json",
    )
    assert errors(response) == [3]


@pytest.mark.parametrize("path", ROUTES)
def test_a_key_given_twice_is_that_lines_error(post: Post, path: str) -> None:
    make, errors = ROUTES[path]
    key, value = next(iter(make(9).items()))
    twice = json.dumps(make(2))[:-1] + f', "{key}": {json.dumps(value)}}}'
    response = post(path, json.dumps(make(1)), twice, json.dumps(make(3)))
    assert errors(response) == [2]
    assert f'duplicate key \\"{key}\\"' in response.text


@pytest.mark.parametrize("path", ["screenings/batch", "imports", "events/import"])
def test_every_line_that_is_not_utf8_or_starts_with_a_bom_is_its_own_error(
    client: TestClient, new_seller: Callable[..., dict[str, str]], path: str
) -> None:
    make, errors = ROUTES[path]
    good = [json.dumps(make(n)).encode() for n in range(5)]
    body = b"\n".join(
        [b"\xef\xbb\xbf" + good[0], b'"caf\xe9"', good[2], b"\xef\xbb\xbf" + good[3], b"\xff"]
    )
    headers = {**new_seller(), "Content-Type": "application/x-ndjson"}
    response = client.post(f"/v1/{path}", content=body, headers=headers)
    assert errors(response) == [2, 4, 5]
    assert "not UTF-8 text" in response.text
    assert "a byte-order mark (U+FEFF) may only start the first line" in response.text


def test_events_name_the_first_line_that_is_not_utf8(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    good = [json.dumps(event(n)).encode() for n in range(4)]
    body = b"\n".join([good[0], good[1], b'{"event_id": "caf\xe9"}', b"\xff"])
    headers = {**new_seller(), "Content-Type": "application/x-ndjson"}
    response = client.post("/v1/events", content=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "events[2]: not UTF-8 text"
    one = client.post("/v1/events", content=b'{"event_id": "\xff"}', headers=headers)
    assert one.json()["error"]["message"] == "body: not UTF-8 text"

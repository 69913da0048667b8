"""POST /v1/events, the history import and the event rules, over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from fastapi.testclient import TestClient

from buyerguard.config import Settings
from buyerguard.services.event_processing import process_events
from buyerguard.storage.database import Database, open_database
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from buyerguard.web.app import create_app

Auth = dict[str, str]


def body(n: int, kind: str = "order.created", **extra: Any) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(days=2)
    return {
        "event_id": f"e{n}",
        "type": kind,
        "occurred_at": at.isoformat(),
        "order_ref": "A-1",
    } | extra


def process(database: Database) -> None:
    process_events(SqlUnitOfWork(database.sessions), now=datetime.now(UTC))


def test_an_event_is_accepted_then_a_replay_is_a_duplicate(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    auth = new_seller()
    event = body(1, buyer={"email": "b@example.com"})
    first = client.post("/v1/events", json=event, headers=auth)
    assert first.status_code == 202, first.text
    assert first.json() == {
        "status": "accepted",
        "accepted": 1,
        "duplicates": 0,
        "events": [{"event_id": "e1", "status": "accepted"}],
    }
    again = client.post("/v1/events", json=event, headers=auth)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"


def test_an_accepted_event_is_committed_before_the_answer(
    client: TestClient, new_seller: Callable[..., Auth], database: Database
) -> None:
    auth = new_seller()
    assert client.post("/v1/events", json=body(1), headers=auth).status_code == 202
    other = open_database(database.engine.url.render_as_string(hide_password=False))
    try:
        with SqlUnitOfWork(other.sessions) as uow:
            assert [p.order_ref for p in uow.events.pending(5)] == ["A-1"]
    finally:
        other.dispose()


def test_a_burst_as_an_array_or_json_lines(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    auth = new_seller()
    array = client.post("/v1/events", json=[body(1), body(2)], headers=auth)
    assert array.status_code == 202
    assert (array.json()["accepted"], array.json()["duplicates"]) == (2, 0)
    lines = "\n".join(json.dumps(body(n)) for n in (2, 3)).encode()
    response = client.post(
        "/v1/events", content=lines, headers={**auth, "Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 202
    assert response.json()["events"] == [
        {"event_id": "e2", "status": "duplicate"},
        {"event_id": "e3", "status": "accepted"},
    ]


def test_bad_events_are_refused_with_the_field_and_nothing_stored(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    auth = new_seller()
    cases = [
        (body(1, kind="order.lost"), "unknown_event_type", "order.created"),
        (
            body(1, kind="dispute.resolved", data={"claim": "quality"}),
            "invalid_event",
            "data.outcome",
        ),
        (body(1, buyer={"phone": "12"}), "invalid_event", "buyer.phone"),
        ({"type": "order.created"}, "invalid_event", "event_id"),
        ([body(1), body(2, occurred_at="yesterday")], "invalid_event", "events[1].occurred_at"),
        (body(1, occurred_at="2999-01-01T00:00:00Z"), "invalid_event", "is in the future"),
    ]
    for sent, code, named in cases:
        response = client.post("/v1/events", json=sent, headers=auth)
        assert response.status_code == 422, sent
        assert response.json()["error"]["code"] == code
        assert named in response.json()["error"]["message"]
    listed = client.get("/v1/events", params={"order_ref": "A-1"}, headers=auth)
    assert listed.json() == {"events": []}


def test_events_need_a_key(client: TestClient) -> None:
    response = client.post("/v1/events", json=body(1))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_an_orders_events_are_listed_once_processed(
    client: TestClient, new_seller: Callable[..., Auth], database: Database
) -> None:
    auth = new_seller()
    client.post("/v1/events", json=body(1, buyer={"email": "b@example.com"}), headers=auth)
    (pending,) = client.get("/v1/events", params={"order_ref": "A-1"}, headers=auth).json()[
        "events"
    ]
    assert pending["processed_at"] is None
    assert pending["identifier_kinds"] == ["email"]
    process(database)
    (done,) = client.get("/v1/events", params={"order_ref": "A-1"}, headers=auth).json()["events"]
    assert done["processed_at"] is not None
    other = new_seller()
    assert client.get("/v1/events", params={"order_ref": "A-1"}, headers=other).json() == {
        "events": []
    }


def test_history_is_imported_as_csv_or_json_lines_and_the_rules_apply(
    client: TestClient, new_seller: Callable[..., Auth], database: Database
) -> None:
    auth = new_seller()
    csv = (
        "type,occurred_at,order_ref,email,reason\n"
        "order.delivered,2026-01-02T10:00:00Z,H-1,h@example.com,\n"
        "cod.refused,2026-01-03T10:00:00Z,H-2,h@example.com,refused at door\n"
    )
    response = client.post(
        "/v1/events/import", content=csv, headers={**auth, "Content-Type": "text/csv"}
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 2, "duplicates": 0}
    again = client.post(
        "/v1/events/import", content=csv, headers={**auth, "Content-Type": "text/csv"}
    )
    assert again.json() == {"accepted": 0, "duplicates": 2}
    lines = json.dumps(body(9, kind="order.paid") | {"order_ref": "H-3"})
    response = client.post(
        "/v1/events/import", content=lines, headers={**auth, "Content-Type": "application/x-ndjson"}
    )
    assert response.json() == {"accepted": 1, "duplicates": 0}
    process(database)
    tags = client.get("/v1/tags", headers=auth).json()["tags"]
    assert [(t["reason"], t["source"], t["order_ref"]) for t in tags] == [
        ("cod_refusal", "event", "H-2")
    ]


def import_csv(
    client: TestClient, auth: Auth, text: str, media_type: str = "text/csv"
) -> httpx2.Response:
    return client.post(
        "/v1/events/import", content=text.encode(), headers={**auth, "Content-Type": media_type}
    )


def order_events(client: TestClient, auth: Auth, order_ref: str) -> list[dict[str, Any]]:
    response = client.get("/v1/events", params={"order_ref": order_ref}, headers=auth)
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def test_a_quoted_csv_cell_keeps_its_line_breaks(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    auth = new_seller()
    csv = (
        "type,occurred_at,order_ref,email,reason\r\n"
        'cod.refused,2026-01-03T10:00:00Z,Q-1,q@example.com,"refused\r\nat the door"\r\n'
    )
    assert import_csv(client, auth, csv).status_code == 202
    (stored,) = order_events(client, auth, "Q-1")
    assert stored["data"] == {"reason": "refused\r\nat the door"}
    assert stored["identifier_kinds"] == ["email"]


def test_csv_is_read_whatever_the_case_and_parameters_of_its_media_type_and_with_a_bom(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    auth = new_seller()
    csv = "\ufefftype,occurred_at,order_ref\norder.created,2026-01-01T00:00:00Z,M-1\n"
    response = import_csv(client, auth, csv, media_type="Text/CSV; charset=UTF-8")
    assert response.status_code == 202, response.text
    assert [e["type"] for e in order_events(client, auth, "M-1")] == ["order.created"]


def test_a_malformed_csv_imports_nothing_and_names_the_line(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    auth = new_seller()
    header = "type,occurred_at,order_ref,email,reason\n"
    good = "cod.refused,2026-01-02T10:00:00Z,B-1,b@example.com,\n"
    unclosed = 'cod.refused,2026-01-02T10:00:00Z,"B-2,b@example.com,\n'
    huge = f"cod.refused,2026-01-02T10:00:00Z,B-3,b@example.com,{'x' * 140_000}\n"
    for text, line in [(header + good + unclosed, 3), (header + huge + good, 2)]:
        response = import_csv(client, auth, text)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_import"
        assert [bad["line"] for bad in error["lines"]] == [line]
    assert order_events(client, auth, "B-1") == []


def test_a_bad_history_line_imports_nothing(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    auth = new_seller()
    lines = "\n".join([json.dumps(body(1)), json.dumps(body(2, kind="order.lost"))])
    response = client.post(
        "/v1/events/import", content=lines, headers={**auth, "Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_import"
    assert "line 2" in response.json()["error"]["message"]
    assert client.get("/v1/events", params={"order_ref": "A-1"}, headers=auth).json() == {
        "events": []
    }


def test_event_rules_are_read_and_replaced(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    auth = new_seller()
    defaults = client.get("/v1/events/rules", headers=auth).json()
    assert defaults["returns_share_threshold"] == 0.5
    assert "frequent_returns" in defaults["enabled"]
    changed = {
        "returns_share_threshold": 0.3,
        "min_orders_for_returns": 5,
        "clean_after_days": 14,
        "enabled": ["non_payment", "card_fraud"],
    }
    response = client.put("/v1/events/rules", json=changed, headers=auth)
    assert response.status_code == 200
    assert response.json() == changed | {"enabled": ["card_fraud", "non_payment"]}
    assert client.get("/v1/events/rules", headers=auth).json()["clean_after_days"] == 14
    refused = client.put("/v1/events/rules", json={"enabled": ["extortion"]}, headers=auth)
    assert refused.status_code == 422
    assert "extortion" in refused.json()["error"]["message"]


def test_concurrent_posts_are_each_acknowledged_once(
    settings: Settings, database: Database, new_seller: Callable[..., dict[str, str]]
) -> None:
    seller = new_seller()
    app = create_app(settings, database=database)

    async def post_all() -> list[int]:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
            posts = [
                client.post("/v1/events", json=body(n % 12), headers=seller) for n in range(24)
            ]
            return [r.status_code for r in await asyncio.gather(*posts)]

    statuses = asyncio.run(post_all())
    app.state.events.stop()
    # Each of the 12 event ids is new once (202) and a duplicate the second time (200).
    assert sorted(statuses) == [200] * 12 + [202] * 12
    with SqlUnitOfWork(database.sessions) as uow:
        assert uow.events.count_pending() == 12


def test_a_csv_history_with_a_byte_that_is_not_utf8_is_refused_whole(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    body = b"type,occurred_at,order_ref,email\ncod.refused,2026-01-02T10:00:00Z,C-1,c\xff@x.com\n"
    headers = {**new_seller(), "Content-Type": "text/csv"}
    response = client.post("/v1/events/import", content=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "body: not UTF-8 text"

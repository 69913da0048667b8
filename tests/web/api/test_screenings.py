from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from buyerguard.config import Settings
from buyerguard.storage.database import Database
from buyerguard.web.app import create_app

CASE = {"email": "case@example.com"}
COD_REFUSER = {"phone": "+8801712345678"}
CLEAN = {"email": "clean@example.com"}


def order(ref: str = "SO-1", **overrides: Any) -> dict[str, Any]:
    base = {
        "ref": ref,
        "amount": 59.9,
        "currency": "EUR",
        "payment_method": "prepaid",
        "ship_to": {"country": "DE"},
    }
    return {**base, **overrides}


def screen(
    client: TestClient, auth: dict[str, str], buyer: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = client.post(
        "/v1/screenings", json={"order": order(**overrides), "buyer": buyer}, headers=auth
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def flag(
    client: TestClient,
    make: Callable[..., dict[str, str]],
    buyer: dict[str, str],
    reason: str,
    n: int,
) -> None:
    for i in range(n):
        seller = make(trust=0.9)
        client.post(
            "/v1/orders/completed",
            json={"buyer": {"email": f"other{i}@example.com"}, "order_ref": "x"},
            headers=seller,
        )
        ref = f"T-{i}"
        client.post(
            "/v1/orders/completed", json={"buyer": buyer, "order_ref": "earlier"}, headers=seller
        )
        response = client.post(
            "/v1/tags", json={"buyer": buyer, "reason": reason, "order_ref": ref}, headers=seller
        )
        assert response.status_code == 201


@pytest.fixture
def seller(new_seller: Callable[..., dict[str, str]]) -> dict[str, str]:
    return new_seller("Screening Shop")


def test_default_policy_declines_prepays_and_ships_with_reasons(
    client: TestClient, new_seller: Callable[..., dict[str, str]], seller: dict[str, str]
) -> None:
    flag(client, new_seller, CASE, "extortion", 6)
    flag(client, new_seller, COD_REFUSER, "cod_refusal", 3)

    declined = screen(client, seller, CASE, ref="A")
    assert declined["decision"] == "decline"
    assert declined["policy_version"] == 0
    assert declined["rule"]["text"] == 'decline if level == "high"'
    codes = {r["code"] for r in declined["reasons"]}
    assert {"risk", "extortion"} <= codes
    assert declined["risk"]["level"] == "high"

    prepay = screen(client, seller, COD_REFUSER, ref="B", payment_method="cod")
    assert prepay["decision"] == "require_prepayment"
    assert "cod_refusal" in {r["code"] for r in prepay["reasons"]}

    shipped = screen(client, seller, CLEAN, ref="C")
    assert shipped["decision"] == "ship"
    assert shipped["reasons"]


@pytest.mark.parametrize("reason", ["cod_refusal", "remote_area"])
def test_default_policy_asks_logistics_buyers_to_prepay_and_ships_prepaid_orders(
    client: TestClient,
    new_seller: Callable[..., dict[str, str]],
    seller: dict[str, str],
    reason: str,
) -> None:
    buyer = {"email": f"{reason}@example.com"}
    flag(client, new_seller, buyer, reason, 1)
    cod = screen(client, seller, buyer, ref="COD", payment_method="cod")
    assert (cod["risk"]["level"], cod["decision"]) == ("medium", "require_prepayment")
    assert screen(client, seller, buyer, ref="PRE")["decision"] == "ship"


def test_a_screening_records_the_order_so_a_later_tag_is_order_backed(
    client: TestClient, seller: dict[str, str]
) -> None:
    screen(client, seller, CLEAN, ref="SO-77")
    client.post(
        "/v1/tags",
        json={"buyer": CLEAN, "reason": "non_payment", "order_ref": "SO-77"},
        headers=seller,
    )
    profile = client.post("/v1/buyers/lookup", json={"buyer": CLEAN}, headers=seller).json()
    assert profile["my_tags"][0]["order_backed"] is True


def test_policy_versions_rules_and_decisions_name_them(
    client: TestClient, seller: dict[str, str]
) -> None:
    assert client.get("/v1/policy", headers=seller).json()["is_default"] is True
    source = 'review if order.amount > 100.0\ndecline if order.ship_to.country == "KP"\nship'
    saved = client.put("/v1/policy", json={"source": source}, headers=seller)
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1
    assert [r["action"] for r in saved.json()["rules"]] == ["review", "decline", "ship"]
    assert screen(client, seller, CLEAN, ref="1", amount=150.0)["rule"] == {
        "line": 1,
        "text": "review if order.amount > 100.0",
    }
    second = client.put("/v1/policy", json={"source": "ship"}, headers=seller).json()
    assert second["version"] == 2
    result = screen(client, seller, CLEAN, ref="2", amount=150.0)
    assert (result["decision"], result["policy_version"]) == ("ship", 2)


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [
        ("ship if risk > 0.5\ndecline if rsk > 0.9", 2, 12),
        ('decline if sellers("rudeness") > 1', 1, 20),
        ("deny if risk > 0.5", 1, 1),
        ("review if (risk > ", 1, None),
    ],
)
def test_a_policy_that_does_not_compile_is_refused_with_its_position(
    client: TestClient, seller: dict[str, str], source: str, line: int, column: int | None
) -> None:
    response = client.put("/v1/policy", json={"source": source}, headers=seller)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_policy"
    assert error["line"] == line
    if column is not None:
        assert error["column"] == column
    assert f"line {line}" in error["message"]
    assert client.get("/v1/policy", headers=seller).json()["is_default"] is True


def test_allow_and_block_lists_override_the_policy(
    client: TestClient, new_seller: Callable[..., dict[str, str]], seller: dict[str, str]
) -> None:
    flag(client, new_seller, CASE, "extortion", 6)
    added = client.post(
        "/v1/lists/allow/entries", json={"buyer": CASE, "note": "regular customer"}, headers=seller
    )
    assert added.status_code == 201
    allowed = screen(client, seller, CASE, ref="1")
    assert (allowed["decision"], allowed["reasons"][0]["code"]) == ("ship", "list")

    client.post("/v1/lists/block/entries", json={"buyer": CLEAN}, headers=seller)
    assert screen(client, seller, CLEAN, ref="2")["decision"] == "decline"

    entries = client.get("/v1/lists/allow/entries", headers=seller).json()
    assert [e["note"] for e in entries] == ["regular customer"]
    assert (
        client.delete(f"/v1/lists/allow/entries/{entries[0]['id']}", headers=seller).status_code
        == 204
    )
    assert screen(client, seller, CASE, ref="3")["decision"] == "decline"


def test_a_list_entry_follows_its_buyer_into_the_record_it_is_merged_into(
    client: TestClient, new_seller: Callable[..., dict[str, str]], seller: dict[str, str]
) -> None:
    other = new_seller()
    client.post(
        "/v1/orders/completed", json={"buyer": COD_REFUSER, "order_ref": "1"}, headers=other
    )
    client.post("/v1/lists/block/entries", json={"buyer": CLEAN, "note": "no"}, headers=seller)
    both = {**CLEAN, **COD_REFUSER}
    client.post("/v1/orders/completed", json={"buyer": both, "order_ref": "2"}, headers=other)
    decided = screen(client, seller, CLEAN, ref="1")
    assert (decided["decision"], decided["reasons"][0]["code"]) == ("decline", "list")
    assert screen(client, seller, COD_REFUSER, ref="2")["decision"] == "decline"
    (entry,) = client.get("/v1/lists/block/entries", headers=seller).json()
    kept = client.post("/v1/buyers/lookup", json={"buyer": CLEAN}, headers=seller).json()
    assert (entry["buyer_id"], entry["note"]) == (kept["buyer_id"], "no")


def test_a_buyer_naming_a_clean_record_beside_its_own_is_judged_on_both(
    client: TestClient, new_seller: Callable[..., dict[str, str]], seller: dict[str, str]
) -> None:
    for ref in ("C-1", "C-2"):  # the clean record is the older: unmerged, an order goes with it
        completed = {"buyer": CLEAN, "order_ref": ref}
        assert client.post("/v1/orders/completed", json=completed, headers=new_seller()).is_success
    flag(client, new_seller, CASE, "extortion", 6)
    blocked = {"phone": "+4915112345678"}
    client.post("/v1/tags", json={"buyer": blocked, "reason": "other"}, headers=new_seller())
    client.post("/v1/lists/block/entries", json={"buyer": blocked}, headers=seller)

    declined = screen(client, seller, {**CLEAN, **CASE}, ref="A")
    assert (declined["decision"], declined["risk"]["level"]) == ("decline", "high")
    assert "extortion" in {r["code"] for r in declined["reasons"]}
    listed = screen(client, seller, {**CLEAN, **blocked}, ref="B")
    assert (listed["decision"], listed["reasons"][0]["code"]) == ("decline", "list")

    # Nothing was merged: the clean record still ships on its own.
    assert screen(client, seller, CLEAN, ref="C")["decision"] == "ship"
    profile = client.post("/v1/buyers/lookup", json={"buyer": CLEAN}, headers=seller).json()
    assert (profile["distinct_reporters"], profile["clean_sellers"]) == (0, 2)


def test_a_known_order_named_with_another_record_keeps_its_buyer_and_is_judged_on_both(
    client: TestClient, new_seller: Callable[..., dict[str, str]], seller: dict[str, str]
) -> None:
    completed = {"buyer": CLEAN, "order_ref": "C-1"}
    assert client.post("/v1/orders/completed", json=completed, headers=new_seller()).is_success
    assert screen(client, seller, CLEAN, ref="SO-9")["decision"] == "ship"
    flag(client, new_seller, CASE, "extortion", 6)

    again = screen(client, seller, CASE, ref="SO-9")  # the same order, now named with CASE
    assert again["decision"] == "decline"
    # The order is still the clean record's: a tag citing it there is order-backed.
    cited = {"buyer": CLEAN, "reason": "non_payment", "order_ref": "SO-9"}
    assert client.post("/v1/tags", json=cited, headers=seller).status_code == 201
    profile = client.post("/v1/buyers/lookup", json={"buyer": CLEAN}, headers=seller).json()
    assert [t["order_backed"] for t in profile["my_tags"]] == [True]
    assert "extortion" not in {r["reason"] for r in profile["reasons"]}


def test_an_expired_list_entry_does_not_count(client: TestClient, seller: dict[str, str]) -> None:
    past = client.post(
        "/v1/lists/block/entries",
        json={"buyer": CLEAN, "expires_at": "2001-01-01T00:00:00Z"},
        headers=seller,
    )
    assert past.status_code == 422


def test_named_lists_feed_the_policy(client: TestClient, seller: dict[str, str]) -> None:
    client.put(
        "/v1/policy", json={"source": 'review if buyer in list("vip")\nship'}, headers=seller
    )
    client.post("/v1/lists/vip/entries", json={"buyer": CLEAN}, headers=seller)
    assert screen(client, seller, CLEAN, ref="1")["decision"] == "review"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": -5}, "order.amount"),
        ({"amount": 1e12}, "order.amount"),
        ({"currency": "EUROS"}, "order.currency"),
        ({"currency": "XXY"}, "order.currency"),
        ({"ship_to": {"country": "ZZ"}}, "order.ship_to.country"),
        ({"payment_method": "card"}, "order.payment_method"),
        ({"amount": True}, "order.amount"),
        ({"amount": "12.5"}, "order.amount"),
        ({"amount": None}, "order.amount"),
        ({"ref": "   "}, "order.ref"),
    ],
)
def test_bad_orders_are_422_naming_the_field(
    client: TestClient, seller: dict[str, str], overrides: dict[str, Any], field: str
) -> None:
    response = client.post(
        "/v1/screenings", json={"order": order(**overrides), "buyer": CLEAN}, headers=seller
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_order"
    assert response.json()["error"]["message"].startswith(field)
    line = json.dumps({"order": order(**overrides), "buyer": CLEAN})
    batch = client.post("/v1/screenings/batch", content=line, headers=seller).json()
    assert batch["results"][0]["error"]["code"] == "invalid_order"
    assert batch["results"][0]["error"]["message"].startswith(field)


def test_codes_in_any_case_are_read_as_iso_writes_them(
    client: TestClient, seller: dict[str, str]
) -> None:
    policy = 'review if order.ship_to.country == "FR" && order.currency == "EUR"\nship'
    client.put("/v1/policy", json={"source": policy}, headers=seller)
    single = screen(client, seller, CLEAN, ref="S1", currency="eur", ship_to={"country": "fr"})
    assert single["decision"] == "review"
    orders = [
        order("B1"),
        order("B2", currency="Eur", ship_to={"country": "fR"}),
        order("B3", ship_to={"country": "zz"}),
    ]
    lines = [json.dumps({"order": o, "buyer": CLEAN}) for o in orders]
    results = client.post("/v1/screenings/batch", content="\n".join(lines), headers=seller).json()[
        "results"
    ]
    assert [r["result"]["decision"] if r["result"] else r["error"]["code"] for r in results] == [
        "ship",
        "review",
        "invalid_order",
    ]
    log = client.get("/v1/screenings", headers=seller).json()["screenings"]
    assert [
        (s["order"]["ref"], s["order"]["currency"], s["order"]["ship_to"]["country"]) for s in log
    ] == [
        ("B2", "EUR", "FR"),
        ("B1", "EUR", "DE"),
        ("S1", "EUR", "FR"),
    ]


def test_decision_log_lists_filters_and_shows_inputs(
    client: TestClient, seller: dict[str, str], new_seller: Callable[..., dict[str, str]]
) -> None:
    flag(client, new_seller, CASE, "extortion", 6)
    first = screen(client, seller, CLEAN, ref="1")
    screen(client, seller, CASE, ref="2")
    log = client.get("/v1/screenings", headers=seller).json()["screenings"]
    assert [s["decision"] for s in log] == ["decline", "ship"]
    declines = client.get("/v1/screenings?decision=decline", headers=seller).json()["screenings"]
    assert [s["order"]["ref"] for s in declines] == ["2"]
    one = client.get(f"/v1/screenings/{first['screening_id']}", headers=seller).json()
    assert one["order"]["currency"] == "EUR"
    assert (
        client.get(f"/v1/screenings/{first['screening_id']}", headers=new_seller()).status_code
        == 404
    )
    assert client.get("/v1/screenings?since=2026-01-01T00:00:00", headers=seller).status_code == 422


def test_rule_errors_are_recorded_with_the_decision(
    client: TestClient, seller: dict[str, str]
) -> None:
    source = "decline if distinct_reporters / clean_sellers > 0\nship"
    assert client.put("/v1/policy", json={"source": source}, headers=seller).status_code == 200
    decided = screen(client, seller, CLEAN, ref="E1")
    assert decided["errors"] == ["line 1: division by zero in CEL expression"]
    one = client.get(f"/v1/screenings/{decided['screening_id']}", headers=seller).json()
    (listed,) = client.get("/v1/screenings", headers=seller).json()["screenings"]
    assert one["errors"] == listed["errors"] == decided["errors"]
    client.put("/v1/policy", json={"source": "ship"}, headers=seller)
    clean = screen(client, seller, CLEAN, ref="E2")
    assert (
        client.get(f"/v1/screenings/{clean['screening_id']}", headers=seller).json()["errors"] == []
    )


def test_backtest_shows_what_a_draft_would_change(
    client: TestClient, new_seller: Callable[..., dict[str, str]], seller: dict[str, str]
) -> None:
    flag(client, new_seller, CASE, "extortion", 6)
    screen(client, seller, CLEAN, ref="good-1")
    screen(client, seller, CLEAN, ref="good-2", amount=500.0)
    client.post(
        "/v1/orders/completed", json={"buyer": CLEAN, "order_ref": "good-1"}, headers=seller
    )
    screen(client, seller, CASE, ref="bad-1")
    draft = {"source": "review if order.amount > 100.0\nship"}
    report = client.post("/v1/policy/backtest", json=draft, headers=seller).json()
    assert report["replayed"] == 3
    assert report["transitions"] == {"decline->ship": 1, "ship->review": 1}
    assert report["recorded"]["good_shipped"] == 1
    everything = client.post(
        "/v1/policy/backtest", json={"source": "decline"}, headers=seller
    ).json()
    assert "declines_everything" in everything["flags"]
    assert everything["draft"]["good_declined"] == 1
    assert client.get("/v1/policy", headers=seller).json()["is_default"] is True


def test_backtest_outcomes_ignore_retracted_tags(
    client: TestClient, seller: dict[str, str]
) -> None:
    screen(client, seller, CLEAN, ref="A1")
    tag = client.post(
        "/v1/tags",
        json={"buyer": CLEAN, "reason": "non_payment", "order_ref": "A1"},
        headers=seller,
    ).json()
    assert client.delete(f"/v1/tags/{tag['id']}", headers=seller).status_code == 204
    client.post("/v1/orders/completed", json={"buyer": CLEAN, "order_ref": "A1"}, headers=seller)
    report = client.post("/v1/policy/backtest", json={"source": "ship"}, headers=seller).json()
    assert report["recorded"] == {
        "bad_stopped": 0,
        "bad_shipped": 0,
        "good_declined": 0,
        "good_shipped": 1,
    }


def test_batch_screens_each_line_and_reports_bad_ones(
    client: TestClient, seller: dict[str, str]
) -> None:
    lines = [
        json.dumps({"order": order("B1"), "buyer": CLEAN}),
        "not json",
        json.dumps({"order": order("B3", currency="ABC"), "buyer": CLEAN}),
        json.dumps({"order": order("B4"), "buyer": {"email": "bad"}}),
        json.dumps({"order": order("B5", payment_method="cod"), "buyer": COD_REFUSER}),
    ]
    response = client.post("/v1/screenings/batch", content="\n".join(lines), headers=seller)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["line"] for r in results] == [1, 2, 3, 4, 5]
    assert [r["result"]["decision"] if r["result"] else r["error"]["code"] for r in results] == [
        "ship",
        "invalid_input",
        "invalid_order",
        "invalid_identifier",
        "ship",
    ]


def test_a_batch_is_screened_one_group_commit_at_a_time(
    client: TestClient, seller: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch never holds the writer for longer than one transaction of the group commit, so
    single screenings sent meanwhile do not wait for the whole batch."""
    committer = client.app.state.screenings  # type: ignore[attr-defined]
    run, sizes = committer.run, []

    def recording(batch: list[Any]) -> Any:
        sizes.append(len(batch))
        return run(batch)

    monkeypatch.setattr(committer, "run", recording)
    monkeypatch.setattr(committer, "max_batch", 2)
    lines = [
        json.dumps({"order": order(f"T{i}"), "buyer": {"email": f"t{i}@example.com"}})
        for i in range(5)
    ]
    lines.insert(2, json.dumps({"order": order("bad", amount=-1), "buyer": CLEAN}))
    response = client.post("/v1/screenings/batch", content="\n".join(lines), headers=seller)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["line"] for r in results] == [1, 2, 3, 4, 5, 6]
    assert [r["result"]["decision"] if r["result"] else r["error"]["code"] for r in results] == [
        "ship",
        "ship",
        "invalid_order",
        "ship",
        "ship",
        "ship",
    ]
    assert (sum(sizes), max(sizes)) == (5, 2)
    refs = [r["result"]["screening_id"] for r in results if r["result"]]
    assert len(set(refs)) == 5


def test_a_decision_is_sent_to_screening_decided_subscribers(
    client: TestClient, seller: dict[str, str]
) -> None:
    subscription = client.post(
        "/v1/subscriptions",
        json={"url": "https://hooks.example.com/d", "events": ["screening.decided"]},
        headers=seller,
    ).json()
    screen(client, seller, CLEAN, ref="S-1")
    deliveries = client.get(
        f"/v1/subscriptions/{subscription['id']}/deliveries", headers=seller
    ).json()["deliveries"]
    assert [(d["event"], d["status"]) for d in deliveries] == [("screening.decided", "pending")]


def test_concurrent_screenings_each_get_their_decision_and_are_logged(
    settings: Settings, database: Database, seller: dict[str, str]
) -> None:
    app = create_app(settings, database=database)

    async def screen_many() -> list[Any]:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
            return list(
                await asyncio.gather(
                    *(
                        client.post(
                            "/v1/screenings",
                            json={"order": order(f"C-{i}"), "buyer": {"email": f"c{i}@ex.com"}},
                            headers=seller,
                        )
                        for i in range(24)
                    )
                )
            )

    responses = asyncio.run(screen_many())
    app.state.screenings.stop()
    assert [r.status_code for r in responses] == [201] * 24
    bodies = [r.json() for r in responses]
    assert [b["order_ref"] for b in bodies] == [f"C-{i}" for i in range(24)]
    assert len({b["screening_id"] for b in bodies}) == 24
    with TestClient(app) as client:
        logged = client.get("/v1/screenings", params={"limit": 100}, headers=seller).json()
    assert sorted(s["order"]["ref"] for s in logged["screenings"]) == sorted(
        f"C-{i}" for i in range(24)
    )

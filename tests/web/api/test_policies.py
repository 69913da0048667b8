from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from buyerguard.services.policies import BacktestBudget

# A condition of just under the 1000 characters a condition may have.
LONG_CONDITION = " || ".join(["order.amount > 100000.0"] * 37)


def test_a_policy_within_the_documented_limits_is_saved(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    seller = new_seller()
    rule = f"require_prepayment if {LONG_CONDITION}  # {'why: ' * 100}"
    source = "\n".join([rule] * 199 + ["ship"])
    assert len(LONG_CONDITION) <= 1000 < len(rule)
    response = client.put("/v1/policy", json={"source": source}, headers=seller)
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()["rules"]) == 200


def test_a_policy_over_the_size_limit_is_an_invalid_policy_naming_where(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    seller = new_seller()
    source = "ship\n" + "#" * 400_000
    for method, path in (("PUT", "/v1/policy"), ("POST", "/v1/policy/backtest")):
        response = client.request(method, path, json={"source": source}, headers=seller)
        assert response.status_code == 422, response.text[:300]
        error = response.json()["error"]
        assert (error["code"], error["line"], error["column"]) == ("invalid_policy", 2, 399_996)
        assert "at most 400,000 characters" in error["message"]


def test_a_policy_naming_a_list_that_cannot_exist_is_refused_where_it_names_it(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    seller = new_seller()
    refused = client.post(
        "/v1/lists/VIP/entries", json={"buyer": {"email": "a@b.cd"}}, headers=seller
    )
    assert refused.status_code == 422
    for name in ("VIP", "vip list"):
        source = f'ship if buyer in list("vip")\ndecline if buyer in list("{name}")'
        for method, path in (("PUT", "/v1/policy"), ("POST", "/v1/policy/backtest")):
            response = client.request(method, path, json={"source": source}, headers=seller)
            assert response.status_code == 422, response.text
            error = response.json()["error"]
            assert (error["code"], error["line"], error["column"]) == ("invalid_policy", 2, 26)
            assert error["message"] == (
                f'line 2, column 26: "{name}" cannot name a list: '
                f"{refused.json()['error']['message'].removeprefix('list name: ')}"
            )
    assert client.get("/v1/policy", headers=seller).json()["is_default"] is True


# Rule 3 comes after a rule that always matches; rule 2 repeats rule 1's condition.
WARNED_SOURCE = "review if risk > 0.5\nreview if risk>0.5\nship if risk >= 0.0\ndecline if true\n"
WARNED = [
    {
        "line": 2,
        "column": 11,
        "code": "duplicate_condition",
        "message": "line 2 can never fire: the rule on line 1 has the same condition",
    },
    {
        "line": 4,
        "column": 1,
        "code": "unreachable_rule",
        "message": "line 4 can never fire: the rule on line 3 always matches",
    },
]


def test_a_policy_with_rules_that_can_never_fire_is_saved_with_warnings(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    seller = new_seller()
    saved = client.put("/v1/policy", json={"source": WARNED_SOURCE}, headers=seller)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["version"], saved.json()["warnings"]) == (1, WARNED)
    in_force = client.get("/v1/policy", headers=seller).json()
    assert (in_force["version"], in_force["source"]) == (1, WARNED_SOURCE)
    assert in_force["warnings"] == WARNED
    clean = client.put("/v1/policy", json={"source": "review if risk > 0.5\nship"}, headers=seller)
    assert (clean.json()["version"], clean.json()["warnings"]) == (2, [])
    assert client.get("/v1/policy", headers=seller).json()["warnings"] == []


def test_the_default_policy_has_no_warnings(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    in_force = client.get("/v1/policy", headers=new_seller()).json()
    assert (in_force["is_default"], in_force["warnings"]) == (True, [])


def test_a_backtest_warns_of_the_drafts_rules_that_can_never_fire(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    seller = new_seller()
    draft = {"source": WARNED_SOURCE}
    report = client.post("/v1/policy/backtest", json=draft, headers=seller).json()
    assert report["warnings"] == WARNED
    clean = {"source": "review if risk > 0.5\nship"}
    assert client.post("/v1/policy/backtest", json=clean, headers=seller).json()["warnings"] == []
    assert client.get("/v1/policy", headers=seller).json()["is_default"] is True


def test_the_warnings_are_in_the_openapi_responses(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["PolicyWarningOut"]["required"]) == {"line", "column", "code", "message"}
    for model in ("PolicyOut", "BacktestOut"):
        warnings = schemas[model]["properties"]["warnings"]
        assert warnings["items"] == {"$ref": "#/components/schemas/PolicyWarningOut"}
        assert "warnings" in schemas[model]["required"]


def _screened(client: TestClient, seller: dict[str, str], amounts: list[float]) -> None:
    """One screening of each amount, in this order."""
    for number, amount in enumerate(amounts):
        ref = f"BT-{number}"
        order = {
            "ref": ref,
            "amount": amount,
            "currency": "EUR",
            "payment_method": "prepaid",
            "ship_to": {"country": "DE"},
        }
        body = {"order": order, "buyer": {"email": f"{ref}@example.com"}}
        assert client.post("/v1/screenings", json=body, headers=seller).status_code == 201


def test_a_backtest_replays_the_newest_screenings_up_to_the_servers_limit(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    seller = new_seller()
    _screened(client, seller, [10, 500, 500])
    app: Any = client.app
    app.state.backtest_budget = BacktestBudget(2, 60.0, lambda: 0.0)
    draft = {"source": "review if order.amount > 100.0\nship"}
    report = client.post("/v1/policy/backtest", json=draft, headers=seller).json()
    assert (report["replayed"], report["logged"], report["partial"]) == (2, 3, True)
    assert report["stopped_by"] == "max_screenings"
    assert report["transitions"] == {"ship->review": 2}  # the two newest, not the oldest
    whole = client.post("/v1/policy/backtest", json={**draft, "days": 1}, headers=new_seller())
    assert whole.json()["logged"] == 0


def test_a_backtest_stops_when_its_time_is_up_and_says_it_is_partial(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    seller = new_seller()
    _screened(client, seller, [10, 10, 10, 10])
    ticks = itertools.count()  # one second later at each reading of the clock
    app: Any = client.app
    app.state.backtest_budget = BacktestBudget(100, 2.5, lambda: float(next(ticks)))
    report = client.post("/v1/policy/backtest", json={"source": "review"}, headers=seller).json()
    # Read at 0 (the deadline is 2.5), then before each replay: at 1 and 2 it goes on, at 3 not.
    assert (report["replayed"], report["logged"], report["partial"]) == (2, 4, True)
    assert (report["stopped_by"], report["actions"]) == ("time_budget", {"review": 2})
    app.state.backtest_budget = BacktestBudget(100, 60.0, lambda: 0.0)
    report = client.post("/v1/policy/backtest", json={"source": "review"}, headers=seller).json()
    assert (report["replayed"], report["logged"], report["partial"], report["stopped_by"]) == (
        4,
        4,
        False,
        None,
    )

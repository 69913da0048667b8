from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

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

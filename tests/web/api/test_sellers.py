"""Sellers over the API: creating them (admins), names of any script, listing them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

Auth = Callable[..., dict[str, str]]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("name", ["Café Müller", "Ünïcødé 店"])
def test_a_name_in_any_script_is_a_sellers_name(
    client: TestClient, new_seller: Auth, name: str
) -> None:
    admin = new_seller("Operator", admin=True)
    created = client.post("/v1/sellers", json={"name": name}, headers=admin)
    assert created.status_code == 201
    me = client.get("/v1/sellers/me", headers=bearer(created.json()["api_key"])).json()
    assert me["name"] == name


def test_a_name_differing_in_case_only_is_taken(client: TestClient, new_seller: Auth) -> None:
    admin = new_seller("Operator", admin=True)
    assert client.post("/v1/sellers", json={"name": "Demo Shop"}, headers=admin).status_code == 201
    for taken in ("demo shop", "DEMO SHOP", " Demo Shop "):
        response = client.post("/v1/sellers", json={"name": taken}, headers=admin)
        assert response.status_code == 409
        assert response.json()["error"] == {
            "code": "seller_exists",
            "message": "a seller named 'Demo Shop' exists already",
        }


@pytest.mark.parametrize("admin", ["yes", "true", 1, 0, "1", None, [True]])
def test_admin_must_be_a_json_boolean(client: TestClient, new_seller: Auth, admin: object) -> None:
    operator = new_seller("Operator", admin=True)
    response = client.post("/v1/sellers", json={"name": "Shop", "admin": admin}, headers=operator)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["error"]["message"].startswith("admin: ")
    listed = client.get("/v1/sellers", headers=operator).json()["sellers"]
    assert [s["name"] for s in listed] == ["Operator"]


@pytest.mark.parametrize(("admin", "role"), [(True, "admin"), (False, "seller")])
def test_admin_true_makes_an_admin_and_false_a_seller(
    client: TestClient, new_seller: Auth, admin: bool, role: str
) -> None:
    operator = new_seller("Operator", admin=True)
    created = client.post("/v1/sellers", json={"name": "Shop", "admin": admin}, headers=operator)
    assert created.status_code == 201
    me = client.get("/v1/sellers/me", headers=bearer(created.json()["api_key"])).json()
    assert me["role"] == role


def test_sellers_are_listed_oldest_first_a_page_at_a_time(
    client: TestClient, new_seller: Auth
) -> None:
    operator = new_seller("Operator", admin=True)
    for number in range(4):
        new_seller(f"Shop {number}")
    first = client.get("/v1/sellers?limit=3", headers=operator).json()
    assert [s["name"] for s in first["sellers"]] == ["Operator", "Shop 0", "Shop 1"]
    after = first["next_after"]
    assert after == first["sellers"][-1]["id"]
    rest = client.get(f"/v1/sellers?limit=3&after={after}", headers=operator).json()
    assert [s["name"] for s in rest["sellers"]] == ["Shop 2", "Shop 3"]
    assert rest["next_after"] is None
    for bad in ("limit=0", "limit=501", "after=0", "after=x"):
        response = client.get(f"/v1/sellers?{bad}", headers=operator)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_request"


def test_only_an_admin_lists_sellers(client: TestClient, new_seller: Auth) -> None:
    response = client.get("/v1/sellers", headers=new_seller())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"

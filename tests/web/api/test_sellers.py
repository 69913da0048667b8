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

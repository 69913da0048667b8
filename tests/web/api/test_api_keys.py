"""API keys over the API: a seller rotates its own, an admin issues and revokes any seller's, and a
revoked key is refused on the very next request, however recently it was used."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

Auth = Callable[..., dict[str, str]]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def works(client: TestClient, auth: dict[str, str]) -> bool:
    status = client.get("/v1/sellers/me", headers=auth).status_code
    assert status in (200, 401)
    return status == 200


def seller_id(client: TestClient, auth: dict[str, str]) -> int:
    return int(client.get("/v1/sellers/me", headers=auth).json()["id"])


def test_a_seller_gets_another_key_beside_its_first(client: TestClient, new_seller: Auth) -> None:
    first = new_seller("Shop")
    response = client.post("/v1/sellers/me/keys", headers=first)
    assert response.status_code == 201
    issued = response.json()
    assert set(issued) == {"key_id", "prefix", "api_key", "revoked"}
    assert issued["revoked"] == []
    assert issued["api_key"].startswith(issued["prefix"])
    assert len(issued["prefix"]) == 11
    assert works(client, first)
    assert works(client, bearer(issued["api_key"]))
    keys = client.get("/v1/sellers/me/keys", headers=first).json()["keys"]
    assert [k["id"] for k in keys] == [issued["key_id"], issued["key_id"] - 1]
    assert keys[0]["prefix"] == issued["prefix"]
    assert all(k["revoked_at"] is None for k in keys)
    assert set(keys[0]) == {"id", "prefix", "created_at", "revoked_at", "last_used_at"}
    assert all(k["last_used_at"] is not None for k in keys)  # both opened a request above
    assert first["Authorization"].removeprefix("Bearer ") not in str(keys)


def test_rotating_with_revoke_others_refuses_the_old_key_at_once(
    client: TestClient, new_seller: Auth
) -> None:
    old = new_seller("Shop")
    assert works(client, old)  # remembered by the server's key cache from here on
    response = client.post("/v1/sellers/me/keys", json={"revoke_others": True}, headers=old)
    assert response.status_code == 201
    new = bearer(response.json()["api_key"])
    assert len(response.json()["revoked"]) == 1
    assert not works(client, old)
    assert works(client, new)
    keys = client.get("/v1/sellers/me/keys", headers=new).json()["keys"]
    assert [k["revoked_at"] is None for k in keys] == [True, False]


def test_a_seller_revokes_one_of_its_keys_even_the_one_it_calls_with(
    client: TestClient, new_seller: Auth
) -> None:
    current = new_seller("Shop")
    spare = bearer(client.post("/v1/sellers/me/keys", headers=current).json()["api_key"])
    [_, first] = client.get("/v1/sellers/me/keys", headers=current).json()["keys"]
    assert works(client, current)
    assert client.delete(f"/v1/sellers/me/keys/{first['id']}", headers=current).status_code == 204
    assert not works(client, current)
    assert works(client, spare)
    again = client.delete(f"/v1/sellers/me/keys/{first['id']}", headers=spare)
    assert again.status_code == 204  # revoked already: nothing changes


def test_another_sellers_key_is_not_found_and_keeps_working(
    client: TestClient, new_seller: Auth
) -> None:
    mine, theirs = new_seller("Mine"), new_seller("Theirs")
    [their_key] = client.get("/v1/sellers/me/keys", headers=theirs).json()["keys"]
    response = client.delete(f"/v1/sellers/me/keys/{their_key['id']}", headers=mine)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "api_key_not_found"
    assert works(client, theirs)


@pytest.mark.parametrize("body", [{"revoke_others": "yes"}, {"revoke_others": 1}, {"other": True}])
def test_a_bad_rotation_body_is_refused_and_issues_nothing(
    client: TestClient, new_seller: Auth, body: object
) -> None:
    auth = new_seller()
    response = client.post("/v1/sellers/me/keys", json=body, headers=auth)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert len(client.get("/v1/sellers/me/keys", headers=auth).json()["keys"]) == 1


def test_an_admin_issues_lists_and_revokes_a_sellers_keys(
    client: TestClient, new_seller: Auth
) -> None:
    admin, shop = new_seller("Operator", admin=True), new_seller("Shop")
    shop_id = seller_id(client, shop)
    issued = client.post(f"/v1/sellers/{shop_id}/keys", headers=admin)
    assert issued.status_code == 201
    spare = bearer(issued.json()["api_key"])
    assert client.get("/v1/sellers/me", headers=spare).json()["name"] == "Shop"
    keys = client.get(f"/v1/sellers/{shop_id}/keys", headers=admin).json()["keys"]
    assert len(keys) == 2
    listed = client.get("/v1/sellers", headers=admin).json()["sellers"]
    assert {s["name"]: s["active_keys"] for s in listed} == {"Operator": 1, "Shop": 2}
    one = client.delete(f"/v1/sellers/{shop_id}/keys/{keys[0]['id']}", headers=admin)
    assert one.status_code == 204
    assert (works(client, spare), works(client, shop)) == (False, True)
    every = client.delete(f"/v1/sellers/{shop_id}/keys", headers=admin)
    assert every.json() == {"revoked": [keys[1]["id"]]}
    assert not works(client, shop)
    listed = client.get("/v1/sellers", headers=admin).json()["sellers"]
    assert {s["name"]: s["active_keys"] for s in listed} == {"Operator": 1, "Shop": 0}


def test_keys_of_others_are_for_admins_only(client: TestClient, new_seller: Auth) -> None:
    shop, other = new_seller("Shop"), new_seller("Other")
    other_id = seller_id(client, other)
    for method in ("GET", "POST", "DELETE"):
        response = client.request(method, f"/v1/sellers/{other_id}/keys", headers=shop)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    assert works(client, other)


def test_keys_of_an_unknown_seller_are_not_found(client: TestClient, new_seller: Auth) -> None:
    admin = new_seller("Operator", admin=True)
    for method in ("GET", "POST", "DELETE"):
        response = client.request(method, "/v1/sellers/999/keys", headers=admin)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "seller_not_found"
    response = client.delete("/v1/sellers/1/keys/999", headers=admin)
    assert response.json()["error"]["code"] == "api_key_not_found"

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

BUYER = {"email": "listed@example.com"}


@pytest.mark.parametrize("name", ["block%0A", "block%0D", "Block", "1st", "a" * 33])
def test_a_list_name_must_be_a_name_whole(
    client: TestClient, new_seller: Callable[..., dict[str, str]], name: str
) -> None:
    seller = new_seller()
    response = client.post(f"/v1/lists/{name}/entries", json={"buyer": BUYER}, headers=seller)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].startswith("list name:")
    assert client.get(f"/v1/lists/{name}/entries", headers=seller).status_code == 422

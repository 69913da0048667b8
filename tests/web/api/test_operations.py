from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_metrics_count_requests_by_route_template(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    auth = new_seller()
    client.get("/v1/tags/12345", headers=auth)
    text = client.get("/metrics").text
    assert (
        'buyerguard_http_requests_total{method="GET",route="/v1/tags/{tag_id}",status="404"} 1.0'
        in text
    )
    assert "12345" not in text


def test_openapi_documents_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/tags",
        "/v1/tags/{tag_id}",
        "/v1/buyers/lookup",
        "/v1/orders/completed",
        "/v1/imports",
    ):
        assert path in paths
    assert client.get("/docs").status_code == 200


def test_sellers_me_and_admin_creates_sellers(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    admin = new_seller("Operator", admin=True)
    created = client.post("/v1/sellers", json={"name": "Shop B"}, headers=admin)
    assert created.status_code == 201
    key = created.json()["api_key"]
    me = client.get("/v1/sellers/me", headers={"Authorization": f"Bearer {key}"}).json()
    assert me["name"] == "Shop B"
    assert me["role"] == "seller"
    assert 0 <= me["trust"] <= 1
    assert client.post("/v1/sellers", json={"name": "Shop B"}, headers=admin).status_code == 409

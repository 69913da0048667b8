"""/v1/link-claims: operators review sellers' claims that two buyer records are one person."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

Auth = dict[str, str]
EMAIL = {"email": "shared@example.com"}
PHONE = {"phone": "+4915112345678"}


def buyer_id(client: TestClient, auth: Auth, buyer: dict[str, str]) -> int:
    response = client.post("/v1/buyers/lookup", json={"buyer": buyer}, headers=auth)
    assert response.status_code == 200, response.text
    return int(response.json()["buyer_id"])


def together(client: TestClient, auth: Auth) -> None:
    body = {"buyer": {**EMAIL, **PHONE}, "order_ref": uuid.uuid4().hex}
    assert client.post("/v1/orders/completed", json=body, headers=auth).status_code == 201


@pytest.fixture
def phone_tagger(new_seller: Callable[..., Auth]) -> Auth:
    return new_seller()


@pytest.fixture
def claimed(
    client: TestClient, new_seller: Callable[..., Auth], phone_tagger: Auth
) -> tuple[int, int]:
    """Two records each tagged by its own seller, and a third seller's word that they are one."""
    for buyer, auth in ((EMAIL, new_seller()), (PHONE, phone_tagger)):
        tag = {"buyer": buyer, "reason": "extortion"}
        assert client.post("/v1/tags", json=tag, headers=auth).status_code == 201
    together(client, new_seller("Claimer"))
    viewer = new_seller()
    return buyer_id(client, viewer, EMAIL), buyer_id(client, viewer, PHONE)


def test_an_operator_lists_the_claims_and_approving_one_merges_the_records(
    client: TestClient, new_seller: Callable[..., Auth], claimed: tuple[int, int]
) -> None:
    admin = new_seller(admin=True)
    listed = client.get("/v1/link-claims", headers=admin)
    assert listed.status_code == 200
    (claim,) = listed.json()["claims"]
    assert (claim["buyer_id"], claim["other_buyer_id"]) == claimed
    assert claim["sellers"] == ["Claimer"]

    body = {"buyer_id": claimed[1], "other_buyer_id": claimed[0]}  # either order
    approved = client.post("/v1/link-claims/approve", json=body, headers=admin)
    assert approved.status_code == 200, approved.text
    assert approved.json() == {"buyer_id": claimed[0], "merged_buyer_id": claimed[1]}
    viewer = new_seller()
    assert buyer_id(client, viewer, PHONE) == claimed[0]
    profile = client.post("/v1/buyers/lookup", json={"buyer": PHONE}, headers=viewer).json()
    assert profile["distinct_reporters"] == 2  # the aggregates count both records' tags
    assert client.get("/v1/link-claims", headers=admin).json()["claims"] == []
    again = client.post("/v1/link-claims/approve", json=body, headers=admin)
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "link_claim_not_found"


def test_a_rejected_claim_keeps_the_records_apart_whoever_says_so_later(
    client: TestClient,
    new_seller: Callable[..., Auth],
    claimed: tuple[int, int],
    phone_tagger: Auth,
) -> None:
    admin = new_seller(admin=True)
    body = {"buyer_id": claimed[0], "other_buyer_id": claimed[1], "note": "two people"}
    rejected = client.post("/v1/link-claims/reject", json=body, headers=admin)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json() == {
        "buyer_id": claimed[0],
        "other_buyer_id": claimed[1],
        "claims_dropped": 1,
    }
    for _ in range(3):  # more sellers than a merge needs: no claim is even kept
        together(client, new_seller())
    together(client, phone_tagger)  # the only seller knowing that record, who alone could merge
    viewer = new_seller()
    assert (buyer_id(client, viewer, EMAIL), buyer_id(client, viewer, PHONE)) == claimed
    assert client.get("/v1/link-claims", headers=admin).json()["claims"] == []
    again = client.post("/v1/link-claims/reject", json=body, headers=admin)
    assert again.status_code == 404


def test_only_operators_review_claims(
    client: TestClient, new_seller: Callable[..., Auth], claimed: tuple[int, int]
) -> None:
    seller = new_seller()
    body = {"buyer_id": claimed[0], "other_buyer_id": claimed[1]}
    assert client.get("/v1/link-claims", headers=seller).status_code == 403
    for action in ("approve", "reject"):
        response = client.post(f"/v1/link-claims/{action}", json=body, headers=seller)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    assert client.get("/v1/link-claims").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"buyer_id": "1", "other_buyer_id": 2}, "buyer_id"),
        ({"buyer_id": 0, "other_buyer_id": 2}, "buyer_id"),
        ({"buyer_id": 1}, "other_buyer_id"),
        ({"buyer_id": 1, "other_buyer_id": 2**63}, "other_buyer_id"),
        ({"buyer_id": 1, "other_buyer_id": 2, "note": "x" * 2001}, "note"),
        ({"buyer_id": 1, "other_buyer_id": 2, "note": "bad\x00note"}, "note"),
        ({"buyer_id": 1, "other_buyer_id": 2, "merge": True}, "merge"),
    ],
)
def test_a_bad_review_is_refused_naming_the_field(
    client: TestClient, new_seller: Callable[..., Auth], body: dict[str, object], field: str
) -> None:
    response = client.post("/v1/link-claims/reject", json=body, headers=new_seller(admin=True))
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["message"]


def test_an_unknown_pair_is_not_found(client: TestClient, new_seller: Callable[..., Auth]) -> None:
    body = {"buyer_id": 5, "other_buyer_id": 5}
    response = client.post("/v1/link-claims/approve", json=body, headers=new_seller(admin=True))
    assert response.status_code == 404
    assert "buyers 5 and 5" in response.json()["error"]["message"]


def test_an_operator_undoes_a_merge_and_the_records_stay_apart(
    client: TestClient, new_seller: Callable[..., Auth], claimed: tuple[int, int]
) -> None:
    admin = new_seller(admin=True)
    body = {"buyer_id": claimed[0], "other_buyer_id": claimed[1]}
    assert client.post("/v1/link-claims/approve", json=body, headers=admin).status_code == 200
    listed = client.get("/v1/merges", params={"buyer_id": claimed[1]}, headers=admin)
    assert listed.status_code == 200
    (merge,) = listed.json()["merges"]
    assert (merge["buyer_id"], merge["merged_buyer_id"], merge["undone_at"]) == (
        *claimed,
        None,
    )
    assert (merge["seller"], merge["claimed_by"]) == (None, ["Claimer"])  # an operator's approval

    undone = client.post(f"/v1/merges/{merge['id']}/undo", headers=admin)
    assert undone.status_code == 200, undone.text
    assert undone.json()["undone_at"] is not None
    viewer = new_seller()
    assert (buyer_id(client, viewer, EMAIL), buyer_id(client, viewer, PHONE)) == claimed
    phone = client.post("/v1/buyers/lookup", json={"buyer": PHONE}, headers=viewer).json()
    assert phone["distinct_reporters"] == 1  # its own tagger again, not the other record's
    for _ in range(2):  # ruled apart: two sellers' word no longer merges them
        together(client, new_seller())
    assert buyer_id(client, viewer, PHONE) == claimed[1]

    again = client.post(f"/v1/merges/{merge['id']}/undo", headers=admin)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "merge_undone")
    missing = client.post(f"/v1/merges/{merge['id'] + 1}/undo", headers=admin)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "merge_not_found")


def test_only_operators_see_and_undo_merges(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    seller = new_seller()
    assert client.get("/v1/merges", headers=seller).status_code == 403
    assert client.post("/v1/merges/1/undo", headers=seller).status_code == 403
    admin = new_seller(admin=True)
    for bad in ("/v1/merges?buyer_id=0", "/v1/merges?buyer_id=1.0", "/v1/merges?limit=501"):
        assert client.get(bad, headers=admin).status_code == 422, bad
    assert client.post("/v1/merges/x/undo", headers=admin).status_code == 422


def test_an_operator_reads_a_claimed_record_by_id_without_notes_or_identifiers(
    client: TestClient, new_seller: Callable[..., Auth], claimed: tuple[int, int]
) -> None:
    admin = new_seller(admin=True)
    noted = {"buyer": PHONE, "reason": "frequent_returns", "note": "secret note"}
    assert client.post("/v1/tags", json=noted, headers=new_seller("Noter")).status_code == 201
    response = client.get(f"/v1/buyers/{claimed[1]}", headers=admin)
    assert response.status_code == 200, response.text
    record = response.json()
    assert (record["asked_id"], record["buyer_id"]) == (claimed[1], claimed[1])
    assert record["identifiers"] == {"phone": 1}
    assert [(t["reason"], t["seller"]) for t in record["tags"]][-1] == ("frequent_returns", "Noter")
    assert record["profile"]["distinct_reporters"] == 2
    assert "secret note" not in response.text
    assert PHONE["phone"] not in response.text

    body = {"buyer_id": claimed[0], "other_buyer_id": claimed[1]}
    assert client.post("/v1/link-claims/approve", json=body, headers=admin).status_code == 200
    merged = client.get(f"/v1/buyers/{claimed[1]}", headers=admin).json()
    assert (merged["asked_id"], merged["buyer_id"]) == claimed[::-1]
    assert merged["identifiers"] == {"email": 1, "phone": 1}
    assert merged["profile"]["distinct_reporters"] == 3


def test_only_operators_read_records_by_id(
    client: TestClient, new_seller: Callable[..., Auth], claimed: tuple[int, int]
) -> None:
    assert client.get(f"/v1/buyers/{claimed[0]}", headers=new_seller()).status_code == 403
    admin = new_seller(admin=True)
    missing = client.get(f"/v1/buyers/{claimed[1] + 100}", headers=admin)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "buyer_not_found")
    assert client.get("/v1/buyers/0", headers=admin).status_code == 422


def test_a_merge_names_the_seller_whose_word_made_it_and_the_claims_it_settled(
    client: TestClient, new_seller: Callable[..., Auth], claimed: tuple[int, int]
) -> None:
    together(client, new_seller("Second"))
    merges = client.get("/v1/merges", headers=new_seller(admin=True)).json()["merges"]
    assert [(m["seller"], m["claimed_by"]) for m in merges] == [("Second", ["Claimer"])]

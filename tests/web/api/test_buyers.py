from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

BUYER = {"platform_buyer_id": "aliexpress:cn1234", "email": "case@example.com"}


def tag(client: TestClient, auth: dict[str, str], reason: str, **extra: object) -> None:
    response = client.post(
        "/v1/tags", json={"buyer": BUYER, "reason": reason, **extra}, headers=auth
    )
    assert response.status_code == 201, response.text


def lookup(
    client: TestClient, auth: dict[str, str], buyer: dict[str, str] = BUYER
) -> dict[str, Any]:
    response = client.post("/v1/buyers/lookup", json={"buyer": buyer}, headers=auth)
    assert response.status_code == 200, response.text
    profile: dict[str, Any] = response.json()
    return profile


def test_profile_counts_distinct_sellers_per_reason_and_hides_other_sellers_notes(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    me = new_seller("Me")
    tag(client, me, "frequent_returns", note="my private note")
    for _ in range(3):
        tag(client, new_seller(), "extortion", note="SECRET of another seller", order_ref="X-1")
    both = new_seller()
    tag(client, both, "extortion")
    tag(client, both, "frequent_returns")

    profile = lookup(client, me)
    assert profile["distinct_reporters"] == 5
    reasons = {r["reason"]: (r["sellers"], r["mine"]) for r in profile["reasons"]}
    assert reasons == {"extortion": (4, False), "frequent_returns": (1, True)}
    assert [t["note"] for t in profile["my_tags"]] == ["my private note"]
    assert "SECRET" not in str(profile)
    assert "X-1" not in str(profile)

    other_view = lookup(client, new_seller())
    assert {r["reason"]: r["sellers"] for r in other_view["reasons"]} == {
        "extortion": 4,
        "frequent_returns": 2,
    }
    assert other_view["my_tags"] == []
    assert "my private note" not in str(other_view)


def test_any_identifier_finds_the_buyer_and_identifiers_given_together_are_linked(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    auth = new_seller()
    tag(client, auth, "unpaid_order")
    client.post(
        "/v1/tags",
        json={
            "buyer": {"email": "CASE@example.com ", "phone": "+1 415 555 0123"},
            "reason": "other",
        },
        headers=auth,
    )
    by_phone = lookup(client, new_seller(), {"phone": "+14155550123"})
    assert by_phone["distinct_reporters"] == 1
    assert {r["reason"] for r in by_phone["reasons"]} == {"unpaid_order", "other"}


def test_two_known_buyers_seen_together_by_two_sellers_are_merged(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    a, b = new_seller(), new_seller()
    email, phone = {"email": "x@example.com"}, {"phone": "+4915112345678"}
    client.post("/v1/tags", json={"buyer": email, "reason": "other"}, headers=a)
    client.post("/v1/tags", json={"buyer": phone, "reason": "other"}, headers=b)
    client.post("/v1/tags", json={"buyer": phone, "reason": "extortion"}, headers=a)
    for ref in ("O1", "O2"):  # one seller's word is not enough: both records are others' too
        assert lookup(client, new_seller(), email)["distinct_reporters"] == 1
        joined = client.post(
            "/v1/orders/completed",
            json={"buyer": {**email, **phone}, "order_ref": ref},
            headers=new_seller(),
        )
        assert joined.status_code == 201
    profile = lookup(client, new_seller(), email)
    assert profile["distinct_reporters"] == 2
    assert {r["reason"]: r["sellers"] for r in profile["reasons"]} == {"other": 2, "extortion": 1}
    assert profile["clean_sellers"] == 2
    assert profile["buyer_id"] == lookup(client, new_seller(), phone)["buyer_id"]


def test_one_seller_cannot_hang_a_tagged_record_on_an_honest_buyer(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    honest, bad = {"email": "honest@example.com"}, {"phone": "+4915112345678"}
    for ref in ("H1", "H2"):
        completed = {"buyer": honest, "order_ref": ref}
        assert client.post("/v1/orders/completed", json=completed, headers=new_seller()).is_success
    for _ in range(3):
        tagged = {"buyer": bad, "reason": "extortion"}
        assert client.post("/v1/tags", json=tagged, headers=new_seller()).status_code == 201

    liar = new_seller()
    both = {"buyer": {**honest, **bad}, "reason": "card_fraud"}
    assert client.post("/v1/tags", json=both, headers=liar).status_code == 201
    entry = {"buyer": {**honest, **bad}, "note": "x"}
    assert client.post("/v1/lists/vip/entries", json=entry, headers=liar).status_code == 201

    viewer = new_seller()
    seen = lookup(client, viewer, honest)
    assert {r["reason"]: r["sellers"] for r in seen["reasons"]} == {"card_fraud": 1}
    assert seen["clean_sellers"] == 2
    assert seen["buyer_id"] != lookup(client, viewer, bad)["buyer_id"]
    assert {r["reason"]: r["sellers"] for r in lookup(client, viewer, bad)["reasons"]} == {
        "extortion": 3
    }


def test_a_seller_merges_a_record_only_it_knows_into_one_the_community_knows(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    shop = new_seller()
    email, phone = {"email": "x@example.com"}, {"phone": "+4915112345678"}
    assert client.post(
        "/v1/tags", json={"buyer": email, "reason": "other"}, headers=shop
    ).is_success
    for _ in range(2):
        client.post("/v1/tags", json={"buyer": phone, "reason": "extortion"}, headers=new_seller())
    both = {"buyer": {**email, **phone}, "reason": "unpaid_order"}
    assert client.post("/v1/tags", json=both, headers=shop).status_code == 201
    profile = lookup(client, new_seller(), email)
    assert profile["buyer_id"] == lookup(client, new_seller(), phone)["buyer_id"]
    assert {r["reason"]: r["sellers"] for r in profile["reasons"]} == {
        "extortion": 2,
        "other": 1,
        "unpaid_order": 1,
    }


def test_a_lookup_by_identifiers_of_two_buyers_shows_them_as_one_and_merges_nothing(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    shop, viewer = new_seller(), new_seller()
    email, phone = {"email": "x@example.com"}, {"phone": "+4915112345678"}
    completed = client.post(
        "/v1/orders/completed", json={"buyer": email, "order_ref": "O1"}, headers=shop
    )
    assert completed.status_code == 201
    for reason in ("card_fraud", "non_payment"):
        client.post("/v1/tags", json={"buyer": phone, "reason": reason}, headers=new_seller())
    client.post("/v1/tags", json={"buyer": phone, "reason": "other"}, headers=viewer)
    older = lookup(client, viewer, email)["buyer_id"]

    both = lookup(client, viewer, {**email, **phone})
    assert both["buyer_id"] == older
    assert both["distinct_reporters"] == 3
    assert {r["reason"]: r["sellers"] for r in both["reasons"]} == {
        "card_fraud": 1,
        "non_payment": 1,
        "other": 0,
    }
    assert [t["reason"] for t in both["my_tags"]] == ["other"]
    assert both["clean_sellers"] == 1
    assert both["risk"]["score"] > lookup(client, viewer, email)["risk"]["score"]
    assert lookup(client, viewer, phone)["buyer_id"] != older  # still two records


def test_a_lookup_of_two_records_shows_the_tag_their_merge_keeps(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    shop = new_seller(trust=0.9)
    email, phone = {"email": "x@example.com"}, {"phone": "+4915112345678"}
    bare = {"buyer": email, "reason": "card_fraud", "note": "no order"}
    assert client.post("/v1/tags", json=bare, headers=shop).status_code == 201
    client.post("/v1/orders/completed", json={"buyer": phone, "order_ref": "R-1"}, headers=shop)
    backed = {"buyer": phone, "reason": "card_fraud", "order_ref": "R-1", "note": "chargeback"}
    assert client.post("/v1/tags", json=backed, headers=shop).status_code == 201

    before = lookup(client, shop, {**email, **phone})
    assert [(t["note"], t["order_backed"]) for t in before["my_tags"]] == [("chargeback", True)]
    both = {"buyer": {**email, **phone}, "order_ref": "R-2"}
    assert client.post("/v1/orders/completed", json=both, headers=shop).status_code == 201
    after = lookup(client, shop, email)
    assert after["my_tags"] == before["my_tags"]
    assert after["reasons"] == before["reasons"]
    assert after["risk"]["score"] == pytest.approx(before["risk"]["score"], abs=1e-3)


def test_a_refused_duplicate_tag_still_links_the_identifiers_it_brought(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    shop = new_seller()
    email, phone = {"email": "x@example.com"}, {"phone": "+4915112345678"}
    first = client.post("/v1/tags", json={"buyer": email, "reason": "card_fraud"}, headers=shop)
    assert first.status_code == 201
    again = client.post(
        "/v1/tags", json={"buyer": {**email, **phone}, "reason": "card_fraud"}, headers=shop
    )
    assert again.status_code == 409
    profile = lookup(client, new_seller(), phone)
    assert profile["buyer_id"] == lookup(client, new_seller(), email)["buyer_id"]
    assert {r["reason"]: r["sellers"] for r in profile["reasons"]} == {"card_fraud": 1}


def test_unknown_buyer_gets_an_empty_profile(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    profile = lookup(client, new_seller(), {"email": "nobody@example.com"})
    assert profile["buyer_id"] is None
    assert profile["distinct_reporters"] == 0
    assert profile["reasons"] == []
    assert profile["risk"]["level"] == "low"


def test_clean_orders_count_distinct_sellers_and_retries_are_harmless(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    s1, s2 = new_seller(), new_seller()
    body = {"buyer": BUYER, "order_ref": "A-1"}
    first = client.post("/v1/orders/completed", json=body, headers=s1)
    assert first.status_code == 201
    again = client.post("/v1/orders/completed", json=body, headers=s1)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    client.post("/v1/orders/completed", json={**body, "order_ref": "A-2"}, headers=s1)
    client.post("/v1/orders/completed", json=body, headers=s2)
    assert lookup(client, new_seller())["clean_sellers"] == 2


def test_a_tag_on_a_recorded_order_is_order_backed(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    seller = new_seller()
    tag(client, seller, "frequent_returns", order_ref="R-9")
    assert lookup(client, seller)["my_tags"][0]["order_backed"] is False
    client.post("/v1/orders/completed", json={"buyer": BUYER, "order_ref": "R-9"}, headers=seller)
    assert lookup(client, seller)["my_tags"][0]["order_backed"] is True
    tag(client, new_seller(), "extortion", order_ref="R-9")
    contributions = {c["reason"]: c for c in lookup(client, seller)["risk"]["contributions"]}
    assert contributions["frequent_returns"]["order_backed"] == 1
    assert contributions["extortion"]["order_backed"] == 0


def test_an_international_domain_finds_the_buyer_in_either_form(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    auth = new_seller()
    response = client.post(
        "/v1/tags",
        json={"buyer": {"email": "user@münchen.de"}, "reason": "extortion"},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    profile = lookup(client, new_seller(), {"email": "user@xn--mnchen-3ya.de"})
    assert profile["distinct_reporters"] == 1


def test_a_claim_follows_its_buyer_into_a_merge_and_counts_there(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    a, b, c = (
        {"email": "a@example.com"},
        {"phone": "+4915112345678"},
        {"platform_buyer_id": "ebay:c"},
    )
    for buyer in (a, b, c):
        client.post("/v1/tags", json={"buyer": buyer, "reason": "other"}, headers=new_seller())

    def together(one: dict[str, str], other: dict[str, str], seller: dict[str, str]) -> None:
        body = {"buyer": {**one, **other}, "order_ref": uuid.uuid4().hex}
        assert client.post("/v1/orders/completed", json=body, headers=seller).status_code == 201

    def same(one: dict[str, str], other: dict[str, str]) -> bool:
        viewer = new_seller()
        return bool(
            lookup(client, viewer, one)["buyer_id"] == lookup(client, viewer, other)["buyer_id"]
        )

    first = new_seller()
    together(b, c, first)  # a claim on (b, c)
    together(a, b, new_seller())
    together(a, b, new_seller())  # corroborated: b is folded into a, and the claim becomes (a, c)
    assert same(a, b)
    assert not same(a, c)
    together(a, c, first)  # the same seller again: still one seller's word
    assert not same(a, c)
    together(c, a, new_seller())
    assert same(a, c)
    assert lookup(client, new_seller(), c)["distinct_reporters"] == 3


def test_a_known_order_completed_with_another_record_completes_on_its_own_buyer(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    shop = new_seller()
    honest, bad = {"email": "honest@example.com"}, {"phone": "+4915112345678"}
    for ref in ("H1", "H2"):
        body = {"buyer": honest, "order_ref": ref}
        assert client.post("/v1/orders/completed", json=body, headers=new_seller()).is_success
    client.post("/v1/tags", json={"buyer": bad, "reason": "extortion"}, headers=new_seller())
    order = {"ref": "SO-1", "amount": 20.0, "currency": "EUR", "ship_to": {"country": "DE"}}
    order["payment_method"] = "prepaid"
    screened = client.post("/v1/screenings", json={"order": order, "buyer": honest}, headers=shop)
    assert screened.status_code == 201
    # The shop's order, completed under the other record's identifier: one seller's word.
    second = {"buyer": bad, "order_ref": "SO-1"}
    assert client.post("/v1/orders/completed", json=second, headers=shop).status_code == 201

    viewer = new_seller()
    assert lookup(client, viewer, honest)["clean_sellers"] == 3
    assert lookup(client, viewer, honest)["distinct_reporters"] == 0
    assert lookup(client, viewer, bad)["clean_sellers"] == 0

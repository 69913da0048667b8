"""`buyerguard link-claims`: what operators see of claims that two buyer records are one person."""

from __future__ import annotations

import json

from tests.test_cli import Cli

EMAIL, PHONE = ("--email", "x@example.com"), ("--phone", "+4915112345678")


def test_a_claim_is_listed_until_a_second_seller_merges_the_records(run: Cli) -> None:
    for name in ("Shop A", "Shop B", "Claimer", "Second"):
        run("seller", "create", name)
    assert run("link-claims") == "no pending claims\n"
    run("tag", "--seller", "Shop A", "--reason", "extortion", *EMAIL)
    run("tag", "--seller", "Shop B", "--reason", "other", *PHONE)
    run("tag", "--seller", "Claimer", "--reason", "other", *EMAIL, *PHONE)

    (claim,) = json.loads(run("link-claims", "--json"))
    email_buyer = json.loads(run("lookup", "--seller", "Shop A", *EMAIL, "--json"))["buyer_id"]
    phone_buyer = json.loads(run("lookup", "--seller", "Shop A", *PHONE, "--json"))["buyer_id"]
    assert (claim["buyer_id"], claim["other_buyer_id"]) == (email_buyer, phone_buyer)
    assert claim["sellers"] == ["Claimer"]
    assert claim["first_claimed_at"] == claim["last_claimed_at"]
    text = run("link-claims")
    assert f"buyers {email_buyer} and {phone_buyer}" in text
    assert "1 of 2 sellers: Claimer" in text

    run("tag", "--seller", "Second", "--reason", "other", *PHONE, *EMAIL)
    assert json.loads(run("link-claims", "--json")) == []
    merged = json.loads(run("lookup", "--seller", "Shop A", *PHONE, "--json"))
    assert merged["buyer_id"] == email_buyer

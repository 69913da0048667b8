"""`buyerguard link-claims`: operators list and review claims that two records are one person."""

from __future__ import annotations

import json

import pytest

from tests.test_cli import Cli

EMAIL, PHONE = ("--email", "x@example.com"), ("--phone", "+4915112345678")


def test_a_claim_is_listed_until_a_second_seller_merges_the_records(run: Cli) -> None:
    for name in ("Shop A", "Shop B", "Claimer", "Second"):
        run("seller", "create", name)
    assert run("link-claims", "list") == "no pending claims\n"
    run("tag", "--seller", "Shop A", "--reason", "extortion", *EMAIL)
    run("tag", "--seller", "Shop B", "--reason", "other", *PHONE)
    run("tag", "--seller", "Claimer", "--reason", "other", *EMAIL, *PHONE)

    (claim,) = json.loads(run("link-claims", "list", "--json"))
    email_buyer = json.loads(run("lookup", "--seller", "Shop A", *EMAIL, "--json"))["buyer_id"]
    phone_buyer = json.loads(run("lookup", "--seller", "Shop A", *PHONE, "--json"))["buyer_id"]
    assert (claim["buyer_id"], claim["other_buyer_id"]) == (email_buyer, phone_buyer)
    assert claim["sellers"] == ["Claimer"]
    assert claim["first_claimed_at"] == claim["last_claimed_at"]
    text = run("link-claims", "list")
    assert f"buyers {email_buyer} and {phone_buyer}" in text
    assert "1 of 2 sellers: Claimer" in text

    run("tag", "--seller", "Second", "--reason", "other", *PHONE, *EMAIL)
    assert json.loads(run("link-claims", "list", "--json")) == []
    merged = json.loads(run("lookup", "--seller", "Shop A", *PHONE, "--json"))
    assert merged["buyer_id"] == email_buyer


def claimed_pair(run: Cli) -> tuple[int, int]:
    for name in ("Shop A", "Shop B", "Claimer"):
        run("seller", "create", name)
    run("tag", "--seller", "Shop A", "--reason", "extortion", *EMAIL)
    run("tag", "--seller", "Shop B", "--reason", "other", *PHONE)
    run("tag", "--seller", "Claimer", "--reason", "other", *EMAIL, *PHONE)
    (claim,) = json.loads(run("link-claims", "list", "--json"))
    return claim["buyer_id"], claim["other_buyer_id"]


def test_an_operator_approves_a_claim_and_the_records_merge(run: Cli) -> None:
    older, newer = claimed_pair(run)
    text = run("link-claims", "approve", str(newer), str(older))
    assert text == f"buyer {newer} merged into buyer {older}\n"
    merged = json.loads(run("lookup", "--seller", "Shop A", *PHONE, "--json"))
    assert merged["buyer_id"] == older
    assert merged["distinct_reporters"] == 3
    assert run("link-claims", "list") == "no pending claims\n"


def test_an_operator_rejects_a_claim_and_later_claims_change_nothing(run: Cli) -> None:
    older, newer = claimed_pair(run)
    out = run("link-claims", "reject", str(older), str(newer), "--note", "not one", "--json")
    assert json.loads(out) == {"buyer_id": older, "other_buyer_id": newer, "claims_dropped": 1}
    run("seller", "create", "Second")
    run("tag", "--seller", "Second", "--reason", "other", *PHONE, *EMAIL)
    assert run("link-claims", "list") == "no pending claims\n"
    phone = json.loads(run("lookup", "--seller", "Shop A", *PHONE, "--json"))
    assert phone["buyer_id"] == newer


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("approve", "1", "2"), "link_claim_not_found: no pending claim that buyers 1 and 2"),
        (("reject", "2", "0"), "OTHER_BUYER_ID: expected a whole number"),
    ],
)
def test_a_review_without_a_claim_is_an_error(
    run: Cli, args: tuple[str, ...], message: str
) -> None:
    assert message in run.failure("link-claims", *args)


def test_an_operator_lists_and_undoes_a_merge(run: Cli) -> None:
    older, newer = claimed_pair(run)
    assert run("merges", "list") == "no merges\n"
    run("link-claims", "approve", str(older), str(newer))
    (merge,) = json.loads(run("merges", "list", "--buyer", str(newer), "--json"))
    assert (merge["buyer_id"], merge["merged_buyer_id"]) == (older, newer)
    listed = run("merges", "list")
    assert (
        f"buyer {newer} into buyer {older} (approved by an operator, claimed by Claimer)" in listed
    )

    text = run("merges", "undo", str(merge["id"]))
    assert text == f"merge {merge['id']} undone: buyers {older} and {newer} are apart\n"
    phone = json.loads(run("lookup", "--seller", "Shop A", *PHONE, "--json"))
    assert (phone["buyer_id"], phone["distinct_reporters"]) == (newer, 1)  # Shop B alone
    assert "merge_undone" in run.failure("merges", "undo", str(merge["id"]))


def test_an_operator_shows_a_record_by_id(run: Cli) -> None:
    older, newer = claimed_pair(run)
    text = run("buyer", "show", str(older))
    assert text.startswith(f"buyer {older}, created ")
    assert "identifiers: email 1\n" in text
    assert "2 reporters, 0 clean sellers, risk" in text
    assert "extortion            Shop A" in text
    assert "\n1 reporter, 0 clean sellers, risk" in run("buyer", "show", str(newer))
    run("link-claims", "approve", str(older), str(newer))
    shown = json.loads(run("buyer", "show", str(newer), "--json"))
    assert (shown["asked_id"], shown["buyer_id"]) == (newer, older)
    assert shown["identifiers"] == {"email": 1, "phone": 1}
    assert run("buyer", "show", str(newer)).startswith(f"buyer {newer}: merged into buyer {older}")
    assert "buyer_not_found" in run.failure("buyer", "show", "999")

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from buyerguard.domain.errors import InvalidIdentifierError, InvalidInputError
from buyerguard.domain.identifiers import hash_identifiers
from buyerguard.domain.imports import RecordParser

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SECRET = b"import-test-secret-0123456789"


def parser(*, admin: bool = False) -> RecordParser:
    return RecordParser(importer="Shop", may_name_sellers=admin, secret=SECRET, now=NOW)


def tag(**fields: object) -> dict[str, object]:
    return {"type": "tag", "buyer": {"email": "b@example.com"}, "reason": "other", **fields}


def test_a_line_becomes_a_record_with_hashed_identifiers() -> None:
    record = parser().record(tag(at="2026-01-02T03:04:05Z", order_ref="A-1"), line=7)
    assert record.line == 7
    assert record.buyer == hash_identifiers({"email": "b@example.com"}, SECRET)
    assert (record.reason, record.order_ref, record.note, record.seller) == (
        "other",
        "A-1",
        "",
        None,
    )
    assert record.at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_a_buyer_seen_again_is_hashed_once() -> None:
    parse = parser()
    first = parse.record(tag(), line=1)
    again = parse.record(tag(reason="extortion"), line=2)
    assert again.buyer is first.buyer


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a JSON object"),
        (tag(type="refund"), "type: expected one of tag, completed_order"),
        (tag(buyer=["b@example.com"]), "buyer: expected an object of identifiers"),
        (tag(reason="rude", note=5), "unknown reason 'rude'"),
        (tag(note="x" * 2001), "note: at most 2000 characters"),
        ({"type": "completed_order", "buyer": {"email": "b@example.com"}}, "order_ref: required"),
        (tag(buyer={"email": ["b@example.com"]}), "email: must be a string"),
        (tag(at="2999-01-01"), "at: in the future"),
        (tag(seller="Other"), "seller: only an admin key may name another seller"),
    ],
)
def test_a_bad_line_says_what_is_wrong_first(data: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parser().record(data, line=1)


def test_an_admin_may_name_any_seller_and_a_seller_itself() -> None:
    assert parser(admin=True).record(tag(seller="Other"), line=1).seller == "Other"
    assert parser().record(tag(seller="Shop"), line=1).seller == "Shop"
    assert parser().record(tag(seller="SHOP"), line=1).seller == "SHOP"  # itself, in other case


def test_a_line_may_name_a_seller_in_any_script() -> None:
    assert parser(admin=True).record(tag(seller=" Café Müller"), line=1).seller == "Café Müller"
    assert parser(admin=True).record(tag(seller="Ünïcødé 店"), line=1).seller == "Ünïcødé 店"


def test_an_unhashable_identifier_is_refused_like_any_bad_one() -> None:
    with pytest.raises(InvalidIdentifierError):
        parser().record(tag(buyer={"email": {"a": 1}}), line=1)


def test_a_bad_seller_name_is_the_line_s_error_and_a_good_one_is_trimmed() -> None:
    with pytest.raises(InvalidInputError, match="seller name"):
        parser(admin=True).record(tag(seller="  "), line=3)
    assert parser(admin=True).record(tag(seller=" Shop 2 "), line=3).seller == "Shop 2"
    assert parser().record(tag(seller=" Shop "), line=3).seller == "Shop"  # the importer itself

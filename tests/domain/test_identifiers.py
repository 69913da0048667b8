from __future__ import annotations

import pytest

from buyerguard.domain.errors import InvalidIdentifierError, NoIdentifierError
from buyerguard.domain.identifiers import (
    hash_identifiers,
    normalise_address,
    normalise_email,
    normalise_phone,
    normalise_platform_id,
    parse_identifiers,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" Buyer@Example.COM ", "buyer@example.com"), ("a.b+c@x.io", "a.b+c@x.io")],
)
def test_email_is_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["+49 151 1234 5678", "+49-151-12345678", "+4915112345678"])
def test_phone_becomes_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+4915112345678"


def test_national_phone_needs_a_region() -> None:
    assert normalise_phone("0151 12345678", default_region="DE") == "+4915112345678"
    with pytest.raises(InvalidIdentifierError, match=r"^phone"):
        normalise_phone("0151 12345678")


def test_address_canonical_form_folds_case_accents_and_punctuation() -> None:
    assert normalise_address("Straße 5,  KÖLN ") == normalise_address("strasse 5 koln")


def test_platform_id_namespace_is_lower_cased_and_required() -> None:
    assert normalise_platform_id("AliExpress:CN1234") == "aliexpress:CN1234"
    with pytest.raises(InvalidIdentifierError, match="platform_buyer_id"):
        normalise_platform_id("cn1234")


def test_parse_refuses_unknown_and_empty() -> None:
    with pytest.raises(NoIdentifierError):
        parse_identifiers({})
    with pytest.raises(InvalidIdentifierError, match=r"^shoe_size"):
        parse_identifiers({"shoe_size": "9"})
    with pytest.raises(InvalidIdentifierError, match=r"^email"):
        parse_identifiers({"email": 5})


def test_hash_depends_on_secret_kind_and_normalised_value() -> None:
    (a,) = hash_identifiers({"email": "X@y.com"}, b"s1")
    (b,) = hash_identifiers({"email": "x@y.com "}, b"s1")
    (c,) = hash_identifiers({"email": "x@y.com"}, b"s2")
    assert a == b
    assert a.digest != c.digest
    assert "x@y.com" not in a.digest
    assert len(a.digest) == 64

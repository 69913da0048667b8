from __future__ import annotations

import unicodedata

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


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ул. Ленина 10, кв. 5, Москва", "ул. Пушкина 10, кв. 5, Казань"),
        ("Οδός Αθηνάς 12, Αθήνα 10551", "Οδός Ερμού 12, Θεσσαλονίκη 10551"),
        ("北京市朝阳区建国路88号", "上海市浦东新区世纪大道88号"),
        ("東京都港区芝公園4丁目2-8", "東京都港区芝公園4丁目2-9"),
    ],
)
def test_addresses_in_other_scripts_keep_their_letters(one: str, other: str):
    assert normalise_address(one) != normalise_address(other)


@pytest.mark.parametrize(
    ("typed", "also_typed"),
    [
        ("Οδός Αθηνάς 12, Αθήνα", "ΟΔΟΣ ΑΘΗΝΑΣ 12 ΑΘΗΝΑ"),  # upper case drops the accents
        ("улица Королёва 5", "Улица Королева 5"),  # the diaeresis is often left out
        ("Łódź, ul. Piotrkowska 1", "LODZ UL PIOTRKOWSKA 1"),
        ("Calle ١٢ Norte", "calle 12 norte"),
        ("\uff11\uff12 Main St", "12 main st"),  # full-width digits
        ("ガス通り 5", "ガス通り5"),
    ],
)
def test_one_address_typed_two_ways_is_one(typed: str, also_typed: str):
    assert normalise_address(typed) == normalise_address(also_typed)


def test_an_address_is_refused_only_when_it_cannot_tell_places_apart():
    assert normalise_address("北京市朝阳区建国路88号") == "北京市朝阳区建国路88号"
    for vague in ("Москва", "北京", "5"):
        with pytest.raises(InvalidIdentifierError, match="too short"):
            normalise_address(vague)


def test_an_email_is_one_however_its_unicode_is_composed():
    composed = "josé@example.com"
    assert normalise_email(unicodedata.normalize("NFD", composed)) == normalise_email(composed)
    assert normalise_email("\uff4a\uff4f\uff53\uff45@example.com\u200b") == "jose@example.com"


@pytest.mark.parametrize(
    "typed",
    [
        "user@xn--mnchen-3ya.de",
        "user@XN--MNCHEN-3YA.DE",
        "user@MÜNCHEN.de",
        "user@mu\u0308nchen.de",
        "user@\uff4d\u00fc\uff4e\uff43\uff48\uff45\uff4e.de",
    ],
)
def test_an_international_domain_is_one_however_it_is_written(typed: str):
    assert normalise_email(typed) == "user@münchen.de"


def test_only_the_labels_of_an_international_domain_change():
    assert normalise_email("Ü.Ser@shop_eu.xn--mnchen-3ya.de") == "ü.ser@shop_eu.münchen.de"
    assert normalise_email("a@mail.münchen\u3002de") == "a@mail.münchen.de"
    assert normalise_email("a@foo_bar.example.com") == "a@foo_bar.example.com"


@pytest.mark.parametrize(
    "raw", ["a@xn--zz.de", "a@\u2603.com", "a@-münchen.de", "a@xn--mnchen-3ya-.de"]
)
def test_a_malformed_international_domain_is_refused(raw: str):
    with pytest.raises(InvalidIdentifierError, match=r"^email: not a valid international domain"):
        parse_identifiers({"email": raw})


def test_a_too_long_identifier_is_refused_in_characters():
    with pytest.raises(InvalidIdentifierError, match=r"at most 500 characters$"):
        parse_identifiers({"email": "a" * 501})


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("email", "a\x00b@example.com"),
        ("platform_buyer_id", "ebay:a\x00b"),
        ("payment_fingerprint", "fp\x07"),
    ],
)
def test_control_characters_are_refused_in_identifiers(kind: str, raw: str):
    with pytest.raises(InvalidIdentifierError, match="control character"):
        parse_identifiers({kind: raw})

from __future__ import annotations

from typing import Any

import pytest

from buyerguard.domain.screening import InvalidOrderError, Order

GOOD: dict[str, Any] = {
    "ref": "SO-1",
    "amount": 10.0,
    "currency": "eur",
    "payment_method": "prepaid",
    "country": "de",
}


@pytest.mark.parametrize(
    ("overrides", "field", "problem"),
    [
        ({"ref": " "}, "order.ref", "1 to 200 characters, not all blank"),
        ({"ref": "r" * 201}, "order.ref", "at most 200 characters"),
        ({"region": "r" * 101}, "order.ship_to.region", "at most 100 characters"),
        ({"postal_code": "1" * 33}, "order.ship_to.postal_code", "at most 32 characters"),
        ({"postal_code": "\ud800"}, "order.ship_to.postal_code", "character 1 is U+D800"),
        ({"amount": -1.0}, "order.amount", "between 0 and 10,000,000"),
        ({"currency": "XXY"}, "order.currency", "'XXY' is not an ISO 4217 code"),
        ({"country": "ZZ"}, "order.ship_to.country", "'ZZ' is not an ISO 3166 alpha-2 code"),
        ({"payment_method": "card"}, "order.payment_method", "one of prepaid, cod"),
    ],
)
def test_a_bad_field_is_an_invalid_order_naming_it(
    overrides: dict[str, Any], field: str, problem: str
) -> None:
    with pytest.raises(InvalidOrderError) as caught:
        Order(**{**GOOD, **overrides})
    assert caught.value.field == field
    assert caught.value.details() == {"field": field}
    assert caught.value.message.startswith(f"{field}: {problem}")


def test_an_order_at_every_limit_is_kept_with_iso_codes() -> None:
    order = Order(**GOOD, region="r" * 100, postal_code="1" * 32)
    assert (order.currency, order.country, len(order.region), len(order.postal_code)) == (
        "EUR",
        "DE",
        100,
        32,
    )


def test_a_logged_order_is_kept_as_stored_without_checks() -> None:
    stored = ("r" * 300, -1.0, "ZZZ", "card", "zz", "a\x00", "1" * 40)
    order = Order.as_logged(*stored)
    assert (
        order.ref,
        order.amount,
        order.currency,
        order.payment_method,
        order.country,
        order.region,
        order.postal_code,
    ) == stored
    assert order == Order.as_logged(*stored)

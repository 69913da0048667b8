"""Reading JSON bodies: types are checked and every error names the field's full path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from buyerguard.domain.integrations.payloads import (
    JsonObject,
    PayloadError,
    address_line,
    claim_event,
    money,
    unwrap,
)

BODY = JsonObject(
    {
        "id": 450789469,
        "flag": True,
        "name": "  #1001 ",
        "blank": "",
        "total": "409.94",
        "cents": 100,
        "at": "2008-01-10T11:00:00-05:00",
        "naive": "2017-03-22T19:28:02",
        "unix": 1648319940,
        "lines": [{"sku": "A"}, "B"],
        "child": {"grandchild": {}},
    }
)


def test_integer_ids_read_as_text_and_text_is_trimmed():
    assert BODY.text("id") == "450789469"
    assert BODY.text("name") == "#1001"
    assert BODY.opt_text("blank") is None
    assert BODY.first_text("blank", "missing", "name") == "#1001"


@pytest.mark.parametrize(
    ("read", "field", "message"),
    [
        (lambda b: b.text("missing"), "missing", "is required"),
        (lambda b: b.text("flag"), "flag", "must be a string"),
        (lambda b: b.text("child"), "child", "must be a string"),
        (lambda b: b.obj("name"), "name", "must be an object"),
        (lambda b: b.objs("lines"), "lines[1]", "must be an object"),
        (lambda b: b.objs("child"), "child", "must be a list"),
        (
            lambda b: b.obj("child").obj("grandchild").text("id"),
            "child.grandchild.id",
            "is required",
        ),
        (lambda b: b.time("name"), "name", "ISO 8601"),
        (lambda b: b.opt_decimal("name"), "name", "must be a number"),
        (lambda b: b.opt_decimal("flag"), "flag", "must be a number"),
    ],
)
def test_errors_name_the_full_path(read, field, message):
    with pytest.raises(PayloadError, match=message) as caught:
        read(BODY)

    assert caught.value.field == field
    assert caught.value.message.startswith(f"{field}: ")


def test_times():
    assert BODY.time("at") == datetime(2008, 1, 10, 11, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert BODY.time("naive") == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert BODY.time("unix") == datetime(2022, 3, 26, 18, 39, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [2**64, -(2**40), "0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"],
)
def test_times_out_of_range_are_refused(value):
    with pytest.raises(PayloadError, match=r"^at: is out of range$"):
        JsonObject({"at": value}).time("at")


def test_amounts_are_exact_decimals():
    assert BODY.opt_decimal("total") == Decimal("409.94")
    assert BODY.opt_decimal("cents") == Decimal(100)
    assert BODY.opt_decimal("blank") is None


@pytest.mark.parametrize(
    "value", ["NaN", "sNaN", "-Infinity", float("nan"), float("inf"), "1e999999999", 10**400]
)
def test_amounts_that_are_not_finite_numbers_are_refused(value):
    with pytest.raises(PayloadError, match=r"^total: must be a finite number$"):
        JsonObject({"total": value}).opt_decimal("total")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("3.00"), "usd", (3.0, "USD")),
        (Decimal("3.00"), None, (None, None)),
        (None, "USD", (None, None)),
        (Decimal("3.00"), "dollars", (None, None)),
        (Decimal("-3.00"), "USD", (None, None)),
    ],
)
def test_money_is_both_or_neither(amount, currency, expected):
    assert money(amount, currency) == expected


def test_unwrap_accepts_both_shapes_and_keeps_the_path():
    wrapped = unwrap({"order": {"id": 1}}, "order")
    bare = unwrap({"id": 1, "order": "ignored"}, "order")

    assert (wrapped.text("id"), wrapped.where("id")) == ("1", "order.id")
    assert (bare.text("id"), bare.where("id")) == ("1", "id")


def test_address_line_skips_empty_parts():
    assert (
        address_line(["969 Market", None, "", "San Francisco", "US"])
        == "969 Market, San Francisco, US"
    )
    assert address_line([None, ""]) is None


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"chargeback": True, "outcome": None, "stage": "inquiry"},
            ("chargeback.created", {"reason": "fraudulent", "stage": "inquiry"}),
        ),
        (
            {"chargeback": True, "outcome": "buyer_won"},
            ("chargeback.resolved", {"reason": "fraudulent", "outcome": "buyer_won"}),
        ),
        (
            {"chargeback": False, "outcome": None},
            ("dispute.opened", {"reason": "fraudulent", "claim": "fraud"}),
        ),
        (
            {"chargeback": False, "outcome": "seller_won"},
            (
                "dispute.resolved",
                {"reason": "fraudulent", "claim": "fraud", "outcome": "seller_won"},
            ),
        ),
    ],
)
def test_claim_events(kwargs, expected):
    assert claim_event(reason="FRAUDULENT", claim="fraud", **kwargs) == expected

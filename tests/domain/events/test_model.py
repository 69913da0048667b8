"""The event model: validation of events and of POST /v1/events bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.events import (
    AUTOMATIC_REASONS,
    EVENT_TYPES,
    FRAUD_REASONS,
    Event,
    InvalidEventError,
    UnknownEventTypeError,
    is_fraud_reason,
    parse_event,
)

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def body(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "event_id": "shop-42:evt-1",
        "type": "chargeback.created",
        "occurred_at": "2024-03-01T14:00:00+02:00",
        "order_ref": "A-1001",
        "buyer": {"email": "buyer@example.com", "platform_buyer_id": "aliexpress:cn1234"},
        "amount": 49.9,
        "currency": "EUR",
        "data": {"reason": "fraudulent"},
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


# --- the event model ---------------------------------------------------------------------------


def test_parse_event_reads_a_full_body_and_normalises_time_to_utc():
    event = parse_event(body())

    assert event == Event(
        event_id="shop-42:evt-1",
        type="chargeback.created",
        occurred_at=datetime(2024, 3, 1, 12, 0, tzinfo=UTC),
        order_ref="A-1001",
        buyer={"email": "buyer@example.com", "platform_buyer_id": "aliexpress:cn1234"},
        amount=49.9,
        currency="EUR",
        data={"reason": "fraudulent"},
    )
    assert event.occurred_at.tzinfo is UTC


def test_parse_event_accepts_a_minimal_body():
    event = parse_event(
        {
            "event_id": "e1",
            "type": "order.created",
            "occurred_at": "2024-03-01T12:00:00Z",
            "order_ref": "1",
        }
    )

    assert (event.buyer, event.amount, event.currency, dict(event.data)) == ({}, None, None, {})


def test_unknown_event_type_lists_the_valid_ones():
    with pytest.raises(UnknownEventTypeError) as caught:
        parse_event(body(type="order.exploded"))

    assert caught.value.code == "unknown_event_type"
    assert isinstance(caught.value, InvalidInputError)
    for event_type in EVENT_TYPES:
        assert event_type.code in caught.value.message


@pytest.mark.parametrize("field", ["event_id", "type", "occurred_at", "order_ref"])
def test_a_missing_required_field_is_named(field):
    with pytest.raises(InvalidEventError) as caught:
        parse_event({k: v for k, v in body().items() if k != field})

    assert caught.value.field == field
    assert caught.value.message.startswith(f"{field}:")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "dispute.resolved", "data": {"claim": "quality"}}, "data.outcome"),
        ({"type": "dispute.resolved", "data": {"outcome": "seller_won"}}, "data.claim"),
        ({"type": "dispute.opened", "data": {"claim": "lost_in_space"}}, "data.claim"),
        ({"type": "chargeback.resolved", "data": {"outcome": "draw"}}, "data.outcome"),
        ({"data": {}}, "data.reason"),
        ({"data": {"reason": "fraudulent", "colour": "red"}}, "data.colour"),
        ({"data": {"reason": 7}}, "data.reason"),
        ({"data": "fraudulent"}, "data"),
        ({"buyer": {"shoe_size": "44"}}, "buyer.shoe_size"),
        ({"buyer": {"email": ""}}, "buyer.email"),
        ({"buyer": ["buyer@example.com"]}, "buyer"),
        ({"occurred_at": "2024-03-01T12:00:00"}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": 1709294400}, "occurred_at"),
        ({"amount": True}, "amount"),
        ({"amount": "49.90"}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": float("nan")}, "amount"),
        ({"amount": 10**400}, "amount"),
        ({"currency": None}, "currency"),
        ({"currency": "euro"}, "currency"),
        ({"currency": "E1R"}, "currency"),
        ({"event_id": ""}, "event_id"),
        ({"order_ref": "x" * 201}, "order_ref"),
        ({"order_ref": "A\x00"}, "order_ref"),
        ({"event_id": "e\t1"}, "event_id"),
        ({"data": {"reason": "fraud\x00"}}, "data.reason"),
        ({"occured_at": "2024-03-01T12:00:00Z"}, "occured_at"),
    ],
)
def test_invalid_bodies_are_refused_naming_the_field(overrides, field):
    with pytest.raises(InvalidEventError) as caught:
        parse_event(body(**overrides))

    assert caught.value.field == field
    assert caught.value.code == "invalid_event"


def test_an_event_cannot_be_changed_through_the_dicts_it_was_built_from():
    buyer = {"email": "buyer@example.com"}
    data = {"reason": "fraudulent"}
    event = Event("e1", "chargeback.created", T0, "o1", buyer=buyer, data=data)

    buyer["email"] = "someone-else@example.com"
    data["reason"] = "general"

    assert event.buyer == {"email": "buyer@example.com"}
    assert event.data == {"reason": "fraudulent"}


def test_events_can_be_collected_in_a_set():
    event = parse_event(body())

    assert {event, parse_event(body())} == {event}
    assert len({event, parse_event(body(data={"reason": "general"}))}) == 2


def test_occurred_at_in_another_zone_is_the_same_instant_in_utc():
    shifted = Event("e", "order.created", T0.astimezone(timezone(timedelta(hours=-5))), "o")

    assert shifted.occurred_at == T0
    assert shifted.occurred_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("reason", "fraud"),
    [
        ("fraudulent", True),
        ("FRAUDULENT", True),
        ("unauthorised", True),
        ("Unauthorized", True),
        ("debit-not-authorized", True),
        ("product_not_received", False),
        ("general", False),
        ("unrecognized", False),
    ],
)
def test_fraud_reasons(reason, fraud):
    assert is_fraud_reason(reason) is fraud


def test_docs_list_every_event_type_fraud_reason_and_automatic_reason():
    text = DOCS.read_text()

    missing = [
        code
        for code in (
            *(t.code for t in EVENT_TYPES),
            *FRAUD_REASONS,
            *AUTOMATIC_REASONS,
        )
        if f"`{code}`" not in text
    ]
    assert missing == []


def test_a_currency_in_any_case_is_kept_as_iso_writes_it():
    assert parse_event(body(currency="eur")).currency == "EUR"

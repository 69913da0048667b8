"""Stripe: `Stripe-Signature` checks and dispute / early-fraud-warning mapping."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta

import pytest

from buyerguard.domain.events import Event, EventRules, UnknownEventTypeError, outcome_for_order
from buyerguard.domain.integrations import ADAPTERS, PayloadError, SignatureError

from .samples import NOW, ROTATED_SECRET, SECRET, payload, raw, stripe_header

STRIPE = ADAPTERS["stripe"]
EVENT = "stripe_event_charge.dispute.created.json"
DISPUTE = "stripe_dispute_object.json"
CREATED = "charge.dispute.created"
CLOSED = "charge.dispute.closed"


def verify(header: str, body: bytes, secrets=(SECRET,), **settings: str) -> None:
    STRIPE.verify({"stripe-signature": header}, body, list(secrets), now=NOW, settings=settings)


def closed_event(status: str, **dispute: object) -> dict[str, object]:
    body = copy.deepcopy(payload(EVENT))
    body["type"] = CLOSED
    body["id"] = f"evt_closed_{status}"
    body["created"] = 1750000000
    body["data"]["object"] |= {"status": status} | dispute
    return body


def fraud_warning() -> dict[str, object]:
    """Shaped as Stripe's API reference shows `radar.early_fraud_warning.created`."""
    return {
        "id": "evt_1EFW",
        "object": "event",
        "api_version": "2024-06-20",
        "created": 1717243200,
        "type": "radar.early_fraud_warning.created",
        "data": {
            "object": {
                "id": "issfr_1NnrwHBw2dPENLoi9lnhV3RQ",
                "object": "radar.early_fraud_warning",
                "actionable": True,
                "charge": "ch_1234",
                "created": 1717243100,
                "fraud_type": "made_with_stolen_card",
                "livemode": False,
                "payment_intent": "pi_1234",
            }
        },
    }


# --- signatures --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [EVENT, DISPUTE])
def test_the_real_bodies_verify(name):
    body = raw(name)

    verify(stripe_header(body), body)


def test_rotation_the_second_secret_verifies():
    body = raw(EVENT)

    verify(stripe_header(body, secret=ROTATED_SECRET), body, secrets=(SECRET, ROTATED_SECRET))
    with pytest.raises(SignatureError):
        verify(stripe_header(body, secret=ROTATED_SECRET), body)


def test_any_of_several_v1_signatures_may_match():
    body = raw(EVENT)
    good = stripe_header(body)
    stale = stripe_header(body, secret="old-secret").split(",")[1]

    verify(f"{good.split(',')[0]},{stale},{good.split(',')[1]},v0=ignored", body)


@pytest.mark.parametrize(
    ("seconds", "accepted"),
    [(-300, True), (300, True), (-301, False), (301, False), (-86400, False)],
)
def test_the_timestamp_must_be_within_the_tolerance(seconds, accepted):
    body = raw(EVENT)
    header = stripe_header(body, at=NOW + timedelta(seconds=seconds))

    if accepted:
        verify(header, body)
    else:
        with pytest.raises(SignatureError, match="from now"):
            verify(header, body)


def test_the_tolerance_is_configurable():
    body = raw(EVENT)
    header = stripe_header(body, at=NOW - timedelta(seconds=600))

    verify(header, body, tolerance_seconds="900")
    with pytest.raises(SignatureError):
        verify(header, body, tolerance_seconds="60")
    with pytest.raises(SignatureError, match="tolerance_seconds"):
        verify(header, body, tolerance_seconds="soon")


def test_a_tampered_body_is_refused():
    body = raw(EVENT)
    tampered = body.replace(b'"amount": 100', b'"amount": 1')
    assert tampered != body

    with pytest.raises(SignatureError, match="does not match") as caught:
        verify(stripe_header(body), tampered)
    assert caught.value.code == "bad_signature"


def test_a_signature_made_for_another_timestamp_is_refused():
    body = raw(EVENT)
    signature = stripe_header(body, at=NOW - timedelta(days=1)).split(",")[1]

    with pytest.raises(SignatureError, match="does not match"):
        verify(f"t={int(NOW.timestamp())},{signature}", body)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", "missing stripe-signature"),
        ("v1=abc", "t= timestamp"),
        ("t=yesterday,v1=abc", "t= timestamp"),
        (f"t={int(NOW.timestamp())}", "v1= signature"),
    ],
)
def test_malformed_headers_are_refused(header, message):
    with pytest.raises(SignatureError, match=message):
        verify(header, raw(EVENT))


def test_a_missing_header_is_refused():
    with pytest.raises(SignatureError, match="missing"):
        STRIPE.verify({}, raw(EVENT), [SECRET], now=NOW, settings={})


def test_no_configured_secret_refuses_everything():
    body = raw(EVENT)

    with pytest.raises(SignatureError, match="no signing secret"):
        verify(stripe_header(body), body, secrets=())


# --- mapping -----------------------------------------------------------------------------------


def test_the_2020_event_maps_to_a_fraud_inquiry_on_the_charge():
    events = STRIPE.to_events(payload(EVENT), topic=CREATED)

    assert events == [
        Event(
            event_id="stripe:evt_000000000000000000000000",
            type="dispute.opened",
            occurred_at=datetime.fromtimestamp(1648319940, UTC),
            order_ref="ch_000000000000000000000000",
            buyer={},
            amount=1.0,
            currency="USD",
            data={"claim": "fraud", "reason": "fraudulent"},
        )
    ]


def test_the_current_dispute_object_is_accepted_bare():
    [event] = STRIPE.to_events(payload(DISPUTE), topic=CREATED)

    assert event == Event(
        event_id="stripe:charge.dispute.created:dp_1Pgc71B7WZ01zgkWMevJiAUx",
        type="dispute.opened",
        occurred_at=datetime.fromtimestamp(1234567890, UTC),
        order_ref="ch_1PgafuB7WZ01zgkWXYmPNZs8",
        amount=10.0,
        currency="USD",
        data={"claim": "other", "reason": "general"},
    )


def test_a_chargeback_is_told_apart_from_an_inquiry():
    body = copy.deepcopy(payload(EVENT))
    body["data"]["object"]["status"] = "needs_response"
    current = copy.deepcopy(payload(DISPUTE))
    current["payment_method_details"]["card"]["case_type"] = "chargeback"

    [old] = STRIPE.to_events(body, topic=CREATED)
    [new] = STRIPE.to_events(current, topic=CREATED)

    assert (old.type, old.data) == (
        "chargeback.created",
        {"reason": "fraudulent", "stage": "chargeback"},
    )
    assert (new.type, new.data) == (
        "chargeback.created",
        {"reason": "general", "stage": "chargeback"},
    )


@pytest.mark.parametrize(
    ("status", "kind", "outcome"),
    [
        ("won", "chargeback.resolved", "seller_won"),
        ("lost", "chargeback.resolved", "buyer_won"),
        ("warning_closed", "dispute.resolved", "withdrawn"),
        ("prevented", "chargeback.resolved", "withdrawn"),
    ],
)
def test_closed_disputes(status, kind, outcome):
    [event] = STRIPE.to_events(closed_event(status), topic=CLOSED)

    assert (event.event_id, event.type) == (f"stripe:evt_closed_{status}", kind)
    assert event.data["outcome"] == outcome
    assert event.occurred_at == datetime.fromtimestamp(1750000000, UTC)


def test_an_early_fraud_warning_is_a_fraud_chargeback_without_amount():
    [event] = STRIPE.to_events(fraud_warning(), topic="radar.early_fraud_warning.created")

    assert event == Event(
        event_id="stripe:evt_1EFW",
        type="chargeback.created",
        occurred_at=datetime.fromtimestamp(1717243200, UTC),
        order_ref="ch_1234",
        data={"reason": "fraudulent", "stage": "early_fraud_warning"},
    )


def test_a_won_fraud_dispute_leaves_a_confirmed_card_fraud_tag():
    events = [
        *STRIPE.to_events(fraud_warning(), topic="radar.early_fraud_warning.created"),
        *STRIPE.to_events(closed_event("won", charge="ch_1234"), topic=CLOSED),
    ]

    [tag] = outcome_for_order(events, EventRules(), now=NOW + timedelta(days=60)).tags

    assert (tag.reason, tag.event_id, tag.confirmed_by) == (
        "card_fraud",
        "stripe:evt_1EFW",
        ("stripe:evt_closed_won",),
    )


@pytest.mark.parametrize(
    ("currency", "minor", "amount"), [("jpy", 1000, 1000.0), ("kwd", 1500, 1.5)]
)
def test_amounts_are_converted_from_minor_units(currency, minor, amount):
    body = copy.deepcopy(payload(EVENT))
    body["data"]["object"] |= {"currency": currency, "amount": minor}

    [event] = STRIPE.to_events(body, topic=CREATED)

    assert (event.amount, event.currency) == (amount, currency.upper())


def test_identifiers_come_from_evidence_and_an_expanded_charge():
    body = copy.deepcopy(payload(EVENT))
    dispute = body["data"]["object"]
    dispute["evidence"]["customer_email_address"] = "Jane@Example.com"
    dispute["charge"] = {
        "id": "ch_000000000000000000000000",
        "customer": "cus_PQ1",
        "billing_details": {"email": "jane@example.com", "phone": "+15555550100"},
        "payment_method_details": {"card": {"fingerprint": "Xt5EWLLDS7FJjR1c"}},
        "shipping": {"address": {"line1": "1 Main St", "city": "Springfield", "country": "US"}},
    }

    [event] = STRIPE.to_events(body, topic=CREATED)

    assert event.order_ref == "ch_000000000000000000000000"
    assert event.buyer == {
        "email": "jane@example.com",
        "platform_buyer_id": "stripe:cus_PQ1",
        "phone": "+15555550100",
        "shipping_address": "1 Main St, Springfield, US",
        "payment_fingerprint": "Xt5EWLLDS7FJjR1c",
    }


def test_topic_comes_from_the_body():
    assert STRIPE.topic_from_headers({}, payload(EVENT)) == CREATED


def test_an_envelope_of_another_type_is_refused():
    with pytest.raises(PayloadError) as caught:
        STRIPE.to_events(payload(EVENT), topic=CLOSED)

    assert caught.value.field == "type"


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("charge", "data.object.charge"),
        ("reason", "data.object.reason"),
        ("status", "data.object.status"),
    ],
)
def test_a_body_missing_a_key_field_names_it(key, field):
    body = copy.deepcopy(payload(EVENT))
    del body["data"]["object"][key]

    with pytest.raises(PayloadError, match=field) as caught:
        STRIPE.to_events(body, topic=CREATED)

    assert caught.value.field == field


def test_a_body_that_is_not_a_stripe_object_is_refused():
    with pytest.raises(PayloadError) as caught:
        STRIPE.to_events({"hello": "world"}, topic=CREATED)

    assert caught.value.field == "id"


def test_unhandled_topics_are_refused():
    with pytest.raises(UnknownEventTypeError, match=re.escape("charge.dispute.closed")):
        STRIPE.to_events(payload(EVENT), topic="charge.succeeded")

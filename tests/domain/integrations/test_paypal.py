"""PayPal: certificate signatures over the published sample event, and dispute mapping."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from buyerguard.domain.events import Event, UnknownEventTypeError
from buyerguard.domain.integrations import ADAPTERS, PayloadError, SignatureError

from .samples import NOW, PAYPAL_WEBHOOK_ID, payload, paypal_certificate, paypal_headers, raw

PAYPAL = ADAPTERS["paypal"]
FIXTURE = "paypal_event_CUSTOMER.DISPUTE.CREATED.json"
CREATED = "CUSTOMER.DISPUTE.CREATED"
RESOLVED = "CUSTOMER.DISPUTE.RESOLVED"


def settings(**overrides: str) -> dict[str, str]:
    return {
        "webhook_id": PAYPAL_WEBHOOK_ID,
        "certificate": paypal_certificate("current"),
    } | overrides


def verify(
    headers: dict[str, str], body: bytes, secrets: tuple[str, ...] = (), **overrides: str
) -> None:
    PAYPAL.verify(headers, body, list(secrets), now=NOW, settings=settings(**overrides))


def resolved(outcome_code: str, **resource: object) -> dict[str, object]:
    body = copy.deepcopy(payload(FIXTURE))
    body["event_type"] = RESOLVED
    body["resource"] |= {"status": "RESOLVED", "dispute_outcome": {"outcome_code": outcome_code}}
    body["resource"] |= resource
    return body


# --- signatures --------------------------------------------------------------------------------


def test_the_sample_event_verifies_with_the_configured_certificate():
    body = raw(FIXTURE)

    verify(paypal_headers(body), body)


def test_the_certificate_may_be_configured_as_a_secret():
    body = raw(FIXTURE)

    PAYPAL.verify(
        paypal_headers(body),
        body,
        [paypal_certificate("current")],
        now=NOW,
        settings={"webhook_id": PAYPAL_WEBHOOK_ID},
    )


def test_rotation_any_configured_certificate_may_sign():
    body = raw(FIXTURE)
    both = paypal_certificate("current") + paypal_certificate("next")

    verify(paypal_headers(body, label="next"), body, certificate=both)
    with pytest.raises(SignatureError):
        verify(paypal_headers(body, label="next"), body)


def test_a_tampered_body_is_refused():
    body = raw(FIXTURE)
    tampered = body.replace(b'"value": "3.00"', b'"value": "300.00"')
    assert tampered != body

    with pytest.raises(SignatureError) as caught:
        verify(paypal_headers(body), tampered)
    assert caught.value.code == "bad_signature"


def test_a_signature_for_another_webhook_is_refused():
    body = raw(FIXTURE)

    with pytest.raises(SignatureError):
        verify(paypal_headers(body, webhook_id="OTHER-WEBHOOK"), body)


def test_a_signature_from_an_unknown_key_is_refused():
    body = raw(FIXTURE)

    with pytest.raises(SignatureError, match="does not match"):
        verify(paypal_headers(body, label="attacker"), body)


@pytest.mark.parametrize(
    "header",
    [
        "paypal-transmission-id",
        "paypal-transmission-time",
        "paypal-transmission-sig",
        "paypal-auth-algo",
    ],
)
def test_a_missing_header_is_refused(header):
    body = raw(FIXTURE)
    headers = paypal_headers(body)
    del headers[header]

    with pytest.raises(SignatureError, match=header):
        verify(headers, body)


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("paypal-auth-algo", "SHA1withRSA", "unsupported"),
        ("paypal-transmission-sig", "not base64!", "base64"),
        ("paypal-transmission-id", "another-id", "does not match"),
    ],
)
def test_altered_headers_are_refused(header, value, message):
    body = raw(FIXTURE)
    headers = paypal_headers(body) | {header: value}

    with pytest.raises(SignatureError, match=message):
        verify(headers, body)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"webhook_id": ""}, "webhook_id"),
        ({"certificate": ""}, "no PayPal certificate"),
        ({"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}, "PEM"),
    ],
)
def test_a_connection_without_usable_configuration_refuses_everything(overrides, message):
    body = raw(FIXTURE)

    with pytest.raises(SignatureError, match=message):
        verify(paypal_headers(body), body, **overrides)


def test_an_expired_certificate_is_not_trusted():
    body = raw(FIXTURE)
    expired = paypal_certificate("current", valid_until=NOW - timedelta(days=1))

    with pytest.raises(SignatureError, match="current RSA certificate"):
        verify(paypal_headers(body), body, certificate=expired)


def test_transmission_time_is_bounded_only_when_a_tolerance_is_set():
    body = raw(FIXTURE)
    old = paypal_headers(body, sent_at=NOW - timedelta(hours=2))

    verify(old, body)
    verify(old, body, tolerance_seconds="7200")
    with pytest.raises(SignatureError, match="transmission-time"):
        verify(old, body, tolerance_seconds="300")


# --- mapping -----------------------------------------------------------------------------------


def test_the_sample_dispute_maps_to_a_not_received_claim():
    events = PAYPAL.to_events(payload(FIXTURE), topic=CREATED)

    assert events == [
        Event(
            event_id="paypal:WH-4M0448861G563140B-9EX36365822141321",
            type="dispute.opened",
            occurred_at=datetime(2018, 6, 21, 13, 35, 44, tzinfo=UTC),
            order_ref="00D10444LD479031K",
            buyer={},
            amount=3.0,
            currency="USD",
            data={"claim": "not_received", "reason": "merchandise_or_service_not_received"},
        )
    ]


def test_topic_comes_from_the_body():
    assert PAYPAL.topic_from_headers({}, payload(FIXTURE)) == CREATED


@pytest.mark.parametrize(
    ("outcome_code", "outcome"),
    [
        ("RESOLVED_SELLER_FAVOUR", "seller_won"),
        ("DENIED", "seller_won"),
        ("RESOLVED_BUYER_FAVOUR", "buyer_won"),
        ("RESOLVED_WITH_PAYOUT", "buyer_won"),
        ("ACCEPTED", "buyer_won"),
        ("CANCELED_BY_BUYER", "withdrawn"),
        ("SOMETHING_NEW", "withdrawn"),
    ],
)
def test_resolutions(outcome_code, outcome):
    body = resolved(outcome_code, update_time="2018-07-01T10:00:00.000Z")

    [event] = PAYPAL.to_events(body, topic=RESOLVED)

    assert event.type == "dispute.resolved"
    assert event.data == {
        "outcome": outcome,
        "claim": "not_received",
        "reason": "merchandise_or_service_not_received",
    }
    assert event.occurred_at == datetime(2018, 7, 1, 10, 0, tzinfo=UTC)


def test_an_update_about_a_resolved_dispute_is_its_resolution():
    [event] = PAYPAL.to_events(resolved("RESOLVED_BUYER_FAVOUR"), topic="CUSTOMER.DISPUTE.UPDATED")

    assert (event.type, event.data["outcome"]) == ("dispute.resolved", "buyer_won")


@pytest.mark.parametrize(
    ("reason", "claim"),
    [
        ("MERCHANDISE_OR_SERVICE_NOT_AS_DESCRIBED", "quality"),
        ("UNAUTHORISED", "fraud"),
        ("CREDIT_NOT_PROCESSED", "other"),
    ],
)
def test_claim_kinds(reason, claim):
    body = copy.deepcopy(payload(FIXTURE))
    body["resource"]["reason"] = reason

    [event] = PAYPAL.to_events(body, topic=CREATED)

    assert event.data["claim"] == claim


def test_an_external_dispute_is_a_chargeback():
    body = copy.deepcopy(payload(FIXTURE))
    body["resource"] |= {"dispute_channel": "EXTERNAL", "reason": "UNAUTHORISED"}
    body["resource"]["dispute_life_cycle_stage"] = "CHARGEBACK"

    [opened] = PAYPAL.to_events(body, topic=CREATED)
    [decided] = PAYPAL.to_events(
        resolved("RESOLVED_SELLER_FAVOUR", dispute_channel="EXTERNAL", reason="UNAUTHORISED"),
        topic=RESOLVED,
    )

    assert (opened.type, opened.data) == (
        "chargeback.created",
        {"reason": "unauthorised", "stage": "chargeback"},
    )
    assert (decided.type, decided.data) == (
        "chargeback.resolved",
        {"reason": "unauthorised", "outcome": "seller_won"},
    )


def test_buyer_and_invoice_are_read_when_paypal_sends_them():
    body = copy.deepcopy(payload(FIXTURE))
    body["resource"]["disputed_transactions"][0] |= {
        "invoice_number": "INV-1001",
        "buyer": {"name": "Jane", "email": "jane@example.com", "payer_id": "QYR5Z8XDVJNXQ"},
    }

    [event] = PAYPAL.to_events(body, topic=CREATED)

    assert event.order_ref == "INV-1001"
    assert event.buyer == {"platform_buyer_id": "paypal:QYR5Z8XDVJNXQ", "email": "jane@example.com"}


def test_a_buyer_known_by_email_only_is_namespaced_by_email():
    body = copy.deepcopy(payload(FIXTURE))
    body["resource"]["disputed_transactions"][0]["buyer"] = {"email": "jane@example.com"}

    [event] = PAYPAL.to_events(body, topic=CREATED)

    assert event.buyer["platform_buyer_id"] == "paypal:jane@example.com"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("resource",), "resource"),
        (("resource", "reason"), "resource.reason"),
        (("resource", "disputed_transactions"), "resource.disputed_transactions"),
        (("id",), "id"),
    ],
)
def test_a_body_missing_a_key_field_names_it(path, field):
    body = copy.deepcopy(payload(FIXTURE))
    parent = body
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]

    with pytest.raises(PayloadError) as caught:
        PAYPAL.to_events(body, topic=CREATED)

    assert caught.value.field == field
    assert caught.value.code == "invalid_payload"


def test_a_transaction_without_any_id_is_refused():
    body = copy.deepcopy(payload(FIXTURE))
    del body["resource"]["disputed_transactions"][0]["seller_transaction_id"]

    with pytest.raises(PayloadError) as caught:
        PAYPAL.to_events(body, topic=CREATED)

    assert caught.value.field == "resource.disputed_transactions[0].seller_transaction_id"


def test_a_resolution_without_outcome_is_refused():
    with pytest.raises(PayloadError) as caught:
        PAYPAL.to_events(payload(FIXTURE), topic=RESOLVED)

    assert caught.value.field == "resource.dispute_outcome"


def test_unhandled_topics_are_refused():
    with pytest.raises(UnknownEventTypeError, match=CREATED):
        PAYPAL.to_events(payload(FIXTURE), topic="PAYMENT.CAPTURE.COMPLETED")

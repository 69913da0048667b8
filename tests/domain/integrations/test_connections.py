"""A seller's connection to a provider is checked before it is stored."""

from __future__ import annotations

import pytest

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.integrations.connections import (
    MAX_SECRETS,
    is_connection_id,
    new_connection_id,
    validate_connection,
    webhook_path,
)

from .samples import paypal_certificate


def test_ids_are_random_and_name_the_webhook_path():
    connection_id = new_connection_id(bytes(range(12)))
    assert is_connection_id(connection_id)
    assert not is_connection_id("1")
    assert not is_connection_id("int_../../x")
    assert not is_connection_id(f"{connection_id}\n")
    assert webhook_path(connection_id) == f"/v1/integrations/{connection_id}/webhook"


@pytest.mark.parametrize("provider", ["stripe", "shopify", "woocommerce"])
def test_hmac_providers_need_a_secret(provider):
    validate_connection(provider, ["whsec_1"], {})
    with pytest.raises(InvalidInputError, match="secrets"):
        validate_connection(provider, [], {})


def test_paypal_needs_its_webhook_id_and_certificate():
    certificate = paypal_certificate("connections")
    validate_connection("paypal", [], {"webhook_id": "WH-1", "certificate": certificate})
    validate_connection("paypal", [certificate], {"webhook_id": "WH-1"})
    with pytest.raises(InvalidInputError, match="webhook_id"):
        validate_connection("paypal", [certificate], {})
    with pytest.raises(InvalidInputError, match="certificate"):
        validate_connection("paypal", ["not a certificate"], {"webhook_id": "WH-1"})


@pytest.mark.parametrize(
    ("provider", "secrets", "settings", "message"),
    [
        ("square", ["s"], {}, "provider"),
        ("stripe", ["s"], {"webhook_id": "x"}, "not a setting of stripe"),
        ("stripe", ["s"], {"tolerance_seconds": "0"}, "tolerance_seconds"),
        ("stripe", ["s"], {"tolerance_seconds": "soon"}, "tolerance_seconds"),
        ("shopify", ["s", "s"], {}, "without repeats"),
        ("shopify", ["s"] * (MAX_SECRETS + 1), {}, "at most"),
        ("shopify", [" "], {}, "each 1 to"),
    ],
)
def test_bad_connections_are_refused(provider, secrets, settings, message):
    with pytest.raises(InvalidInputError, match=message):
        validate_connection(provider, secrets, settings)

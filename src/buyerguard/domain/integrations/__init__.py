"""Platform adapters: prove a webhook came from its provider, then read its body as events.

One `Adapter` per provider in `ADAPTERS`. Everything here is pure: secrets, the connection's
settings and `now` come in as arguments, and no certificate or URL is ever fetched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from buyerguard.domain.integrations import paypal, shopify, stripe, woocommerce
from buyerguard.domain.integrations.payloads import Mapper, PayloadError
from buyerguard.domain.integrations.signatures import SignatureError


class Verifier(Protocol):
    def __call__(
        self,
        headers: Mapping[str, str],
        body: bytes,
        secrets: Sequence[str],
        *,
        now: datetime,
        settings: Mapping[str, str],
    ) -> None: ...


class TopicReader(Protocol):
    def __call__(self, headers: Mapping[str, str], payload: Mapping[str, object]) -> str: ...


@dataclass(frozen=True)
class Adapter:
    """One provider's webhook handling, in the order a caller uses it.

    1. `verify(headers, body, secrets, now=, settings=)` on the raw bytes, before parsing: raises
       `SignatureError`. Header names must be lower-case.
    2. `topic_from_headers(headers, payload)`: the provider's event name, from a header (Shopify,
       WooCommerce) or from the decoded body (Stripe, PayPal).
    3. `to_events(payload, topic=)`: the events the body proves, possibly none; raises
       `PayloadError` for a body that is not the provider's format and `UnknownEventTypeError`
       for a topic not in `topics`.
    """

    name: str
    topics: tuple[str, ...]
    verify: Verifier
    topic_from_headers: TopicReader
    to_events: Mapper


# Spelled out rather than built in a loop over the modules, so that mypy checks each function
# against the protocols above.
_ALL = (
    Adapter(paypal.NAME, paypal.TOPICS, paypal.verify, paypal.topic_from_headers, paypal.to_events),
    Adapter(stripe.NAME, stripe.TOPICS, stripe.verify, stripe.topic_from_headers, stripe.to_events),
    Adapter(
        shopify.NAME, shopify.TOPICS, shopify.verify, shopify.topic_from_headers, shopify.to_events
    ),
    Adapter(
        woocommerce.NAME,
        woocommerce.TOPICS,
        woocommerce.verify,
        woocommerce.topic_from_headers,
        woocommerce.to_events,
    ),
)
ADAPTERS: Mapping[str, Adapter] = MappingProxyType({adapter.name: adapter for adapter in _ALL})

__all__ = ["ADAPTERS", "Adapter", "PayloadError", "SignatureError", "TopicReader", "Verifier"]
